// Element-wise kernels (unary, binary, compare, where), specialised per op by code generation.
import type { DataArray } from '../../core/dtype.js';
import type { Shape } from '../../core/shape.js';
import { numel, shapeEq } from '../../core/shape.js';
import type { BinaryOp, CompareOp, UnaryOp } from '../types.js';
import { broadcastPlan } from './broadcast.js';
import { erf, roundHalfEven } from './special.js';

const UNARY_EXPR: Record<UnaryOp, string> = {
  neg: '-x',
  exp: 'Math.exp(x)',
  log: 'Math.log(x)',
  sqrt: 'Math.sqrt(x)',
  abs: 'Math.abs(x)',
  sin: 'Math.sin(x)',
  cos: 'Math.cos(x)',
  tanh: 'Math.tanh(x)',
  sigmoid: '1 / (1 + Math.exp(-x))',
  relu: '(x > 0 || x !== x) ? x : 0',
  erf: 'erf(x)',
  sign: 'x > 0 ? 1 : (x < 0 ? -1 : (x !== x ? x : 0))',
  floor: 'Math.floor(x)',
  ceil: 'Math.ceil(x)',
  round: 'roundHalfEven(x)',
  not: 'x ? 0 : 1',
};

const BINARY_EXPR: Record<BinaryOp | CompareOp, string> = {
  add: 'x + y',
  sub: 'x - y',
  mul: 'x * y',
  div: 'x / y',
  pow: 'Math.pow(x, y)',
  maximum: '(x !== x || x > y) ? x : y',
  minimum: '(x !== x || x < y) ? x : y',
  eq: 'x === y ? 1 : 0',
  ne: 'x !== y ? 1 : 0',
  lt: 'x < y ? 1 : 0',
  le: 'x <= y ? 1 : 0',
  gt: 'x > y ? 1 : 0',
  ge: 'x >= y ? 1 : 0',
};

type UnaryFn = (x: DataArray, out: DataArray, n: number) => void;
type FlatBinaryFn = (a: DataArray, b: DataArray, out: DataArray, n: number) => void;
type StridedBinaryFn = (a: DataArray, b: DataArray, out: DataArray, dims: number[], sa: number[], sb: number[]) => void;

const helpers = { erf, roundHalfEven };

function compileUnary(expr: string): UnaryFn {
  return new Function('h', `const erf = h.erf, roundHalfEven = h.roundHalfEven;
    return function (xs, out, n) { for (let i = 0; i < n; i++) { const x = xs[i]; out[i] = ${expr}; } };`)(helpers) as UnaryFn;
}

function compileFlat(expr: string, mode: 'same' | 'scalarA' | 'scalarB'): FlatBinaryFn {
  const body =
    mode === 'same' ? `for (let i = 0; i < n; i++) { const x = a[i], y = b[i]; out[i] = ${expr}; }`
    : mode === 'scalarA' ? `const x = a[0]; for (let i = 0; i < n; i++) { const y = b[i]; out[i] = ${expr}; }`
    : `const y = b[0]; for (let i = 0; i < n; i++) { const x = a[i]; out[i] = ${expr}; }`;
  return new Function(`return function (a, b, out, n) { ${body} };`)() as FlatBinaryFn;
}

/** Generic strided loop nest: the innermost dim is a tight loop, outer dims are walked by a counter. */
function compileStrided(expr: string): StridedBinaryFn {
  return new Function(`return function (a, b, out, dims, sa, sb) {
    const nd = dims.length, inner = dims[nd - 1], ia1 = sa[nd - 1], ib1 = sb[nd - 1];
    const idx = new Array(nd).fill(0);
    let outer = 1; for (let d = 0; d < nd - 1; d++) outer *= dims[d];
    let o = 0, ia = 0, ib = 0;
    for (let r = 0; r < outer; r++) {
      let pa = ia, pb = ib;
      for (let j = 0; j < inner; j++) { const x = a[pa], y = b[pb]; out[o++] = ${expr}; pa += ia1; pb += ib1; }
      for (let d = nd - 2; d >= 0; d--) {
        idx[d]++; ia += sa[d]; ib += sb[d];
        if (idx[d] < dims[d]) break;
        ia -= sa[d] * dims[d]; ib -= sb[d] * dims[d]; idx[d] = 0;
      }
    }
  };`)() as StridedBinaryFn;
}

const unaryFns = new Map<UnaryOp, UnaryFn>();
const binaryFns = new Map<string, { same: FlatBinaryFn; scalarA: FlatBinaryFn; scalarB: FlatBinaryFn; strided: StridedBinaryFn }>();

function binaryFamily(op: BinaryOp | CompareOp) {
  let f = binaryFns.get(op);
  if (!f) {
    const e = BINARY_EXPR[op];
    f = { same: compileFlat(e, 'same'), scalarA: compileFlat(e, 'scalarA'), scalarB: compileFlat(e, 'scalarB'), strided: compileStrided(e) };
    binaryFns.set(op, f);
  }
  return f;
}

export function unary(op: UnaryOp, x: DataArray, out: DataArray): void {
  let f = unaryFns.get(op);
  if (!f) {
    f = compileUnary(UNARY_EXPR[op]);
    unaryFns.set(op, f);
  }
  f(x, out, out.length);
}

export function binaryLike(op: BinaryOp | CompareOp, a: DataArray, aShape: Shape, b: DataArray, bShape: Shape, out: DataArray, outShape: Shape): void {
  const fam = binaryFamily(op);
  const n = numel(outShape);
  if (a.length === n && b.length === n && shapeEq(aShape, bShape)) return fam.same(a, b, out, n);
  if (b.length === 1 && a.length === n) return fam.scalarB(a, b, out, n);
  if (a.length === 1 && b.length === n) return fam.scalarA(a, b, out, n);
  const plan = broadcastPlan(outShape, [aShape, bShape]);
  fam.strided(a, b, out, plan.dims, plan.strides[0]!, plan.strides[1]!);
}

export function where(cond: Uint8Array, cShape: Shape, a: DataArray, aShape: Shape, b: DataArray, bShape: Shape, out: DataArray, outShape: Shape): void {
  const n = numel(outShape);
  if (cond.length === n && a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = cond[i] ? a[i]! : b[i]!;
    return;
  }
  const { dims, strides } = broadcastPlan(outShape, [cShape, aShape, bShape]);
  const [sc, sa, sb] = strides as [number[], number[], number[]];
  const nd = dims.length;
  const idx = new Array<number>(nd).fill(0);
  let ic = 0, ia = 0, ib = 0;
  for (let o = 0; o < n; o++) {
    out[o] = cond[ic] ? a[ia]! : b[ib]!;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++; ic += sc[d]!; ia += sa[d]!; ib += sb[d]!;
      if (idx[d]! < dims[d]!) break;
      ic -= sc[d]! * dims[d]!; ia -= sa[d]! * dims[d]!; ib -= sb[d]! * dims[d]!; idx[d] = 0;
    }
  }
}

export function cast(x: DataArray, out: DataArray): void {
  if (out instanceof Uint8Array && !(x instanceof Uint8Array)) {
    // bool/uint8 targets: uint8 wraps like PyTorch's cast; bool is handled by the engine via `ne 0`.
    for (let i = 0; i < x.length; i++) out[i] = x[i]!;
    return;
  }
  if (out instanceof Int32Array && !(x instanceof Int32Array)) {
    for (let i = 0; i < x.length; i++) out[i] = Math.trunc(x[i]!);
    return;
  }
  out.set(x);
}
