// Ranking source checkpoints for one target: the transferability scores of each frozen source model on the target data.
import { ArgumentError, DTypeError, ShapeError } from '../core/errors.js';
import { noGrad } from '../engine/autograd.js';
import { tensor } from '../engine/create.js';
import type { Tensor } from '../engine/tensor.js';
import type { Module } from '../nn/module.js';
import { batches, type ClassificationDataset } from '../data/dataset.js';
import type { Normalize } from '../data/transforms.js';
import { hScore, leep, logme, nce } from './transferability.js';

/** The four scores, by the names their papers use (and the CLI's `--metric`). Higher is better for each. */
export type TransferabilityMetric = 'leep' | 'nce' | 'logme' | 'hscore';
export const TRANSFERABILITY_METRICS: readonly TransferabilityMetric[] = ['leep', 'nce', 'logme', 'hscore'];

/**
 * A model with a representation: `features(x)` is [b, D] (further dims are flattened), `call(x)` the source-task
 * logits. Conv4, ResNet and any Module with a `features` method fit.
 */
export type FeatureModel = Pick<Module, 'call' | 'eval' | 'modules'> & { features(x: Tensor): Tensor };

/** A source checkpoint to score: a frozen model with a representation and (usually) its source-task classifier. */
export interface TransferSource {
  /** The row's label: a checkpoint path, a run name. */
  name: string;
  model: FeatureModel;
  /**
   * Source logits from the features, saving a second pass through the trunk — e.g.
   * `(f) => conv4.child('classifier').call(f)` or `(f) => resnet.child('fc').call(f)`. Omitted: `model.call(x)`.
   * `null` for a model without a source classifier (a self-supervised or head-less checkpoint): LEEP and NCE are
   * then null.
   */
  head?: ((features: Tensor) => Tensor) | null;
}

/** One source's scores; a metric that was not requested is absent, one the source cannot have (no head) is null. */
export interface TransferabilityRow {
  name: string;
  leep?: number | null;
  nce?: number | null;
  logme?: number | null;
  hscore?: number | null;
  /** Wall-clock seconds for this source: forward passes and scores. */
  seconds: number;
}

export interface ScoreCheckpointsOptions {
  /** Scores to compute (default all four). */
  metrics?: readonly TransferabilityMetric[];
  /** Sort rows by this score, best first, nulls last (default `logme` when computed, else the first metric). */
  sortBy?: TransferabilityMetric;
  /** Examples per forward pass (default 256). */
  batchSize?: number;
  /** Per-channel normalisation of a ClassificationDataset's images (as for training); ignored for tensors. */
  normalize?: Normalize;
  /** Called after every batch of every source (for a progress bar). */
  onProgress?: (p: { source: string; index: number; done: number; total: number }) => void;
}

/** Target data: a classification dataset, or inputs x [n, ...] with int labels y [n]. */
export type TransferTarget = ClassificationDataset | { x: Tensor; y: Tensor | ArrayLike<number> };

function isDataset(t: TransferTarget): t is ClassificationDataset {
  return 'labels' in t && 'get' in t && 'imageShape' in t;
}

/**
 * Score several source checkpoints on one target before any fine-tuning and rank them: for each source, run the
 * frozen model over the target inputs in eval mode under noGrad (BatchNorm uses its running statistics and does
 * not update them, dropout is off; each module's train/eval flag is restored afterwards), collect the features
 * and the source softmax, and compute LEEP (Nguyen et al. 2020) and NCE (Tran et al. 2019) from the source
 * predictions, LogME (You et al. 2021) and H-score (Bao et al. 2019) from the features — see the functions of
 * the same names. Rows come back sorted by `sortBy`, best first.
 *
 * Cost: besides the forward passes, LogME decomposes a min(n, D)² Gram matrix and H-score a D² covariance with
 * the Jacobi method (O(k³) per sweep, about 10 sweeps): milliseconds for D = 64, about 10 s each for D = 512.
 *
 * Throws ArgumentError for an empty source list, duplicate names, an unknown metric (listing the valid ones) or a
 * `sortBy` that is not computed; ShapeError when a model's features or logits are not [batch, …].
 * @example
 * const rows = scoreCheckpoints(
 *   paths.map((p) => ({ name: p, model: load(p), head: (f) => model.child('classifier').call(f) })),
 *   targetTrain, { metrics: ['logme', 'leep'] });
 */
export function scoreCheckpoints(sources: readonly TransferSource[], target: TransferTarget, opts: ScoreCheckpointsOptions = {}): TransferabilityRow[] {
  const metrics = opts.metrics ?? TRANSFERABILITY_METRICS;
  if (metrics.length === 0) throw new ArgumentError('scoreCheckpoints', `no metrics requested (valid: ${TRANSFERABILITY_METRICS.join(', ')})`);
  for (const m of metrics) {
    if (!TRANSFERABILITY_METRICS.includes(m)) throw new ArgumentError('scoreCheckpoints', `unknown metric "${m}" (valid: ${TRANSFERABILITY_METRICS.join(', ')})`);
  }
  const sortBy = opts.sortBy ?? (metrics.includes('logme') ? 'logme' : metrics[0]!);
  if (!metrics.includes(sortBy)) throw new ArgumentError('scoreCheckpoints', `sortBy "${sortBy}" is not among the computed metrics (${metrics.join(', ')})`);
  if (sources.length === 0) throw new ArgumentError('scoreCheckpoints', 'no sources to score');
  const seen = new Set<string>();
  for (const s of sources) {
    if (seen.has(s.name)) throw new ArgumentError('scoreCheckpoints', `two sources are named "${s.name}"`);
    seen.add(s.name);
  }
  const batchSize = opts.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ArgumentError('scoreCheckpoints', `batchSize must be a positive integer, got ${batchSize}`);
  const needProbs = metrics.includes('leep') || metrics.includes('nce');
  const needFeatures = metrics.includes('logme') || metrics.includes('hscore');

  const rows = sources.map((source, index): TransferabilityRow => {
    const start = performance.now();
    const out = frozenOutputs(source, index, target, batchSize, opts, needProbs);
    const row: TransferabilityRow = { name: source.name, seconds: 0 };
    if (metrics.includes('leep')) row.leep = out.probs ? leep(out.probs, out.labels) : null;
    if (metrics.includes('nce')) row.nce = out.probs ? nce(out.probs, out.labels) : null;
    if (needFeatures) {
      if (metrics.includes('logme')) row.logme = logme(out.features, out.labels);
      if (metrics.includes('hscore')) row.hscore = hScore(out.features, out.labels);
    }
    row.seconds = (performance.now() - start) / 1000;
    return row;
  });
  // Best first; nulls last; ties keep the input order (Array.prototype.sort is stable).
  return rows.sort((a, b) => {
    const va = a[sortBy] ?? null, vb = b[sortBy] ?? null;
    if (va === null || vb === null) return va === null ? (vb === null ? 0 : 1) : -1;
    return vb - va;
  });
}

/** The features [n, D] (the model's dtype), source softmax [n, Z] (float64, or null without a head) and labels. */
function frozenOutputs(
  source: TransferSource, index: number, target: TransferTarget, batchSize: number, opts: ScoreCheckpointsOptions, needProbs: boolean,
): { features: Tensor; probs: Tensor | null; labels: Int32Array } {
  const where = `scoreCheckpoints (${source.name})`;
  const model = source.model;
  const n = isDataset(target) ? target.length : target.x.shape[0] ?? 0;
  if (n < 1) throw new ArgumentError('scoreCheckpoints', 'the target has no examples');
  const labels = new Int32Array(n);
  let feats: Float32Array | Float64Array | null = null, probs: Float64Array | null = null;
  let D = 0, Z = 0, done = 0;
  const consume = (x: Tensor, y: ArrayLike<number>): void => {
    const b = x.shape[0]!;
    const f = model.features(x);
    if (f.ndim < 2 || f.shape[0] !== b) throw new ShapeError(where, `features of a batch of ${b} must be [${b}, ...]`, [f.shape]);
    if (feats === null) {
      D = f.numel() / b;
      feats = f.dtype === 'float64' ? new Float64Array(n * D) : new Float32Array(n * D);
    } else if (f.numel() !== b * D) {
      throw new ShapeError(where, `features have ${f.numel() / b} dims per example, the first batch had ${D}`, [f.shape]);
    }
    feats.set(f.data as ArrayLike<number>, done * D);
    const headFn = source.head;
    if (needProbs && headFn !== null) {
      const logits = headFn === undefined ? model.call(x) : headFn(f.ndim === 2 ? f : f.reshape([b, D]));
      if (logits.ndim !== 2 || logits.shape[0] !== b) throw new ShapeError(where, `source logits of a batch of ${b} must be [${b}, classes]`, [logits.shape]);
      if (probs === null) {
        Z = logits.shape[1]!;
        probs = new Float64Array(n * Z);
      } else if (logits.shape[1] !== Z) {
        throw new ShapeError(where, `source logits have ${logits.shape[1]} classes, the first batch had ${Z}`, [logits.shape]);
      }
      softmaxRows(logits.data as ArrayLike<number>, b, Z, probs, done * Z);
    }
    for (let i = 0; i < b; i++) {
      const v = y[i]!;
      if (!Number.isInteger(v) || v < 0) throw new ArgumentError('scoreCheckpoints', `target label ${done + i} is ${v}, not a class index`);
      labels[done + i] = v;
    }
    done += b;
    opts.onProgress?.({ source: source.name, index, done, total: n });
  };
  const modes = model.modules().map((m) => m.training);
  try {
    model.eval();
    noGrad(() => {
      if (isDataset(target)) {
        for (const { x, y } of batches(target, { batchSize, normalize: opts.normalize })) consume(x, y.data as Int32Array);
      } else {
        const { x, y } = target;
        if ('dtype' in y && y.dtype !== 'int32' && y.dtype !== 'uint8') throw new DTypeError('scoreCheckpoints', `target labels must be int32 class indices, got ${y.dtype}`);
        const yv: ArrayLike<number> = 'dtype' in y ? (y.data as ArrayLike<number>) : y;
        if (yv.length !== n) throw new ShapeError('scoreCheckpoints', `target has ${n} inputs and ${yv.length} labels`);
        for (let s = 0; s < n; s += batchSize) {
          const e = Math.min(n, s + batchSize);
          consume(x.slice(0, s, e), Array.prototype.slice.call(yv, s, e) as number[]);
        }
      }
    });
  } finally {
    model.modules().forEach((m, i) => { m.training = modes[i]!; });
  }
  const F = feats as Float32Array | Float64Array | null;
  return {
    features: tensor(F!, { shape: [n, D], dtype: F instanceof Float64Array ? 'float64' : 'float32' }),
    probs: probs === null ? null : tensor(probs as Float64Array, { shape: [n, Z], dtype: 'float64' }),
    labels,
  };
}

/** Row-wise softmax of a [b, Z] block of logits into out[offset…], in float64. */
function softmaxRows(logits: ArrayLike<number>, b: number, Z: number, out: Float64Array, offset: number): void {
  for (let i = 0; i < b; i++) {
    let max = -Infinity;
    for (let z = 0; z < Z; z++) max = Math.max(max, logits[i * Z + z]!);
    let s = 0;
    for (let z = 0; z < Z; z++) s += out[offset + i * Z + z] = Math.exp(logits[i * Z + z]! - max);
    for (let z = 0; z < Z; z++) out[offset + i * Z + z]! /= s;
  }
}
