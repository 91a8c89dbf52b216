// Neural-network functions composed from primitives: activations, normalisation, dropout, losses, distances.
import { isGradEnabled, noGrad, record } from '../autograd.js';
import { allocate, isFloat, type FloatArray } from '../../core/dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../../core/errors.js';
import type { Rng } from '../rng.js';
import { fmt, normAxis, shapeEq } from '../../core/shape.js';
import { Tensor } from '../tensor.js';
import { empty, kernels, requireFloat } from './core.js';
import type { PrimParams } from '../prims.js';
import {
  abs, add, cast, div, erf, exp, gt, log, maximum, minimum, mul, ne, neg, relu, sigmoid, sqrt, sub, tanh, where,
} from './elementwise.js';
import { matmulPrim } from './linalg.js';
import { logSoftmax, mean, softmax, sum } from './reduce.js';
import { gather, indexSelect, oneHot, reshape, unsqueeze } from './shape.js';

export { relu, sigmoid, tanh };

/** max(0, x) + slope · min(0, x). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return where(gt(x, 0), x, mul(x, negativeSlope));
}

/** ELU (Clevert et al. 2016): x for x > 0, α(eˣ − 1) otherwise. */
export function elu(x: Tensor, alpha = 1): Tensor {
  return where(gt(x, 0), x, mul(sub(exp(minimum(x, 0)), 1), alpha));
}

/** GELU (Hendrycks & Gimpel 2016), exact erf form or the tanh approximation. */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  if (approximate === 'tanh') {
    const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
    return mul(mul(x, 0.5), add(tanh(inner), 1));
  }
  return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}

/** softplus(x) = (1/β) log(1 + exp(βx)), linear above `threshold` as in PyTorch. */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  const bx = beta === 1 ? x : mul(x, beta);
  // log(1 + e^z) = max(z, 0) + log(1 + e^{-|z|})
  const sp = add(relu(bx), log(add(exp(neg(abs(bx))), 1)));
  const soft = beta === 1 ? sp : div(sp, beta);
  return where(gt(bx, threshold), x, soft);
}

/** SiLU / swish: x · σ(x). */
export function silu(x: Tensor): Tensor {
  return mul(x, sigmoid(x));
}

/**
 * Inverted dropout: zero each element with probability p and scale the rest by 1/(1−p); identity in eval.
 * The mask comes from the explicit `rng`.
 */
export function dropout(x: Tensor, p: number, rng: Rng, training = true): Tensor {
  if (!(p >= 0 && p <= 1)) throw new ArgumentError('dropout', `p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  if (p === 1) return mul(x, 0);
  const mask = empty(x.shape, isFloat(x.dtype) ? x.dtype : 'float32');
  const scale = 1 / (1 - p);
  for (let i = 0; i < mask.data.length; i++) mask.data[i] = rng.uniform() < p ? 0 : scale;
  return mul(x, mask);
}

export interface BatchNormOptions {
  training: boolean;
  momentum?: number | null;
  eps?: number;
  /** batches seen so far (for momentum null: cumulative moving average); incremented in place */
  numBatchesTracked?: Tensor | null;
}

function bnView(x: Tensor): [number, number, number] {
  const n = x.shape[0]!, c = x.shape[1]!;
  return [n, c, n * c === 0 ? 0 : x.numel() / (n * c)];
}

/**
 * Primitive: training-mode batch norm with batch statistics, fused (one kernel forward, one backward).
 * Returns the output and the per-channel batch mean and 1/√(var + eps).
 */
export function batchNormTrainPrim(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number): { y: Tensor; mean: FloatArray; invstd: FloatArray } {
  const [n, c, hw] = bnView(x);
  const w = weight && weight.dtype !== x.dtype ? cast(weight, x.dtype) : weight;
  const b = bias && bias.dtype !== x.dtype ? cast(bias, x.dtype) : bias;
  const out = empty(x.shape, x.dtype);
  const mean = allocate(x.dtype, c) as FloatArray, invstd = allocate(x.dtype, c) as FloatArray;
  kernels().batchNormTrainForward(x.data as FloatArray, (w?.data ?? null) as FloatArray | null, (b?.data ?? null) as FloatArray | null, n, c, hw, eps, out.data as FloatArray, mean, invstd);
  const inputs = [x, ...(w ? [w] : []), ...(b ? [b] : [])];
  const y = record('batchNormTrain', inputs, { eps, hasWeight: !!w, hasBias: !!b, mean, invstd }, out);
  return { y, mean, invstd };
}

/**
 * Gradients of batchNormTrain: the fused kernel when the backward pass is not recorded, otherwise the
 * same formulas composed from ops (so MAML can differentiate through them):
 * x̂ = (x − μ)/σ, gb = Σg, gw = Σ g·x̂, gx = (w/σ)·(g − mean(g) − x̂·mean(g·x̂)).
 * @internal used by the derivative table
 */
export function batchNormTrainGrads(g: Tensor, inputs: readonly Tensor[], p: PrimParams['batchNormTrain'], needs: boolean[]): (Tensor | null)[] {
  const x = inputs[0]!;
  const w = p.hasWeight ? inputs[1]! : null;
  const [n, c, hw] = bnView(x);
  const wantX = needs[0]!, wantW = p.hasWeight && needs[1]!, wantB = p.hasBias && needs[p.hasWeight ? 2 : 1]!;
  if (!isGradEnabled()) {
    const dx = empty(x.shape, x.dtype);
    const dw = wantW ? empty([c], x.dtype) : null, db = wantB ? empty([c], x.dtype) : null;
    kernels().batchNormBackward(x.data as FloatArray, (g.dtype === x.dtype ? g : cast(g, x.dtype)).data as FloatArray, p.mean, p.invstd,
      (w?.data ?? null) as FloatArray | null, n, c, hw, dx.data as FloatArray, (dw?.data ?? null) as FloatArray | null, (db?.data ?? null) as FloatArray | null);
    return [wantX ? dx : null, ...(p.hasWeight ? [dw] : []), ...(p.hasBias ? [db] : [])];
  }
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
  const m = mean(x, axes, true);
  const d = sub(x, m);
  const inv = div(1, sqrt(add(mean(mul(d, d), axes, true), p.eps)));
  const xhat = mul(d, inv);
  const gxhat = mul(g, xhat);
  let gx: Tensor | null = null;
  if (wantX) {
    const scale = w ? mul(reshape(w, bshape), inv) : inv;
    gx = mul(scale, sub(sub(g, mean(g, axes, true)), mul(xhat, mean(gxhat, axes, true))));
  }
  return [gx, ...(p.hasWeight ? [wantW ? sum(gxhat, axes) : null] : []), ...(p.hasBias ? [wantB ? sum(g, axes) : null] : [])];
}

/**
 * Batch normalisation (Ioffe & Szegedy 2015) over all dims but 1. Training uses batch statistics (a fused
 * primitive, differentiable to any order) and, when running buffers are given, updates them in place
 * (unbiased variance, momentum 0.1 by default); eval uses the running statistics.
 */
export function batchNorm(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null, bias: Tensor | null,
  opts: BatchNormOptions,
): Tensor {
  requireFloat('batchNorm', x);
  if (x.ndim < 2) throw new ShapeError('batchNorm', 'input needs at least 2 dims [N, C, ...]', [x.shape]);
  const c = x.shape[1]!;
  const eps = opts.eps ?? 1e-5;
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
  for (const [name, t] of [['runningMean', runningMean], ['runningVar', runningVar], ['weight', weight], ['bias', bias]] as const) {
    if (t && (t.ndim !== 1 || t.shape[0] !== c)) throw new ShapeError('batchNorm', `${name} must be [${c}]`, [x.shape, t.shape]);
  }
  if (opts.training) {
    const count = x.numel() / c;
    if (count <= 1) throw new ShapeError('batchNorm', `expected more than 1 value per channel when training, got input ${fmt(x.shape)}`, [x.shape]);
    const { y, mean: md, invstd } = batchNormTrainPrim(x, weight, bias, eps);
    if (runningMean && runningVar) {
      let mom = opts.momentum === undefined ? 0.1 : opts.momentum;
      if (opts.numBatchesTracked) {
        opts.numBatchesTracked.data[0]! += 1;
        opts.numBatchesTracked._bumpVersion();
        if (mom === null) mom = 1 / opts.numBatchesTracked.data[0]!;
      }
      if (mom === null) mom = 0.1;
      const rm = runningMean.data, rv = runningVar.data;
      const unbias = count / (count - 1);
      for (let i = 0; i < c; i++) {
        const varBiased = 1 / (invstd[i]! * invstd[i]!) - eps;
        rm[i] = (1 - mom) * rm[i]! + mom * md[i]!;
        rv[i] = (1 - mom) * rv[i]! + mom * varBiased * unbias;
      }
      runningMean._bumpVersion();
      runningVar._bumpVersion();
    }
    return y;
  }
  if (!runningMean || !runningVar) throw new ArgumentError('batchNorm', 'eval mode needs running statistics');
  let y = mul(sub(x, reshape(runningMean, bshape)), reshape(div(1, sqrt(add(runningVar, eps))), bshape));
  if (weight) y = mul(y, reshape(weight, bshape));
  if (bias) y = add(y, reshape(bias, bshape));
  return y;
}

/** Layer normalisation (Ba et al. 2016) over the trailing `normalizedShape` dims. */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  requireFloat('layerNorm', x);
  const k = normalizedShape.length;
  if (k === 0 || k > x.ndim || !shapeEq(x.shape.slice(x.ndim - k), normalizedShape)) {
    throw new ShapeError('layerNorm', `trailing dims must equal normalizedShape ${fmt(normalizedShape)}`, [x.shape]);
  }
  const axes = normalizedShape.map((_, i) => x.ndim - k + i);
  const m = mean(x, axes, true);
  const d = sub(x, m);
  const v = mean(mul(d, d), axes, true);
  let y = mul(d, div(1, sqrt(add(v, eps))));
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}

/** Rows of `weight` picked by int32 indices of any shape: [..., dim]. */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  if (indices.dtype !== 'int32') throw new DTypeError('embedding', `indices must be int32, got ${indices.dtype}`);
  const flat = reshape(indices, [indices.numel()]);
  return reshape(indexSelect(weight, 0, flat), [...indices.shape, weight.shape[1]!]);
}

export type Reduction = 'mean' | 'sum' | 'none';

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'mean') return mean(loss);
  if (reduction === 'sum') return sum(loss);
  if (reduction === 'none') return loss;
  throw new ArgumentError('loss', `reduction must be mean, sum or none, got ${String(reduction)}`);
}

export interface NllOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
  ignoreIndex?: number;
}

/** Move the class dim (1) last and flatten: [N, C, d...] → [N·d..., C]; targets [N, d...] → [N·d...]. */
function classLast(op: string, input: Tensor, target: Tensor): [Tensor, Tensor, number[]] {
  if (input.ndim < 1) throw new ShapeError(op, 'input needs a class dim', [input.shape]);
  if (input.ndim === 1) return [unsqueeze(input, 0), reshape(target, [1]), []];
  const c = input.shape[1]!;
  const expected = [input.shape[0]!, ...input.shape.slice(2)];
  if (!shapeEq(target.shape, expected)) throw new ShapeError(op, `target shape must be ${fmt(expected)} for input ${fmt(input.shape)}`, [input.shape, target.shape]);
  if (input.ndim === 2) return [input, target, expected];
  const perm = [0, ...input.shape.slice(2).map((_, i) => i + 2), 1];
  return [reshape(input.permute(perm), [-1, c]), reshape(target, [-1]), expected];
}

/**
 * Negative log-likelihood of int32 class targets given log-probabilities [N, C] (or [N, C, d...]).
 * With class weights, the mean divides by the summed weights of the targets, as PyTorch does.
 */
export function nllLoss(logProbs: Tensor, target: Tensor, opts: NllOptions = {}): Tensor {
  requireFloat('nllLoss', logProbs);
  if (target.dtype !== 'int32') throw new DTypeError('nllLoss', `target must be int32 class indices, got ${target.dtype} of shape ${fmt(target.shape)}`);
  const [lp, tg, outShape] = classLast('nllLoss', logProbs, target);
  const c = lp.shape[1]!;
  const ignore = opts.ignoreIndex ?? -100;
  const keep = ne(tg, ignore);
  const safe = noGrad(() => where(keep, tg, 0));
  for (let i = 0; i < safe.data.length; i++) {
    const v = safe.data[i]!;
    if (v < 0 || v >= c) throw new ArgumentError('nllLoss', `target ${v} at position ${i} is outside [0, ${c})`);
  }
  const picked = reshape(gather(lp, 1, reshape(safe, [-1, 1])), [-1]);
  let w: Tensor = cast(keep, lp.dtype);
  if (opts.weight) {
    if (opts.weight.ndim !== 1 || opts.weight.shape[0] !== c) throw new ShapeError('nllLoss', `weight must be [${c}]`, [lp.shape, opts.weight.shape]);
    w = mul(w, gather(cast(opts.weight, lp.dtype), 0, safe));
  }
  const losses = mul(neg(picked), w);
  const reduction = opts.reduction ?? 'mean';
  if (reduction === 'mean') return div(sum(losses), sum(w));
  if (reduction === 'sum') return sum(losses);
  return reshape(losses, outShape);
}

/**
 * Primitive: per-row cross-entropy of logits [n, c] with int32 targets [n] in one fused kernel
 * (0 for rows whose target is ignoreIndex).
 */
export function softmaxCrossEntropyPrim(logits: Tensor, targets: Tensor, ignoreIndex: number): Tensor {
  const [n, c] = logits.shape as [number, number];
  const t = targets.data as Int32Array;
  for (let i = 0; i < n; i++) {
    if (t[i] !== ignoreIndex && (t[i]! < 0 || t[i]! >= c)) throw new ArgumentError('crossEntropy', `target ${t[i]} at position ${i} is outside [0, ${c})`);
  }
  const loss = empty([n], logits.dtype);
  const prob = allocate(logits.dtype, n * c) as FloatArray;
  kernels().softmaxCrossEntropy(logits.data as FloatArray, t, n, c, ignoreIndex, loss.data as FloatArray, prob);
  return record('softmaxCrossEntropy', [logits, targets], { ignoreIndex, prob }, loss);
}

/**
 * Gradient of softmaxCrossEntropy: (softmax − onehot(target))·g per row. The fused kernel serves passes that
 * are not recorded; a recorded pass composes it from the softmax primitive so it can be differentiated again.
 * @internal used by the derivative table
 */
export function softmaxCrossEntropyGrad(g: Tensor, logits: Tensor, targets: Tensor, p: PrimParams['softmaxCrossEntropy']): Tensor {
  const [n, c] = logits.shape as [number, number];
  if (!isGradEnabled()) {
    const d = empty(logits.shape, logits.dtype);
    const gl = g.dtype === logits.dtype ? g : cast(g, logits.dtype);
    kernels().softmaxCrossEntropyBackward(p.prob, targets.data as Int32Array, n, c, p.ignoreIndex, gl.data as FloatArray, d.data as FloatArray);
    return d;
  }
  const keep = ne(targets, p.ignoreIndex);
  const onehot = oneHot(noGrad(() => where(keep, targets, 0)), c);
  const rows = mul(g, cast(keep, g.dtype));
  return mul(sub(softmax(logits, 1), cast(onehot, logits.dtype)), unsqueeze(rows, 1));
}

export interface CrossEntropyOptions extends NllOptions {
  labelSmoothing?: number;
}

/**
 * Cross-entropy from logits [N, C] (or [N, C, d...]) with int32 class targets, or float class
 * probabilities of the logits' shape. Label smoothing and class weights follow torch.nn.functional.cross_entropy.
 * @example crossEntropy(model.call(x), y, { labelSmoothing: 0.1 })
 */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  requireFloat('crossEntropy', logits);
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new ArgumentError('crossEntropy', `labelSmoothing must be in [0, 1], got ${eps}`);
  const reduction = opts.reduction ?? 'mean';
  const classAxis = logits.ndim === 1 ? 0 : 1;
  const c = logits.shape[classAxis]!;
  if (isFloat(target.dtype)) {
    const lp = logSoftmax(logits, classAxis);
    if (!shapeEq(target.shape, logits.shape)) {
      throw new DTypeError('crossEntropy', `target must be int32 class indices, or float class probabilities of the logits' shape ${fmt(logits.shape)}; got ${target.dtype} of shape ${fmt(target.shape)}`);
    }
    let t = target.dtype === lp.dtype ? target : cast(target, lp.dtype);
    if (eps > 0) t = add(mul(t, 1 - eps), eps / c);
    let prod = mul(lp, t);
    if (opts.weight) prod = mul(prod, reshape(cast(opts.weight, lp.dtype), lp.shape.map((d, i) => (i === classAxis ? d : 1))));
    const per = neg(sum(prod, classAxis));
    if (reduction === 'mean') return div(sum(per), logits.ndim === 1 ? 1 : per.numel());
    return reduce(per, reduction);
  }
  if (eps === 0 && !opts.weight) {
    // the common case in one fused primitive: per-row losses, then the reduction
    if (target.dtype !== 'int32') throw new DTypeError('crossEntropy', `target must be int32 class indices, got ${target.dtype} of shape ${fmt(target.shape)}`);
    const [x2, t2, outShape] = classLast('crossEntropy', logits, target);
    const ignore = opts.ignoreIndex ?? -100;
    const rows = softmaxCrossEntropyPrim(x2, t2, ignore);
    if (reduction === 'sum') return sum(rows);
    if (reduction === 'none') return reshape(rows, outShape);
    let kept = 0;
    for (let i = 0; i < t2.data.length; i++) if (t2.data[i] !== ignore) kept++;
    return div(sum(rows), kept);
  }
  const lp = logSoftmax(logits, classAxis);
  const nll = nllLoss(lp, target, opts);
  if (eps === 0) return nll;
  const [lp2, tg] = classLast('crossEntropy', lp, target);
  const keep = cast(ne(tg, opts.ignoreIndex ?? -100), lp.dtype);
  const weighted = opts.weight ? mul(lp2, cast(opts.weight, lp.dtype)) : lp2;
  const smooth = mul(neg(sum(weighted, 1)), keep);
  let smoothRed: Tensor;
  if (reduction === 'mean') {
    const denom = opts.weight ? sum(mul(gather(cast(opts.weight, lp.dtype), 0, noGrad(() => where(ne(tg, opts.ignoreIndex ?? -100), tg, 0))), keep)) : sum(keep);
    smoothRed = div(sum(smooth), denom);
  } else if (reduction === 'sum') smoothRed = sum(smooth);
  else smoothRed = reshape(smooth, nll.shape as number[]);
  return add(mul(nll, 1 - eps), mul(smoothRed, eps / c));
}

function checkSame(op: string, a: Tensor, b: Tensor): void {
  if (!shapeEq(a.shape, b.shape)) throw new ShapeError(op, 'input and target must have the same shape', [a.shape, b.shape]);
}

/** Mean squared error. */
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  checkSame('mseLoss', input, target);
  const d = sub(input, target);
  return reduce(mul(d, d), reduction);
}

/** Mean absolute error. */
export function l1Loss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  checkSame('l1Loss', input, target);
  return reduce(abs(sub(input, target)), reduction);
}

/** Huber / smooth-L1 loss with threshold beta. */
export function smoothL1Loss(input: Tensor, target: Tensor, beta = 1, reduction: Reduction = 'mean'): Tensor {
  checkSame('smoothL1Loss', input, target);
  const d = abs(sub(input, target));
  return reduce(where(d.lt(beta), div(mul(mul(d, d), 0.5), beta), sub(d, beta / 2)), reduction);
}

/**
 * Binary cross-entropy on logits, stable for large |x|: max(x,0) − x·t + log(1 + e^{−|x|}),
 * with optional element weights and positive-class weight as in PyTorch.
 */
export function binaryCrossEntropyWithLogits(
  logits: Tensor, target: Tensor, opts: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  requireFloat('binaryCrossEntropyWithLogits', logits);
  checkSame('binaryCrossEntropyWithLogits', logits, target);
  const t = target.dtype === logits.dtype ? target : cast(target, logits.dtype);
  const logTerm = add(log(add(exp(neg(abs(logits))), 1)), relu(neg(logits)));
  let loss: Tensor;
  if (opts.posWeight) {
    const lw = add(mul(sub(opts.posWeight, 1), t), 1);
    loss = add(mul(sub(1, t), logits), mul(lw, logTerm));
  } else {
    loss = add(mul(sub(1, t), logits), logTerm);
  }
  if (opts.weight) loss = mul(loss, opts.weight);
  return reduce(loss, opts.reduction ?? 'mean');
}

/**
 * Pairwise squared Euclidean distances ‖a_i − b_j‖²: a [..., n, d], b [..., m, d] → [..., n, m]
 * (prototypical networks' logits are the negative of this).
 */
export function pairwiseSquaredDistance(a: Tensor, b: Tensor): Tensor {
  if (a.ndim < 2 || b.ndim < 2 || a.shape[a.ndim - 1] !== b.shape[b.ndim - 1]) {
    throw new ShapeError('pairwiseSquaredDistance', 'need [..., n, d] and [..., m, d] with equal d', [a.shape, b.shape]);
  }
  requireFloat('pairwiseSquaredDistance', a);
  requireFloat('pairwiseSquaredDistance', b);
  if (a.ndim === b.ndim && shapeEq(a.shape.slice(0, -2), b.shape.slice(0, -2)) && a.dtype === b.dtype) {
    // equal batch dims: one fused kernel
    const n = a.shape[a.ndim - 2]!, m = b.shape[b.ndim - 2]!, d = a.shape[a.ndim - 1]!;
    const batch = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    const out = empty([...a.shape.slice(0, -2), n, m], a.dtype);
    kernels().pairwiseSquaredDistance(a.data as FloatArray, b.data as FloatArray, batch, n, m, d, out.data as FloatArray);
    return record('pairwiseSquaredDistance', [a, b], null, out);
  }
  const a2 = sum(mul(a, a), -1, true);
  const b2 = unsqueeze(sum(mul(b, b), -1), -2);
  const ab = matmulPrim(a, b, false, true);
  return maximum(add(sub(a2, mul(ab, 2)), b2), 0);
}

/** Cosine similarity along an axis, with PyTorch's eps guard on the product of norms. */
export function cosineSimilarity(a: Tensor, b: Tensor, axis = -1, eps = 1e-8): Tensor {
  const ax = normAxis('cosineSimilarity', axis, Math.max(a.ndim, b.ndim));
  const dot = sum(mul(a, b), ax);
  const na = sum(mul(a, a), ax), nb = sum(mul(b, b), ax);
  return div(dot, sqrt(maximum(mul(na, nb), eps * eps)));
}

/**
 * Pairwise cosine similarities: a [..., n, d], b [..., m, d] → [..., n, m] (matching networks' attention logits).
 */
export function pairwiseCosineSimilarity(a: Tensor, b: Tensor, eps = 1e-8): Tensor {
  if (a.ndim < 2 || b.ndim < 2 || a.shape[a.ndim - 1] !== b.shape[b.ndim - 1]) {
    throw new ShapeError('pairwiseCosineSimilarity', 'need [..., n, d] and [..., m, d] with equal d', [a.shape, b.shape]);
  }
  const an = div(a, maximum(sqrt(sum(mul(a, a), -1, true)), eps));
  const bn = div(b, maximum(sqrt(sum(mul(b, b), -1, true)), eps));
  return matmulPrim(an, bn, false, true);
}

