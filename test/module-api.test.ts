// The Module API the methods stand on: clone, fast weights on submodules, BatchNorm policies, freezing, swaps, dtypes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ArgumentError, BatchNorm2d, Conv4, Dropout, Linear, MLP, Module, Rng, SGD, Sequential, StateDictError, StepLR, Tensor,
  blockParams, crossEntropy, freeze, functionalCall, gradMap, noGrad, ones, paramMap, prefixParams, randint, randn,
  sgdStep, subParams, unfreeze, withBatchNormPolicy, zeros,
} from '../src/index.js';
import { assertClose } from './helpers.js';

const sameValues = (a: Tensor, b: Tensor): boolean => a.data.length === b.data.length && a.data.every((v, i) => v === b.data[i]);

describe('Module.clone()', () => {
  it('copies parameters and buffers (values, names, flags), shares no storage, keeps tied weights tied', () => {
    const rng = new Rng(0);
    const m = new Conv4({ rng, hidden: 8, numClasses: 3 });
    freeze(m, 'features.0');
    noGrad(() => m.call(randn([4, 1, 28, 28], rng))); // moves running stats
    const c = m.clone();
    assert.ok(c instanceof Conv4 && c !== m);
    const a = m.stateDict(), b = c.stateDict();
    assert.deepEqual(Object.keys(b), Object.keys(a));
    for (const k of Object.keys(a)) {
      assert.ok(sameValues(a[k]!, b[k]!), k);
      assert.notEqual(a[k]!.data.buffer === b[k]!.data.buffer && a[k]!.data.byteOffset === b[k]!.data.byteOffset, true, `${k} shares storage`);
      assert.equal(b[k]!.requiresGrad, a[k]!.requiresGrad, k);
    }
    c.getParameter('classifier.bias').fill_(42);
    assert.notEqual(m.getParameter('classifier.bias').data[0], 42);

    class Tied extends Module {
      constructor(rng: Rng) {
        super();
        const enc = this.registerModule('enc', new Linear(3, 3, { rng }));
        const dec = this.registerModule('dec', new Linear(3, 3, { rng }));
        dec._parameters.set('weight', enc.weight);
      }
      forward(x: Tensor): Tensor { return this.child('dec').call(this.child('enc').call(x)); }
    }
    const t = new Tied(new Rng(1)).clone();
    assert.equal(t.getParameter('enc.weight'), t.getParameter('dec.weight'));
    assert.equal(t.parameters().length, 3);
  });

  it('gives Dropout a forked generator: the copy draws its own masks and the original\'s stream does not move', () => {
    const x = ones([1, 64]);
    const a = new Sequential(new Dropout(0.5, new Rng(7)));
    const b = new Sequential(new Dropout(0.5, new Rng(7))); // twin, never cloned
    const c1 = a.clone(), c2 = a.clone();
    const ya = a.call(x), yb = b.call(x);
    assert.ok(sameValues(ya, yb), 'cloning advanced the original generator');
    const y1 = c1.call(x), y2 = c2.call(x);
    assert.ok(!sameValues(y1, ya), 'the clone repeats the original mask');
    assert.ok(!sameValues(y1, y2), 'two clones share a stream');
    const again = new Sequential(new Dropout(0.5, new Rng(7))).clone().call(x);
    assert.ok(sameValues(again, y1), 'clone streams are not deterministic');
  });
});

describe('fast weights on any submodule', () => {
  it('functionalCall(model.features, subParams(fast, "features")) equals the whole model under the map', () => {
    const rng = new Rng(2);
    const m = new Conv4({ rng, hidden: 8, numClasses: 5 });
    m.eval();
    const x = randn([3, 1, 28, 28], rng);
    const fast = new Map([...paramMap(m)].map(([n, p]) => [n, p.add(0.01)]));
    const whole = functionalCall(m, fast, x);
    const feats = functionalCall(m.getSubmodule('features'), subParams(fast, 'features'), x).flatten(1);
    const head = functionalCall(m.getSubmodule('classifier'), subParams(fast, 'classifier'), feats);
    assertClose(head, whole, { atol: 1e-5 });
    assert.deepEqual([...prefixParams(subParams(fast, 'features'), 'features').keys()], [...fast.keys()].filter((k) => k.startsWith('features.')));
    assert.throws(() => subParams(fast, 'featurs'), ArgumentError);
  });

  it('blockParams takes a block\'s entries (ANIL\'s head) from the model or from a map', () => {
    const m = new Conv4({ rng: new Rng(3), hidden: 8, numClasses: 5 });
    assert.deepEqual([...blockParams(m, 'head').keys()], ['classifier.weight', 'classifier.bias']);
    assert.equal(blockParams(m, ['block1', 'head']).size, 4 + 2); // conv weight+bias, bn weight+bias; head
    const fast = new Map([...paramMap(m)].map(([n, p]) => [n, p.mul(2)]));
    assert.ok(blockParams(m, 'block2', fast).get('features.1.0.weight') === fast.get('features.1.0.weight'));
    assert.throws(() => blockParams(m, 'block9'), /block9/);
  });

  it('strict functionalCall names the parameters it was not given', () => {
    const m = new Linear(2, 2, { rng: new Rng(0) });
    assert.throws(() => functionalCall(m, { weight: zeros([2, 2]) }, zeros([1, 2]), { strict: true }), (e: unknown) => e instanceof StateDictError && /bias/.test(e.message));
  });
});

describe('BatchNorm statistics policy', () => {
  const setup = (): { bn: BatchNorm2d; x: Tensor } => {
    const bn = new BatchNorm2d(3);
    const x = randn([4, 3, 2, 2], new Rng(4)).mul(2).add(1);
    return { bn, x };
  };
  const stats = (bn: BatchNorm2d): number[] => [...bn.buffer('running_mean')!.data, ...bn.buffer('running_var')!.data, bn.buffer('num_batches_tracked')!.data[0]!];

  it('default: training updates running stats, eval normalises with them (PyTorch)', () => {
    const { bn, x } = setup();
    const before = stats(bn);
    bn.call(x);
    assert.notDeepEqual(stats(bn), before);
    bn.eval();
    const after = stats(bn);
    bn.call(x);
    assert.deepEqual(stats(bn), after);
  });

  it("'batch' normalises with batch statistics and leaves running stats alone; 'update' matches the default", () => {
    const { bn, x } = setup();
    const before = stats(bn);
    const yb = functionalCall(bn, {}, x, { batchNorm: 'batch' });
    assert.deepEqual(stats(bn), before);
    const yd = bn.call(x);
    assertClose(yb, yd, { atol: 1e-6 });
    const bn2 = new BatchNorm2d(3);
    bn2.eval();
    withBatchNormPolicy('update', () => bn2.call(x));
    assert.deepEqual(stats(bn2), stats(bn), "'update' in eval mode trains the statistics too");
  });

  it("'running' normalises with running statistics even in training mode, and writes nothing", () => {
    const { bn, x } = setup();
    bn.call(x);
    bn.call(x.mul(3));
    const s = stats(bn);
    const yr = withBatchNormPolicy('running', () => bn.call(x));
    assert.deepEqual(stats(bn), s);
    bn.eval();
    assertClose(yr, bn.call(x), { atol: 0 });
  });

  it('{ perStep: k } trains and uses row k of per-step statistics only (MAML++ BNRS)', () => {
    const bn = new BatchNorm2d(3, { perStepStatistics: 4 });
    assert.deepEqual(bn.buffer('running_mean')!.shape, [4, 3]);
    const x = randn([4, 3, 2, 2], new Rng(5)).add(2);
    withBatchNormPolicy({ perStep: 2 }, () => bn.call(x));
    const rm = [...bn.buffer('running_mean')!.data];
    assert.deepEqual(rm.slice(0, 6), [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(rm.slice(9), [0, 0, 0]);
    const plain = new BatchNorm2d(3);
    plain.call(x);
    assertClose(rm.slice(6, 9), plain.buffer('running_mean')!, { atol: 1e-6 });
    bn.eval();
    plain.eval();
    assertClose(withBatchNormPolicy({ perStep: 2 }, () => bn.call(x)), plain.call(x), { atol: 1e-6 });
    assert.throws(() => bn.call(x), ArgumentError); // per-step layers need a step
    assert.throws(() => withBatchNormPolicy({ perStep: 4 }, () => bn.call(x)), /step 4/);
    assert.throws(() => withBatchNormPolicy({ perStep: 0 }, () => plain.call(x)), /perStepStatistics/);
  });

  it("a second-order MAML step on Conv-4 under 'batch' leaves every running statistic untouched", () => {
    const rng = new Rng(6);
    const m = new Conv4({ rng, hidden: 8, numClasses: 5 });
    const before = Object.fromEntries(m.namedBuffers().map(([n, b]) => [n, [...b.data]]));
    const params = paramMap(m);
    const xs = randn([5, 1, 28, 28], rng), ys = randint(0, 5, [5], rng);
    const inner = crossEntropy(functionalCall(m, params, xs, { batchNorm: 'batch' }), ys);
    const fast = sgdStep(params, gradMap(inner, params, { createGraph: true }), 0.4);
    crossEntropy(functionalCall(m, fast, xs, { batchNorm: 'batch' }), ys).backward();
    for (const [n, b] of m.namedBuffers()) assert.deepEqual([...b.data], before[n], n);
    assert.ok(m.getParameter('features.0.0.weight').grad, 'meta-gradient reached the weights');
  });
});

describe('freezing, swapping, optimiser groups', () => {
  it('freeze/unfreeze by glob on dotted names; a pattern matching nothing is an error', () => {
    const m = new Conv4({ rng: new Rng(0), hidden: 4, numClasses: 2 });
    const frozen = freeze(m, ['features.0.*', 'features.1']);
    assert.deepEqual(frozen, ['features.0.0.weight', 'features.0.0.bias', 'features.0.1.weight', 'features.0.1.bias', 'features.1.0.weight', 'features.1.0.bias', 'features.1.1.weight', 'features.1.1.bias']);
    assert.equal(m.getParameter('features.0.0.weight').requiresGrad, false);
    assert.equal(m.getParameter('features.2.0.weight').requiresGrad, true);
    assert.deepEqual([...paramMap(m).keys()].length, m.parameters().length - 8);
    assert.throws(() => freeze(m, 'featurs.*'), (e: unknown) => e instanceof ArgumentError && /featurs/.test(e.message));
    unfreeze(m, /^features\.1\./);
    assert.equal(m.getParameter('features.1.0.weight').requiresGrad, true);
    assert.equal(m.getParameter('features.0.0.weight').requiresGrad, false);
  });

  it('setSubmodule swaps a layer in place: names, forward and parent fields follow', () => {
    const rng = new Rng(1);
    const m = new MLP([2, 4, 3], { rng });
    class Doubled extends Module {
      constructor(readonly inner: Linear) { super(); this.registerModule('base', inner); }
      forward(x: Tensor): Tensor { return this.inner.call(x).mul(2); }
    }
    const x = randn([2, 2], rng);
    const y0 = m.call(x);
    const old = m.getSubmodule<Linear>('2');
    m.setSubmodule('2', new Doubled(old));
    assert.deepEqual(Object.keys(m.stateDict()), ['0.weight', '0.bias', '2.base.weight', '2.base.bias']);
    assertClose(m.call(x), y0.mul(2), { atol: 1e-6 });
    assert.throws(() => m.setSubmodule('7', new Linear(1, 1, { rng })), ArgumentError);

    class Holder extends Module {
      head: Linear;
      constructor() { super(); this.head = this.registerModule('head', new Linear(1, 1, { rng })); }
      forward(x: Tensor): Tensor { return this.head.call(x); }
    }
    const h = new Holder();
    const fresh = new Linear(1, 1, { rng });
    h.setSubmodule('head', fresh);
    assert.equal(h.head, fresh);
  });

  it('Optimizer.addParamGroup: own lr, defaults for the rest, duplicates refused, schedules pick the group up', () => {
    const rng = new Rng(2);
    const a = new Linear(2, 1, { rng, bias: false }), b = new Linear(2, 1, { rng, bias: false });
    const opt = new SGD(a.parameters(), { lr: 0.1, momentum: 0.9 });
    const sched = new StepLR(opt, 1, 0.5);
    opt.addParamGroup({ params: b.namedParameters('head'), lr: 1 });
    assert.equal(opt.paramGroups[1]!.hyper['momentum'], 0.9);
    assert.deepEqual(opt.paramGroups[1]!.names, ['head.weight']);
    const w0 = [...b.weight.data];
    b.weight.grad = ones([1, 2]);
    a.weight.grad = ones([1, 2]);
    opt.step();
    assertClose(b.weight, w0.map((v) => v - 1), { atol: 1e-6 });
    assert.throws(() => opt.addParamGroup({ params: a.parameters() }), /more than one group/);
    assert.throws(() => opt.addParamGroup({ params: [], betas: [0.9, 0.99] }), /unknown option "betas"/);
    sched.step();
    assert.deepEqual(opt.lrs, [0.05, 0.5]);
  });
});

describe('dtypes on modules', () => {
  it('constructors take a dtype; .to() converts float parameters and buffers, not integer counters', () => {
    const rng = new Rng(0);
    const lin = new Linear(3, 2, { rng, dtype: 'float64' });
    assert.equal(lin.weight.dtype, 'float64');
    assert.equal(lin.call(randn([1, 3], rng, { dtype: 'float64' })).dtype, 'float64');
    const m = new Conv4({ rng, hidden: 4, numClasses: 2, dtype: 'float64' });
    assert.ok(m.parameters().every((p) => p.dtype === 'float64'));
    const f = new Conv4({ rng: new Rng(9), hidden: 4, numClasses: 2 });
    const w = [...f.getParameter('features.0.0.weight').data];
    f.to('float64');
    assert.equal(f.dtype, 'float64');
    assert.equal(f.getParameter('features.0.0.weight').requiresGrad, true);
    assert.deepEqual([...f.getParameter('features.0.0.weight').data], w);
    assert.equal(f.stateDict()['features.0.1.running_mean']!.dtype, 'float64');
    assert.equal(f.stateDict()['features.0.1.num_batches_tracked']!.dtype, 'int32');
    assert.equal(f.call(randn([2, 1, 28, 28], rng, { dtype: 'float64' })).dtype, 'float64');
  });

  it('loadStateDict refuses a dtype mismatch naming the tensor, and converts when asked', () => {
    const rng = new Rng(1);
    const src = new Linear(2, 2, { rng, dtype: 'float64' });
    const dst = new Linear(2, 2, { rng });
    assert.throws(() => dst.loadStateDict(src.stateDict()), (e: unknown) => e instanceof StateDictError && e.key === 'weight' && /float64/.test(e.message));
    dst.loadStateDict(src.stateDict(), { castDTypes: true });
    assertClose(dst.weight, src.weight, { atol: 1e-7 });
    assert.equal(dst.weight.dtype, 'float32');
  });
});

describe('modules with several outputs', () => {
  it('a trunk with per-task heads returns a tuple, through call, hooks and functionalCall', () => {
    class TwoHeads extends Module<[Tensor], [Tensor, Tensor]> {
      constructor(rng: Rng) {
        super();
        this.registerModule('trunk', new Linear(3, 4, { rng }));
        this.registerModule('a', new Linear(4, 2, { rng }));
        this.registerModule('b', new Linear(4, 5, { rng }));
      }
      forward(x: Tensor): [Tensor, Tensor] {
        const h = this.child('trunk').call(x).relu();
        return [this.child('a').call(h), this.child('b').call(h)];
      }
    }
    const rng = new Rng(3);
    const m = new TwoHeads(rng);
    const x = randn([2, 3], rng);
    let seen = 0;
    m.registerForwardHook((_mod, _in, out) => { seen = out[1].shape[1]!; });
    const [ya, yb] = m.call(x);
    assert.deepEqual([ya.shape, yb.shape, seen], [[2, 2], [2, 5], 5]);
    const zero = new Map([...paramMap(m)].map(([n, p]) => [n, p.mul(0)]));
    const [za, zb] = functionalCall(m, zero, x);
    assert.deepEqual([...za.data, ...zb.data].every((v) => v === 0), true);
  });
});
