// Helpers shared by the ops: result allocation, scalar wrapping, dtype checks and in-place writes.
import { kernels } from '../../backend/index.js';
import type { DType } from '../../core/dtype.js';
import { allocate, isFloat, type DataArray } from '../../core/dtype.js';
import { DTypeError, GradError } from '../../core/errors.js';
import { broadcastShapes, fmt, numel, type Shape } from '../../core/shape.js';
import { Tensor, type TensorLike } from '../tensor.js';

export { kernels };

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, uint8: 1, bool: 1 };
/** Below this many bytes a zero-filled allocation costs no more than an uninitialised or pooled one. */
const UNINIT_MIN_BYTES = 1 << 16;
/** @internal the smallest buffers `recycle` keeps */
export const POOLED_MIN_BYTES = UNINIT_MIN_BYTES;
const hasUnsafeBuffer = typeof Buffer !== 'undefined' && typeof Buffer.allocUnsafeSlow === 'function';
/** Test runs fill uninitialised outputs with NaN (or 0xAA bytes) so a kernel that skips an element fails loudly. */
const poison = typeof process !== 'undefined' && process.env?.['ADAPTLAB_POISON'] === '1';

// Small outputs are carved from shared 16 KB slabs: a view on an existing buffer costs a fraction of a fresh
// off-heap allocation, which dominates ops on tiny tensors (meta-learning inner loops). A slab is freed when
// all its views are; a long-lived small tensor keeps at most one slab alive. Below 64 bytes V8 allocates on
// its own heap, which is cheaper still.
const SLAB_BYTES = 1 << 14;
const SLAB_MIN_BYTES = 64;
const SLAB_MAX_BYTES = 2048;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabOffset = 0;

function fromSlab(dtype: DType, n: number, bytes: number): DataArray {
  const aligned = (slabOffset + 7) & ~7;
  if (aligned + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabOffset = 0;
  } else slabOffset = aligned;
  const off = slabOffset;
  slabOffset += bytes;
  return dtype === 'float32' ? new Float32Array(slab, off, n) : dtype === 'float64' ? new Float64Array(slab, off, n) : dtype === 'int32' ? new Int32Array(slab, off, n) : new Uint8Array(slab, off, n);
}

/**
 * An output tensor whose contents are unspecified: for kernels that write every element. Large buffers
 * skip the zero fill (and its page traffic).
 */
export function empty(shape: Shape, dtype: DType): Tensor {
  const n = numel(shape);
  const bytes = n * BYTES[dtype];
  let data: DataArray;
  if (bytes > SLAB_MIN_BYTES && bytes <= SLAB_MAX_BYTES) data = fromSlab(dtype, n, bytes);
  else if (bytes >= UNINIT_MIN_BYTES) {
    data = fromPool(dtype, n) ?? (hasUnsafeBuffer ? view(dtype, Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer, n) : allocate(dtype, n));
  } else data = allocate(dtype, n);
  if (poison) {
    if (data instanceof Float32Array || data instanceof Float64Array) data.fill(NaN);
    else data.fill(dtype === 'int32' ? -1431655766 : 0xaa);
  }
  return new Tensor(data, shape, dtype);
}

/** A zero-filled output tensor, for kernels that accumulate into their output. */
export function zerosOf(shape: Shape, dtype: DType): Tensor {
  const n = numel(shape);
  const pooled = n * BYTES[dtype] >= UNINIT_MIN_BYTES ? fromPool(dtype, n) : null;
  if (pooled) pooled.fill(0);
  return new Tensor(pooled ?? allocate(dtype, n), shape, dtype);
}

// Buffers of dead intermediate tensors (gradients the backward pass has consumed), by byte length. They
// serve the next outputs of the same size, which then need no fresh pages from the OS.
const pool = new Map<number, ArrayBuffer[]>();
let pooledBytes = 0;
const POOL_CAP_BYTES = 256 * 2 ** 20;

function view(dtype: DType, ab: ArrayBuffer, n: number): DataArray {
  return dtype === 'float32' ? new Float32Array(ab, 0, n) : dtype === 'float64' ? new Float64Array(ab, 0, n) : dtype === 'int32' ? new Int32Array(ab, 0, n) : new Uint8Array(ab, 0, n);
}

function fromPool(dtype: DType, n: number): DataArray | null {
  const bytes = n * BYTES[dtype];
  const list = pool.get(bytes);
  const ab = list?.pop();
  if (!ab) return null;
  pooledBytes -= bytes;
  return view(dtype, ab, n);
}

/**
 * @internal Return a dead tensor's storage to the pool. Only for tensors nothing else can reach (the
 * autograd engine calls it for consumed intermediate gradients); the tensor must not be used afterwards.
 */
export function recycle(t: Tensor): void {
  const d = t.data;
  const ab = d.buffer;
  if (!(ab instanceof ArrayBuffer) || d.byteOffset !== 0 || d.byteLength !== ab.byteLength || ab.byteLength < UNINIT_MIN_BYTES) return;
  if (pooledBytes + ab.byteLength > POOL_CAP_BYTES) return;
  if (poison) new Uint8Array(ab).fill(0xff); // NaN in every float dtype: a stale reader fails loudly
  let list = pool.get(ab.byteLength);
  if (!list) pool.set(ab.byteLength, (list = []));
  list.push(ab);
  pooledBytes += ab.byteLength;
}

/** Wrap a JS number as a 0-d tensor whose dtype suits the other operand. */
export function asTensor(x: TensorLike, like?: Tensor | DType): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== 'number') throw new DTypeError('op', `expected a Tensor or a number, got ${typeof x}`);
  const likeDType: DType = like === undefined ? 'float32' : typeof like === 'string' ? like : like.dtype;
  const dtype: DType = isFloat(likeDType) ? likeDType : Number.isInteger(x) && likeDType !== 'bool' ? likeDType : 'float32';
  const a = allocate(dtype, 1);
  a[0] = x;
  return new Tensor(a, [], dtype);
}

export function requireFloat(op: string, t: Tensor): void {
  if (!isFloat(t.dtype)) throw new DTypeError(op, `expected a float tensor, got ${t.dtype} of shape ${fmt(t.shape)}`);
}

export function requireDType(op: string, t: Tensor, ...dtypes: DType[]): void {
  if (!dtypes.includes(t.dtype)) {
    throw new DTypeError(op, `expected dtype ${dtypes.join(' or ')}, got ${t.dtype} of shape ${fmt(t.shape)}`);
  }
}

/** Write `src` (broadcast to dst's shape) into dst in place, outside any recorded graph. */
export function copyInto(dst: Tensor, src: TensorLike): void {
  if (dst.gradFn) throw new GradError(`copy_: in-place write into a non-leaf tensor (shape ${fmt(dst.shape)})`);
  const s = asTensor(src, dst);
  broadcastShapes('copy_', s.shape, dst.shape);
  if (s.shape.length > dst.shape.length || s.shape.some((d, i) => d !== 1 && d !== dst.shape[dst.shape.length - s.shape.length + i])) {
    throw new GradError(`copy_: source of shape ${fmt(s.shape)} does not broadcast to ${fmt(dst.shape)}`);
  }
  if (s.dtype === dst.dtype && s.data.length === dst.data.length) dst.data.set(s.data);
  else {
    const shaped = [...new Array(dst.shape.length - s.shape.length).fill(1), ...s.shape];
    const tmp = allocate(s.dtype, dst.data.length);
    kernels().expand(s.data, shaped, dst.shape, tmp);
    kernels().cast(tmp, dst.data);
  }
  dst._bumpVersion();
}

export function fillInto(dst: Tensor, v: number): void {
  if (dst.gradFn) throw new GradError(`fill_: in-place write into a non-leaf tensor (shape ${fmt(dst.shape)})`);
  dst.data.fill(v);
  dst._bumpVersion();
}
