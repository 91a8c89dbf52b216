// Autograd behaviour: accumulation, grad() options, graph release, in-place detection, higher order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  backward, GradError, grad, max, maximum, noGrad, ones, tensor, Tensor, zeros,
} from '../src/index.js';
import { assertClose } from './helpers.js';

const t64 = (v: number[] | number[][], rg = true): Tensor => tensor(v, { dtype: 'float64', requiresGrad: rg });

describe('autograd', () => {
  it('a tensor used twice receives both contributions (x*x → 2x)', () => {
    const x = t64([1.5, -2]);
    x.mul(x).sum().backward();
    assertClose(x.grad!, [3, -4]);
    const y = t64([3]);
    y.add(y).add(y).sum().backward();
    assertClose(y.grad!, [3]);
  });

  it('backward accumulates into .grad across calls; zeroing resets', () => {
    const x = t64([2]);
    x.square().sum().backward();
    x.square().sum().backward();
    assertClose(x.grad!, [8]);
    x.grad = null;
    x.mul(3).sum().backward();
    assertClose(x.grad!, [3]);
  });

  it('gradients of different leaves never share storage (add passes g to both sides)', () => {
    const a = t64([1, 2]), b = t64([3, 4]);
    a.add(b).sum().backward();
    assert.notEqual(a.grad!.data, b.grad!.data);
    a.grad!.data[0] = 100;
    assert.equal(b.grad!.data[0], 1);
  });

  it('grad of a non-scalar output needs gradOutputs; error names the shape', () => {
    const x = t64([1, 2]);
    assert.throws(() => grad(x.mul(2), [x]), (e: Error) => e instanceof GradError && /\[2\]/.test(e.message) && /gradOutputs/.test(e.message));
    const [g] = grad(x.mul(2), [x], { gradOutputs: [tensor([1, 10], { dtype: 'float64' })] });
    assertClose(g!, [2, 20]);
    assert.throws(() => x.mul(2).backward(), GradError);
  });

  it('unused inputs: error unless allowUnused', () => {
    const x = t64([1]), z = t64([2]);
    assert.throws(() => grad(x.mul(2).sum(), [x, z]), /not used/);
    const [gx, gz] = grad(x.mul(2).sum(), [x, z], { allowUnused: true });
    assertClose(gx!, [2]);
    assert.equal(gz, null);
  });

  it('inputs and outputs that do not require grad are typed errors', () => {
    const c = tensor([1, 2]);
    assert.throws(() => grad(c.sum(), [c]), GradError);
    const x = t64([1]);
    assert.throws(() => grad(x.sum(), [c]), GradError);
    assert.throws(() => (tensor([1], { dtype: 'int32' }).requiresGrad = true), GradError);
  });

  it('the graph is released after backward unless retainGraph (PyTorch semantics)', () => {
    const x = t64([1, 2]);
    const y = x.exp().sum();
    y.backward();
    assert.throws(() => y.backward(), /second time/);
    const z = x.exp().sum();
    z.backward(undefined, { retainGraph: true });
    z.backward();
    assertClose(x.grad!, [1, 2].map((v) => 3 * Math.exp(v)), { rtol: 1e-12 });
  });

  it('an input modified in place after use makes backward fail instead of returning a wrong gradient', () => {
    const w = t64([1, 2]);
    const y = w.mul(w).sum();
    noGrad(() => w.copy_(tensor([5, 5], { dtype: 'float64' })));
    assert.throws(() => y.backward(), /modified by an in-place operation/);
  });

  it('noGrad records nothing; detach cuts the graph', () => {
    const x = t64([1]);
    const y = noGrad(() => x.mul(2));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
    const d = x.mul(3).detach();
    assert.equal(d.requiresGrad, false);
    const [g] = grad(x.mul(d).sum(), [x]);
    assertClose(g!, [3]);
  });

  it('createGraph gives higher derivatives: d³/dx³ x⁴ = 24x', () => {
    const x = t64([2]);
    const [g1] = grad(x.pow(4).sum(), [x], { createGraph: true });
    const [g2] = grad(g1!.sum(), [x], { createGraph: true });
    const [g3] = grad(g2!.sum(), [x]);
    assertClose(g1!, [32]);
    assertClose(g2!, [48]);
    assertClose(g3!, [48]);
  });

  it('Hessian-vector product of a quadratic form equals (A + Aᵀ)v', () => {
    const A = tensor([[1, 2], [3, 4]], { dtype: 'float64' });
    const x = t64([0.5, -1]);
    const v = tensor([1, 2], { dtype: 'float64' });
    const f = x.matmul(A.matmul(x));
    const [g] = grad(f, [x], { createGraph: true });
    const [hv] = grad(g!.mul(v).sum(), [x]);
    // (A + Aᵀ) v = [[2, 5], [5, 8]] · [1, 2] = [12, 21]
    assertClose(hv!, [12, 21], { rtol: 0, atol: 1e-12 });
  });

  it('maximum splits the gradient evenly on ties, as PyTorch does', () => {
    const a = t64([1, 2, 3]), b = t64([1, 5, 0]);
    maximum(a, b).sum().backward();
    assertClose(a.grad!, [0.5, 0, 1]);
    assertClose(b.grad!, [0.5, 1, 0]);
  });

  it('max reduction shares the gradient among tied maxima (amax)', () => {
    const x = t64([[3, 1, 3], [0, 2, 1]]);
    max(x, 1).sum().backward();
    assertClose(x.grad!, [[0.5, 0, 0.5], [0, 1, 0]]);
  });

  it('retainGrad keeps a non-leaf gradient', () => {
    const x = t64([1, 2]);
    const h = x.mul(3).retainGrad();
    h.square().sum().backward();
    assertClose(h.grad!, [6, 12]);
    assertClose(x.grad!, [18, 36]);
  });

  it('backward with createGraph makes .grad differentiable', () => {
    const x = t64([3]);
    backward(x.pow(3).sum(), undefined, { createGraph: true });
    const [g2] = grad(x.grad!.sum(), [x]);
    assertClose(g2!, [18]);
  });

  it('requiresGrad cannot be switched off on a non-leaf', () => {
    const x = t64([1]);
    const y = x.mul(2);
    assert.throws(() => (y.requiresGrad = false), GradError);
    assert.equal(zeros([2]).requiresGrad, false);
    assert.equal(ones([2], { requiresGrad: true }).requiresGrad, true);
  });
});
