// Reductions: sum/max/min primitives over axes, and mean, var, std, logsumexp, softmax, norms, argmax.
import type { ReduceOp } from '../../backend/types.js';
import { noGrad, record } from '../autograd.js';
import { allocate, isFloat, type DataArray, type DType, type FloatArray } from '../../core/dtype.js';
import { ArgumentError } from '../../core/errors.js';
import { normAxes, normAxis, type Shape } from '../../core/shape.js';
import { Tensor } from '../tensor.js';
import { empty, kernels, requireFloat } from './core.js';
import { abs, cast, div, exp, isfinite, log, mul, pow, sqrt, sub, where, add } from './elementwise.js';

/**
 * Reduce `axes` of x with the kernel; returns the data and the keepdims shape. Non-contiguous axes are
 * reduced one contiguous run at a time, last run first (e.g. [0, 2, 3] of NCHW as [2, 3] then [0]), which
 * avoids a permuted copy of the input.
 */
function reduceRaw(op: ReduceOp, x: Tensor, axes: number[], dtype: DType): { data: DataArray; keepShape: number[] } {
  const keepShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  if (axes.length === 0) {
    const out = allocate(dtype, x.numel());
    kernels().cast(x.data, out);
    return { data: out, keepShape };
  }
  if (axes.some((a) => x.shape[a] === 0) && (op === 'max' || op === 'min')) {
    throw new ArgumentError(op, `cannot reduce an empty dim (shape [${x.shape.join(',')}])`);
  }
  const runs: [number, number][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && last[1] === a - 1) last[1] = a;
    else runs.push([a, a]);
  }
  let src: DataArray = x.data;
  const shape = x.shape.slice();
  for (let r = runs.length - 1; r >= 0; r--) {
    const [a0, a1] = runs[r]!;
    let outer = 1, size = 1, inner = 1;
    for (let i = 0; i < a0; i++) outer *= shape[i]!;
    for (let i = a0; i <= a1; i++) { size *= shape[i]!; shape[i] = 1; }
    for (let i = a1 + 1; i < shape.length; i++) inner *= shape[i]!;
    const out = allocate(dtype, outer * inner);
    kernels().reduce(op, src, outer, size, inner, out);
    src = out;
  }
  return { data: src, keepShape };
}

function reducePrim(op: 'sum' | 'max' | 'min', x: Tensor, axesArg: number | number[] | undefined, keepdims: boolean): Tensor {
  const axes = normAxes(op, axesArg, x.ndim);
  const src = x.dtype === 'bool' || x.dtype === 'uint8' ? cast(x, 'int32') : x;
  const { data, keepShape } = reduceRaw(op, src, axes, src.dtype);
  const shape = keepdims ? keepShape : src.shape.filter((_, i) => !axes.includes(i));
  const out = new Tensor(data, shape, src.dtype);
  return record(op, [src], { axes, keepdims }, out);
}

/** Sum over axes (all when omitted). @example x.sum([0, 2], true) */
export const sum = (x: Tensor, axes?: number | number[], keepdims = false): Tensor => reducePrim('sum', x, axes, keepdims);
/** Maximum over axes (torch.amax: ties share the gradient evenly). */
export const max = (x: Tensor, axes?: number | number[], keepdims = false): Tensor => reducePrim('max', x, axes, keepdims);
export const min = (x: Tensor, axes?: number | number[], keepdims = false): Tensor => reducePrim('min', x, axes, keepdims);

function countOf(x: Tensor, axes: number | number[] | undefined): number {
  return normAxes('mean', axes, x.ndim).reduce((a, i) => a * x.shape[i]!, 1);
}

export function mean(x: Tensor, axes?: number | number[], keepdims = false): Tensor {
  const src = isFloat(x.dtype) ? x : cast(x, 'float32');
  return div(sum(src, axes, keepdims), countOf(x, axes));
}

/** Variance with Bessel's correction by default (correction = 1), like torch.var. */
export function variance(x: Tensor, axes?: number | number[], opts: { correction?: number; keepdims?: boolean } = {}): Tensor {
  requireFloat('var', x);
  const m = mean(x, axes, true);
  const d = sub(x, m);
  const n = countOf(x, axes);
  return div(sum(mul(d, d), axes, opts.keepdims ?? false), Math.max(n - (opts.correction ?? 1), 0));
}

export function std(x: Tensor, axes?: number | number[], opts: { correction?: number; keepdims?: boolean } = {}): Tensor {
  return sqrt(variance(x, axes, opts));
}

/** log Σ exp(x) over axes, computed stably. */
export function logsumexp(x: Tensor, axes?: number | number[], keepdims = false): Tensor {
  requireFloat('logsumexp', x);
  const m0 = noGrad(() => max(x, axes, true));
  const m = noGrad(() => where(isfinite(m0), m0, 0));
  const s = log(sum(exp(sub(x, m)), axes, true));
  const r = add(s, m);
  if (keepdims) return r;
  const ax = normAxes('logsumexp', axes, x.ndim);
  return reshapeTo(r, x.shape.filter((_, i) => !ax.includes(i)));
}

function reshapeTo(x: Tensor, shape: Shape): Tensor {
  return x.reshape(shape as number[]);
}

function softmaxPrim(prim: 'softmax' | 'logSoftmax', x: Tensor, axis: number): Tensor {
  requireFloat(prim, x);
  if (x.ndim === 0) throw new ArgumentError(prim, 'needs at least one dim');
  const a = normAxis(prim, axis, x.ndim);
  let outer = 1, inner = 1;
  for (let i = 0; i < a; i++) outer *= x.shape[i]!;
  for (let i = a + 1; i < x.ndim; i++) inner *= x.shape[i]!;
  const out = empty(x.shape, x.dtype);
  if (x.shape[a]! > 0) kernels()[prim](x.data as FloatArray, outer, x.shape[a]!, inner, out.data as FloatArray);
  return record(prim, [x], { axis: a }, out);
}

/** softmax along an axis (a fused primitive; its gradient y·(g − Σ g·y) is differentiable again). */
export const softmax = (x: Tensor, axis = -1): Tensor => softmaxPrim('softmax', x, axis);

/** log-softmax along an axis, x − logsumexp(x) (a fused primitive; gradient g − softmax·Σg). */
export const logSoftmax = (x: Tensor, axis = -1): Tensor => softmaxPrim('logSoftmax', x, axis);

/** Vector p-norm over axes (p = 1, 2, Infinity or any p > 0). */
export function norm(x: Tensor, p = 2, axes?: number | number[], keepdims = false): Tensor {
  requireFloat('norm', x);
  if (p === 2) return sqrt(sum(mul(x, x), axes, keepdims));
  if (p === 1) return sum(abs(x), axes, keepdims);
  if (p === Infinity) return max(abs(x), axes, keepdims);
  if (!(p > 0)) throw new ArgumentError('norm', `p must be positive, got ${p}`);
  return pow(sum(pow(abs(x), p), axes, keepdims), 1 / p);
}

function argReduce(op: 'argmax' | 'argmin', x: Tensor, axis: number | undefined, keepdims: boolean): Tensor {
  if (axis === undefined) {
    const out = empty(keepdims ? x.shape.map(() => 1) : [], 'int32');
    kernels().argReduce(op, x.data, 1, x.numel(), 1, out.data as Int32Array);
    return out;
  }
  const a = normAxis(op, axis, x.ndim);
  let outer = 1, inner = 1;
  for (let i = 0; i < a; i++) outer *= x.shape[i]!;
  for (let i = a + 1; i < x.ndim; i++) inner *= x.shape[i]!;
  const shape = keepdims ? x.shape.map((d, i) => (i === a ? 1 : d)) : x.shape.filter((_, i) => i !== a);
  const out = empty(shape, 'int32');
  if (x.shape[a] === 0) throw new ArgumentError(op, `cannot take ${op} over an empty dim`);
  kernels().argReduce(op, x.data, outer, x.shape[a]!, inner, out.data as Int32Array);
  return out;
}

/** Index of the maximum along an axis (first one on ties); int32, not differentiable. */
export const argmax = (x: Tensor, axis?: number, keepdims = false): Tensor => argReduce('argmax', x, axis, keepdims);
export const argmin = (x: Tensor, axis?: number, keepdims = false): Tensor => argReduce('argmin', x, axis, keepdims);

