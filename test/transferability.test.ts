// Transferability scores (LEEP, NCE, LogME, H-score) against a NumPy reference and closed forms; the Jacobi eigensolver.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgumentError, Rng } from '../src/index.js';
import { gram, symmetricEigen } from '../src/transfer/linalg.js';

/** A random n×n orthogonal matrix (row-major): Gram–Schmidt (twice) on Gaussian columns. */
function randomOrthogonal(n: number, rng: Rng): Float64Array {
  const q = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const v = Float64Array.from({ length: n }, () => rng.normal());
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < k; j++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i * n + j]! * v[i]!;
        for (let i = 0; i < n; i++) v[i]! -= d * q[i * n + j]!;
      }
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) q[i * n + k] = v[i]! / norm;
  }
  return q;
}

/** Q diag(values) Qᵀ. */
function withSpectrum(q: Float64Array, values: readonly number[]): Float64Array {
  const n = values.length;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k]! * values[k]! * q[j * n + k]!;
      a[i * n + j] = a[j * n + i] = s;
    }
  }
  return a;
}

function randomSymmetric(n: number, rng: Rng): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = rng.normal();
  return a;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** max |A − V Λ Vᵀ| and max |VᵀV − I|, both relative to max|A| (resp. 1). */
function eigenErrors(a: Float64Array, n: number): { recon: number; orth: number; values: Float64Array } {
  const { values, vectors: v } = symmetricEigen(a, n);
  let recon = 0, orth = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, o = 0;
      for (let k = 0; k < n; k++) {
        s += v[i * n + k]! * values[k]! * v[j * n + k]!;
        o += v[k * n + i]! * v[k * n + j]!;
      }
      recon = Math.max(recon, Math.abs(s - a[i * n + j]!));
      orth = Math.max(orth, Math.abs(o - (i === j ? 1 : 0)));
    }
  }
  return { recon: recon / Math.max(maxAbs(a), Number.MIN_VALUE), orth, values };
}

describe('symmetricEigen (Jacobi)', () => {
  it('reconstructs random symmetric matrices, with orthonormal vectors and descending values', () => {
    const rng = new Rng(11);
    for (const n of [1, 2, 3, 5, 8, 17, 40]) {
      for (let rep = 0; rep < 3; rep++) {
        const a = randomSymmetric(n, rng);
        const { recon, orth, values } = eigenErrors(a, n);
        assert.ok(recon < 1e-13, `n=${n}: reconstruction error ${recon}`);
        assert.ok(orth < 1e-13, `n=${n}: orthogonality error ${orth}`);
        for (let k = 1; k < n; k++) assert.ok(values[k - 1]! >= values[k]!, `n=${n}: values not sorted`);
        let trace = 0, sum = 0;
        for (let i = 0; i < n; i++) trace += a[i * n + i]!;
        for (const v of values) sum += v;
        assert.ok(Math.abs(trace - sum) < 1e-12 * n, `n=${n}: trace ${trace} vs Σλ ${sum}`);
      }
    }
  });

  it('recovers a known spectrum with repeated, zero, negative and widely spread eigenvalues', () => {
    const rng = new Rng(12);
    const spectra = [
      [5, 5, 5, 1, 1, 0, 0, -2],
      [1e6, 1, 1e-6, 0, 0, 0],
      [3, 3, 3, 3],
      [1 + 1e-12, 1, 1 - 1e-12, -1],
    ];
    for (const spec of spectra) {
      const n = spec.length;
      const a = withSpectrum(randomOrthogonal(n, rng), spec);
      const { recon, orth, values } = eigenErrors(a, n);
      assert.ok(recon < 1e-13 && orth < 1e-13, `spectrum ${spec}: recon ${recon}, orth ${orth}`);
      const sorted = [...spec].sort((x, y) => y - x);
      const scale = maxAbs(spec);
      sorted.forEach((e, k) => assert.ok(Math.abs(values[k]! - e) <= 1e-13 * scale, `spectrum ${spec}: λ${k} = ${values[k]}, expected ${e}`));
    }
  });

  it('handles a 2×2 in closed form, diagonal and zero matrices, and extreme scales', () => {
    const two = symmetricEigen([2, 1, 1, 2], 2);
    assert.deepEqual(Array.from(two.values).map((v) => Math.round(v * 1e12) / 1e12), [3, 1]);
    const s = Math.SQRT1_2;
    const v = Array.from(two.vectors);
    assert.ok(Math.abs(Math.abs(v[0]!) - s) < 1e-15 && Math.abs(v[0]! - v[2]!) < 1e-15, `top eigenvector ${v}`);
    const diag = symmetricEigen([1, 0, 0, 0, 7, 0, 0, 0, -3], 3);
    assert.deepEqual(Array.from(diag.values), [7, 1, -3]);
    assert.equal(diag.sweeps, 0);
    const zero = symmetricEigen(new Float64Array(9), 3);
    assert.deepEqual(Array.from(zero.values), [0, 0, 0]);
    assert.equal(symmetricEigen([], 0).values.length, 0);
    const rng = new Rng(13);
    for (const scale of [1e-200, 1e-150, 1e150, 1e200]) {
      const a = randomSymmetric(6, rng).map((x) => x * scale);
      const { recon, orth } = eigenErrors(a, 6);
      assert.ok(recon < 1e-13 && orth < 1e-13, `scale ${scale}: recon ${recon}, orth ${orth}`);
    }
  });

  it('decomposes rank-deficient Gram matrices (FᵀF and FFᵀ share their nonzero spectrum)', () => {
    const rng = new Rng(14);
    const n = 7, d = 12, r = 3;
    // F = L R with L n×r, R r×d: rank 3.
    const L = Float64Array.from({ length: n * r }, () => rng.normal());
    const R = Float64Array.from({ length: r * d }, () => rng.normal());
    const f = new Float64Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) for (let k = 0; k < r; k++) f[i * d + j] += L[i * r + k]! * R[k * d + j]!;
    const rows = gram(f, n, d, 'rows'), cols = gram(f, n, d, 'columns');
    const er = eigenErrors(rows, n), ec = eigenErrors(cols, d);
    assert.ok(er.recon < 1e-13 && ec.recon < 1e-13 && er.orth < 1e-13 && ec.orth < 1e-13);
    const top = ec.values[0]!;
    for (let k = 0; k < d; k++) {
      const expected = k < n ? er.values[k]! : 0;
      assert.ok(Math.abs(ec.values[k]! - expected) < 1e-12 * top, `λ${k}: FᵀF ${ec.values[k]} vs FFᵀ ${expected}`);
      if (k >= r) assert.ok(Math.abs(ec.values[k]!) < 1e-12 * top, `λ${k} = ${ec.values[k]} should vanish (rank ${r})`);
    }
  });

  it('converges on a larger matrix within a few sweeps', () => {
    const a = randomSymmetric(120, new Rng(15));
    const { recon, orth } = eigenErrors(a, 120);
    assert.ok(recon < 1e-12 && orth < 1e-12, `recon ${recon}, orth ${orth}`);
    assert.ok(symmetricEigen(a, 120).sweeps <= 12);
  });

  it('rejects non-finite, non-symmetric and mis-sized input', () => {
    assert.throws(() => symmetricEigen([1, NaN, NaN, 1], 2), (e: unknown) => e instanceof ArgumentError && /is NaN/.test(e.message));
    assert.throws(() => symmetricEigen([1, 2, 3, 1], 2), (e: unknown) => e instanceof ArgumentError && /not symmetric/.test(e.message));
    assert.throws(() => symmetricEigen([1, 2, 3], 2), (e: unknown) => e instanceof ArgumentError && /needs 4/.test(e.message));
  });
});
