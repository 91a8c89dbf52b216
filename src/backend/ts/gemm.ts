// Reference GEMM in TypeScript: packed 4×4 register-blocked kernel with float64 accumulation.
import type { FloatArray } from '../../core/dtype.js';
import type { MatmulGeometry } from '../types.js';

let packA = new Float64Array(0);
let packB = new Float64Array(0);

/** Pack op(A) (m×k) into panels of 4 rows, interleaved by k: P[panel·4k + 4p + q] = op(A)[4·panel + q, p]. */
function packRows(a: FloatArray, off: number, trans: boolean, m: number, k: number, dst: Float64Array): void {
  const panels = Math.ceil(m / 4);
  for (let pi = 0; pi < panels; pi++) {
    const base = pi * 4 * k;
    for (let q = 0; q < 4; q++) {
      const r = pi * 4 + q;
      if (r >= m) {
        for (let p = 0; p < k; p++) dst[base + 4 * p + q] = 0;
      } else if (trans) {
        for (let p = 0; p < k; p++) dst[base + 4 * p + q] = a[off + p * m + r]!;
      } else {
        const s = off + r * k;
        for (let p = 0; p < k; p++) dst[base + 4 * p + q] = a[s + p]!;
      }
    }
  }
}

/** Pack op(B) (k×n) into panels of 4 columns: P[panel·4k + 4p + q] = op(B)[p, 4·panel + q]. */
function packCols(b: FloatArray, off: number, trans: boolean, k: number, n: number, dst: Float64Array): void {
  const panels = Math.ceil(n / 4);
  for (let pj = 0; pj < panels; pj++) {
    const base = pj * 4 * k;
    for (let q = 0; q < 4; q++) {
      const col = pj * 4 + q;
      if (col >= n) {
        for (let p = 0; p < k; p++) dst[base + 4 * p + q] = 0;
      } else if (trans) {
        const s = off + col * k;
        for (let p = 0; p < k; p++) dst[base + 4 * p + q] = b[s + p]!;
      } else {
        for (let p = 0; p < k; p++) dst[base + 4 * p + q] = b[off + p * n + col]!;
      }
    }
  }
}

/** Below this many multiply-adds, packing costs more than it saves. */
const SMALL = 16384;

/** Direct triple loop over strided operands, for small products (the meta-learning inner loops). */
function gemmSmall(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: FloatArray, aOff: number, b: FloatArray, bOff: number, c: FloatArray, cOff: number, accumulate: boolean,
): void {
  const asI = transA ? 1 : k, asP = transA ? m : 1;
  const bsP = transB ? 1 : n, bsJ = transB ? k : 1;
  for (let i = 0; i < m; i++) {
    const ai = aOff + i * asI;
    const ci = cOff + i * n;
    for (let j = 0; j < n; j++) {
      let s = 0;
      let pa = ai, pb = bOff + j * bsJ;
      for (let p = 0; p < k; p++, pa += asP, pb += bsP) s += a[pa]! * b[pb]!;
      if (accumulate) c[ci + j] += s;
      else c[ci + j] = s;
    }
  }
}

/**
 * C[cOff..] (+)= op(A[aOff..]) · op(B[bOff..]). A is m×k (k×m when transA), B is k×n (n×k when transB),
 * all contiguous.
 */
export function gemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: FloatArray, aOff: number, b: FloatArray, bOff: number, c: FloatArray, cOff: number, accumulate: boolean,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) for (let i = 0; i < m; i++) c.fill(0, cOff + i * n, cOff + i * n + n);
    return;
  }
  if (m * n * k <= SMALL) return gemmSmall(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
  const mp = Math.ceil(m / 4) * 4, np = Math.ceil(n / 4) * 4;
  if (packA.length < mp * k) packA = new Float64Array(mp * k);
  if (packB.length < np * k) packB = new Float64Array(np * k);
  const Ap = packA, Bp = packB;
  packRows(a, aOff, transA, m, k, Ap);
  packCols(b, bOff, transB, k, n, Bp);
  for (let i = 0; i < m; i += 4) {
    const aBase = i * k;
    for (let j = 0; j < n; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let pa = aBase, pb = j * k;
      for (let p = 0; p < k; p++, pa += 4, pb += 4) {
        const x0 = Ap[pa]!, x1 = Ap[pa + 1]!, x2 = Ap[pa + 2]!, x3 = Ap[pa + 3]!;
        const y0 = Bp[pb]!, y1 = Bp[pb + 1]!, y2 = Bp[pb + 2]!, y3 = Bp[pb + 3]!;
        c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
        c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
        c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
        c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
      }
      const rows = Math.min(4, m - i), cols = Math.min(4, n - j);
      const block = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
      for (let r = 0; r < rows; r++) {
        const o = cOff + (i + r) * n + j;
        if (accumulate) for (let q = 0; q < cols; q++) c[o + q] += block[4 * r + q]!;
        else for (let q = 0; q < cols; q++) c[o + q] = block[4 * r + q]!;
      }
    }
  }
}

export function matmul(a: FloatArray, b: FloatArray, out: FloatArray, g: MatmulGeometry): void {
  const { m, n, k } = g;
  for (let t = 0; t < g.batch; t++) {
    gemm(g.transA, g.transB, m, n, k, a, g.aOffsets[t]!, b, g.bOffsets[t]!, out, t * m * n, false);
  }
}
