// The op table: every op with sample inputs (broadcasting, size-1 dims, odd sizes) and a naive forward reference.
import * as A from '../src/index.js';
import { Rng, Tensor } from '../src/index.js';
import { arr, conv2dRef, map, matmulRef, permuteRef, poolRef, reduceAxes, type Arr } from './reference.js';

export interface OpCase {
  name: string;
  /** float64 inputs; inputs to differentiate have requiresGrad set */
  inputs: (rng: Rng) => Tensor[];
  fn: (...xs: Tensor[]) => Tensor;
  /** closed-form forward from plain loops */
  ref: (...xs: Arr[]) => Arr;
  /** skip the gradient checks (non-differentiable op) */
  noGrad?: boolean;
  /** skip the second-order check (for the slowest cases only) */
  noSecond?: boolean;
}

const g = (shape: number[], rng: Rng, opts: { low?: number; high?: number; grad?: boolean } = {}): Tensor => {
  const t = A.rand(shape, rng, { dtype: 'float64', low: opts.low ?? -2, high: opts.high ?? 2 });
  if (opts.grad !== false) t.requiresGrad = true;
  return t;
};
const pos = (shape: number[], rng: Rng): Tensor => g(shape, rng, { low: 0.5, high: 2 });
/** values bounded away from 0 (for kinks at 0: relu, abs, sign) */
const away = (shape: number[], rng: Rng): Tensor => {
  const t = A.rand(shape, rng, { dtype: 'float64', low: 0.2, high: 2 });
  for (let i = 0; i < t.data.length; i++) if (rng.uniform() < 0.5) t.data[i] = -t.data[i]!;
  t.requiresGrad = true;
  return t;
};

const unary = (name: string, f: (x: Tensor) => Tensor, ref: (v: number) => number, make = g): OpCase[] => [
  { name: `${name} [3,5]`, inputs: (r) => [make([3, 5], r)], fn: f, ref: (x) => map(ref, x) },
  { name: `${name} [2,1,3]`, inputs: (r) => [make([2, 1, 3], r)], fn: f, ref: (x) => map(ref, x) },
  { name: `${name} scalar`, inputs: (r) => [make([], r)], fn: f, ref: (x) => map(ref, x) },
];

const binaryShapes: [number[], number[]][] = [
  [[3, 4], [3, 4]],
  [[3, 4], [4]],
  [[2, 1, 5], [3, 1]],
  [[1], [2, 3]],
  [[], [3, 2]],
  [[5, 1, 3], [5, 2, 1]],
];

const binary = (name: string, f: (a: Tensor, b: Tensor) => Tensor, ref: (a: number, b: number) => number, makeA = g, makeB = g): OpCase[] =>
  binaryShapes.map(([sa, sb]) => ({
    name: `${name} [${sa}]x[${sb}]`,
    inputs: (r: Rng) => [makeA(sa, r), makeB(sb, r)],
    fn: f,
    ref: (a: Arr, b: Arr) => map(ref, a, b),
  }));

const erfRef = (x: number): number => {
  // independent reference: Simpson integration of 2/sqrt(pi) e^{-t^2}
  const n = 2000, h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return (2 / Math.sqrt(Math.PI)) * (h / 3) * s;
};

const sumRef = (axes: number[], keep: boolean) => (x: Arr) => reduceAxes(x, axes, keep, (a, v) => a + v, 0);
const allAxes = (x: Arr) => x.shape.map((_, i) => i);

export const OPS: OpCase[] = [
  ...unary('neg', A.neg, (v) => -v),
  ...unary('exp', A.exp, Math.exp),
  ...unary('log', A.log, Math.log, pos),
  ...unary('sqrt', A.sqrt, Math.sqrt, pos),
  ...unary('abs', A.abs, Math.abs, away),
  ...unary('sin', A.sin, Math.sin),
  ...unary('cos', A.cos, Math.cos),
  ...unary('tanh', A.tanh, Math.tanh),
  ...unary('sigmoid', A.sigmoid, (v) => 1 / (1 + Math.exp(-v))),
  ...unary('relu', A.relu, (v) => Math.max(v, 0), away),
  ...unary('erf', A.erf, erfRef),
  ...unary('square', A.square, (v) => v * v),
  ...unary('reciprocal', A.reciprocal, (v) => 1 / v, away),
  ...unary('rsqrt', A.rsqrt, (v) => 1 / Math.sqrt(v), pos),
  ...unary('leakyRelu', (x) => A.leakyRelu(x, 0.1), (v) => (v > 0 ? v : 0.1 * v), away),
  ...unary('elu', (x) => A.elu(x, 1.3), (v) => (v > 0 ? v : 1.3 * (Math.exp(v) - 1)), away),
  ...unary('gelu', (x) => A.gelu(x), (v) => 0.5 * v * (1 + erfRef(v / Math.SQRT2))),
  ...unary('gelu-tanh', (x) => A.gelu(x, 'tanh'), (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))),
  ...unary('softplus', (x) => A.softplus(x), (v) => Math.log1p(Math.exp(v))),
  ...unary('softplus-beta', (x) => A.softplus(x.mul(8), 2, 20), (v) => (16 * v > 20 ? 8 * v : Math.log1p(Math.exp(16 * v)) / 2)),
  ...unary('silu', A.silu, (v) => v / (1 + Math.exp(-v))),
  ...unary('clamp', (x) => A.clamp(x, -0.5, 0.7), (v) => Math.min(Math.max(v, -0.5), 0.7), away),
  ...unary('pow-scalar', (x) => A.pow(x, 3), (v) => v ** 3),
  ...binary('add', A.add, (a, b) => a + b),
  ...binary('sub', A.sub, (a, b) => a - b),
  ...binary('mul', A.mul, (a, b) => a * b),
  ...binary('div', A.div, (a, b) => a / b, g, away),
  ...binary('pow', A.pow, (a, b) => a ** b, pos),
  ...binary('maximum', A.maximum, Math.max),
  ...binary('minimum', A.minimum, Math.min),
  {
    name: 'where [2,3] cond [3] broadcast',
    inputs: (r) => [g([2, 3], r), g([3], r)],
    fn: (a, b) => A.where(A.tensor([true, false, true]), a, b),
    ref: (a, b) => map((x, y, c) => (c ? x : y), a, b, { data: Float64Array.from([1, 0, 1]), shape: [3] }),
  },
  { name: 'x*x uses both contributions', inputs: (r) => [g([4], r)], fn: (x) => A.mul(x, x), ref: (x) => map((v) => v * v, x) },
  // comparisons and other non-differentiable ops (forward only)
  { name: 'eq/gt/le compare', inputs: (r) => [g([2, 3], r, { grad: false })], fn: (x) => A.logicalAnd(x.gt(-0.5), x.le(0.5)).int(), ref: (x) => map((v) => (v > -0.5 && v <= 0.5 ? 1 : 0), x), noGrad: true },
  { name: 'argmax axis 1', inputs: (r) => [g([3, 4], r, { grad: false })], fn: (x) => A.argmax(x, 1), ref: (x) => ({ data: Float64Array.from([0, 1, 2].map((i) => { const row = Array.from(x.data.slice(i * 4, i * 4 + 4)); return row.indexOf(Math.max(...row)); })), shape: [3] }), noGrad: true },
  { name: 'oneHot', inputs: () => [], fn: () => A.oneHot(A.tensor([2, 0], { dtype: 'int32' }), 3), ref: () => ({ data: Float64Array.of(0, 0, 1, 1, 0, 0), shape: [2, 3] }), noGrad: true },
  { name: 'squeeze/unsqueeze/flatten', inputs: (r) => [g([2, 1, 3], r)], fn: (x) => A.flatten(A.unsqueeze(A.squeeze(x, 1), 0), 1), ref: (x) => ({ data: x.data, shape: [1, 6] }) },
  {
    name: 'dropout p=0.4 (seeded mask)', inputs: (r) => [g([4, 5], r)], fn: (x) => A.dropout(x, 0.4, new Rng(77)),
    ref: (x) => { const rr = new Rng(77); return map((v) => (rr.uniform() < 0.4 ? 0 : v / 0.6), x); },
  },
  { name: 'globalAvgPool2d', inputs: (r) => [g([2, 3, 3, 2], r)], fn: (x) => A.globalAvgPool2d(x), ref: (x) => map((v) => v / 6, reduceAxes(x, [2, 3], false, (a, v) => a + v, 0)) },
  // reductions
  { name: 'sum all', inputs: (r) => [g([3, 4], r)], fn: (x) => A.sum(x), ref: (x) => sumRef(allAxes(x), false)(x) },
  { name: 'sum axis 1 keepdims', inputs: (r) => [g([2, 3, 4], r)], fn: (x) => A.sum(x, 1, true), ref: sumRef([1], true) },
  { name: 'sum axes [0,2]', inputs: (r) => [g([2, 3, 5], r)], fn: (x) => A.sum(x, [0, 2]), ref: sumRef([0, 2], false) },
  { name: 'sum axis -1 size-1', inputs: (r) => [g([3, 1], r)], fn: (x) => A.sum(x, -1), ref: sumRef([1], false) },
  { name: 'mean axes [1,2]', inputs: (r) => [g([2, 3, 3], r)], fn: (x) => A.mean(x, [1, 2]), ref: (x) => map((v) => v / 9, sumRef([1, 2], false)(x)) },
  { name: 'max axis 0', inputs: (r) => [g([4, 3], r)], fn: (x) => A.max(x, 0), ref: (x) => reduceAxes(x, [0], false, Math.max, -Infinity) },
  { name: 'max all keepdims', inputs: (r) => [g([2, 3], r)], fn: (x) => A.max(x, undefined, true), ref: (x) => reduceAxes(x, [0, 1], true, Math.max, -Infinity) },
  { name: 'min axes [0,2]', inputs: (r) => [g([3, 2, 3], r)], fn: (x) => A.min(x, [0, 2]), ref: (x) => reduceAxes(x, [0, 2], false, Math.min, Infinity) },
  {
    name: 'var axis 1 (unbiased)', inputs: (r) => [g([3, 5], r)], fn: (x) => A.variance(x, 1),
    ref: (x) => {
      const m = reduceAxes(x, [1], true, (a, v) => a + v / 5, 0);
      return reduceAxes(map((v, mu) => (v - mu) ** 2 / 4, x, m), [1], false, (a, v) => a + v, 0);
    },
  },
  {
    name: 'std all biased', inputs: (r) => [g([2, 3], r)], fn: (x) => A.std(x, undefined, { correction: 0 }),
    ref: (x) => {
      const mu = x.data.reduce((a, v) => a + v, 0) / 6;
      return { data: Float64Array.of(Math.sqrt(x.data.reduce((a, v) => a + (v - mu) ** 2, 0) / 6)), shape: [] };
    },
  },
  {
    name: 'logsumexp axis -1', inputs: (r) => [g([3, 4], r, { low: -5, high: 5 })], fn: (x) => A.logsumexp(x, -1),
    ref: (x) => map(Math.log, reduceAxes(map(Math.exp, x), [1], false, (a, v) => a + v, 0)),
  },
  {
    name: 'softmax axis 1', inputs: (r) => [g([2, 5, 3], r)], fn: (x) => A.softmax(x, 1),
    ref: (x) => map((v, s) => Math.exp(v) / s, x, reduceAxes(map(Math.exp, x), [1], true, (a, v) => a + v, 0)),
  },
  {
    name: 'logSoftmax axis -1', inputs: (r) => [g([3, 4], r)], fn: (x) => A.logSoftmax(x, -1),
    ref: (x) => map((v, s) => v - Math.log(s), x, reduceAxes(map(Math.exp, x), [1], true, (a, v) => a + v, 0)),
  },
  {
    name: 'norm p=2 axis 1', inputs: (r) => [g([3, 4], r)], fn: (x) => A.norm(x, 2, 1),
    ref: (x) => map(Math.sqrt, reduceAxes(map((v) => v * v, x), [1], false, (a, v) => a + v, 0)),
  },
  // layout
  { name: 'reshape', inputs: (r) => [g([2, 6], r)], fn: (x) => x.reshape(3, -1), ref: (x) => ({ data: x.data, shape: [3, 4] }) },
  { name: 'permute [2,0,1]', inputs: (r) => [g([2, 3, 4], r)], fn: (x) => x.permute(2, 0, 1), ref: (x) => permuteRef(x, [2, 0, 1]) },
  { name: 'transpose', inputs: (r) => [g([3, 5], r)], fn: (x) => x.t(), ref: (x) => permuteRef(x, [1, 0]) },
  { name: 'expand [3,1]->[2,3,4]', inputs: (r) => [g([3, 1], r)], fn: (x) => x.expand(2, 3, 4), ref: (x) => map((v) => v, x, { data: new Float64Array(24), shape: [2, 3, 4] }) },
  {
    name: 'slice axis 1 step 2', inputs: (r) => [g([3, 7], r)], fn: (x) => x.slice(1, 1, 6, 2),
    ref: (x) => ({ data: Float64Array.from([0, 1, 2].flatMap((i) => [1, 3, 5].map((j) => x.data[i * 7 + j]!))), shape: [3, 3] }),
  },
  {
    name: 'concat axis 1', inputs: (r) => [g([2, 2], r), g([2, 3], r)], fn: (a, b) => A.concat([a, b], 1),
    ref: (a, b) => ({ data: Float64Array.from([0, 1].flatMap((i) => [...a.data.slice(i * 2, i * 2 + 2), ...b.data.slice(i * 3, i * 3 + 3)])), shape: [2, 5] }),
  },
  {
    name: 'stack axis 0', inputs: (r) => [g([3], r), g([3], r)], fn: (a, b) => A.stack([a, b], 0),
    ref: (a, b) => ({ data: Float64Array.from([...a.data, ...b.data]), shape: [2, 3] }),
  },
  {
    name: 'pad [1,2] on last dim', inputs: (r) => [g([2, 3], r)], fn: (x) => A.pad(x, [1, 2]),
    ref: (x) => ({ data: Float64Array.from([0, 1].flatMap((i) => [0, ...x.data.slice(i * 3, i * 3 + 3), 0, 0])), shape: [2, 6] }),
  },
  {
    name: 'gather axis 1', inputs: (r) => [g([2, 4], r)], fn: (x) => A.gather(x, 1, A.tensor([[3, 0, 3], [1, 1, 2]], { dtype: 'int32' })),
    ref: (x) => ({ data: Float64Array.from([x.data[3]!, x.data[0]!, x.data[3]!, x.data[5]!, x.data[5]!, x.data[6]!]), shape: [2, 3] }),
  },
  {
    name: 'indexSelect axis 0 with repeats', inputs: (r) => [g([4, 3], r)], fn: (x) => A.indexSelect(x, 0, A.tensor([2, 0, 2], { dtype: 'int32' })),
    ref: (x) => ({ data: Float64Array.from([2, 0, 2].flatMap((i) => [...x.data.slice(i * 3, i * 3 + 3)])), shape: [3, 3] }),
  },
  {
    name: 'scatterAdd axis 0', inputs: (r) => [g([3, 2], r), g([2, 2], r)],
    fn: (b, s) => A.scatterAdd(b, 0, A.tensor([[2, 0], [2, 2]], { dtype: 'int32' }), s),
    ref: (b, s) => {
      const d = Float64Array.from(b.data);
      d[4] += s.data[0]!; d[1] += s.data[1]!; d[4] += s.data[2]!; d[5] += s.data[3]!;
      return { data: d, shape: [3, 2] };
    },
  },
  {
    name: 'repeat [2,3]', inputs: (r) => [g([1, 2], r)], fn: (x) => x.repeat(2, 3),
    ref: (x) => ({ data: Float64Array.from(new Array(2).fill(0).flatMap(() => [x.data[0]!, x.data[1]!, x.data[0]!, x.data[1]!, x.data[0]!, x.data[1]!])), shape: [2, 6] }),
  },
  // linear algebra
  { name: 'matmul [3,4]@[4,5]', inputs: (r) => [g([3, 4], r), g([4, 5], r)], fn: A.matmul, ref: matmulRef },
  { name: 'matmul batched [2,3,4]@[4,2]', inputs: (r) => [g([2, 3, 4], r), g([4, 2], r)], fn: A.matmul, ref: matmulRef },
  { name: 'matmul broadcast [2,1,3,4]@[3,4,2]', inputs: (r) => [g([2, 1, 3, 4], r), g([3, 4, 2], r)], fn: A.matmul, ref: matmulRef },
  {
    name: 'matmul vector [4]@[4,3]', inputs: (r) => [g([4], r), g([4, 3], r)], fn: A.matmul,
    ref: (a, b) => { const m = matmulRef({ data: a.data, shape: [1, 4] }, b); return { data: m.data, shape: [3] }; },
  },
  {
    name: 'matmulPrim transA transB', inputs: (r) => [g([2, 4, 3], r), g([5, 4], r)], fn: (a, b) => A.matmulPrim(a, b, true, true),
    ref: (a, b) => matmulRef(permuteRef(a, [0, 2, 1]), permuteRef(b, [1, 0])),
  },
  {
    name: 'linear', inputs: (r) => [g([3, 4], r), g([2, 4], r), g([2], r)], fn: (x, w, b) => A.linear(x, w, b),
    ref: (x, w, b) => map((v, c) => v + c, matmulRef(x, permuteRef(w, [1, 0])), b),
  },
  // convolution and pooling
  ...([
    { s: [1, 1], p: [1, 1], d: [1, 1], gr: 1, x: [2, 2, 5, 5], w: [3, 2, 3, 3] },
    { s: [2, 2], p: [1, 0], d: [1, 1], gr: 1, x: [1, 3, 7, 6], w: [2, 3, 3, 2] },
    { s: [1, 2], p: [0, 1], d: [2, 1], gr: 1, x: [1, 1, 7, 5], w: [2, 1, 2, 3] },
    { s: [1, 1], p: [1, 1], d: [1, 1], gr: 2, x: [1, 4, 4, 5], w: [4, 2, 3, 3] },
    { s: [1, 1], p: [0, 0], d: [1, 1], gr: 1, x: [2, 3, 3, 3], w: [4, 3, 1, 1] },
  ] as const).map((c): OpCase => ({
    name: `conv2d x[${c.x}] w[${c.w}] s${c.s} p${c.p} d${c.d} g${c.gr}`,
    inputs: (r) => [g([...c.x], r), g([...c.w], r), g([c.w[0]], r)],
    fn: (x, w, b) => A.conv2d(x, w, b, { stride: [...c.s], padding: [...c.p], dilation: [...c.d], groups: c.gr }),
    ref: (x, w, b) => map((v, bb) => v + bb, conv2dRef(x, w, { stride: [...c.s], padding: [...c.p], dilation: [...c.d], groups: c.gr }), { data: b.data, shape: [1, c.w[0], 1, 1] }),
  })),
  { name: 'maxPool2d 2x2', inputs: (r) => [g([2, 2, 4, 5], r)], fn: (x) => A.maxPool2d(x, 2), ref: (x) => poolRef(x, [2, 2], [2, 2], [0, 0], 'max') },
  { name: 'maxPool2d 3x3 s2 p1', inputs: (r) => [g([1, 2, 5, 5], r)], fn: (x) => A.maxPool2d(x, 3, { stride: 2, padding: 1 }), ref: (x) => poolRef(x, [3, 3], [2, 2], [1, 1], 'max') },
  { name: 'avgPool2d 2x2', inputs: (r) => [g([2, 1, 4, 6], r)], fn: (x) => A.avgPool2d(x, 2), ref: (x) => poolRef(x, [2, 2], [2, 2], [0, 0], 'avg') },
  { name: 'avgPool2d 3x3 s2 p1 countIncludePad', inputs: (r) => [g([1, 2, 5, 4], r)], fn: (x) => A.avgPool2d(x, 3, { stride: 2, padding: 1 }), ref: (x) => poolRef(x, [3, 3], [2, 2], [1, 1], 'avg', true) },
  { name: 'avgPool2d 3x3 s2 p1 excludePad', inputs: (r) => [g([1, 1, 5, 5], r)], fn: (x) => A.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), ref: (x) => poolRef(x, [3, 3], [2, 2], [1, 1], 'avg', false) },
  { name: 'adaptiveAvgPool2d(1)', inputs: (r) => [g([2, 3, 3, 5], r)], fn: (x) => A.adaptiveAvgPool2d(x, 1), ref: (x) => map((v) => v / 15, reduceAxes(x, [2, 3], true, (a, v) => a + v, 0)) },
  // normalisation
  {
    name: 'batchNorm training [4,3,2,3]', inputs: (r) => [g([4, 3, 2, 3], r), g([3], r), g([3], r)],
    fn: (x, w, b) => A.batchNorm(x, null, null, w, b, { training: true }),
    ref: (x, w, b) => {
      const n = 24;
      const m = reduceAxes(x, [0, 2, 3], true, (a, v) => a + v / n, 0);
      const v = reduceAxes(map((a, mm) => (a - mm) ** 2 / n, x, m), [0, 2, 3], true, (a, q) => a + q, 0);
      return map((a, mm, vv, ww, bb) => ((a - mm) / Math.sqrt(vv + 1e-5)) * ww + bb, x, m, v, { data: w.data, shape: [1, 3, 1, 1] }, { data: b.data, shape: [1, 3, 1, 1] });
    },
  },
  {
    name: 'batchNorm training [5,2] no affine', inputs: (r) => [g([5, 2], r)],
    fn: (x) => A.batchNorm(x, null, null, null, null, { training: true, eps: 1e-3 }),
    ref: (x) => {
      const m = reduceAxes(x, [0], true, (a, v) => a + v / 5, 0);
      const v = reduceAxes(map((a, mm) => (a - mm) ** 2 / 5, x, m), [0], true, (a, q) => a + q, 0);
      return map((a, mm, vv) => (a - mm) / Math.sqrt(vv + 1e-3), x, m, v);
    },
  },
  {
    name: 'batchNorm eval', inputs: (r) => [g([3, 2], r)],
    fn: (x) => A.batchNorm(x, A.tensor([0.5, -1], { dtype: 'float64' }), A.tensor([2, 0.5], { dtype: 'float64' }), null, null, { training: false }),
    ref: (x) => map((a, mm, vv) => (a - mm) / Math.sqrt(vv + 1e-5), x, { data: Float64Array.of(0.5, -1), shape: [2] }, { data: Float64Array.of(2, 0.5), shape: [2] }),
  },
  {
    name: 'layerNorm [2,3,4] over [4]', inputs: (r) => [g([2, 3, 4], r), g([4], r), g([4], r)],
    fn: (x, w, b) => A.layerNorm(x, [4], w, b),
    ref: (x, w, b) => {
      const m = reduceAxes(x, [2], true, (a, v) => a + v / 4, 0);
      const v = reduceAxes(map((a, mm) => (a - mm) ** 2 / 4, x, m), [2], true, (a, q) => a + q, 0);
      return map((a, mm, vv, ww, bb) => ((a - mm) / Math.sqrt(vv + 1e-5)) * ww + bb, x, m, v, w, b);
    },
  },
  // losses and distances
  {
    name: 'crossEntropy mean', inputs: (r) => [g([4, 3], r)], fn: (x) => A.crossEntropy(x, A.tensor([0, 2, 1, 2], { dtype: 'int32' })),
    ref: (x) => ceRef(x, [0, 2, 1, 2], null, 0, 'mean'),
  },
  {
    name: 'crossEntropy label smoothing + weights', inputs: (r) => [g([4, 3], r)],
    fn: (x) => A.crossEntropy(x, A.tensor([0, 2, 1, 2], { dtype: 'int32' }), { labelSmoothing: 0.2, weight: A.tensor([1, 2, 0.5], { dtype: 'float64' }) }),
    ref: (x) => ceRef(x, [0, 2, 1, 2], [1, 2, 0.5], 0.2, 'mean'),
  },
  {
    name: 'crossEntropy sum with ignoreIndex', inputs: (r) => [g([3, 4], r)],
    fn: (x) => A.crossEntropy(x, A.tensor([1, -100, 3], { dtype: 'int32' }), { reduction: 'sum' }),
    ref: (x) => ceRef(x, [1, -100, 3], null, 0, 'sum'),
  },
  {
    name: 'crossEntropy [N,C,d] targets', inputs: (r) => [g([2, 3, 2], r)],
    fn: (x) => A.crossEntropy(x, A.tensor([[0, 2], [1, 1]], { dtype: 'int32' })),
    ref: (x) => ceRef(permuteRef(x, [0, 2, 1]), [0, 2, 1, 1], null, 0, 'mean'),
  },
  {
    name: 'crossEntropy probability targets', inputs: (r) => [g([2, 3], r)],
    fn: (x) => A.crossEntropy(x, A.tensor([[0.2, 0.3, 0.5], [1, 0, 0]], { dtype: 'float64' })),
    ref: (x) => {
      const t = [0.2, 0.3, 0.5, 1, 0, 0];
      const lp = logSoftmaxRows(x);
      let s = 0;
      for (let i = 0; i < 6; i++) s -= t[i]! * lp[i]!;
      return { data: Float64Array.of(s / 2), shape: [] };
    },
  },
  {
    name: 'nllLoss', inputs: (r) => [g([3, 4], r)], fn: (x) => A.nllLoss(x, A.tensor([3, 0, 1], { dtype: 'int32' })),
    ref: (x) => ({ data: Float64Array.of(-(x.data[3]! + x.data[4]! + x.data[9]!) / 3), shape: [] }),
  },
  { name: 'mseLoss', inputs: (r) => [g([3, 2], r), g([3, 2], r)], fn: (a, b) => A.mseLoss(a, b), ref: (a, b) => meanOf(map((x, y) => (x - y) ** 2, a, b)) },
  { name: 'l1Loss', inputs: (r) => [away([5], r), g([5], r, { grad: false })], fn: (a, b) => A.l1Loss(a, A.mul(b, 0)), ref: (a) => meanOf(map(Math.abs, a)) },
  {
    name: 'binaryCrossEntropyWithLogits', inputs: (r) => [g([4], r)],
    fn: (x) => A.binaryCrossEntropyWithLogits(x, A.tensor([1, 0, 1, 0.3], { dtype: 'float64' })),
    ref: (x) => meanOf(map((v, t) => -(t * Math.log(1 / (1 + Math.exp(-v))) + (1 - t) * Math.log(1 - 1 / (1 + Math.exp(-v)))), x, { data: Float64Array.of(1, 0, 1, 0.3), shape: [4] })),
  },
  {
    name: 'binaryCrossEntropyWithLogits posWeight', inputs: (r) => [g([3], r)],
    fn: (x) => A.binaryCrossEntropyWithLogits(x, A.tensor([1, 0, 0.5], { dtype: 'float64' }), { posWeight: A.tensor([2], { dtype: 'float64' }), reduction: 'sum' }),
    ref: (x) => {
      const t = [1, 0, 0.5];
      let s = 0;
      for (let i = 0; i < 3; i++) { const p = 1 / (1 + Math.exp(-x.data[i]!)); s -= 2 * t[i]! * Math.log(p) + (1 - t[i]!) * Math.log(1 - p); }
      return { data: Float64Array.of(s), shape: [] };
    },
  },
  {
    name: 'pairwiseSquaredDistance', inputs: (r) => [g([4, 3], r), g([2, 3], r)], fn: A.pairwiseSquaredDistance,
    ref: (a, b) => {
      const d = new Float64Array(8);
      for (let i = 0; i < 4; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 3; k++) d[i * 2 + j] += (a.data[i * 3 + k]! - b.data[j * 3 + k]!) ** 2;
      return { data: d, shape: [4, 2] };
    },
  },
  {
    name: 'pairwiseSquaredDistance batched [2,3,4]x[2,5,4]', inputs: (r) => [g([2, 3, 4], r), g([2, 5, 4], r)], fn: A.pairwiseSquaredDistance,
    ref: (a, b) => {
      const d = new Float64Array(30);
      for (let t = 0; t < 2; t++) for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) for (let k = 0; k < 4; k++) d[t * 15 + i * 5 + j] += (a.data[t * 12 + i * 4 + k]! - b.data[t * 20 + j * 4 + k]!) ** 2;
      return { data: d, shape: [2, 3, 5] };
    },
  },
  {
    name: 'pairwiseSquaredDistance broadcast batch [2,3,4]x[5,4]', inputs: (r) => [g([2, 3, 4], r), g([5, 4], r)], fn: A.pairwiseSquaredDistance,
    ref: (a, b) => {
      const d = new Float64Array(30);
      for (let t = 0; t < 2; t++) for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) for (let k = 0; k < 4; k++) d[t * 15 + i * 5 + j] += (a.data[t * 12 + i * 4 + k]! - b.data[j * 4 + k]!) ** 2;
      return { data: d, shape: [2, 3, 5] };
    },
  },
  {
    name: 'crossEntropy reduction none', inputs: (r) => [g([3, 4], r)], fn: (x) => A.crossEntropy(x, A.tensor([1, 3, 0], { dtype: 'int32' }), { reduction: 'none' }),
    ref: (x) => { const lp = logSoftmaxRows(x); return { data: Float64Array.of(-lp[1]!, -lp[7]!, -lp[8]!), shape: [3] }; },
  },
  {
    name: 'cosineSimilarity axis -1', inputs: (r) => [g([3, 4], r), g([3, 4], r)], fn: (a, b) => A.cosineSimilarity(a, b),
    ref: (a, b) => {
      const d = new Float64Array(3);
      for (let i = 0; i < 3; i++) {
        let ab = 0, aa = 0, bb = 0;
        for (let k = 0; k < 4; k++) { const x = a.data[i * 4 + k]!, y = b.data[i * 4 + k]!; ab += x * y; aa += x * x; bb += y * y; }
        d[i] = ab / Math.sqrt(aa * bb);
      }
      return { data: d, shape: [3] };
    },
  },
  {
    name: 'pairwiseCosineSimilarity', inputs: (r) => [g([3, 4], r), g([2, 4], r)], fn: (a, b) => A.pairwiseCosineSimilarity(a, b),
    ref: (a, b) => {
      const d = new Float64Array(6);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) {
        let ab = 0, aa = 0, bb = 0;
        for (let k = 0; k < 4; k++) { const x = a.data[i * 4 + k]!, y = b.data[j * 4 + k]!; ab += x * y; aa += x * x; bb += y * y; }
        d[i * 2 + j] = ab / Math.sqrt(aa) / Math.sqrt(bb);
      }
      return { data: d, shape: [3, 2] };
    },
  },
  {
    name: 'embedding', inputs: (r) => [g([5, 3], r)], fn: (w) => A.embedding(A.tensor([[4, 0], [4, 2]], { dtype: 'int32' }), w),
    ref: (w) => ({ data: Float64Array.from([4, 0, 4, 2].flatMap((i) => [...w.data.slice(i * 3, i * 3 + 3)])), shape: [2, 2, 3] }),
  },
];

function logSoftmaxRows(x: Arr): number[] {
  const c = x.shape[x.shape.length - 1]!;
  const out: number[] = [];
  for (let i = 0; i < x.data.length / c; i++) {
    const row = Array.from(x.data.slice(i * c, i * c + c));
    const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    out.push(...row.map((v) => v - lse));
  }
  return out;
}

function meanOf(a: Arr): Arr {
  return { data: Float64Array.of(a.data.reduce((s, v) => s + v, 0) / a.data.length), shape: [] };
}

/** PyTorch's cross-entropy with class weights, label smoothing and ignore index -100, rows of x are samples. */
function ceRef(x: Arr, targets: number[], weight: number[] | null, eps: number, reduction: 'mean' | 'sum'): Arr {
  const c = x.shape[x.shape.length - 1]!;
  const lp = logSoftmaxRows(x);
  let nll = 0, wsum = 0, smooth = 0;
  targets.forEach((t, i) => {
    if (t === -100) return;
    const w = weight ? weight[t]! : 1;
    nll -= w * lp[i * c + t]!;
    wsum += w;
    for (let k = 0; k < c; k++) smooth -= (weight ? weight[k]! : 1) * lp[i * c + k]!;
  });
  const denom = reduction === 'mean' ? wsum : 1;
  return { data: Float64Array.of((1 - eps) * (nll / denom) + (eps / c) * (smooth / denom)), shape: [] };
}

export { arr };
