// Data types of tensors and the typed arrays that hold them.
import { DTypeError } from './errors.js';

/** float32 for compute, float64 for gradient checks, int32 for labels and indices, uint8 for images, bool for masks. */
export type DType = 'float32' | 'float64' | 'int32' | 'uint8' | 'bool';
export type FloatDType = 'float32' | 'float64';
export type DataArray = Float32Array | Float64Array | Int32Array | Uint8Array;
export type FloatArray = Float32Array | Float64Array;

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'uint8', 'bool'];

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

export function allocate(dtype: DType, n: number): DataArray {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint8':
    case 'bool': return new Uint8Array(n);
  }
}

/** The dtype a typed array naturally holds (Uint8Array maps to uint8). */
export function dtypeOfArray(a: ArrayLike<number>): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array) return 'uint8';
  throw new DTypeError('tensor', `unsupported array type ${Object.prototype.toString.call(a)}`);
}

export function arrayMatchesDType(a: DataArray, dtype: DType): boolean {
  switch (dtype) {
    case 'float32': return a instanceof Float32Array;
    case 'float64': return a instanceof Float64Array;
    case 'int32': return a instanceof Int32Array;
    case 'uint8':
    case 'bool': return a instanceof Uint8Array;
  }
}

const RANK: Record<DType, number> = { bool: 0, uint8: 1, int32: 2, float32: 3, float64: 4 };

/** Type promotion for binary ops, as PyTorch does for tensors of the same category. */
export function promote(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}
