// Transferability scores of a frozen source model on target data, before any fine-tuning: LEEP, NCE, LogME, H-score.
import { isFloat } from '../core/dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../core/errors.js';
import type { Tensor } from '../engine/tensor.js';
import { gram, symmetricEigen } from './linalg.js';

/** Target class indices 0..C−1, one per example: an int32 (or uint8) tensor [n], an Int32Array or a number[]. */
export type TargetLabels = Tensor | ArrayLike<number>;

/** A float matrix [n, d] as float64 values (the tensor's own array when it is already float64). */
function readMatrix(where: string, name: string, t: Tensor): { f: ArrayLike<number>; n: number; d: number } {
  if (!isFloat(t.dtype)) throw new DTypeError(where, `${name} must be a float tensor, got ${t.dtype}`);
  if (t.ndim !== 2) throw new ShapeError(where, `${name} must be 2-D [examples, dims]`, [t.shape]);
  const [n, d] = t.shape as [number, number];
  if (n < 1 || d < 1) throw new ShapeError(where, `${name} is empty`, [t.shape]);
  const data = t.data;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new ArgumentError(where, `${name}[${Math.floor(i / d)}, ${i % d}] is ${data[i]}`);
  }
  return { f: data instanceof Float64Array ? data : Float64Array.from(data), n, d };
}

/** Labels as an Int32Array of length n, and the number of classes C = max label + 1. */
function readLabels(where: string, name: string, labels: TargetLabels, n: number): { y: Int32Array; classes: number } {
  let values: ArrayLike<number>;
  if (isTensor(labels)) {
    if (labels.dtype !== 'int32' && labels.dtype !== 'uint8') throw new DTypeError(where, `${name} must be int32 class indices, got ${labels.dtype}`);
    if (labels.ndim !== 1) throw new ShapeError(where, `${name} must be 1-D [examples]`, [labels.shape]);
    values = labels.data;
  } else {
    values = labels;
  }
  if (values.length !== n) throw new ShapeError(where, `${name} has ${values.length} labels for ${n} examples`);
  const y = new Int32Array(n);
  let max = -1;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0) throw new ArgumentError(where, `${name}[${i}] = ${v} is not a class index (a non-negative integer)`);
    y[i] = v;
    if (v > max) max = v;
  }
  return { y, classes: max + 1 };
}

function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && 'dtype' in x && 'shape' in x && 'data' in x;
}

/**
 * LEEP, the log expected empirical prediction (Nguyen, Hassner, Seeger, Archambeau, "LEEP: A New Measure to
 * Evaluate Transferability of Learned Representations", ICML 2020). With θ(x) the source model's softmax over
 * its Z classes on the target inputs: P̂(y, z) = (1/n) Σ_{i: y_i = y} θ(x_i)_z, P̂(y | z) = P̂(y, z) / Σ_y P̂(y, z),
 * and LEEP = (1/n) Σ_i log Σ_z P̂(y_i | z) θ(x_i)_z — the average log-likelihood of the "dummy" classifier that
 * predicts the target label through the source label. At most 0; higher is better. A source class that receives
 * no probability on any example has no P̂(y | z) and contributes nothing.
 *
 * @param sourceProbs [n, Z] source-class probabilities (softmax, not logits: rows must sum to 1 within 1e-3)
 * @param targetLabels [n] target classes
 * @example leep(softmax(sourceLogits, -1), targetY)
 */
export function leep(sourceProbs: Tensor, targetLabels: TargetLabels): number {
  const { f: p, n, d: Z } = readMatrix('leep', 'sourceProbs', sourceProbs);
  const { y, classes: C } = readLabels('leep', 'targetLabels', targetLabels, n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let z = 0; z < Z; z++) {
      const v = p[i * Z + z]!;
      if (v < 0) throw new ArgumentError('leep', `sourceProbs[${i}, ${z}] = ${v} is negative; pass softmax probabilities, not logits`);
      s += v;
    }
    if (Math.abs(s - 1) > 1e-3) throw new ArgumentError('leep', `row ${i} of sourceProbs sums to ${s}, not 1; pass softmax probabilities, not logits`);
  }
  // n·P̂(y, z) and n·P̂(z); the factor n cancels in P̂(y | z).
  const joint = new Float64Array(C * Z), marginal = new Float64Array(Z);
  for (let i = 0; i < n; i++) {
    const o = y[i]! * Z;
    for (let z = 0; z < Z; z++) joint[o + z] += p[i * Z + z]!;
  }
  for (let c = 0; c < C; c++) for (let z = 0; z < Z; z++) marginal[z] += joint[c * Z + z]!;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const o = y[i]! * Z;
    let s = 0;
    for (let z = 0; z < Z; z++) {
      const pz = p[i * Z + z]!;
      if (pz > 0) s += (joint[o + z]! / marginal[z]!) * pz;
    }
    total += Math.log(s);
  }
  return total / n;
}

/**
 * NCE, the negative conditional entropy −H(Y | Z) of the target labels Y given the source model's hard labels Z
 * on the target inputs (Tran, Nguyen, Hassner, "Transferability and Hardness of Supervised Classification Tasks",
 * ICCV 2019): with empirical P̂(y, z) = #{i: y_i = y, z_i = z}/n, NCE = Σ_{y,z} P̂(y, z) log P̂(y | z). At most 0
 * (when each source label determines the target label); −H(Y) when Z says nothing about Y. Higher is better.
 *
 * @param source either the source model's outputs [n, Z] (probabilities or logits: z_i = argmax of row i, the
 *   first on ties) or its predicted labels [n] (an int tensor, Int32Array or number[])
 * @param targetLabels [n] target classes
 * @example nce(sourceLogits, targetY)
 */
export function nce(source: Tensor | ArrayLike<number>, targetLabels: TargetLabels): number {
  let z: Int32Array, Z: number, n: number;
  if (isTensor(source) && isFloat(source.dtype)) {
    const m = readMatrix('nce', 'source', source);
    n = m.n;
    Z = m.d;
    z = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let k = 1; k < Z; k++) if (m.f[i * Z + k]! > m.f[i * Z + best]!) best = k;
      z[i] = best;
    }
  } else {
    n = isTensor(source) ? source.shape[0] ?? 0 : source.length;
    if (n < 1) throw new ShapeError('nce', 'source has no examples');
    ({ y: z, classes: Z } = readLabels('nce', 'source labels', source, n));
  }
  const { y, classes: C } = readLabels('nce', 'targetLabels', targetLabels, n);
  const joint = new Float64Array(C * Z), marginal = new Float64Array(Z);
  for (let i = 0; i < n; i++) {
    joint[y[i]! * Z + z[i]!]++;
    marginal[z[i]!]++;
  }
  let s = 0;
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < Z; k++) {
      const j = joint[c * Z + k]!;
      if (j > 0) s += j * Math.log(j / marginal[k]!);
    }
  }
  return s / n;
}

/**
 * LogME, the logarithm of maximum evidence (You, Liu, Wang, Long, "LogME: Practical Assessment of Pre-trained
 * Models for Transfer Learning", ICML 2021): how well a Bayesian linear model on the frozen features F [n, D]
 * explains each target column y — y = Fw + ε, w ~ N(0, α⁻¹I), ε ~ N(0, β⁻¹I) — with α and β set to maximise the
 * evidence. For classification the columns are the one-vs-rest indicators of each class (a class without
 * examples has no column); a float tensor [n, K] of regression targets gives one column each.
 *
 * As in §1 of the shared REFERENCE: from the eigendecomposition of FᵀF or FFᵀ (whichever is smaller; s_i² its
 * eigenvalues, x = Uᵀy), t = α/β, starting at α = β = 1 and at most 11 times:
 * γ = Σ s_i²/(s_i² + t), mᵀm = Σ s_i² x_i²/(t + s_i²)², ‖Fm − y‖² = Σ x_i²/(1 + s_i²/t)² + (‖y‖² − ‖x‖²),
 * α ← γ/mᵀm, β ← (n − γ)/‖Fm − y‖², stopping once t changes by less than 1e-3 relative. Then
 * L = (n/2) log β + (D/2) log α − (n/2) log 2π − (β/2)‖Fm − y‖² − (α/2) mᵀm − (1/2) log|αI + βFᵀF|, with mᵀm and
 * ‖Fm − y‖² evaluated at the final α, β, and log|αI + βFᵀF| = Σ_i log(α + β s_i²) + (D − k) log α for the
 * k = min(n, D) eigenvalues. LogME = the mean over columns of L/n. Higher is better.
 *
 * Differences from the authors' code (thuml/LogME): it adds 1e-5 to the denominators of the α, β updates,
 * evaluates L with mᵀm and ‖Fm − y‖² of the last iteration's t rather than the final one, and leaves out the
 * (D − k) log α of the zero eigenvalues when D > n; the values differ slightly.
 *
 * Throws ArgumentError when the features are all zero or a column has no evidence maximum (orthogonal to every
 * feature — one class on centred features — or fit exactly), DTypeError for 1-D float targets.
 *
 * @param features [n, D] frozen features of the target inputs (not centred or scaled here)
 * @param targets [n] target classes, or a float tensor [n, K] of regression targets
 * @example logme(model.features(x), y)
 */
export function logme(features: Tensor, targets: TargetLabels): number {
  const { f, n, d } = readMatrix('logme', 'features', features);
  // The target columns y, with ‖y‖².
  const columns: { name: string; y: Float64Array; ySq: number }[] = [];
  if (isTensor(targets) && isFloat(targets.dtype)) {
    if (targets.ndim !== 2) {
      throw new DTypeError('logme', `float targets must be regression targets [n, K], got shape [${targets.shape.join(',')}]; pass class indices as int32`);
    }
    const t = readMatrix('logme', 'targets', targets);
    if (t.n !== n) throw new ShapeError('logme', `targets has ${t.n} rows for ${n} examples`, [features.shape, targets.shape]);
    for (let k = 0; k < t.d; k++) {
      const y = new Float64Array(n);
      let ySq = 0;
      for (let i = 0; i < n; i++) ySq += (y[i] = t.f[i * t.d + k]!) ** 2;
      columns.push({ name: `targets column ${k}`, y, ySq });
    }
  } else {
    const { y: labels, classes } = readLabels('logme', 'targets', targets, n);
    for (let c = 0; c < classes; c++) {
      const y = new Float64Array(n);
      let count = 0;
      for (let i = 0; i < n; i++) if (labels[i] === c) { y[i] = 1; count++; }
      if (count > 0) columns.push({ name: `class ${c}`, y, ySq: count });
    }
  }
  if (columns.length === 0) throw new ArgumentError('logme', 'targets has no columns');
  const byColumns = n > d; // decompose the smaller Gram matrix
  const k = byColumns ? d : n;
  const { values, vectors } = symmetricEigen(gram(f, n, d, byColumns ? 'columns' : 'rows'), k);
  const sigma = values.map((v) => Math.max(v, 0));
  if (sigma[0] === 0) throw new ArgumentError('logme', 'features are all zero');
  let total = 0;
  for (const col of columns) {
    // g_i = s_i x_i = v_iᵀ Fᵀ y: a form that needs no division by s_i, so zero singular values are harmless.
    const g2 = new Float64Array(k);
    let x2: Float64Array | null = null;
    if (byColumns) {
      const fty = new Float64Array(d);
      for (let i = 0; i < n; i++) {
        const yi = col.y[i]!;
        if (yi !== 0) for (let j = 0; j < d; j++) fty[j] += f[i * d + j]! * yi;
      }
      for (let q = 0; q < k; q++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += vectors[j * k + q]! * fty[j]!;
        g2[q] = s * s;
      }
    } else {
      // U is complete (n×n), so ‖y‖² = ‖x‖² and the residual is Σ x_i² t²/(t + s_i²)² without cancellation.
      x2 = new Float64Array(k);
      for (let q = 0; q < k; q++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += vectors[i * k + q]! * col.y[i]!;
        x2[q] = s * s;
        g2[q] = sigma[q]! * s * s;
      }
    }
    total += columnEvidence(sigma, g2, x2, col.ySq, n, d, col.name) / n;
  }
  return total / columns.length;
}

/** The LogME fixed point and the log evidence L of one target column (see logme). */
function columnEvidence(sigma: Float64Array, g2: Float64Array, x2: Float64Array | null, ySq: number, n: number, d: number, name: string): number {
  const k = sigma.length;
  const stats = (t: number): { gamma: number; m2: number; res2: number } => {
    let gamma = 0, m2 = 0, acc = 0;
    for (let q = 0; q < k; q++) {
      const s = sigma[q]!, den = t + s, den2 = den * den;
      gamma += s / den;
      m2 += g2[q]! / den2;
      // ‖Fm − y‖² = ‖y‖² − Σ g_i² (s_i² + 2t)/(t + s_i²)² (FᵀF side) or Σ x_i² t²/(t + s_i²)² (FFᵀ side).
      acc += x2 ? (x2[q]! * t * t) / den2 : (g2[q]! * (s + 2 * t)) / den2;
    }
    return { gamma, m2, res2: x2 ? acc : ySq - acc };
  };
  let alpha = 1, beta = 1;
  for (let it = 0; it < 11; it++) {
    const t = alpha / beta;
    const { gamma, m2, res2 } = stats(t);
    if (!(m2 > 0)) throw new ArgumentError('logme', `${name} is orthogonal to every feature: its evidence has no maximum`);
    if (!(res2 > 0)) throw new ArgumentError('logme', `${name} is fit exactly by the features: its evidence has no maximum`);
    alpha = gamma / m2;
    beta = (n - gamma) / res2;
    if (Math.abs(alpha / beta - t) / t < 1e-3) break;
  }
  const { m2, res2 } = stats(alpha / beta);
  let logDet = (d - k) * Math.log(alpha);
  for (let q = 0; q < k; q++) logDet += Math.log(alpha + beta * sigma[q]!);
  return (n / 2) * Math.log(beta) + (d / 2) * Math.log(alpha) - (n / 2) * Math.log(2 * Math.PI) - (beta / 2) * res2 - (alpha / 2) * m2 - logDet / 2;
}

/**
 * H-score (Bao, Li, Huang, Zheng, Zhao, Tong, "An Information-Theoretic Approach to Transferability in Task
 * Transfer Learning", ICIP 2019): H(f) = tr(cov(f(X))⁻¹ cov(E[f(X) | Y])) — how much of the features' variance
 * lies between the target classes' means, in the metric of the features' own covariance. Both covariances use
 * 1/n (the factor cancels). Lies in [0, min(rank, C − 1)]; C − 1 when the features are a function of the label.
 * Higher is better.
 *
 * Singular covariances (dead units, collinear features, D ≥ n) are inverted by the Moore–Penrose pseudo-inverse,
 * which keeps H-score invariant to invertible affine maps of the features (scaling, rotation, shift):
 * tr(C⁺ C_between) is the between-class variance projected on the features' row space, where C_between lies.
 * The score is therefore computed on per-feature standardised features (constant features dropped; only
 * constant features score 0) — the same value in exact arithmetic, but features on very different scales do
 * not lose directions to the cutoff — and the pseudo-inverse drops eigenvalues of that covariance below
 * `rcond`·λ_max (default max(n, D)·ε, numpy's matrix_rank tolerance).
 *
 * With D close to n the sample covariance is ill-conditioned and the score drifts towards its upper bound;
 * shrinkage estimators of cov(f) (Ibrahim, Ponomareva, Mazumder, ECML-PKDD 2022) are not implemented.
 *
 * @param features [n, D] frozen features of the target inputs
 * @param targetLabels [n] target classes
 * @example hScore(model.features(x), y)
 */
export function hScore(features: Tensor, targetLabels: TargetLabels, opts: { rcond?: number } = {}): number {
  const { f, n, d } = readMatrix('hScore', 'features', features);
  const { y, classes: C } = readLabels('hScore', 'targetLabels', targetLabels, n);
  const rcond = opts.rcond ?? Math.max(n, d) * Number.EPSILON;
  if (!(rcond >= 0)) throw new ArgumentError('hScore', `rcond must be non-negative, got ${rcond}`);
  // Standardise each non-constant feature; the kept ones are columns `keep` of f.
  const keep: number[] = [];
  for (let j = 0; j < d; j++) {
    let lo = f[j]!, hi = lo;
    for (let i = 1; i < n; i++) { const v = f[i * d + j]!; if (v < lo) lo = v; if (v > hi) hi = v; }
    if (hi > lo) keep.push(j);
  }
  if (keep.length === 0) return 0;
  const D = keep.length;
  const centred = new Float64Array(n * D);
  keep.forEach((j, k) => {
    let mean = 0, ss = 0;
    for (let i = 0; i < n; i++) mean += f[i * d + j]!;
    mean /= n;
    for (let i = 0; i < n; i++) ss += (f[i * d + j]! - mean) ** 2;
    const sd = Math.sqrt(ss / n);
    for (let i = 0; i < n; i++) centred[i * D + k] = (f[i * d + j]! - mean) / sd;
  });
  const cov = gram(centred, n, D, 'columns').map((v) => v / n);
  const { values, vectors } = symmetricEigen(cov, D);
  // Class means, centred: δ_c = μ_c − μ, weighted by n_c/n in cov(E[f | Y]) = Σ_c (n_c/n) δ_c δ_cᵀ.
  const counts = new Float64Array(C), delta = new Float64Array(C * D);
  for (let i = 0; i < n; i++) {
    counts[y[i]!]++;
    for (let j = 0; j < D; j++) delta[y[i]! * D + j] += centred[i * D + j]!;
  }
  for (let c = 0; c < C; c++) if (counts[c]! > 0) for (let j = 0; j < D; j++) delta[c * D + j] /= counts[c]!;
  const cutoff = rcond * values[0]!;
  let score = 0;
  for (let q = 0; q < D; q++) {
    const lambda = values[q]!;
    if (lambda <= cutoff) break; // values are descending
    let between = 0;
    for (let c = 0; c < C; c++) {
      if (counts[c] === 0) continue;
      let proj = 0;
      for (let j = 0; j < D; j++) proj += vectors[j * D + q]! * delta[c * D + j]!;
      between += counts[c]! * proj * proj;
    }
    score += between / n / lambda;
  }
  return score;
}

/** Spearman's rank correlation (average ranks for ties); null with fewer than 3 pairs or a constant side. */
export function spearman(a: readonly number[], b: readonly number[]): number | null {
  if (a.length !== b.length) throw new ArgumentError('spearman', `${a.length} and ${b.length} values`);
  if (a.length < 3) return null;
  const ranks = (v: readonly number[]): number[] => {
    const order = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(v.length);
    for (let i = 0; i < order.length;) {
      let j = i;
      while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
      for (let k = i; k <= j; k++) r[order[k]![1]] = (i + j) / 2 + 1;
      i = j + 1;
    }
    return r;
  };
  const ra = ranks(a), rb = ranks(b);
  const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = mean(ra), mb = mean(rb);
  let num = 0, da = 0, db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i]! - ma) * (rb[i]! - mb);
    da += (ra[i]! - ma) ** 2;
    db += (rb[i]! - mb) ** 2;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : null;
}

