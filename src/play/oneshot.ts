// One-shot classification for the playground: a ProtoNet encoder from safetensors bytes, adapted by prototypes, a fitted head, or Proto-MAML steps.
import { ArgumentError, FormatError } from '../core/errors.js';
import { noGrad } from '../engine/autograd.js';
import { tensor } from '../engine/create.js';
import { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { mul, neg } from '../engine/ops/elementwise.js';
import { linear } from '../engine/ops/linalg.js';
import { sum } from '../engine/ops/reduce.js';
import { parseSafetensors } from '../io/safetensors-bytes.js';
import { withBatchNormPolicy } from '../nn/batchnorm-policy.js';
import { functionalCall } from '../nn/module.js';
import { Conv4 } from '../nn/models/conv4.js';
import { prefixParams, subParams, type ParamMap } from '../nn/params.js';
import { paramMap } from '../optim/inner.js';
import { Baseline, type Backbone } from '../meta/baselines.js';
import { innerLoop } from '../meta/inner-loop.js';
import type { LabeledSet, Predictor } from '../meta/learner.js';
import { ProtoNet, prototypes } from '../meta/protonet.js';

/** How the support set adapts the classifier. */
export type OneShotMethod = 'protonet' | 'head' | 'protomaml';

export const ONE_SHOT_METHODS: Record<OneShotMethod, string> = {
  protonet: 'ProtoNet: nearest prototype (mean embedding) by squared Euclidean distance (Snell et al. 2017)',
  head: 'fine-tuned head: a new linear classifier trained on the frozen embeddings of the support (Baseline, Chen et al. 2019)',
  protomaml: 'ProtoNet + MAML steps: a linear head initialised from the prototypes, then gradient steps on it and the last conv block (Proto-MAML, Triantafillou et al. 2020)',
};

export interface OneShotOptions {
  method?: OneShotMethod;
  /** head: SGD epochs over the support (Baseline's recipe: lr 0.01, momentum 0.9, weight decay 1e-3, batch 4) */
  headEpochs?: number;
  /** protomaml: SGD steps on the support (last conv block and head) and their learning rate (default 5, 0.1) */
  mamlSteps?: number;
  mamlLr?: number;
  /** head initialisation and batch order (the same for every task) */
  seed?: number;
}

/** A loaded encoder and the metadata of its file. */
export interface OneShotModel {
  encoder: Conv4;
  metadata: Record<string, string>;
}

/**
 * The Conv-4 embedding network of a ProtoNet from safetensors bytes (names as `Conv4({ numClasses: 0 })`'s state
 * dict, `features.0.0.weight`, …, F16 widened to float32), in eval mode. Its width is read from the first conv.
 * @example const { encoder } = loadEncoder(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 */
export function loadEncoder(bytes: Uint8Array, source = '<checkpoint>'): OneShotModel {
  const f = parseSafetensors(bytes, source);
  const w = f.tensors['features.0.0.weight'];
  if (!w || w.ndim !== 4) throw new FormatError(source, 'no features.0.0.weight [hidden, channels, 3, 3]: not a Conv-4 encoder');
  const encoder = new Conv4({ rng: new Rng(0), numClasses: 0, hidden: w.shape[0]!, inChannels: w.shape[1]!, pooling: 'max' });
  encoder.loadStateDict(new Map(Object.entries(f.tensors)));
  encoder.eval();
  return { encoder, metadata: f.metadata };
}

/**
 * Adapt to a support set (labels 0..ways−1) and return a predictor of logits. `protonet` embeds the support and
 * classifies by the nearest prototype; `head` trains a fresh linear layer on the frozen embeddings (the transfer
 * baseline); `protomaml` starts from the prototypes' equivalent linear head (W = 2c_k, b = −‖c_k‖²) and takes SGD
 * steps on the head and the last conv block (the first three blocks run once per image: steps through the whole
 * network cost about 100 ms each on the ts kernels). BatchNorm uses the encoder's running statistics throughout.
 */
export function adaptOneShot(encoder: Conv4, support: LabeledSet, opts: OneShotOptions = {}): Predictor {
  const method = opts.method ?? 'protonet';
  const seed = opts.seed ?? 0;
  switch (method) {
    case 'protonet':
      return new ProtoNet({ encoder }).adapt(support);
    case 'head': {
      const epochs = opts.headEpochs ?? 100;
      if (!Number.isInteger(epochs) || epochs < 0) throw new ArgumentError('adaptOneShot', `headEpochs must be a non-negative integer, got ${epochs}`);
      const baseline = new Baseline({ backbone: encoder as unknown as Backbone, numBaseClasses: 1, rng: new Rng(seed), headEpochs: epochs });
      return baseline.adapt(support);
    }
    case 'protomaml': {
      const steps = opts.mamlSteps ?? 5, lr = opts.mamlLr ?? 0.1;
      if (!Number.isInteger(steps) || steps < 0) throw new ArgumentError('adaptOneShot', `mamlSteps must be a non-negative integer, got ${steps}`);
      if (!(lr >= 0)) throw new ArgumentError('adaptOneShot', `mamlLr must be non-negative, got ${lr}`);
      // the first three blocks stay fixed and run once per image; the steps adapt the last block and the head
      const trunk = [0, 1, 2].map((i) => encoder.getSubmodule(`features.${i}`));
      const last = encoder.getSubmodule('features.3');
      const early = (x: Tensor): Tensor => noGrad(() => withBatchNormPolicy('running', () => trunk.reduce((h, b) => b.call(h) as Tensor, x)));
      const embed = (p: ParamMap, h: Tensor): Tensor => (functionalCall(last, subParams(p, 'features.3'), h, { batchNorm: 'running' }) as Tensor).flatten(1);
      const hs = early(support.x);
      const params: ParamMap = prefixParams(paramMap(last), 'features.3');
      const init = noGrad(() => {
        const c = prototypes(embed(params, hs), support.y);
        return { weight: mul(c, 2), bias: neg(sum(mul(c, c), 1)) };
      });
      params.set('head.weight', init.weight.detach().requiresGrad_());
      params.set('head.bias', init.bias.detach().requiresGrad_());
      const forward = (p: ParamMap, h: Tensor): Tensor => linear(embed(p, h), p.get('head.weight')!, p.get('head.bias')!);
      const fast = innerLoop(forward, params, { x: hs, y: support.y }, { problem: 'classification', steps, lr: () => lr, createGraph: false, detach: true });
      return (x) => noGrad(() => forward(fast, early(x)));
    }
    default:
      throw new ArgumentError('adaptOneShot', `unknown method "${String(method)}" (protonet, head, protomaml)`);
  }
}

/** Row-wise softmax of logits [n, ways] in float64: one probability array per row. */
export function probabilities(logits: Tensor): Float64Array[] {
  const [n, k] = logits.shape as [number, number];
  const out: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const row = new Float64Array(k);
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits.data[i * k + j]!);
    let z = 0;
    for (let j = 0; j < k; j++) z += row[j] = Math.exp(logits.data[i * k + j]! - max);
    for (let j = 0; j < k; j++) row[j]! /= z;
    out.push(row);
  }
  return out;
}

/** Labels 0..ways−1 for a support set given as examples per class: [0 × n0, 1 × n1, …]. */
export function supportLabels(counts: readonly number[]): Tensor {
  const y: number[] = [];
  counts.forEach((n, k) => { for (let i = 0; i < n; i++) y.push(k); });
  return tensor(Int32Array.from(y), { shape: [y.length] });
}
