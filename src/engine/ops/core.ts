// Helpers shared by the ops: result allocation, scalar wrapping, dtype checks and in-place writes.
import { kernels } from '../../backend/index.js';
import type { DType } from '../dtype.js';
import { allocate, isFloat, type DataArray } from '../dtype.js';
import { DTypeError, GradError } from '../errors.js';
import { broadcastShapes, fmt, numel, type Shape } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';

export { kernels };

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, uint8: 1, bool: 1 };
/** Below this many bytes a zero-filled allocation costs no more than an uninitialised one. */
const UNINIT_MIN_BYTES = 1 << 16;
const hasUnsafeBuffer = typeof Buffer !== 'undefined' && typeof Buffer.allocUnsafeSlow === 'function';
/** Test runs fill uninitialised outputs with NaN (or 0xAA bytes) so a kernel that skips an element fails loudly. */
const poison = typeof process !== 'undefined' && process.env?.['ADAPTLAB_POISON'] === '1';

/**
 * An output tensor whose contents are unspecified: for kernels that write every element. Large buffers
 * skip the zero fill (and its page traffic).
 */
export function empty(shape: Shape, dtype: DType): Tensor {
  const n = numel(shape);
  const bytes = n * BYTES[dtype];
  let data: DataArray;
  if (hasUnsafeBuffer && bytes >= UNINIT_MIN_BYTES) {
    const ab = Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer;
    data = dtype === 'float32' ? new Float32Array(ab, 0, n) : dtype === 'float64' ? new Float64Array(ab, 0, n) : dtype === 'int32' ? new Int32Array(ab, 0, n) : new Uint8Array(ab, 0, n);
  } else data = allocate(dtype, n);
  if (poison) {
    if (data instanceof Float32Array || data instanceof Float64Array) data.fill(NaN);
    else data.fill(dtype === 'int32' ? -1431655766 : 0xaa);
  }
  return new Tensor(data, shape, dtype);
}

/** A zero-filled output tensor, for kernels that accumulate into their output. */
export function zerosOf(shape: Shape, dtype: DType): Tensor {
  return new Tensor(allocate(dtype, numel(shape)), shape, dtype);
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
  dst._version++;
}

export function fillInto(dst: Tensor, v: number): void {
  if (dst.gradFn) throw new GradError(`fill_: in-place write into a non-leaf tensor (shape ${fmt(dst.shape)})`);
  dst.data.fill(v);
  dst._version++;
}
