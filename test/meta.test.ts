// Meta-learners on tiny synthetic tasks: the formulas that relate them, PyTorch's meta-gradients, BN policy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ANIL, Adam, Baseline, BlackBox, CNP, Conv4, CosineClassifier, FineTune, FOMAML, GaussianClassTasks, MAML, MAMLPlusPlus,
  MatchingNet, MLP, MetaSGD, Module, PretrainAll, ProtoNet, Reptile, Rng, SinusoidTasks, Tensor, concat, gaussianNll,
  evaluate, functionalCall, grad, gradMap, meanCi95, mseLoss, noGrad, prototypes, randn, tensor,
  type MetaLearner, type Task,
} from '../src/index.js';
import { fixture, gradErr, prefixed } from './golden-fixtures.js';
import { assertClose } from './helpers.js';

const ctx = { step: 0, totalSteps: 1 };

function sinusoidTasks(n: number, seed: number, shots = 5): Task[] {
  const fam = new SinusoidTasks();
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const t = fam.sampleEpisode(fam.sampleTask(rng), rng, { shots, queries: shots });
    const d = (s: { x: Tensor; y: Tensor }): { x: Tensor; y: Tensor } => ({ x: s.x.double(), y: s.y.double() });
    return { support: d(t.support), query: d(t.query) };
  });
}

/** meta-gradients left in .grad by learner.metaBackward, by model parameter name */
function metaGrads(learner: MetaLearner, tasks: Task[]): Map<string, Tensor> {
  for (const [, p] of learner.namedMetaParameters()) p.grad = null;
  learner.metaBackward(tasks, ctx);
  return new Map(learner.namedMetaParameters().map(([n, p]) => [n, p.grad!]));
}

const mlp64 = (seed: number): MLP => new MLP([1, 16, 16, 1], { rng: new Rng(seed), dtype: 'float64' });

describe('MAML family', () => {
  it('MAML.metaBackward reproduces PyTorch\'s second- and first-order meta-gradients on Conv-4 (golden fixture)', () => {
    const { t, meta } = fixture('maml_conv4');
    for (const [Learner, key] of [[MAML, 'meta_grad.'], [FOMAML, 'fo_meta_grad.']] as const) {
      const model = new Conv4({ rng: new Rng(0), hidden: 8, trackRunningStats: false });
      model.loadStateDict(prefixed(t, 'weights.'), { strict: false });
      const learner = new Learner({ model, innerLr: meta['alpha'] as number });
      const g = metaGrads(learner, [{ support: { x: t['support.x']!, y: t['support.y']! }, query: { x: t['query.x']!, y: t['query.y']! } }]);
      const expected = prefixed(t, key);
      for (const [n, e] of Object.entries(expected)) {
        const err = gradErr(g.get(`model.${n}`)!, e, expected);
        assert.ok(err < 1e-4, `${learner.method} ${n}: relative error ${err}`);
      }
    }
  });

  it('FOMAML equals MAML with detached inner gradients (two inner steps, two tasks)', () => {
    const tasks = sinusoidTasks(2, 1);
    const model = mlp64(0);
    const fo = metaGrads(new FOMAML({ model, problem: 'regression', innerLr: 0.05, innerSteps: 2 }), tasks);
    const params = new Map(model.namedParameters());
    const expected = new Map<string, Tensor>();
    for (const task of tasks) {
      let fast = params;
      for (let s = 0; s < 2; s++) {
        const g = gradMap(mseLoss(functionalCall(model, fast, task.support.x), task.support.y), fast);
        fast = new Map([...fast].map(([n, p]) => [n, p.sub(g.get(n)!.detach().mul(0.05))]));
      }
      const gs = grad(mseLoss(functionalCall(model, fast, task.query.x), task.query.y).div(2), [...params.values()]);
      [...params.keys()].forEach((n, i) => expected.set(n, expected.has(n) ? expected.get(n)!.add(gs[i]!) : gs[i]!));
    }
    for (const [n, e] of expected) assertClose(fo.get(`model.${n}`)!, e, { rtol: 1e-10, atol: 1e-12, msg: n });
    const so = metaGrads(new MAML({ model, problem: 'regression', innerLr: 0.05, innerSteps: 2 }), tasks);
    assert.ok(Math.abs(so.get('model.0.weight')!.data[0]! - fo.get('model.0.weight')!.data[0]!) > 1e-8, 'second order differs from first order');
  });

  it('Meta-SGD with every learned lr at α gives MAML\'s meta-gradient, and a gradient for each lr', () => {
    const tasks = sinusoidTasks(3, 2);
    const a = metaGrads(new MAML({ model: mlp64(3), problem: 'regression', innerLr: 0.02 }), tasks);
    const msgd = new MetaSGD({ model: mlp64(3), problem: 'regression', innerLr: 0.02 });
    const b = metaGrads(msgd, tasks);
    for (const [n, g] of a) assertClose(b.get(n)!, g, { rtol: 1e-10, atol: 1e-13, msg: n });
    assert.deepEqual([...b.keys()].filter((n) => n.startsWith('lrs.')), ['lrs.0.weight', 'lrs.0.bias', 'lrs.2.weight', 'lrs.2.bias', 'lrs.4.weight', 'lrs.4.bias']);
    assert.ok(b.get('lrs.2.weight')!.data.some((v) => v !== 0));
    assert.deepEqual(b.get('lrs.2.weight')!.shape, [16, 16]);
  });

  it('ANIL adapts only the head in the inner loop; the meta-gradient still reaches the body', () => {
    const rng = new Rng(4);
    const model = new Conv4({ rng, hidden: 4, numClasses: 3, dtype: 'float64' });
    const anil = new ANIL({ model, innerLr: 0.5, innerSteps: 2 });
    const task: Task = {
      support: { x: randn([6, 1, 28, 28], rng, { dtype: 'float64' }), y: tensor([0, 0, 1, 1, 2, 2], { dtype: 'int32' }) },
      query: { x: randn([3, 1, 28, 28], rng, { dtype: 'float64' }), y: tensor([0, 1, 2], { dtype: 'int32' }) },
    };
    const before = Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, [...v.data]]));
    const predict = anil.adapt(task.support);
    for (const [k, v] of Object.entries(model.stateDict())) assert.deepEqual([...v.data], before[k], `adapt changed ${k}`);
    // the adapted predictor is the model with only classifier.* replaced: same as MAML restricted to the head
    const maml = new MAML({ model, innerLr: 0.5, innerSteps: 2, innerParams: ['classifier'] });
    const fast = maml.adaptParams(task.support, 2, false, true);
    assert.deepEqual([...fast.keys()], ['classifier.weight', 'classifier.bias']);
    assertClose(predict(task.query.x), noGrad(() => functionalCall(model, fast, task.query.x, { batchNorm: 'batch' })), { atol: 1e-10 });
    const g = metaGrads(anil, [task]);
    assert.ok(g.get('model.features.0.0.weight')!.data.some((v) => v !== 0), 'no meta-gradient reached the body');
    const gm = metaGrads(maml, [task]);
    for (const [n, v] of gm) assertClose(g.get(n)!, v, { rtol: 1e-8, atol: 1e-12, msg: `ANIL vs head-only MAML ${n}` });
  });

  it("MAML's inner loop, query pass and adaptation leave BatchNorm running statistics untouched", () => {
    const rng = new Rng(5);
    const model = new Conv4({ rng, hidden: 4, numClasses: 2 });
    const before = model.namedBuffers().map(([n, b]) => [n, [...b.data]] as const);
    const task: Task = {
      support: { x: randn([4, 1, 28, 28], rng), y: tensor([0, 0, 1, 1], { dtype: 'int32' }) },
      query: { x: randn([4, 1, 28, 28], rng), y: tensor([0, 1, 0, 1], { dtype: 'int32' }) },
    };
    const maml = new MAML({ model, innerLr: 0.4, innerSteps: 2 });
    maml.metaBackward([task], ctx);
    maml.adapt(task.support)(task.query.x);
    for (const [n, v] of before) assert.deepEqual([...model.getSubmodule(n.split('.').slice(0, -1).join('.')).buffer(n.split('.').pop()!)!.data], v, n);
  });

  it('second-order MAML on sinusoids lowers the post-adaptation MSE of held-out tasks', () => {
    const model = new MLP([1, 40, 40, 1], { rng: new Rng(6) });
    const maml = new MAML({ model, problem: 'regression', innerLr: 0.01 });
    const fam = new SinusoidTasks();
    const evalRng = new Rng(99), trainRng = new Rng(7);
    const held = Array.from({ length: 50 }, () => fam.sampleEpisode(fam.sampleTask(evalRng), evalRng, { shots: 10, queries: 10 }));
    const before = evaluate(maml, held).mean;
    const params = maml.namedMetaParameters().map(([, p]) => p);
    for (let it = 0; it < 150; it++) {
      const tasks = Array.from({ length: 10 }, () => fam.sampleEpisode(fam.sampleTask(trainRng), trainRng, { shots: 10, queries: 10 }));
      for (const p of params) p.grad = null;
      maml.metaBackward(tasks, { step: it, totalSteps: 150 });
      noGrad(() => { for (const p of params) p.copy_(p.sub(p.grad!.mul(0.01 * 10))); });
    }
    const after = evaluate(maml, held);
    assert.equal(after.metric, 'mse');
    assert.ok(after.mean < 0.7 * before, `MSE ${before} → ${after.mean}`);
  });
});

describe('prototypical networks', () => {
  it('prototypes are class means and the logits are the closed-form linear head w = 2c, b = −‖c‖² (up to −‖z‖²)', () => {
    const z = tensor([[1, 0], [3, 2], [0, 4], [2, 2]], { dtype: 'float64' });
    const y = tensor([0, 0, 1, 1], { dtype: 'int32' });
    const c = prototypes(z, y);
    assertClose(c, [[2, 1], [1, 3]]);
    class Id extends Module { forward(x: Tensor): Tensor { return x; } }
    const proto = new ProtoNet({ encoder: new Id() });
    const q = tensor([[0.5, -1], [2, 3], [4, 1]], { dtype: 'float64' });
    const logits = proto.logits(q, c);
    const zz = q.mul(q).sum(1, true);
    const linear = q.matmul(c.mul(2).t()).sub(c.mul(c).sum(1).unsqueeze(0));
    assertClose(logits.add(zz), linear, { atol: 1e-12 });
    assertClose(proto.adapt({ x: z, y })(q), logits, { atol: 1e-12 });
  });

  it('episodic training on Gaussian class tasks raises 5-way 1-shot accuracy on held-out tasks', () => {
    const rng = new Rng(8);
    const fam = new GaussianClassTasks({ dim: 8, ways: 5, spread: 1, noise: 1 });
    class Enc extends Module {
      constructor() { super(); this.registerModule('lin', new MLP([8, 32, 8], { rng })); }
      forward(x: Tensor): Tensor { return this.child('lin').call(x); }
    }
    const proto = new ProtoNet({ encoder: new Enc() });
    const held = Array.from({ length: 100 }, (_, i) => fam.sampleEpisode(new Rng(1000 + i), { shots: 1, queries: 5 }));
    const r0 = evaluate(proto, held);
    const params = proto.namedMetaParameters().map(([, p]) => p);
    for (let it = 0; it < 200; it++) {
      for (const p of params) p.grad = null;
      proto.metaBackward([fam.sampleEpisode(rng, { shots: 1, queries: 5 })], { step: it, totalSteps: 200 });
      noGrad(() => { for (const p of params) p.copy_(p.sub(p.grad!.mul(0.05))); });
    }
    const r1 = evaluate(proto, held);
    assert.ok(r1.mean > r0.mean + 0.03, `accuracy ${r0.mean} → ${r1.mean}`);
    assert.ok(r1.ci95 > 0 && r1.ci95 < 0.1);
  });
});

describe('evaluation protocol', () => {
  it('mean ± 1.96·σ/√n with the population σ', () => {
    const r = meanCi95([0.5, 1, 1, 0.5]);
    assert.equal(r.mean, 0.75);
    assert.equal(r.ci95, (1.96 * 0.25) / 2);
  });
});

describe('Reptile', () => {
  it('with one SGD inner step on the full support, θ − W̃ is α times the joint-training gradient', () => {
    const tasks = sinusoidTasks(3, 11);
    const model = mlp64(12);
    const reptile = new Reptile({ model, problem: 'regression', innerOptimizer: 'sgd', innerLr: 0.03, innerSteps: 1 });
    const g = metaGrads(reptile, tasks);
    let joint: Tensor | null = null;
    const params = model.parameters();
    const gs = tasks.map((t) => grad(mseLoss(model.call(t.support.x), t.support.y).div(tasks.length), params));
    params.forEach((p, i) => {
      const sumG = gs.map((x) => x[i]!).reduce((a, b) => a.add(b));
      assertClose(g.get(`model.${model.namedParameters()[i]![0]}`)!, sumG.mul(0.03), { rtol: 1e-9, atol: 1e-13 });
      joint = sumG;
    });
    assert.ok(joint);
  });

  it('an outer SGD step of ε = 1 moves θ onto the mean of the adapted weights', () => {
    const tasks = sinusoidTasks(2, 13);
    const model = mlp64(14);
    const reptile = new Reptile({ model, problem: 'regression', innerLr: 0.01, innerSteps: 3 });
    const ws = tasks.map((t) => reptile.train(t.support, 3));
    for (const [, p] of reptile.namedMetaParameters()) p.grad = null;
    reptile.metaBackward(tasks, ctx);
    noGrad(() => { for (const p of model.parameters()) p.copy_(p.sub(p.grad!)); });
    for (const [n, p] of model.namedParameters()) assertClose(p, ws[0]!.get(n)!.add(ws[1]!.get(n)!).div(2), { rtol: 1e-9, atol: 1e-12, msg: n });
  });
});

describe('MAML++', () => {
  it('with constant learned lrs, no MSL and no annealing it is MAML; each lr gets a gradient per step', () => {
    const tasks = sinusoidTasks(2, 21);
    const a = metaGrads(new MAML({ model: mlp64(22), problem: 'regression', innerLr: 0.03, innerSteps: 3 }), tasks);
    const mpp = new MAMLPlusPlus({ model: mlp64(22), problem: 'regression', innerLr: 0.03, innerSteps: 3, mslEpochs: 0 });
    const b = metaGrads(mpp, tasks);
    for (const [n, g] of a) assertClose(b.get(n)!, g, { rtol: 1e-10, atol: 1e-13, msg: n });
    assert.deepEqual(b.get('lrs.0.weight')!.shape, [3]);
    assert.ok(b.get('lrs.0.weight')!.data.every((v) => v !== 0));
  });

  it('multi-step loss weights: 1/N at epoch 0, sum to 1, anneal to the last step; DA switches order by epoch', () => {
    const mpp = new MAMLPlusPlus({ model: mlp64(23), problem: 'regression', innerLr: 0.1, innerSteps: 5, mslEpochs: 10, epochLength: 100, firstOrderEpochs: 2 });
    assertClose(mpp.mslWeights(0), [0.2, 0.2, 0.2, 0.2, 0.2]);
    for (const e of [0, 3, 9, 10, 50]) assertClose(mpp.mslWeights(e).reduce((x, y) => x + y), 1, { atol: 1e-12 });
    assertClose(mpp.mslWeights(5), [0.1, 0.1, 0.1, 0.1, 0.6], { atol: 1e-12 });
    assertClose(mpp.mslWeights(9), [0.02, 0.02, 0.02, 0.02, 0.92].map((v, i) => (i < 4 ? Math.max(v, 0.006) : 1 - 4 * 0.02)), { atol: 1e-12 });
    assert.deepEqual(mpp.mslWeights(10), [0, 0, 0, 0, 1]);
    // first order for 2 epochs (200 iterations): the meta-gradient then equals FOMAML's on the last-step loss
    const tasks = sinusoidTasks(1, 24);
    const fo = new MAMLPlusPlus({ model: mlp64(25), problem: 'regression', innerLr: 0.05, innerSteps: 2, mslEpochs: 0, epochLength: 100, firstOrderEpochs: 2 });
    const ref = metaGrads(new FOMAML({ model: mlp64(25), problem: 'regression', innerLr: 0.05, innerSteps: 2 }), tasks);
    for (const [, p] of fo.namedMetaParameters()) p.grad = null;
    fo.metaBackward(tasks, { step: 150, totalSteps: 1000 });
    for (const [n, p] of fo.namedMetaParameters()) if (n.startsWith('model.')) assertClose(p.grad!, ref.get(n)!, { rtol: 1e-10, atol: 1e-13, msg: n });
  });

  it('per-step BatchNorm statistics: inner step s trains row s of the running statistics', () => {
    const rng = new Rng(26);
    const model = new Conv4({ rng, hidden: 4, numClasses: 2, bnPerStepStatistics: 2 });
    const mpp = new MAMLPlusPlus({ model, innerLr: 0.1, innerSteps: 2 });
    const task: Task = {
      support: { x: randn([4, 1, 28, 28], rng), y: tensor([0, 0, 1, 1], { dtype: 'int32' }) },
      query: { x: randn([4, 1, 28, 28], rng), y: tensor([0, 1, 0, 1], { dtype: 'int32' }) },
    };
    mpp.metaBackward([task], ctx);
    const rm = model.getSubmodule<Module>('features.0.1').buffer('running_mean')!;
    assert.deepEqual(rm.shape, [2, 4]);
    assert.ok([...rm.data.slice(0, 4)].some((v) => v !== 0) && [...rm.data.slice(4)].some((v) => v !== 0));
    assert.throws(() => new MAMLPlusPlus({ model: new Conv4({ rng, hidden: 4, numClasses: 2, bnPerStepStatistics: 1 }), innerLr: 0.1, innerSteps: 2 }), /per-step/);
  });

  it('per-step BatchNorm statistics: evaluation adapts and predicts with batch statistics and leaves the rows untouched', () => {
    const rng = new Rng(27);
    const model = new Conv4({ rng, hidden: 4, numClasses: 2, bnPerStepStatistics: 2 });
    const mpp = new MAMLPlusPlus({ model, innerLr: 0.1, innerSteps: 2 });
    const support = { x: randn([4, 1, 28, 28], rng), y: tensor([0, 0, 1, 1], { dtype: 'int32' }) };
    const query = randn([6, 1, 28, 28], rng);
    const before = mpp.adapt(support)(query); // train mode: batch statistics, as in meta-training
    const rm = model.getSubmodule<Module>('features.0.1').buffer('running_mean')!;
    const rv = model.getSubmodule<Module>('features.0.1').buffer('running_var')!;
    rm.data.fill(1e3); rv.data.fill(1e-6); // statistics that would wreck any prediction normalised with them
    const rowsBefore = [...rm.data, ...rv.data];
    model.eval();
    const after = mpp.adapt(support)(query);
    assertClose(after, before, { rtol: 1e-6, atol: 1e-6 });
    assert.deepEqual([...rm.data, ...rv.data], rowsBefore);
  });
});

describe('matching networks', () => {
  it('P(ŷ|x̂,S) = Σ softmax(τ cos) · y on a hand-made support set', () => {
    class Id extends Module { forward(x: Tensor): Tensor { return x; } }
    const mn = new MatchingNet({ encoder: new Id(), temperature: 2 });
    const zs = tensor([[1, 0], [0, 1], [1, 1]], { dtype: 'float64' }), ys = tensor([0, 1, 1], { dtype: 'int32' });
    const q = tensor([[2, 0]], { dtype: 'float64' });
    const cos = [1, 0, Math.SQRT1_2].map((c) => Math.exp(2 * c));
    const z = cos.reduce((a, b) => a + b);
    assertClose(mn.adapt({ x: zs, y: ys })(q).exp(), [[cos[0]! / z, (cos[1]! + cos[2]!) / z]], { atol: 1e-12 });
  });
});

describe('conditional neural process', () => {
  it('σ is positive (≥ 0.1) and the NLL falls with training on sinusoids', () => {
    const rng = new Rng(31);
    const cnp = new CNP({ rng, encoder: [32, 32], decoder: [32] });
    const fam = new SinusoidTasks();
    const opt = new Adam(cnp.namedMetaParameters().map(([, p]) => p), { lr: 5e-3 });
    const held = Array.from({ length: 20 }, () => fam.sampleEpisode(fam.sampleTask(rng), rng, { shots: 10, queries: 10 }));
    const nll = (): number => held.reduce((a, t) => {
      const { mean, std } = cnp.predictDistribution(t.support, t.query.x);
      assert.ok(std.data.every((v) => v >= 0.1 - 1e-7));
      return a + gaussianNll(t.query.y, mean, std).item() / held.length;
    }, 0);
    const before = nll();
    for (let it = 0; it < 150; it++) {
      opt.zeroGrad();
      const m = cnp.metaBackward(Array.from({ length: 8 }, () => fam.sampleEpisode(fam.sampleTask(rng), rng, { shots: 10, queries: 10 })), { step: it, totalSteps: 150 });
      assert.ok(Number.isFinite(m.loss) && m.mse !== undefined);
      opt.step();
    }
    const after = nll();
    assert.ok(after < before - 0.3, `NLL ${before} → ${after}`);
    const r = evaluate(cnp, held);
    assert.equal(r.metric, 'mse');
    // evaluate's NLL is the mean over tasks of each task's query NLL: the held-out figure above
    assert.ok(r.nll !== undefined && r.nll.perTask.length === held.length);
    assertClose(r.nll.mean, after, { atol: 1e-9 });
    assert.ok(r.nll.ci95 > 0);
  });

  it('evaluate reports an NLL only for learners that predict a distribution', () => {
    const rng = new Rng(5);
    const fam = new SinusoidTasks();
    const tasks = Array.from({ length: 3 }, () => fam.sampleEpisode(fam.sampleTask(rng), rng, { shots: 5, queries: 5 }));
    const maml = new MAML({ model: new MLP([1, 8, 1], { rng }), innerLr: 0.01, innerSteps: 1, problem: 'regression' });
    assert.equal(evaluate(maml, tasks).nll, undefined);
  });

  it('gaussianNll is −log N(y | μ, σ²)', () => {
    const v = gaussianNll(tensor([1], { dtype: 'float64' }), tensor([0.5], { dtype: 'float64' }), tensor([2], { dtype: 'float64' })).item();
    assertClose(v, 0.5 * (0.25 ** 2) + Math.log(2) + 0.5 * Math.log(2 * Math.PI), { atol: 1e-12 });
  });
});

describe('transfer baselines in the few-shot protocol', () => {
  class Enc extends Module {
    readonly featureDim = 8;
    constructor(rng: Rng) { super(); this.registerModule('net', new MLP([8, 16, 8], { rng })); }
    features(x: Tensor): Tensor { return this.child('net').call(x); }
    forward(x: Tensor): Tensor { return this.features(x); }
  }

  it('Baseline++\'s cosine classifier computes τ·g·cos(f, v) with weight-norm names', () => {
    const c = new CosineClassifier(2, 2, { rng: new Rng(0) });
    assert.deepEqual(Object.keys(c.stateDict()), ['weight_v', 'weight_g']);
    c.getParameter('weight_v').copy_(tensor([[1, 0], [1, 1]]));
    c.getParameter('weight_g').copy_(tensor([[3], [0.5]]));
    assertClose(c.call(tensor([[0, 2]])), [[0, 2 * 0.5 * Math.SQRT1_2]], { atol: 1e-5 });
    assert.equal(c.scale, 2);
  });

  it('Baseline and Baseline++ fit a new head on the support (separable Gaussian tasks); FineTune leaves the model alone', () => {
    const fam = new GaussianClassTasks({ dim: 8, ways: 5, spread: 3, noise: 0.5 });
    const tasks = Array.from({ length: 10 }, (_, i) => fam.sampleEpisode(new Rng(50 + i), { shots: 5, queries: 5 }));
    for (const head of ['linear', 'cosine'] as const) {
      const b = new Baseline({ backbone: new Enc(new Rng(1)) as never, numBaseClasses: 20, head, rng: new Rng(2), headEpochs: 30 });
      assert.equal(b.method, head === 'cosine' ? 'baseline++' : 'baseline');
      const r = evaluate(b, tasks);
      assert.ok(r.mean > 0.6, `${b.method}: ${r.mean}`);
      // pre-training is supervised over base-class labels
      const m = b.metaBackward([{ support: { x: randn([6, 8], new Rng(3)), y: tensor([0, 5, 19, 3, 3, 7], { dtype: 'int32' }) }, query: { x: randn([0, 8], new Rng(3)), y: tensor([], { dtype: 'int32' }) } }], ctx);
      assert.ok(Number.isFinite(m.loss));
    }
    const ft = new FineTune({ backbone: new Enc(new Rng(4)) as never, numBaseClasses: 20, rng: new Rng(5), steps: 30, lr: 1e-2 });
    const before = Object.fromEntries(Object.entries(ft.model.stateDict()).map(([k, v]) => [k, [...v.data]]));
    assert.ok(evaluate(ft, tasks).mean > 0.6);
    for (const [k, v] of Object.entries(ft.model.stateDict())) assert.deepEqual([...v.data], before[k], k);
  });

  it('PretrainAll trains without an inner loop and adapts with gradient steps', () => {
    const tasks = sinusoidTasks(2, 41);
    const model = mlp64(42);
    const g = metaGrads(new PretrainAll({ model, problem: 'regression', innerLr: 0.01 }), tasks);
    const joint = tasks.map((t) => mseLoss(model.call(concat([t.support.x, t.query.x], 0)), concat([t.support.y, t.query.y], 0)).div(tasks.length)).reduce((x, y) => x.add(y));
    const gs = grad(joint, model.parameters());
    model.namedParameters().forEach(([n], i) => assertClose(g.get(`model.${n}`)!, gs[i]!, { rtol: 1e-10, atol: 1e-13, msg: n }));
  });
});


describe('black-box learners (SNAIL / MANN style)', () => {
  class Id extends Module { forward(x: Tensor): Tensor { return x; } }
  for (const core of ['attention', 'lstm'] as const) {
    it(`${core}: each query is read after the support only (independent of other queries) and training improves accuracy`, () => {
      const rng = new Rng(60);
      const fam = new GaussianClassTasks({ dim: 4, ways: 2, spread: 2, noise: 0.3 });
      // MANN's labels-one-step-late sequence learns more slowly than a unit test can wait: its learning is shown
      // with same-step labels here, and its sequence layout below
      const bb = new BlackBox({ encoder: new Id(), featureDim: 4, ways: 2, shots: 1, rng, core, hidden: 32, labels: 'sameStep' });
      assert.equal(bb.method, core === 'lstm' ? 'mann' : 'snail');
      const ep = fam.sampleEpisode(new Rng(61), { shots: 1, queries: 2 });
      const predict = bb.adapt(ep.support);
      const both = predict(ep.query.x);
      assert.deepEqual(both.shape, [4, 2]);
      assertClose(predict(ep.query.x.slice(0, 0, 1)), both.slice(0, 0, 1), { atol: 1e-5 });
      const held = Array.from({ length: 40 }, (_, i) => fam.sampleEpisode(new Rng(700 + i), { shots: 1, queries: 3 }));
      const before = evaluate(bb, held).mean;
      const opt = new Adam(bb.namedMetaParameters().map(([, p]) => p), { lr: 5e-3 });
      for (let it = 0; it < 150; it++) {
        opt.zeroGrad();
        bb.metaBackward([0, 1, 2, 3].map(() => fam.sampleEpisode(rng, { shots: 1, queries: 3 })), { step: it, totalSteps: 150, rng: rng.fork(`s${it}`) });
        opt.step();
      }
      const after = evaluate(bb, held).mean;
      assert.ok(after > before + 0.15 && after > 0.7, `accuracy ${before} → ${after}`);
    });
  }

  it('labels one step late (MANN): the query step carries the last support label, the first step none', () => {
    const seen: Tensor[] = [];
    class Spy extends Module { forward(x: Tensor): Tensor { seen.push(x); return x; } }
    const bb = new BlackBox({ encoder: new Spy(), featureDim: 2, ways: 2, shots: 1, rng: new Rng(0), core: 'lstm', hidden: 4 });
    const lstm = bb.model.getSubmodule('core');
    let input: Tensor | null = null;
    lstm.registerForwardHook((_m, inputs) => { input = inputs[0] as Tensor; });
    bb.model.call(tensor([[1, 1], [2, 2]]), tensor([1, 0], { dtype: 'int32' }), tensor([[3, 3]]));
    // steps: [x0; 0, 0], [x1; onehot(y0) = 0, 1], query [xq; onehot(y1) = 1, 0]
    assertClose(input!, [[[1, 1, 0, 0], [2, 2, 0, 1], [3, 3, 1, 0]]]);
    assert.equal(seen.length, 1);
  });
});
