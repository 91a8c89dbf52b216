// In-place writes through any alias (views, detach, the tensor itself) are caught at backward, or are harmless.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InPlaceError, SGD, Tensor, grad, noGrad, tensor, Linear, Rng } from '../src/index.js';
import { assertClose } from './helpers.js';

const leaf = (v: number[], shape?: number[]): Tensor => {
  const t = tensor(v, { dtype: 'float64', requiresGrad: true });
  return shape ? noGrad(() => t.reshape(shape)).detach().requiresGrad_() : t;
};

/** Every way the engine makes a tensor that shares storage with `w` (a 1×4 leaf). */
const aliases: [string, (w: Tensor) => Tensor][] = [
  ['reshape', (w) => w.reshape([2, 2])],
  ['view', (w) => w.view(4)],
  ['flatten', (w) => w.flatten()],
  ['squeeze', (w) => w.squeeze(0)],
  ['unsqueeze', (w) => w.unsqueeze(0)],
  ['detach', (w) => w.detach()],
  ['reshape of a detach', (w) => w.detach().reshape([4])],
  ['permute (identity)', (w) => w.permute(0, 1)],
  ['transpose (of a 1-d view)', (w) => w.reshape([4]).transpose(0, 0)],
  ['expand (same shape)', (w) => w.expand(1, 4)],
  ['cast (same dtype)', (w) => w.to('float64')],
  ['chained views', (w) => w.reshape([4]).unsqueeze(1).squeeze(1).view(2, 2)],
];

describe('in-place writes and autograd', () => {
  it('issue case 1: w.reshape(...) saved by an op, then w.copy_(...), raises InPlaceError naming the op', () => {
    const w = leaf([1, 2, 3, 4]);
    const y = w.reshape([2, 2]).mul(tensor([[1, 1], [1, 1]], { dtype: 'float64' }).add(w.reshape([2, 2]).mul(0))).sum();
    // y = Σ w·(1 + 0·w): dy/dw = 1 + 0 = [1,1,1,1]; before the fix a copy_ made it [5,5,5,5] silently
    noGrad(() => w.copy_(tensor([5, 5, 5, 5], { dtype: 'float64' })));
    assert.throws(() => y.backward(), (e: unknown) => e instanceof InPlaceError && e.op === 'mul' && /shape \[2,2\]/.test(e.message));
  });

  it('issue case 2: p.detach().copy_(...) after p was saved raises instead of giving [18,18]', () => {
    const p = leaf([1, 2]);
    const y = p.mul(p).sum();
    p.detach().copy_(tensor([9, 9], { dtype: 'float64' }));
    assert.throws(() => grad(y, [p]), (e: unknown) => e instanceof InPlaceError && e.op === 'mul');
  });

  it('without the write the same graphs give the right gradients ([1,1,1,1] and [2,4])', () => {
    const w = leaf([1, 2, 3, 4]);
    const y = w.reshape([2, 2]).mul(tensor([[1, 1], [1, 1]], { dtype: 'float64' }).add(w.reshape([2, 2]).mul(0))).sum();
    assertClose(grad(y, [w])[0]!, [1, 1, 1, 1]);
    const p = leaf([1, 2]);
    assertClose(grad(p.mul(p).sum(), [p])[0]!, [2, 4]);
  });

  for (const [name, alias] of aliases) {
    it(`a write through ${name} is seen where the original was saved, and vice versa`, () => {
      const w = leaf([1, 2, 3, 4], [1, 4]);
      const y = w.mul(w).sum();
      const a = alias(w);
      assert.equal(a.data, w.data, `${name} must share storage for this test to mean anything`);
      noGrad(() => a.detach().fill_(7));
      assert.throws(() => grad(y, [w]), InPlaceError);

      const w2 = leaf([1, 2, 3, 4], [1, 4]);
      const v = alias(w2);
      if (!v.requiresGrad) return; // a detach is cut from the graph: nothing to differentiate through it
      const z = v.mul(v).sum(); // saves the alias
      noGrad(() => w2.copy_(tensor([[0, 0, 0, 0]], { dtype: 'float64' })));
      assert.throws(() => grad(z, [w2]), InPlaceError);
    });
  }

  it('a write to an input whose value the rule does not read is harmless (y = x + 1), as in PyTorch', () => {
    const x = leaf([1, 2]);
    const y = x.add(1).mul(3).sum();
    x.detach().fill_(100);
    assertClose(grad(y, [x])[0]!, [3, 3]);
  });

  it('a write to an output that its rule reads (exp, via detach) is caught', () => {
    const x = leaf([0, 1]);
    const e = x.exp();
    const y = e.sum();
    e.detach().fill_(0);
    assert.throws(() => grad(y, [x]), (err: unknown) => err instanceof InPlaceError && err.op === 'exp' && /output/.test(err.message));
  });

  it('an optimiser step between forward and backward is caught (the step writes the weight in place)', () => {
    const lin = new Linear(2, 1, { rng: new Rng(0) });
    const loss = lin.call(tensor([[1, 2]])).sum();
    const opt = new SGD(lin.parameters(), { lr: 0.1 });
    for (const p of lin.parameters()) p.grad = p.detach().mul(0).add(1);
    opt.step();
    assert.throws(() => loss.backward(), (e: unknown) => e instanceof InPlaceError && e.op === 'matmul' && /input 1: shape \[1,2\]/.test(e.message));
  });

  it('a fresh copy (clone) is independent: writing it does not invalidate the graph', () => {
    const w = leaf([1, 2]);
    const y = w.mul(w).sum();
    const c = w.clone().detach();
    c.fill_(0);
    assertClose(grad(y, [w])[0]!, [2, 4]);
    assert.notEqual(c.data, w.data);
  });

  it('slices, selects and non-identity permutes are copies (documented): writing them leaves the source alone', () => {
    const w = leaf([1, 2, 3, 4], [2, 2]);
    const y = w.mul(w).sum();
    for (const c of [w.narrow(0, 0, 1), w.select(1, 0), w.t(), w.chunk(2, 0)[1]!, w.slice(1, 0, 2, 2)]) {
      assert.notEqual(c.data, w.data);
      c.detach().fill_(0);
    }
    assert.deepEqual([...w.data], [1, 2, 3, 4]);
    assertClose(grad(y, [w])[0]!, [[2, 4], [6, 8]]);
  });
});
