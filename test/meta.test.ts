// Meta-learners on tiny synthetic tasks: the formulas that relate them, PyTorch's meta-gradients, BN policy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ANIL, Conv4, FOMAML, GaussianClassTasks, MAML, MLP, MetaSGD, Module, ProtoNet, Rng, SinusoidTasks, Tensor,
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
