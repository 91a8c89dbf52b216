// Transferability scores (LEEP, NCE, LogME, H-score) against a NumPy reference and closed forms; the Jacobi eigensolver.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  ArgumentError, Conv4, DTypeError, ImageArrayDataset, Module, Rng, ShapeError, collate, noGrad, randn, scoreCheckpoints, tensor,
  type Tensor,
} from '../src/index.js';
import { gram, symmetricEigen } from '../src/transfer/linalg.js';
import { hScore, leep, logme, nce } from '../src/transfer/transferability.js';
import { repoPath } from './helpers.js';

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

interface RefCase {
  labels: number[]; features: number[][]; probs: number[][]; regression: number[][];
  leep: number; nce: number; logme: number; logme_regression: number; hscore: number;
}

const matrix = (rows: readonly (readonly number[])[], dtype: 'float32' | 'float64' = 'float64'): Tensor =>
  tensor(rows.flat(), { shape: [rows.length, rows[0]!.length], dtype });
const labelsOf = (y: readonly number[]): Tensor => tensor(Int32Array.from(y), { shape: [y.length] });
const rel = (a: number, e: number): number => Math.abs(a - e) / Math.max(Math.abs(e), 1e-12);

/** Features [n, d] = class means (scaled by `signal`) + standard normal noise, as plain rows. */
function gaussianFeatures(y: readonly number[], d: number, signal: number, rng: Rng): number[][] {
  const C = Math.max(...y) + 1;
  const means = Array.from({ length: C }, () => Array.from({ length: d }, () => signal * rng.normal()));
  return y.map((c) => means[c]!.map((m) => m + rng.normal()));
}

/** −H(Y) of a label vector. */
function negEntropy(y: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const c of y) counts.set(c, (counts.get(c) ?? 0) + 1);
  let s = 0;
  for (const k of counts.values()) s += (k / y.length) * Math.log(k / y.length);
  return s;
}

describe('transferability scores against the NumPy reference (scripts/transferability_reference.py)', () => {
  const ref = JSON.parse(readFileSync(repoPath('test', 'fixtures', 'transferability.json'), 'utf8')) as { cases: Record<string, RefCase> };
  for (const [name, c] of Object.entries(ref.cases)) {
    it(`${name}: n = ${c.labels.length}, D = ${c.features[0]!.length}, Z = ${c.probs[0]!.length}`, () => {
      const y = labelsOf(c.labels), F = matrix(c.features), P = matrix(c.probs);
      const got = {
        leep: leep(P, y), nce: nce(P, y), logme: logme(F, y), logme_regression: logme(F, matrix(c.regression)),
        hscore: hScore(F, y),
      };
      for (const key of ['leep', 'nce', 'logme', 'logme_regression', 'hscore'] as const) {
        assert.ok(rel(got[key], c[key]) < 1e-9, `${name} ${key}: adaptlab ${got[key]}, NumPy ${c[key]} (relative error ${rel(got[key], c[key])})`);
      }
    });
  }
});

describe('LEEP (Nguyen et al. 2020)', () => {
  const C = 4, perClass = 5;
  const y = Array.from({ length: C * perClass }, (_, i) => i % C);
  /** Source probabilities 1 − ε on source class perm[y_i], ε/(Z − 1) on the others. */
  const soft = (eps: number, perm: readonly number[]): Tensor =>
    matrix(y.map((c) => Array.from({ length: C }, (_, z) => (z === perm[c] ? 1 - eps : eps / (C - 1)))));

  it('equals log((1 − ε)² + ε²/(C − 1)) on a source aligned with the target up to a relabelling', () => {
    for (const eps of [0, 0.1, 0.5, 0.75]) {
      const expected = Math.log((1 - eps) ** 2 + eps ** 2 / (C - 1));
      for (const perm of [[0, 1, 2, 3], [2, 0, 3, 1]]) {
        assert.ok(Math.abs(leep(soft(eps, perm), y) - expected) < 1e-12, `ε = ${eps}, perm ${perm}: ${leep(soft(eps, perm), y)} vs ${expected}`);
      }
    }
    assert.equal(leep(soft(0, [0, 1, 2, 3]), y), 0);
  });

  it('equals −H(Y) when every example gets the same source distribution, and never exceeds 0', () => {
    const yy = [0, 0, 0, 1, 2, 2];
    const same = matrix(yy.map(() => [0.2, 0.5, 0.3]));
    assert.ok(Math.abs(leep(same, yy) - negEntropy(yy)) < 1e-12);
    const rng = new Rng(21);
    const probs = matrix(yy.map(() => { const r = [rng.uniform(), rng.uniform(), rng.uniform()]; const s = r[0]! + r[1]! + r[2]!; return r.map((v) => v / s); }));
    assert.ok(leep(probs, yy) <= 0);
  });

  it('accepts float32 probabilities, an Int32Array or number[] of labels; rejects logits, bad labels and shapes', () => {
    const p = soft(0.1, [0, 1, 2, 3]);
    const v = leep(p, y);
    assert.ok(Math.abs(leep(matrix(p.toArray() as number[][], 'float32'), Int32Array.from(y)) - v) < 1e-6);
    assert.throws(() => leep(matrix(y.map(() => [2, -1, 0, 0])), y), (e: unknown) => e instanceof ArgumentError && /negative.*not logits/.test(e.message));
    assert.throws(() => leep(matrix(y.map(() => [2, 1, 0, 0])), y), (e: unknown) => e instanceof ArgumentError && /sums to 3/.test(e.message));
    assert.throws(() => leep(p, y.slice(1)), (e: unknown) => e instanceof ShapeError && /19 labels for 20 examples/.test(e.message));
    assert.throws(() => leep(p, tensor(y.map(Number), { shape: [y.length], dtype: 'float32' })), DTypeError);
    assert.throws(() => leep(p, y.map((c) => c - 1)), (e: unknown) => e instanceof ArgumentError && /targetLabels\[0\] = -1/.test(e.message));
    assert.throws(() => leep(tensor([0.5, 0.5]), [0, 1]), ShapeError);
  });
});

describe('NCE (Tran et al. 2019)', () => {
  it('is 0 when the source label determines the target label, −H(Y) when it is constant', () => {
    const y = [0, 1, 2, 0, 1, 2, 2];
    assert.equal(nce(y.map((c) => (c + 1) % 3), y), 0);
    assert.equal(nce([0, 1, 2, 0, 1, 3, 4], y), 0); // several source classes per target class
    assert.ok(Math.abs(nce(y.map(() => 5), y) - negEntropy(y)) < 1e-15);
  });

  it('equals the negative binary entropy on a symmetric 80/20 confusion', () => {
    const z: number[] = [], y: number[] = [];
    for (let k = 0; k < 10; k++) { z.push(0, 1); y.push(k < 8 ? 0 : 1, k < 8 ? 1 : 0); }
    const expected = 0.8 * Math.log(0.8) + 0.2 * Math.log(0.2);
    assert.ok(Math.abs(nce(z, y) - expected) < 1e-15, `${nce(z, y)} vs ${expected}`);
    assert.ok(Math.abs(nce(labelsOf(z), labelsOf(y)) - expected) < 1e-15);
  });

  it('gives the same value from probabilities, logits (argmax) and hard labels', () => {
    const rng = new Rng(22);
    const logits = Array.from({ length: 30 }, () => Array.from({ length: 5 }, () => 3 * rng.normal()));
    const y = logits.map((r, i) => (r.indexOf(Math.max(...r)) + (i % 3 === 0 ? 1 : 0)) % 4);
    const probs = logits.map((r) => { const m = Math.max(...r); const e = r.map((v) => Math.exp(v - m)); const s = e.reduce((a, b) => a + b); return e.map((v) => v / s); });
    const hard = logits.map((r) => r.indexOf(Math.max(...r)));
    const v = nce(hard, y);
    assert.equal(nce(matrix(logits), y), v);
    assert.equal(nce(matrix(probs, 'float32'), y), v);
    assert.ok(v < 0 && v > negEntropy(y));
    assert.throws(() => nce([0, 1], [0, 1, 1]), ShapeError);
  });
});

describe('LogME (You et al. 2021)', () => {
  const rng = new Rng(23);
  const y = Array.from({ length: 80 }, (_, i) => i % 4);

  it('is higher for features that carry the labels than for random features, and grows with the signal', () => {
    const scores = [0, 0.5, 1, 3].map((signal) => logme(matrix(gaussianFeatures(y, 16, signal, rng)), y));
    for (let k = 1; k < scores.length; k++) assert.ok(scores[k]! > scores[k - 1]!, `LogME by signal: ${scores}`);
  });

  it('on one-hot columns given as float regression targets equals the classification value, on both Gram sides', () => {
    for (const d of [12, 120]) { // n = 80 > 12 (FᵀF) and n < 120 (FFᵀ)
      const F = matrix(gaussianFeatures(y, d, 1, rng));
      const onehot = matrix(y.map((c) => [0, 1, 2, 3].map((k) => (k === c ? 1 : 0))));
      assert.ok(rel(logme(F, onehot), logme(F, y)) < 1e-12, `d = ${d}`);
    }
  });

  it('skips classes without examples, takes regression targets only as [n, K], and names degenerate inputs', () => {
    const F = matrix(gaussianFeatures(y, 6, 1, rng));
    const shifted = y.map((c) => (c === 0 ? 4 : c)); // classes 1..4, class 0 empty
    assert.ok(rel(logme(F, shifted), logme(F, y)) < 1e-12);
    const r = tensor(y.map((c) => c * 0.5 + 0.1), { shape: [y.length, 1], dtype: 'float64' });
    assert.ok(Number.isFinite(logme(F, r)));
    assert.throws(() => logme(F, r.reshape([y.length])), (e: unknown) => e instanceof DTypeError && /pass class indices as int32/.test(e.message));
    assert.throws(() => logme(matrix(y.map(() => [0, 0])), y), (e: unknown) => e instanceof ArgumentError && /all zero/.test(e.message));
    // Centred features are orthogonal to a constant column (a single class).
    assert.throws(() => logme(matrix([[1], [-1]]), [0, 0]), (e: unknown) => e instanceof ArgumentError && /class 0 is orthogonal/.test(e.message));
    assert.throws(() => logme(tensor([[1, 2]]), tensor([[1], [2]], { dtype: 'float64' })), ShapeError);
  });
});

describe('H-score (Bao et al. 2019)', () => {
  const rng = new Rng(24);
  const y = Array.from({ length: 60 }, (_, i) => i % 3);

  it('equals C − 1 when the features are the one-hot label (a singular covariance, through the pseudo-inverse)', () => {
    const onehot = y.map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0)));
    assert.ok(Math.abs(hScore(matrix(onehot), y) - 2) < 1e-12);
    assert.ok(Math.abs(hScore(matrix(onehot.map((r) => [...r, 7, r[0]! + r[1]!])), y) - 2) < 1e-12); // constant and dependent columns
    assert.equal(hScore(matrix(y.map(() => [1, 2])), y), 0);
  });

  it('is invariant to per-feature scaling, shifts and invertible linear maps, and lies in [0, C − 1]', () => {
    const F = gaussianFeatures(y, 5, 1, rng);
    const h = hScore(matrix(F), y);
    assert.ok(h > 0 && h < 2, `H = ${h}`);
    const scales = [1e-3, 2, 50, 1, 1e4], shift = [3, -1, 0, 100, 7];
    const scaled = F.map((r) => r.map((v, j) => v * scales[j]! + shift[j]!));
    const M = Array.from({ length: 5 }, () => Array.from({ length: 5 }, () => rng.normal()));
    const mapped = F.map((r) => M.map((_, j) => r.reduce((s, v, k) => s + v * M[k]![j]!, 0)));
    assert.ok(rel(hScore(matrix(scaled), y), h) < 1e-10, `scaled ${hScore(matrix(scaled), y)} vs ${h}`);
    assert.ok(rel(hScore(matrix(mapped), y), h) < 1e-10, `mapped ${hScore(matrix(mapped), y)} vs ${h}`);
    assert.ok(rel(hScore(matrix(F.map((r) => r.map((v) => v * 1e-8))), y), h) < 1e-10);
  });

  it('grows with the class signal', () => {
    const scores = [0, 1, 4].map((signal) => hScore(matrix(gaussianFeatures(y, 8, signal, rng)), y));
    for (let k = 1; k < scores.length; k++) assert.ok(scores[k]! > scores[k - 1]!, `H by signal: ${scores}`);
  });
});

/** A fixed linear source model: features = x W, source logits = features H. */
class LinearSource extends Module<[Tensor], Tensor> {
  constructor(w: Tensor, h: Tensor) {
    super();
    this.registerParameter('w', w.requiresGrad_());
    this.registerParameter('h', h.requiresGrad_());
  }
  features(x: Tensor): Tensor { return x.matmul(this.param('w')); }
  forward(x: Tensor): Tensor { return this.features(x).matmul(this.param('h')); }
}

describe('scoreCheckpoints', () => {
  const rng = new Rng(31);
  // Inputs: 4 dims that carry the class (3 classes), then 4 of noise.
  const y = Array.from({ length: 45 }, (_, i) => i % 3);
  const xRows = gaussianFeatures(y, 4, 3, rng).map((r) => [...r, ...Array.from({ length: 4 }, () => rng.normal())]);
  const x = matrix(xRows, 'float32');
  const select = (from: number): Tensor => tensor(Array.from({ length: 8 }, (_, i) => Array.from({ length: 4 }, (_, j) => (i === from + j ? 1 : 0))), { dtype: 'float32' });
  const head = randn([4, 5], new Rng(32));
  const informative = new LinearSource(select(0), head);
  const noise = new LinearSource(select(4), randn([4, 5], new Rng(32)));

  it('computes every score from the frozen outputs, in batches, and sorts the sources best first', () => {
    const rows = scoreCheckpoints([{ name: 'noise', model: noise }, { name: 'informative', model: informative }], { x, y: labelsOf(y) }, { batchSize: 7 });
    assert.deepEqual(rows.map((r) => r.name), ['informative', 'noise']);
    for (const r of rows) {
      const m = r.name === 'noise' ? noise : informative;
      const f = noGrad(() => m.features(x)), logits = noGrad(() => m.call(x));
      const probs = matrix((logits.toArray() as number[][]).map((row) => { const mx = Math.max(...row); const e = row.map((v) => Math.exp(v - mx)); const s = e.reduce((a, b) => a + b); return e.map((v) => v / s); }));
      // Logits of batches of 7 and of all 45 at once may differ in float32 rounding; the features are exact (0/1 weights).
      assert.ok(rel(r.leep!, leep(probs, y)) < 1e-6, `${r.name} leep ${r.leep} vs ${leep(probs, y)}`);
      assert.equal(r.nce, nce(logits, y));
      assert.ok(rel(r.logme!, logme(f, y)) < 1e-12, `${r.name} logme`);
      assert.ok(rel(r.hscore!, hScore(f, y)) < 1e-12, `${r.name} hscore`);
      assert.ok(r.seconds >= 0);
    }
    assert.ok(rows[0]!.logme! > rows[1]!.logme! && rows[0]!.hscore! > rows[1]!.hscore!);
    assert.equal(informative.param('w').grad, null);
  });

  it('uses a head on the features when given, null scores for a head-less source, and sorts nulls last', () => {
    const viaHead = scoreCheckpoints([{ name: 'a', model: informative, head: (f) => f.matmul(informative.param('h')) }], { x, y: Int32Array.from(y) });
    const viaCall = scoreCheckpoints([{ name: 'a', model: informative }], { x, y: Int32Array.from(y) });
    assert.deepEqual({ ...viaHead[0]!, seconds: 0 }, { ...viaCall[0]!, seconds: 0 });
    const rows = scoreCheckpoints(
      [{ name: 'headless', model: informative, head: null }, { name: 'noise', model: noise }], { x, y: y.slice() }, { metrics: ['leep', 'logme'], sortBy: 'leep' },
    );
    assert.deepEqual(rows.map((r) => [r.name, r.leep === null, 'nce' in r, 'hscore' in r]), [['noise', false, false, false], ['headless', true, false, false]]);
  });

  it('runs BatchNorm models in eval mode without touching running statistics, restoring train/eval flags; datasets and tensors agree', () => {
    const net = new Conv4({ rng: new Rng(33), hidden: 4, imageSize: 16, numClasses: 6 });
    net.child('classifier').eval(); // a mixed state, to be restored as it was
    // Non-trivial running statistics, so eval mode differs from batch statistics.
    for (const [name, b] of net.namedBuffers()) if (name.endsWith('running_mean')) b.copy_(randn(b.shape, new Rng(34)).mul(0.1));
    const before = net.stateDict();
    const snapshot = new Map(Object.entries(before).map(([k, v]) => [k, Float32Array.from(v.data as Float32Array)]));
    const n = 20, labels = Int32Array.from({ length: n }, (_, i) => i % 4);
    const pixels = Uint8Array.from({ length: n * 256 }, () => Math.floor(rng.uniform() * 256));
    const ds = new ImageArrayDataset(pixels, [n, 1, 16, 16], labels, ['a', 'b', 'c', 'd']);
    const fromDs = scoreCheckpoints([{ name: 'conv4', model: net, head: (f) => net.child('classifier').call(f) }], ds, { batchSize: 6 });
    assert.deepEqual(net.modules().map((m) => m.training), net.modules().map((m) => m !== net.child('classifier')));
    for (const [k, v] of Object.entries(net.stateDict())) assert.deepEqual(Float32Array.from(v.data as Float32Array), snapshot.get(k), `${k} changed`);
    const { x: xs, y: ys } = collate(ds, Array.from({ length: n }, (_, i) => i));
    const fromTensors = scoreCheckpoints([{ name: 'conv4', model: net }], { x: xs, y: ys }, { batchSize: 6 });
    for (const m of ['leep', 'nce', 'logme', 'hscore'] as const) assert.ok(rel(fromDs[0]![m]!, fromTensors[0]![m]!) < 1e-6, m);
    net.eval();
    const f = noGrad(() => net.features(xs));
    assert.ok(rel(fromDs[0]!.logme!, logme(f, labels)) < 1e-6 && rel(fromDs[0]!.hscore!, hScore(f, labels)) < 1e-6, 'scores of eval-mode features');
  });

  it('reports progress and rejects bad metrics, names and labels', () => {
    const seen: number[] = [];
    scoreCheckpoints([{ name: 'a', model: informative }], { x, y }, { batchSize: 20, metrics: ['nce'], onProgress: (p) => seen.push(p.done) });
    assert.deepEqual(seen, [20, 40, 45]);
    const src = [{ name: 'a', model: informative }];
    assert.throws(() => scoreCheckpoints(src, { x, y }, { metrics: ['leep', 'acc' as 'leep'] }), (e: unknown) => e instanceof ArgumentError && /unknown metric "acc" \(valid: leep, nce, logme, hscore\)/.test(e.message));
    assert.throws(() => scoreCheckpoints(src, { x, y }, { metrics: ['leep'], sortBy: 'logme' }), (e: unknown) => e instanceof ArgumentError && /sortBy "logme"/.test(e.message));
    assert.throws(() => scoreCheckpoints([...src, ...src], { x, y }), (e: unknown) => e instanceof ArgumentError && /two sources are named "a"/.test(e.message));
    assert.throws(() => scoreCheckpoints([], { x, y }), ArgumentError);
    assert.throws(() => scoreCheckpoints(src, { x, y: y.slice(1) }), ShapeError);
    assert.throws(() => scoreCheckpoints(src, { x, y: tensor(y, { dtype: 'float32' }) }), DTypeError);
    assert.throws(() => scoreCheckpoints(src, { x, y: y.map((c) => c + 0.5) }), (e: unknown) => e instanceof ArgumentError && /label 0 is 0.5/.test(e.message));
  });
});
