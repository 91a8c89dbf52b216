// Multi-task learning: PCGrad, GradNorm, uncertainty weighting, CAGrad and Nash-MTL checked against hand computations; one task is single-task training.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  add, batchAllocation, CAGrad, cagradWeights, crossEntropy, deltaMtl, GradNorm, loadTask, mul, MultiTaskModel, NashMTL, nashWeights, parseSampling,
  parseTaskSpec, parseWeighting, PCGrad, pcgradDirection, randint, randn, Rng, scalar, select, SGD, sum, tensor, trainMultitask, UncertaintyWeighting,
  type Tensor, type Weighting, type WeightingStep,
} from '../src/index.js';
import { assertClose, sharedDataDir } from './helpers.js';

/** An Rng stand-in whose permutations are fixed, to pin PCGrad's order. */
function fixedOrder(order: number[]): Rng {
  return { permutation: () => order.slice() } as unknown as Rng;
}

const v = (...xs: number[]): Float64Array => Float64Array.from(xs);

describe('PCGrad', () => {
  it('projects a conflicting pair exactly as g_i − (g_i·g_j/‖g_j‖²) g_j and sums', () => {
    // g1·g2 = −1 < 0: g1 − (−1/2) g2 = (0.5, 0.5); g2 − (−1/1) g1 = (0, 1); d = (0.5, 1.5)
    const { direction, projected } = pcgradDirection([v(1, 0), v(-1, 1)], new Rng(0));
    assertClose(projected[0]!, [0.5, 0.5]);
    assertClose(projected[1]!, [0, 1]);
    assertClose(direction, [0.5, 1.5]);
    // the projected g1 is orthogonal to g2
    assert.ok(Math.abs(projected[0]![0]! * -1 + projected[0]![1]! * 1) < 1e-12);
  });

  it('leaves non-conflicting gradients alone: d = Σ g_i', () => {
    const grads = [v(1, 0, 2), v(1, 1, 0), v(0, 3, 1)]; // all pairwise dot products ≥ 0
    const { direction, projected } = pcgradDirection(grads, new Rng(1));
    projected.forEach((p, i) => assert.deepEqual(Array.from(p), Array.from(grads[i]!)));
    assert.deepEqual(Array.from(direction), [2, 4, 3]);
  });

  it('projects onto the original g_j in the drawn order (the order matters with several conflicts)', () => {
    // g1 = (3, 0) conflicts with g2 = (−1, 2) and g3 = (−1, −1).
    // order g2, g3: (3,0) + (3/5)(−1,2) = (2.4, 1.2); ·g3 = −3.6 → + 1.8·(−1,−1) = (0.6, −0.6)
    // order g3, g2: (3,0) + 1.5·(−1,−1) = (1.5, −1.5); ·g2 = −4.5 → + 0.9·(−1,2) = (0.6, 0.3)
    const grads = [v(3, 0), v(-1, 2), v(-1, -1)];
    assertClose(pcgradDirection(grads, fixedOrder([0, 1, 2])).projected[0]!, [0.6, -0.6], { atol: 1e-12 });
    assertClose(pcgradDirection(grads, fixedOrder([2, 1, 0])).projected[0]!, [0.6, 0.3], { atol: 1e-12 });
  });

  it('as a Weighting: the shared parameters get d, each head its own task gradient', () => {
    // L1 = a1·W + 2·h1, L2 = a2·W + 3·h2 → g1 = a1 = (1, 0), g2 = a2 = (−1, 1)
    const W = tensor([0.3, -0.2], { requiresGrad: true });
    const h1 = tensor([0.5], { requiresGrad: true }), h2 = tensor([0.1], { requiresGrad: true });
    const L1 = add(sum(mul(W, tensor([1, 0]))), mul(sum(h1), 2));
    const L2 = add(sum(mul(W, tensor([-1, 1]))), mul(sum(h2), 3));
    const w = new PCGrad().backward({ losses: [L1, L2], shared: [W], taskSpecific: [[h1], [h2]], lastShared: [W], rng: new Rng(0) });
    assert.deepEqual(w, [1, 1]);
    assertClose(W.grad!, [0.5, 1.5]);
    assertClose(h1.grad!, [2]);
    assertClose(h2.grad!, [3]);
  });
});

describe('GradNorm', () => {
  it('moves its weights by sign(G_i − Ḡ·r_i^α)·‖∇_W L_i‖ on a fixed batch, then renormalises to Σw = T', () => {
    const W = tensor([1, 1], { requiresGrad: true });
    // L1 = 3·W0² → ∇_W L1 = (6·W0, 0) = (6, 0); L2 = W0 + 2·W1 → ∇_W L2 = (1, 2); both losses are 3
    const w0 = select(W, 0, 0), w1 = select(W, 0, 1);
    const losses = [mul(mul(w0, w0), 3), add(w0, mul(w1, 2))];
    const gn = new GradNorm(2, { alpha: 1.5 });
    gn.initialLosses = [1.5, 6];
    const reported = gn.backward({ losses, shared: [W], taskSpecific: [[], []], lastShared: [W], rng: new Rng(0) });
    assert.deepEqual(reported, [1, 1]);
    // by hand
    const norms = [6, Math.sqrt(5)];
    const L = [3, 3], L0 = [1.5, 6];
    const ratio = L.map((l, i) => l / L0[i]!); // [2, 0.5]
    const r = ratio.map((x) => x / ((ratio[0]! + ratio[1]!) / 2)); // [1.6, 0.4]
    const G = norms.map((n) => 1 * n);
    const Gbar = (G[0]! + G[1]!) / 2;
    const target = r.map((ri) => Gbar * ri ** 1.5);
    const expectedGrad = G.map((g, i) => Math.sign(g - target[i]!) * norms[i]!);
    assert.deepEqual(expectedGrad.map(Math.sign), [-1, 1]); // task 1 is behind (r > 1): its weight must grow
    assertClose(gn.taskWeights.grad!, expectedGrad);
    // the network's gradient is Σ w_i ∇L_i with the weights before the update
    assertClose(W.grad!, [7, 2]);
    // one SGD step on the weights, then w ← T·w/Σw
    new SGD([gn.taskWeights], { lr: 0.1 }).step();
    gn.afterStep();
    const stepped = [1, 1].map((wi, i) => wi - 0.1 * expectedGrad[i]!);
    const total = stepped[0]! + stepped[1]!;
    assertClose(gn.taskWeights, stepped.map((x) => (2 * x) / total), { rtol: 1e-6 });
    assertClose(sum(gn.taskWeights).item(), 2, { rtol: 1e-6 });
  });

  it('takes L_i(0) from its first step (so r_i = 1 there)', () => {
    const W = tensor([1, 1], { requiresGrad: true });
    const gn = new GradNorm(2);
    gn.backward({ losses: [sum(mul(W, 2)), sum(W)], shared: [W], taskSpecific: [[], []], lastShared: [W], rng: new Rng(0) });
    assert.deepEqual(gn.initialLosses, [4, 2]);
    // r = 1: targets are Ḡ; G = (2√2, √2), Ḡ = 1.5√2 → gradient (+2√2, −√2)
    assertClose(gn.taskWeights.grad!, [2 * Math.SQRT2, -Math.SQRT2], { rtol: 1e-6 });
  });
});

describe('uncertainty weighting', () => {
  for (const [form, closedForm] of [['classification', (L: number) => Math.log(2 * L)], ['regression', (L: number) => Math.log(L)]] as const) {
    it(`learns s_i = log σ_i² whose optimum on fixed losses is the closed form (${form}: s* = ${form === 'classification' ? 'log 2L' : 'log L'})`, () => {
      const uw = new UncertaintyWeighting(2, { form });
      const [[name, s]] = uw.parameters() as [[string, Tensor]];
      assert.equal(name, 'uncertainty.log_variance');
      assert.equal(s, uw.logVariance);
      assert.ok(s.requiresGrad && s.isLeaf, 's is a learned leaf parameter');
      const Ls = [0.5, 2.0];
      const step = (): WeightingStep => ({ losses: Ls.map((l) => scalar(l)), shared: [], taskSpecific: [[], []], lastShared: [], rng: new Rng(0) });
      // at s = 0 the gradient is −c·L_i + ½ (c = 1 classification, ½ regression)
      uw.backward(step());
      const c = form === 'classification' ? 1 : 0.5;
      assertClose(s.grad!, Ls.map((l) => 0.5 - c * l));
      const opt = new SGD([s], { lr: 0.2 });
      for (let k = 0; k < 2000; k++) {
        opt.zeroGrad();
        uw.backward(step());
        opt.step();
      }
      assertClose(s, Ls.map(closedForm), { atol: 1e-4 });
      // and the resulting task weights are ∝ 1/L: c·e^{−s*} L = ½ for every task
      uw.weights().forEach((w, i) => assertClose(w * Ls[i]!, 0.5, { atol: 1e-4 }));
    });
  }
});

describe('CAGrad and Nash-MTL', () => {
  it('CAGrad: w* matches a brute-force search over the simplex; d = T(g₀ + c‖g₀‖/‖g_w‖ g_w)/(1 + c); c = 0 is Σ g_i', () => {
    const g1 = v(2, 0, 1), g2 = v(-1, 1, 0.5);
    const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
    const A = [[dot(g1, g1), dot(g1, g2)], [dot(g2, g1), dot(g2, g2)]];
    const c = 0.4;
    const g0 = g1.map((x, i) => (x + g2[i]!) / 2);
    const F = (t: number): number => {
      const gw = g1.map((x, i) => t * x + (1 - t) * g2[i]!);
      return dot(gw, g0) + c * Math.sqrt(dot(g0, g0)) * Math.sqrt(dot(gw, gw));
    };
    let best = 0;
    for (let k = 0; k <= 100000; k++) if (F(k / 100000) < F(best)) best = k / 100000;
    const w = cagradWeights(A, c);
    assertClose(w, [best, 1 - best], { atol: 2e-5 });
    const gw = g1.map((x, i) => w[0]! * x + w[1]! * g2[i]!);
    const lambda = (c * Math.sqrt(dot(g0, g0))) / Math.sqrt(dot(gw, gw));
    const expected = g0.map((x, i) => (2 * (x + lambda * gw[i]!)) / (1 + c));
    const W = tensor([0, 0, 0], { requiresGrad: true });
    new CAGrad({ c }).backward({ losses: [sum(mul(W, tensor(Array.from(g1)))), sum(mul(W, tensor(Array.from(g2))))], shared: [W], taskSpecific: [[], []], lastShared: [W], rng: new Rng(0) });
    assertClose(W.grad!, expected, { rtol: 1e-5 });
    const W0 = tensor([0, 0, 0], { requiresGrad: true });
    new CAGrad({ c: 0 }).backward({ losses: [sum(mul(W0, tensor(Array.from(g1)))), sum(mul(W0, tensor(Array.from(g2))))], shared: [W0], taskSpecific: [[], []], lastShared: [W0], rng: new Rng(0) });
    assertClose(W0.grad!, [1, 1, 1.5]);
  });

  it('Nash-MTL: α solves (GGᵀα)_i = 1/α_i and d = Σ α_i g_i', () => {
    const g = [v(1, 0, 0.5), v(-0.5, 2, 0), v(0.2, 0.3, 1)];
    const A = g.map((a) => g.map((b) => a.reduce((s, x, i) => s + x * b[i]!, 0)));
    const alpha = nashWeights(A);
    alpha.forEach((a, i) => {
      assert.ok(a > 0);
      assertClose(a * A[i]!.reduce((s, x, j) => s + x * alpha[j]!, 0), 1, { rtol: 1e-6 });
    });
    const W = tensor([0, 0, 0], { requiresGrad: true });
    const reported = new NashMTL().backward({ losses: g.map((gi) => sum(mul(W, tensor(Array.from(gi))))), shared: [W], taskSpecific: [[], [], []], lastShared: [W], rng: new Rng(0) });
    assertClose(reported, alpha, { rtol: 1e-9 });
    assertClose(W.grad!, [0, 1, 2].map((k) => g.reduce((s, gi, i) => s + alpha[i]! * gi[k]!, 0)), { rtol: 1e-5 });
  });
});

/** A tiny one-task problem: 24 random 1×4×4 images, 3 classes, an MLP trunk of width 8. */
function tinyProblem(seed = 0): { model: MultiTaskModel; x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const x = randn([24, 1, 4, 4], rng.fork('x'));
  const y = randint(0, 3, [24], rng.fork('y'));
  return { model: new MultiTaskModel({ kind: 'mlp', inputShape: [1, 4, 4], hidden: 8 }, [3], rng.fork('init')), x, y };
}

function gradsOf(model: MultiTaskModel): number[] {
  return model.namedParameters().flatMap(([, p]) => Array.from(p.grad!.data));
}

function paramsOf(model: MultiTaskModel): number[] {
  return model.namedParameters().flatMap(([, p]) => Array.from(p.data));
}

describe('one task', () => {
  const methods = ['uniform', 'static:3', 'uncertainty', 'gradnorm', 'pcgrad', 'cagrad', 'cagrad:0.9', 'nash-mtl'];

  it('every method gives the single-task gradient ∇L on the first step (uncertainty:regression ½∇L, Nash-MTL ∇L/‖∇_θsh L‖)', () => {
    const { model, x, y } = tinyProblem();
    const reference = model.clone();
    crossEntropy(reference.call(x, 0), y).backward();
    const g = gradsOf(reference);
    const sharedNorm = Math.sqrt(reference.sharedParameters().reduce((s, [, p]) => s + sum(mul(p.grad!, p.grad!)).item(), 0));
    for (const spec of [...methods, 'uncertainty:regression']) {
      const m = model.clone();
      const weighting: Weighting = parseWeighting(spec, 1);
      weighting.backward({
        losses: [crossEntropy(m.call(x, 0), y)], shared: m.sharedParameters().map(([, p]) => p), taskSpecific: [m.taskParameters(0).map(([, p]) => p)],
        lastShared: m.lastSharedParameters().map(([, p]) => p), rng: new Rng(0),
      });
      const factor = spec === 'uncertainty:regression' ? 0.5 : spec === 'nash-mtl' ? 1 / sharedNorm : 1;
      assertClose(gradsOf(m), g.map((x) => factor * x), { rtol: 1e-5, atol: 1e-7, msg: spec });
    }
  });

  it('uncertainty weighting with one task scales ∇L by its learned e^{−s} (a learned step size, not single-task training)', () => {
    const { model, x, y } = tinyProblem();
    const reference = model.clone();
    crossEntropy(reference.call(x, 0), y).backward();
    const uw = new UncertaintyWeighting(1);
    uw.logVariance.data[0] = 0.7;
    uw.backward({ losses: [crossEntropy(model.call(x, 0), y)], shared: model.sharedParameters().map(([, p]) => p), taskSpecific: [model.taskParameters(0).map(([, p]) => p)], lastShared: [], rng: new Rng(0) });
    assertClose(gradsOf(model), gradsOf(reference).map((g) => Math.exp(-0.7) * g), { rtol: 1e-5, atol: 1e-8 });
  });

  it('training with one task: uniform is plain single-task SGD, and static, GradNorm, PCGrad and CAGrad train identically to it', () => {
    const run = (spec: string, batchSize: number): number[] => {
      const { model, x, y } = tinyProblem();
      trainMultitask({ model, tasks: [{ name: 't', train: { x, y } }], weighting: parseWeighting(spec, 1), rng: new Rng(3), epochs: 4, batchSize, optimizer: 'sgd', lr: 0.1 });
      return paramsOf(model);
    };
    // the whole set as the batch, so the order of examples does not matter: plain full-batch SGD by hand
    const { model, x, y } = tinyProblem();
    for (let k = 0; k < 4; k++) {
      model.zeroGrad();
      crossEntropy(model.call(x, 0), y).backward();
      for (const p of model.parameters()) p.data.set(Array.from(p.data, (vi, i) => vi - 0.1 * p.grad!.data[i]!));
    }
    assertClose(run('uniform', 24), paramsOf(model), { rtol: 1e-5, atol: 1e-6 });
    const uniform = run('uniform', 5);
    assert.deepEqual(run('static:3', 5), uniform, 'static');
    assert.deepEqual(run('gradnorm', 5), uniform, 'gradnorm');
    assert.deepEqual(run('pcgrad', 5), uniform, 'pcgrad');
    assertClose(run('cagrad', 5), uniform, { rtol: 1e-5, atol: 1e-7, msg: 'cagrad' });
  });
});

describe('multi-task training', () => {
  it('same seed, bit-identical parameters (PCGrad draws its order from the Rng)', () => {
    const make = (): number[] => {
      const rng = new Rng(5);
      const tasks = [0, 1].map((t) => ({ name: `t${t}`, train: { x: randn([30 + 10 * t, 1, 4, 4], rng.fork(`x${t}`)), y: randint(0, 2 + t, [30 + 10 * t], rng.fork(`y${t}`)) } }));
      const model = new MultiTaskModel({ kind: 'mlp', inputShape: [1, 4, 4], hidden: 8 }, [2, 3], rng.fork('init'));
      const r = trainMultitask({ model, tasks, weighting: parseWeighting('pcgrad', 2), rng: rng.fork('train'), epochs: 2, batchSize: 10, sampling: parseSampling('temperature:2') });
      assert.equal(r.steps, 2 * Math.ceil(70 / 10));
      return paramsOf(model);
    };
    assert.deepEqual(make(), make());
  });

  it('task sampling shares the batch: proportional, uniform, temperature (largest remainder, at least one each)', () => {
    assert.deepEqual(batchAllocation([5000, 500], parseSampling('proportional'), 64), [58, 6]); // 58.18, 5.82
    assert.deepEqual(batchAllocation([5000, 500], parseSampling('uniform'), 64), [32, 32]);
    // p ∝ √n: 70.71 : 22.36 → 48.62, 15.38 → [49, 15]
    assert.deepEqual(batchAllocation([5000, 500], parseSampling('temperature:2'), 64), [49, 15]);
    assert.deepEqual(batchAllocation([100000, 10, 10], parseSampling('proportional'), 8), [6, 1, 1]);
    assert.throws(() => parseSampling('temperature:0'), /positive/);
    assert.throws(() => parseSampling('random'), /proportional\|uniform\|temperature:T/);
  });

  it('Δ_MTL: the mean relative change, sign flipped for lower-is-better metrics (positive = better)', () => {
    assertClose(deltaMtl([0.9, 0.8], [0.88, 0.82]), ((0.9 - 0.88) / 0.88 + (0.8 - 0.82) / 0.82) / 2);
    assertClose(deltaMtl([0.2], [0.25], [true]), 0.2); // an error 0.25 → 0.2 is 20% better
    assert.ok(deltaMtl([0.95], [0.9]) > 0);
  });

  it('weighting specs: every method by name, bad ones list the valid spellings', () => {
    assert.equal(parseWeighting('static:2,1,1', 3).name, 'static:2,1,1');
    assert.deepEqual([...(parseWeighting('static:2,1,1', 3) as unknown as { weights: number[] }).weights], [1.5, 0.75, 0.75]);
    assert.equal(parseWeighting('gradnorm:0.12', 2).name, 'gradnorm:0.12');
    assert.equal(parseWeighting('cagrad', 2).name, 'cagrad:0.4');
    assert.throws(() => parseWeighting('static:1,2', 3), /2 weights for 3 tasks/);
    assert.throws(() => parseWeighting('mgda', 2), /uniform\|static:W1,W2,..\|uncertainty/);
    assert.throws(() => parseWeighting('pcgrad:3', 2), /takes no argument/);
  });
});

describe('task suites from the data layer', () => {
  it('names: datasets, class subsets, parity, superclasses, alphabets', () => {
    assert.deepEqual(parseTaskSpec('mnist:classes=0-2+7').view, { kind: 'classes', ids: [0, 1, 2, 7] });
    assert.deepEqual(parseTaskSpec('fashion-mnist:superclass').view, { kind: 'superclass' });
    assert.deepEqual(parseTaskSpec('omniglot:Greek').view, { kind: 'alphabet', name: 'Greek' });
    assert.throws(() => parseTaskSpec('mnist:odd'), /unknown view "odd".*omniglot:ALPHABET/);
    assert.throws(() => parseTaskSpec('mnist:classes=3-1'), /empty/);
  });

  it('tasks from one dataset (the embedded digits): parity and class subsets, seeded draws', () => {
    const opts = { dataDir: '/nonexistent-adaptlab-data', trainSize: 200, testSize: 100, seed: 0 };
    const parity = loadTask('mnist:parity', opts);
    assert.deepEqual(parity.classes, ['even', 'odd']);
    assert.deepEqual(parity.train.x.shape, [200, 1, 28, 28]);
    assert.ok(Array.from(parity.train.y.data).every((l) => l === 0 || l === 1));
    const high = loadTask('mnist:classes=5-9', opts);
    assert.deepEqual(high.classes, ['5', '6', '7', '8', '9']);
    assert.ok(Array.from(high.test.y.data).every((l) => l >= 0 && l < 5));
    const again = loadTask('mnist:classes=5-9', { ...opts, seed: 1 });
    assert.deepEqual(Array.from(again.test.y.data), Array.from(high.test.y.data), 'the test draw does not depend on the seed');
    assert.notDeepEqual(Array.from(again.train.x.data.slice(0, 784 * 5)), Array.from(high.train.x.data.slice(0, 784 * 5)), 'the training draw does');
    assert.throws(() => loadTask('mnist:superclass', opts), /fashion-mnist/);
    assert.throws(() => loadTask('mnist:classes=8-10', opts), /class 10 is outside 0..9/);
  });

  it('Fashion-MNIST superclasses and Omniglot alphabets from ../shared/data', { skip: sharedDataDir() ? false : 'needs ../shared/data (Fashion-MNIST, Omniglot)' }, () => {
    const dataDir = sharedDataDir()!;
    const sup = loadTask('fashion-mnist:superclass', { dataDir, trainSize: 300, testSize: 300, seed: 0 });
    assert.deepEqual(sup.classes, ['tops', 'footwear', 'other']);
    const greek = loadTask('omniglot:greek', { dataDir, seed: 0 });
    assert.equal(greek.classes.length, 24);
    assert.deepEqual(greek.train.x.shape, [24 * 15, 1, 28, 28]);
    assert.deepEqual(greek.test.x.shape, [24 * 5, 1, 28, 28]);
    assert.throws(() => loadTask('omniglot:Klingon', { dataDir, seed: 0 }), /alphabets: Arcadian, Armenian/);
  });
});
