// Fused native entry points (batch norm, softmax, cross-entropy, distances) against the engine's float64 compositions.
import { describe, it, before, after } from 'node:test';
import { setBackend } from '../../src/backend/index.js';
import { tensor } from '../../src/engine/create.js';
import { grad } from '../../src/engine/autograd.js';
import { batchNorm, crossEntropy, pairwiseSquaredDistance } from '../../src/engine/ops/nn.js';
import { logSoftmax, softmax, sum } from '../../src/engine/ops/reduce.js';
import { mul } from '../../src/engine/ops/elementwise.js';
import type { Tensor } from '../../src/engine/tensor.js';
import { addon, assertClose, forceNative, nk, rand, randSpecial, skipNative, ts } from './helpers.js';

const f64 = (a: Float32Array, shape: number[], requiresGrad = false): Tensor => tensor(Float64Array.from(a), { shape, dtype: 'float64', requiresGrad });
const empty = new Float32Array(0);

describe('native fused kernels', { skip: skipNative }, () => {
  before(() => setBackend('ts'));
  after(() => setBackend('auto'));

  it('batchNormTrainForward / batchNormBackward match the composed float64 batch norm', () => {
    for (const [n, c, hw, affine] of [[80, 64, 49, 1], [5, 3, 1, 0], [2, 1, 7, 1], [7, 16, 64, 0]] as [number, number, number, number][]) {
      const x = rand(n * c * hw, 1).map((v, i) => v * 3 + (i % 5));
      const w = rand(c, 2).map((v) => 1 + v / 2), b = rand(c, 3), dy = rand(n * c * hw, 4);
      const out = new Float32Array(x.length), mean = new Float32Array(c), inv = new Float32Array(c);
      addon.batchNormTrainForward(x, affine ? w : empty, affine ? b : empty, n, c, hw, 1e-5, out, mean, inv);
      const X = f64(x, [n, c, hw], true), W = f64(w, [c], true), B = f64(b, [c], true);
      const Y = batchNorm(X, null, null, affine ? W : null, affine ? B : null, { training: true, eps: 1e-5 });
      assertClose(out, Y.data, `bn fwd ${[n, c, hw, affine]}`, 1e-4, 1e-5);
      const loss = sum(mul(Y, f64(dy, [n, c, hw])));
      const [gx, gw, gb] = grad(loss, affine ? [X, W, B] : [X]);
      const dx = new Float32Array(x.length), dw = new Float32Array(c), db = new Float32Array(c);
      addon.batchNormBackward(x, dy, mean, inv, affine ? w : empty, n, c, hw, dx, dw, db);
      assertClose(dx, gx!.data, `bn dx ${[n, c, hw, affine]}`, 1e-3, 1e-5);
      if (affine) {
        assertClose(dw, gw!.data, `bn dweight ${[n, c, hw]}`, 1e-4, 1e-5);
        assertClose(db, gb!.data, `bn dbias ${[n, c, hw]}`, 1e-4, 1e-5);
      }
    }
  });

  it('softmax and logSoftmax over a middle axis match the composition (including -Infinity entries)', () => {
    for (const [o, s, i] of [[80, 5, 1], [3, 7, 4], [1, 1, 1], [300, 60, 1]] as [number, number, number][]) {
      const x = rand(o * s * i, 5).map((v) => v * 10);
      if (x.length > 3) x[2] = -Infinity;
      const a = new Float32Array(x.length), b = new Float32Array(x.length);
      addon.softmax(x, o, s, i, a);
      addon.logSoftmax(x, o, s, i, b);
      const X = f64(x, [o, s, i]);
      assertClose(a, softmax(X, 1).data, `softmax ${[o, s, i]}`, 1e-5, 1e-6);
      assertClose(b, logSoftmax(X, 1).data, `logSoftmax ${[o, s, i]}`, 1e-5, 1e-6);
    }
  });

  it('softmaxCrossEntropy forward/backward match crossEntropy (with an ignored row)', () => {
    for (const [n, c] of [[80, 5], [300, 60], [1, 1], [7, 3]] as [number, number][]) {
      const x = rand(n * c, 6).map((v) => v * 4);
      const t = new Int32Array(n).map((_, i) => (i * 7) % c);
      if (n > 2) t[1] = -100;
      const loss = new Float32Array(n), prob = new Float32Array(n * c);
      addon.softmaxCrossEntropy(x, t, n, c, -100, loss, prob);
      const X = f64(x, [n, c], true);
      const T = tensor(t, { shape: [n], dtype: 'int32' });
      const per = crossEntropy(X, T, { reduction: 'none' });
      assertClose(loss, per.data, `ce loss ${[n, c]}`, 1e-5, 1e-6);
      const kept = t.filter((v) => v !== -100).length;
      const g = new Float32Array(n).fill(1 / kept), d = new Float32Array(n * c);
      addon.softmaxCrossEntropyBackward(prob, t, n, c, -100, g, d);
      const [gx] = grad(crossEntropy(X, T), [X]);
      assertClose(d, gx!.data, `ce grad ${[n, c]}`, 1e-4, 1e-6);
    }
  });

  it('pairwiseSquaredDistance matches the composition', () => {
    for (const [bt, n, m, d] of [[1, 300, 60, 64], [2, 3, 4, 5], [1, 1, 1, 1], [3, 17, 9, 33]] as [number, number, number, number][]) {
      const a = rand(bt * n * d, 7), b = rand(bt * m * d, 8);
      if (n === 3) b.set(a.subarray(0, d), 0);
      const out = new Float32Array(bt * n * m);
      addon.pairwiseSquaredDistance(a, b, bt, n, m, d, out);
      assertClose(out, pairwiseSquaredDistance(f64(a, [bt, n, d]), f64(b, [bt, m, d])).data, `dist ${[bt, n, m, d]}`, 1e-4, 1e-5);
    }
  });
});

describe('native fused kernels of the Kernels interface vs ts', { skip: skipNative }, () => {
  before(forceNative);

  it('reluBackward matches ts (NaN and ±0 inputs)', () => {
    for (const n of [5, 3000, 100003]) {
      const g = rand(n, 1), x = randSpecial(n, 2);
      const a = new Float32Array(n), b = new Float32Array(n);
      nk.reluBackward(g, x, a);
      ts.reluBackward(g, x, b);
      assertClose(a, b, `reluBackward n=${n}`, 0, 0);
    }
  });

  it('batchNormTrainForward / batchNormBackward match ts with and without affine parameters and gradients', () => {
    for (const [n, c, hw] of [[80, 64, 784], [4, 3, 5], [2, 7, 1], [75, 64, 9]] as [number, number, number][]) {
      for (const affine of [true, false]) {
        const x = rand(n * c * hw, 3).map((v, i) => v * 2 + (i % 3)), dy = rand(n * c * hw, 4);
        const w = affine ? rand(c, 5).map((v) => 1 + v / 2) : null, b = affine ? rand(c, 6) : null;
        const outs = [0, 1].map(() => ({ y: new Float32Array(x.length), m: new Float32Array(c), s: new Float32Array(c), dx: new Float32Array(x.length), dw: new Float32Array(c), db: new Float32Array(c) }));
        nk.batchNormTrainForward(x, w, b, n, c, hw, 1e-5, outs[0]!.y, outs[0]!.m, outs[0]!.s);
        ts.batchNormTrainForward(x, w, b, n, c, hw, 1e-5, outs[1]!.y, outs[1]!.m, outs[1]!.s);
        const what = `bn ${[n, c, hw]} affine=${affine}`;
        assertClose(outs[0]!.y, outs[1]!.y, `${what} out`, 1e-4, 1e-5);
        assertClose(outs[0]!.m, outs[1]!.m, `${what} mean`, 1e-5, 1e-6);
        assertClose(outs[0]!.s, outs[1]!.s, `${what} invstd`, 1e-5, 1e-6);
        nk.batchNormBackward(x, dy, outs[1]!.m, outs[1]!.s, w, n, c, hw, outs[0]!.dx, affine ? outs[0]!.dw : null, affine ? outs[0]!.db : null);
        ts.batchNormBackward(x, dy, outs[1]!.m, outs[1]!.s, w, n, c, hw, outs[1]!.dx, affine ? outs[1]!.dw : null, affine ? outs[1]!.db : null);
        assertClose(outs[0]!.dx, outs[1]!.dx, `${what} dx`, 1e-3, 1e-5);
        assertClose(outs[0]!.dw, outs[1]!.dw, `${what} dweight`, 1e-4, 1e-5);
        assertClose(outs[0]!.db, outs[1]!.db, `${what} dbias`, 1e-4, 1e-5);
      }
    }
  });
});
