// Float64 linear algebra for the transferability scores: Gram matrices and a cyclic Jacobi eigensolver for symmetric matrices.
import { ArgumentError } from '../core/errors.js';

/** Eigendecomposition A = V diag(values) Vᵀ of a symmetric n×n matrix. */
export interface SymmetricEigen {
  n: number;
  /** Eigenvalues in descending order. */
  values: Float64Array;
  /**
   * Eigenvectors, row-major n×n: column k (`vectors[i * n + k]`, i = 0..n−1) is the unit eigenvector of
   * `values[k]` (as numpy.linalg.eigh), with its largest-magnitude component positive.
   */
  vectors: Float64Array;
  /** Jacobi sweeps used. */
  sweeps: number;
}

/**
 * Eigenvalues and eigenvectors of a real symmetric matrix (row-major, n×n) by the cyclic Jacobi method
 * (Jacobi 1846; Golub & Van Loan, Matrix Computations, §8.5): rotations zero one off-diagonal pair at a time,
 * row by row, until the off-diagonal Frobenius norm is below `tol`·‖A‖_F (default: machine ε). Jacobi is slow
 * (≈ 8n³ flops per sweep, 6–10 sweeps) but computes every eigenvalue to an absolute accuracy of a few ε·‖A‖
 * and eigenvectors orthogonal to working precision, also for repeated and zero eigenvalues — what the
 * pseudo-inverses and log-determinants of Gram matrices need. The matrix is scaled by its largest entry first,
 * so entries near the overflow or underflow limits are handled.
 *
 * Throws ArgumentError when `a` has the wrong length, holds NaN/±Inf, is not symmetric (|a_ij − a_ji| above
 * 1e-10·max|a|; smaller differences are averaged away), or when `maxSweeps` sweeps do not converge.
 * @example const { values, vectors } = symmetricEigen([2, 1, 1, 2], 2); // values [3, 1]
 */
export function symmetricEigen(a: ArrayLike<number>, n: number, opts: { tol?: number; maxSweeps?: number } = {}): SymmetricEigen {
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError('symmetricEigen', `n must be a non-negative integer, got ${n}`);
  if (a.length !== n * n) throw new ArgumentError('symmetricEigen', `matrix has ${a.length} entries, an ${n}×${n} matrix needs ${n * n}`);
  const tol = opts.tol ?? Number.EPSILON;
  const maxSweeps = opts.maxSweeps ?? 60;
  let scale = 0;
  for (let i = 0; i < n * n; i++) {
    const v = a[i]!;
    if (!Number.isFinite(v)) throw new ArgumentError('symmetricEigen', `entry (${Math.floor(i / n)}, ${i % n}) is ${v}`);
    scale = Math.max(scale, Math.abs(v));
  }
  const A = new Float64Array(n * n);
  // Vt holds Vᵀ: row k is the eigenvector being accumulated for diagonal entry k (contiguous updates).
  const Vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Vt[i * n + i] = 1;
  if (scale === 0) return finish(A, Vt, n, 1, 0);
  for (let i = 0; i < n; i++) {
    A[i * n + i] = a[i * n + i]! / scale;
    for (let j = i + 1; j < n; j++) {
      const u = a[i * n + j]! / scale, l = a[j * n + i]! / scale;
      if (Math.abs(u - l) > 1e-10) {
        throw new ArgumentError('symmetricEigen', `matrix is not symmetric: a[${i}][${j}] = ${a[i * n + j]} but a[${j}][${i}] = ${a[j * n + i]}`);
      }
      A[i * n + j] = A[j * n + i] = 0.5 * (u + l);
    }
  }
  let norm2 = 0;
  for (let i = 0; i < n * n; i++) norm2 += A[i]! * A[i]!;
  const stop2 = tol * tol * norm2;
  for (let sweep = 0; sweep <= maxSweeps; sweep++) {
    let off2 = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off2 += 2 * A[p * n + q]! * A[p * n + q]!;
    if (off2 <= stop2) return finish(A, Vt, n, scale, sweep);
    if (sweep === maxSweeps) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (apq === 0) continue;
        const app = A[p * n + p]!, aqq = A[q * n + q]!;
        // A pair this small next to its diagonal cannot change the diagonal in float64: zero it without rotating.
        if (Math.abs(apq) <= 1e-18 * (Math.abs(app) + Math.abs(aqq))) {
          A[p * n + q] = A[q * n + p] = 0;
          continue;
        }
        // The rotation [c s; −s c] with t = tan θ the smaller root of t² + 2τt − 1 = 0 (|θ| ≤ π/4), τ = (a_qq − a_pp)/(2a_pq).
        const tau = (aqq - app) / (2 * apq);
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.hypot(1, tau));
        const c = 1 / Math.sqrt(1 + t * t), s = t * c;
        for (let r = 0; r < n; r++) {
          if (r === p || r === q) continue;
          const arp = A[r * n + p]!, arq = A[r * n + q]!;
          const np = c * arp - s * arq, nq = s * arp + c * arq;
          A[r * n + p] = A[p * n + r] = np;
          A[r * n + q] = A[q * n + r] = nq;
        }
        A[p * n + p] = app - t * apq;
        A[q * n + q] = aqq + t * apq;
        A[p * n + q] = A[q * n + p] = 0;
        const rp = p * n, rq = q * n;
        for (let r = 0; r < n; r++) {
          const vp = Vt[rp + r]!, vq = Vt[rq + r]!;
          Vt[rp + r] = c * vp - s * vq;
          Vt[rq + r] = s * vp + c * vq;
        }
      }
    }
  }
  throw new ArgumentError('symmetricEigen', `Jacobi iteration did not converge in ${maxSweeps} sweeps (n = ${n})`);
}

function finish(A: Float64Array, Vt: Float64Array, n: number, scale: number, sweeps: number): SymmetricEigen {
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[j * n + j]! - A[i * n + i]! || i - j);
  const values = new Float64Array(n), vectors = new Float64Array(n * n);
  order.forEach((src, k) => {
    values[k] = A[src * n + src]! * scale;
    let big = 0;
    for (let r = 0; r < n; r++) if (Math.abs(Vt[src * n + r]!) > Math.abs(big)) big = Vt[src * n + r]!;
    const sign = big < 0 ? -1 : 1;
    for (let r = 0; r < n; r++) vectors[r * n + k] = sign * Vt[src * n + r]!;
  });
  return { n, values, vectors, sweeps };
}

/**
 * The Gram matrix of the rows (`'rows'`: F Fᵀ, n×n) or of the columns (`'columns'`: Fᵀ F, d×d) of a row-major
 * n×d matrix, accumulated in float64.
 */
export function gram(f: ArrayLike<number>, n: number, d: number, of: 'rows' | 'columns'): Float64Array {
  if (of === 'rows') {
    const g = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += f[i * d + k]! * f[j * d + k]!;
        g[i * n + j] = g[j * n + i] = s;
      }
    }
    return g;
  }
  const g = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let p = 0; p < d; p++) {
      const fp = f[o + p]!;
      if (fp === 0) continue;
      for (let q = p; q < d; q++) g[p * d + q] += fp * f[o + q]!;
    }
  }
  for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) g[q * d + p] = g[p * d + q]!;
  return g;
}
