// Element-wise ops: unary and broadcasting binary primitives, comparisons, where, and compositions of them.
import type { BinaryOp, CompareOp } from '../../backend/types.js';
import { record } from '../autograd.js';
import { isFloat, promote, type DType, type FloatArray } from '../../core/dtype.js';
import { DTypeError } from '../../core/errors.js';
import type { Prim } from '../prims.js';
import { broadcastShapes, fmt } from '../../core/shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { asTensor, empty, kernels } from './core.js';

type UnaryPrim = 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'relu' | 'erf';

function toFloat(x: Tensor): Tensor {
  return isFloat(x.dtype) ? x : cast(x, 'float32');
}

function unaryPrim(prim: UnaryPrim, x: Tensor, keepInt = false): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(prim, `expected a Tensor, got ${typeof x}`);
  const src = keepInt && x.dtype === 'int32' ? x : toFloat(x);
  const out = empty(src.shape, src.dtype);
  kernels().unary(prim, src.data, out.data);
  return record(prim, [src], null, out);
}

export const neg = (x: Tensor): Tensor => unaryPrim('neg', x, true);
export const exp = (x: Tensor): Tensor => unaryPrim('exp', x);
export const log = (x: Tensor): Tensor => unaryPrim('log', x);
export const sqrt = (x: Tensor): Tensor => unaryPrim('sqrt', x);
export const abs = (x: Tensor): Tensor => unaryPrim('abs', x, true);
export const sin = (x: Tensor): Tensor => unaryPrim('sin', x);
export const cos = (x: Tensor): Tensor => unaryPrim('cos', x);
export const tanh = (x: Tensor): Tensor => unaryPrim('tanh', x);
export const sigmoid = (x: Tensor): Tensor => unaryPrim('sigmoid', x);
export const relu = (x: Tensor): Tensor => unaryPrim('relu', x, true);
export const erf = (x: Tensor): Tensor => unaryPrim('erf', x);

/** relu's gradient: g where x > 0, else 0 (a primitive so relu's backward is one pass). */
export function reluBackward(g: Tensor, x: Tensor): Tensor {
  const out = empty(g.shape, g.dtype);
  kernels().reluBackward(g.data as FloatArray, (x.dtype === g.dtype ? x : cast(x, g.dtype)).data as FloatArray, out.data as FloatArray);
  return record('reluBackward', [g, x], null, out);
}

/** Non-differentiable element-wise helpers (sign, floor, ...): constant results. */
function unaryConst(op: 'sign' | 'floor' | 'ceil' | 'round', x: Tensor): Tensor {
  const out = empty(x.shape, x.dtype === 'bool' ? 'float32' : x.dtype);
  kernels().unary(op, x.data, out.data);
  return out;
}
export const sign = (x: Tensor): Tensor => unaryConst('sign', x);
export const floor = (x: Tensor): Tensor => unaryConst('floor', x);
export const ceil = (x: Tensor): Tensor => unaryConst('ceil', x);
export const round = (x: Tensor): Tensor => unaryConst('round', x);

/**
 * Two operands (numbers become 0-d tensors of the other's dtype) cast to their promoted dtype, adjusted for
 * the arithmetic `prim` when given (e.g. integer division gives float32).
 */
function operands(a: TensorLike, b: TensorLike, prim: BinaryOp | null = null): [Tensor, Tensor, DType] {
  let A = asTensor(a, b instanceof Tensor ? b : undefined);
  let B = asTensor(b, A);
  let dtype = promote(A.dtype, B.dtype);
  if (prim !== null && !isFloat(dtype)) {
    // arithmetic on bool/uint8 happens in int32; division and powers of integers give float32
    if (prim === 'div' || ((dtype === 'bool' || dtype === 'uint8') && prim === 'pow')) dtype = 'float32';
    else if (dtype === 'bool' || dtype === 'uint8') dtype = 'int32';
  }
  if (A.dtype !== dtype) A = cast(A, dtype);
  if (B.dtype !== dtype) B = cast(B, dtype);
  return [A, B, dtype];
}

function binaryPrim(prim: BinaryOp & Prim, a: TensorLike, b: TensorLike): Tensor {
  const [A, B, dtype] = operands(a, b, prim);
  const shape = broadcastShapes(prim, A.shape, B.shape);
  const out = empty(shape, dtype);
  kernels().binary(prim, A.data, A.shape, B.data, B.shape, out.data, shape);
  return record(prim, [A, B], null, out);
}

/** a + b with broadcasting. @example add(x, 1) */
export const add = (a: TensorLike, b: TensorLike): Tensor => binaryPrim('add', a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binaryPrim('sub', a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binaryPrim('mul', a, b);
/** True division (integer inputs give float32). */
export const div = (a: TensorLike, b: TensorLike): Tensor => binaryPrim('div', a, b);
export const pow = (a: TensorLike, b: TensorLike): Tensor => binaryPrim('pow', a, b);
/** Element-wise maximum; ties split the gradient evenly, as PyTorch does. */
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binaryPrim('maximum', a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binaryPrim('minimum', a, b);

export const square = (x: Tensor): Tensor => mul(x, x);
export const reciprocal = (x: Tensor): Tensor => div(1, x);
export const rsqrt = (x: Tensor): Tensor => reciprocal(sqrt(x));

function compare(op: CompareOp, a: TensorLike, b: TensorLike): Tensor {
  const [A, B] = operands(a, b);
  const shape = broadcastShapes(op, A.shape, B.shape);
  const out = empty(shape, 'bool');
  kernels().compare(op, A.data, A.shape, B.data, B.shape, out.data as Uint8Array, shape);
  return out;
}

export const eq = (a: TensorLike, b: TensorLike): Tensor => compare('eq', a, b);
export const ne = (a: TensorLike, b: TensorLike): Tensor => compare('ne', a, b);
export const lt = (a: TensorLike, b: TensorLike): Tensor => compare('lt', a, b);
export const le = (a: TensorLike, b: TensorLike): Tensor => compare('le', a, b);
export const gt = (a: TensorLike, b: TensorLike): Tensor => compare('gt', a, b);
export const ge = (a: TensorLike, b: TensorLike): Tensor => compare('ge', a, b);

export function logicalNot(x: Tensor): Tensor {
  const out = empty(x.shape, 'bool');
  kernels().unary('not', x.data, out.data);
  return out;
}

export function logicalAnd(a: Tensor, b: Tensor): Tensor {
  return ne(mul(a.dtype === 'bool' ? cast(a, 'int32') : a, b.dtype === 'bool' ? cast(b, 'int32') : b), 0);
}

export function isfinite(x: Tensor): Tensor {
  return eq(sub(x, x), 0);
}

/**
 * Select from a where cond is true, else from b (broadcasting all three). Gradients flow only to the
 * selected side.
 * @example where(x.gt(0), x, x.mul(0.1))  // leaky ReLU
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (cond.dtype !== 'bool') throw new DTypeError('where', `condition must be bool, got ${cond.dtype} of shape ${fmt(cond.shape)}`);
  const [A, B, dtype] = operands(a, b);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, A.shape), B.shape);
  const out = empty(shape, dtype);
  kernels().where(cond.data as Uint8Array, cond.shape, A.data, A.shape, B.data, B.shape, out.data, shape);
  return record('where', [cond, A, B], null, out);
}

/**
 * Clamp into [min, max] (either may be omitted); the gradient passes where min ≤ x ≤ max, like torch.clamp.
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  let y = x;
  if (min !== undefined && min !== null) y = where(lt(y, min), asTensor(min, y), y);
  if (max !== undefined && max !== null) y = where(gt(y, max), asTensor(max, y), y);
  return y;
}

/** Convert to another dtype (differentiable between float dtypes). bool is `x != 0`. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  if (dtype === 'bool') return ne(x, 0);
  const out = empty(x.shape, dtype);
  kernels().cast(x.data, out.data);
  return isFloat(dtype) && isFloat(x.dtype) ? record('cast', [x], { dtype }, out) : out;
}

export function clone(x: Tensor): Tensor {
  // Fresh storage; the derivative is the identity, which is exactly the reshape rule.
  const out = empty(x.shape, x.dtype);
  out.data.set(x.data);
  return record('reshape', [x], { shape: x.shape.slice() }, out);
}
