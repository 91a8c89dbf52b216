// Reference GEMM in TypeScript: C (m×n) = op(A)·op(B) (+ C when accumulating), float64 accumulation.
import type { FloatArray } from '../../engine/dtype.js';
import type { MatmulGeometry } from '../types.js';

let rowScratch = new Float64Array(0);

/**
 * C[cOff..] (+)= op(A[aOff..]) · op(B[bOff..]). A is m×k (k×m when transA), B is k×n (n×k when transB),
 * all contiguous. Accumulates in float64 per output row.
 */
export function gemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: FloatArray, aOff: number, b: FloatArray, bOff: number, c: FloatArray, cOff: number, accumulate: boolean,
): void {
  if (rowScratch.length < n) rowScratch = new Float64Array(Math.max(n, 1024));
  const row = rowScratch;
  if (!transB) {
    for (let i = 0; i < m; i++) {
      row.fill(0, 0, n);
      for (let p = 0; p < k; p++) {
        const av = transA ? a[aOff + p * m + i]! : a[aOff + i * k + p]!;
        if (av === 0) continue;
        const bRow = bOff + p * n;
        for (let j = 0; j < n; j++) row[j] += av * b[bRow + j]!;
      }
      const cRow = cOff + i * n;
      if (accumulate) for (let j = 0; j < n; j++) c[cRow + j] += row[j]!;
      else for (let j = 0; j < n; j++) c[cRow + j] = row[j]!;
    }
    return;
  }
  if (!transA) {
    // C[i,j] = Σ_p A[i,p] B[j,p]: dot products of contiguous rows.
    for (let i = 0; i < m; i++) {
      const aRow = aOff + i * k;
      const cRow = cOff + i * n;
      for (let j = 0; j < n; j++) {
        const bRow = bOff + j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[aRow + p]! * b[bRow + p]!;
        if (accumulate) c[cRow + j] += s; else c[cRow + j] = s;
      }
    }
    return;
  }
  // Both transposed: C[i,j] = Σ_p A[p,i] B[j,p].
  for (let i = 0; i < m; i++) {
    const cRow = cOff + i * n;
    for (let j = 0; j < n; j++) {
      const bRow = bOff + j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[aOff + p * m + i]! * b[bRow + p]!;
      if (accumulate) c[cRow + j] += s; else c[cRow + j] = s;
    }
  }
}

export function matmul(a: FloatArray, b: FloatArray, out: FloatArray, g: MatmulGeometry): void {
  const { m, n, k } = g;
  for (let t = 0; t < g.batch; t++) {
    gemm(g.transA, g.transB, m, n, k, a, g.aOffsets[t]!, b, g.bOffsets[t]!, out, t * m * n, false);
  }
}
