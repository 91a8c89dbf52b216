// Tensor constructors: from data, filled, ranges, identity and seeded random tensors.
import type { DataArray, DType } from '../core/dtype.js';
import { allocate, dtypeOfArray } from '../core/dtype.js';
import { ArgumentError } from '../core/errors.js';
import type { Rng } from './rng.js';
import { checkShape, numel, type Shape } from '../core/shape.js';
import { Tensor, type NestedArray } from './tensor.js';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

function finish(t: Tensor, opts: CreateOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0]!;
  }
  return shape;
}

/**
 * A tensor from nested arrays, a flat array with `shape`, or a typed array (shared, not copied).
 * Numbers default to float32 (pass `dtype: 'int32'` for labels).
 * @example tensor([[1, 2], [3, 4]]); tensor([0, 2, 1], { dtype: 'int32' })
 */
export function tensor(data: NestedArray | DataArray, opts: CreateOptions & { shape?: Shape } = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    const arr = data as DataArray;
    const dtype = opts.dtype ?? dtypeOfArray(arr);
    const shape = opts.shape ?? [arr.length];
    checkShape('tensor', shape);
    const src = dtypeOfArray(arr) === dtype || (dtype === 'bool' && arr instanceof Uint8Array) ? arr : convert(arr, dtype);
    return finish(new Tensor(src, shape, dtype), opts);
  }
  const inferred = inferShape(data);
  const flat: number[] = [];
  const walk = (d: NestedArray, depth: number): void => {
    if (Array.isArray(d)) {
      if (d.length !== inferred[depth]) throw new ArgumentError('tensor', `ragged nested array at depth ${depth}`);
      for (const e of d) walk(e, depth + 1);
    } else {
      if (depth !== inferred.length) throw new ArgumentError('tensor', `ragged nested array at depth ${depth}`);
      flat.push(typeof d === 'boolean' ? (d ? 1 : 0) : (d as number));
    }
  };
  walk(data, 0);
  const shape = opts.shape ?? inferred;
  checkShape('tensor', shape);
  const dtype = opts.dtype ?? (typeof firstLeaf(data) === 'boolean' ? 'bool' : 'float32');
  const arr = allocate(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) arr[i] = flat[i]!;
  return finish(new Tensor(arr, shape, dtype), opts);
}

function firstLeaf(d: NestedArray): unknown {
  let cur: NestedArray = d;
  while (Array.isArray(cur)) {
    if (cur.length === 0) return undefined;
    cur = cur[0]!;
  }
  return cur;
}

function convert(arr: ArrayLike<number>, dtype: DType): DataArray {
  const out = allocate(dtype, arr.length);
  if (dtype === 'bool') for (let i = 0; i < arr.length; i++) out[i] = arr[i] ? 1 : 0;
  else for (let i = 0; i < arr.length; i++) out[i] = arr[i]!;
  return out;
}

/** A 0-d tensor. */
export function scalar(v: number, dtype: DType = 'float32'): Tensor {
  const a = allocate(dtype, 1);
  a[0] = v;
  return new Tensor(a, [], dtype);
}

export function full(shape: Shape, value: number, opts: CreateOptions = {}): Tensor {
  checkShape('full', shape);
  const dtype = opts.dtype ?? 'float32';
  const a = allocate(dtype, numel(shape));
  if (value !== 0) a.fill(value);
  return finish(new Tensor(a, shape, dtype), opts);
}

export function zeros(shape: Shape, opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}

export function ones(shape: Shape, opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

export function zerosLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, ...opts });
}

export function onesLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, ...opts });
}

export function fullLike(t: Tensor, value: number, opts: CreateOptions = {}): Tensor {
  return full(t.shape, value, { dtype: t.dtype, ...opts });
}

/** Values start, start+step, ... below end (like torch.arange). Default dtype int32 when all arguments are integers. */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (end === undefined) { end = start; start = 0; }
  if (step === 0) throw new ArgumentError('arange', 'step must be non-zero');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = opts.dtype ?? (Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step) ? 'int32' : 'float32');
  const a = allocate(dtype, n);
  for (let i = 0; i < n; i++) a[i] = start + i * step;
  return finish(new Tensor(a, [n], dtype), opts);
}

export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ArgumentError('linspace', `steps must be a non-negative integer, got ${steps}`);
  const dtype = opts.dtype ?? 'float32';
  const a = allocate(dtype, steps);
  for (let i = 0; i < steps; i++) a[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return finish(new Tensor(a, [steps], dtype), opts);
}

export function eye(n: number, m = n, opts: CreateOptions = {}): Tensor {
  const t = zeros([n, m], opts);
  for (let i = 0; i < Math.min(n, m); i++) t.data[i * m + i] = 1;
  return t;
}

/** Uniform samples in [low, high) drawn from `rng`. */
export function rand(shape: Shape, rng: Rng, opts: CreateOptions & { low?: number; high?: number } = {}): Tensor {
  const t = zeros(shape, { dtype: opts.dtype ?? 'float32' });
  rng.fillUniform(t.data as Float32Array | Float64Array, opts.low ?? 0, opts.high ?? 1);
  return finish(t, opts);
}

/** Normal samples with the given mean and std drawn from `rng`. */
export function randn(shape: Shape, rng: Rng, opts: CreateOptions & { mean?: number; std?: number } = {}): Tensor {
  const t = zeros(shape, { dtype: opts.dtype ?? 'float32' });
  rng.fillNormal(t.data as Float32Array | Float64Array, opts.mean ?? 0, opts.std ?? 1);
  return finish(t, opts);
}

/** Integers in [low, high) drawn from `rng` (int32). */
export function randint(low: number, high: number, shape: Shape, rng: Rng): Tensor {
  const t = zeros(shape, { dtype: 'int32' });
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.integer(low, high);
  return t;
}
