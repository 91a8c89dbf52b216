// Pre-training a source model: supervised, or without labels by rotation prediction (RotNet) or contrast (SimCLR).
import { ArgumentError } from '../core/errors.js';
import { join } from 'node:path';
import { collate, type ClassificationDataset } from '../data/dataset.js';
import { augment, rotationBatch, type AugmentOptions } from '../data/augment.js';
import { enableGrad } from '../engine/autograd.js';
import { tensor } from '../engine/create.js';
import type { Rng, RngState } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { add, div, mul, sqrt } from '../engine/ops/elementwise.js';
import { matmul } from '../engine/ops/linalg.js';
import { crossEntropy } from '../engine/ops/nn.js';
import { sum } from '../engine/ops/reduce.js';
import { concat } from '../engine/ops/shape.js';
import { loadModule, loadOptimizer, saveModule, saveOptimizer } from '../io/checkpoint.js';
import { checkpointDirFor, listCheckpoints, pruneCheckpoints, readTrainerState, writeCheckpointDir } from '../io/checkpoint-dir.js';
import { withBatchNormPolicy } from '../nn/batchnorm-policy.js';
import { ReLU } from '../nn/layers/activation.js';
import { Sequential } from '../nn/layers/container.js';
import { Linear } from '../nn/layers/linear.js';
import { BatchNorm1d } from '../nn/layers/norm.js';
import type { AnyModule } from '../nn/module.js';
import { Adam } from '../optim/adam.js';

export type PretrainObjective = 'supervised' | 'rotation' | 'simclr';

/** A source model: `features(x)` → [n, featureDim], and `call(x)` → logits of its own head. */
export type SourceModel = AnyModule & { features(x: Tensor): Tensor; readonly featureDim: number };

export interface PretrainOptions {
  /** supervised: its head has one output per source class; rotation: 4 outputs; simclr: the head is not used */
  model: SourceModel;
  objective: PretrainObjective;
  data: ClassificationDataset;
  rng: Rng;
  epochs?: number;
  /** stop after this many optimiser steps (an equal-compute budget across datasets of different sizes) */
  steps?: number;
  /** stop after this many seconds (checked between batches) */
  timeBudget?: number;
  batchSize?: number;
  lr?: number;
  weightDecay?: number;
  /** SimCLR temperature τ (0.5 in the paper's CIFAR-10 setting) and projection width (128) */
  temperature?: number;
  projectionDim?: number;
  augment?: AugmentOptions;
  onStep?: (info: { step: number; epoch: number; loss: number; seconds: number }) => void;
  now?: () => number;
  /** where checkpoints go (`dir/checkpoints/step-N`, the newest two kept); null: none */
  dir?: string | null;
  /** checkpoint every this many optimiser steps (a kill -9 loses at most this many) */
  checkpointEvery?: number;
  /** continue from the newest checkpoint in `dir` (same options, same rng): ends bit-identical to an uninterrupted run */
  resume?: boolean;
}

/** What a pre-training checkpoint holds besides tensors: the position in the data and the running epoch loss. */
export interface PretrainState {
  step: number;
  epoch: number;
  /** batches of `epoch` already trained on */
  batch: number;
  elapsedSeconds: number;
  losses: number[];
  epochTotal: number;
  epochCount: number;
  /** the epoch's generator after its permutation and the augmentations of `batch` batches */
  rng: RngState;
  [key: string]: unknown;
}

export interface PretrainResult {
  model: SourceModel;
  /** SimCLR's projection head g (discarded for transfer, as in the paper), else null */
  projection: AnyModule | null;
  epochs: number;
  steps: number;
  seconds: number;
  /** mean loss per epoch */
  losses: number[];
  /** the step of the checkpoint a resumed run continued from, else null */
  resumedFrom: number | null;
}

/**
 * SimCLR's NT-Xent loss over 2N views: z ℓ2-normalised, logits z_i·z_k/τ over the other 2N − 1 views, the positive of
 * view i being its pair; cross-entropy averaged over all 2N anchors (Chen et al. 2020, eq. 1).
 */
export function ntXent(z1: Tensor, z2: Tensor, temperature: number): Tensor {
  const n = z1.shape[0]!;
  const z = concat([z1, z2], 0);
  const zn = div(z, add(sqrt(sum(mul(z, z), 1, true)), 1e-12));
  const self = new Float32Array(4 * n * n);
  for (let i = 0; i < 2 * n; i++) self[i * 2 * n + i] = -1e9; // a view is not its own negative
  const logits = add(div(matmul(zn, zn.t()), temperature), tensor(self, { shape: [2 * n, 2 * n] }).to(zn.dtype));
  const target = tensor(Int32Array.from({ length: 2 * n }, (_, i) => (i < n ? i + n : i - n)), { shape: [2 * n] });
  return crossEntropy(logits, target);
}

/**
 * Pre-train a source model with one of three objectives (Adam, lr 1e-3):
 * - `supervised`: cross-entropy on the source labels;
 * - `rotation` (Gidaris, Singh, Komodakis, "Unsupervised Representation Learning by Predicting Image Rotations",
 *   ICLR 2018): every image in its four rotations in the same batch, 4-way cross-entropy, labels unused;
 * - `simclr` (Chen, Kornblith, Norouzi, Hinton, "A Simple Framework for Contrastive Learning of Visual
 *   Representations", ICML 2020): two augmented views per image, projection head Linear–BN–ReLU–Linear (128),
 *   NT-Xent loss; the projection head is dropped afterwards and transfer uses f(x).
 * With `dir` and `checkpointEvery`, model, projection, Adam state and the position in the data (epoch, batch, the
 * epoch's RNG state) are checkpointed atomically; `resume` continues from the newest one and ends bit-identical to an
 * uninterrupted run (each epoch's order and augmentations come from `rng.fork('epoch/<e>')`).
 * @example const { model } = pretrain({ model: new Conv4({ rng, numClasses: 4 }), objective: 'rotation', data, rng, epochs: 10 });
 */
export function pretrain(o: PretrainOptions): PretrainResult {
  if (o.epochs === undefined && o.timeBudget === undefined && o.steps === undefined) throw new ArgumentError('pretrain', 'give epochs, steps or a time budget');
  const now = o.now ?? (() => performance.now() / 1000);
  const batchSize = o.batchSize ?? (o.objective === 'rotation' ? 32 : 64);
  const model = o.model;
  let projection: AnyModule | null = null;
  if (o.objective === 'simclr') {
    const d = model.featureDim, p = o.projectionDim ?? 128;
    projection = new Sequential(new Linear(d, d, { rng: o.rng.fork('projection'), dtype: model.dtype }), new BatchNorm1d(d, { dtype: model.dtype }), new ReLU(), new Linear(d, p, { rng: o.rng.fork('projection/2'), dtype: model.dtype }));
  }
  const params = [...model.parameters(), ...(projection ? projection.parameters() : [])].filter((p) => p.requiresGrad);
  const opt = new Adam(params, { lr: o.lr ?? 1e-3, weightDecay: o.weightDecay ?? 0 });
  model.train();
  projection?.train();
  const dir = o.dir ?? null;
  let losses: number[] = [];
  let step = 0, epoch = 0, firstBatch = 0, elapsed = 0;
  let carried: { total: number; count: number; rng: RngState } | null = null;
  let resumedFrom: number | null = null;
  if (o.resume) {
    if (!dir) throw new ArgumentError('pretrain', 'resume needs a directory');
    const last = listCheckpoints(dir).pop();
    if (last) {
      const st = readTrainerState<PretrainState>(last.dir);
      loadModule(join(last.dir, 'model.safetensors'), model, { strict: true });
      if (projection) loadModule(join(last.dir, 'projection.safetensors'), projection, { strict: true });
      loadOptimizer(join(last.dir, 'optimizer.safetensors'), opt);
      ({ step, epoch, batch: firstBatch, elapsedSeconds: elapsed } = st);
      losses = [...st.losses];
      carried = { total: st.epochTotal, count: st.epochCount, rng: st.rng };
      resumedFrom = step;
    }
  }
  const start = now() - elapsed;
  const maxEpochs = o.epochs ?? Infinity;
  const maxSteps = o.steps ?? Infinity;
  const dropLast = o.objective === 'simclr';
  const out = (): boolean => step >= maxSteps || (o.timeBudget !== undefined && now() - start >= o.timeBudget);
  const checkpoint = (state: PretrainState): void => {
    writeCheckpointDir(checkpointDirFor(dir!, step), (tmp) => {
      saveModule(join(tmp, 'model.safetensors'), model);
      if (projection) saveModule(join(tmp, 'projection.safetensors'), projection);
      saveOptimizer(join(tmp, 'optimizer.safetensors'), opt);
    }, state);
    pruneCheckpoints(dir!, 2);
  };
  // an epoch carried over from a checkpoint is finished (its loss recorded) even when the budget is already spent
  while (epoch < maxEpochs && (carried !== null || !out())) {
    // the order of batches() (a permutation drawn first), batch by batch so a resumed epoch starts mid-way
    const rng = o.rng.fork(`epoch/${epoch}`);
    const order = rng.permutation(o.data.length);
    let total = 0, count = 0;
    if (carried) {
      rng.setState(carried.rng);
      ({ total, count } = carried);
      carried = null;
    }
    const nBatches = dropLast ? Math.floor(order.length / batchSize) : Math.ceil(order.length / batchSize);
    for (let k = firstBatch; k < nBatches; k++) {
      if (out()) break;
      const b = collate(o.data, order.slice(k * batchSize, (k + 1) * batchSize));
      opt.zeroGrad();
      const loss = enableGrad(() => withBatchNormPolicy('update', () => {
        if (o.objective === 'supervised') return crossEntropy(model.call(b.x) as Tensor, b.y);
        if (o.objective === 'rotation') {
          const r = rotationBatch(b.x);
          return crossEntropy(model.call(r.x) as Tensor, r.y);
        }
        const v1 = augment(b.x, rng, o.augment), v2 = augment(b.x, rng, o.augment);
        return ntXent(projection!.call(model.features(v1)), projection!.call(model.features(v2)), o.temperature ?? 0.5);
      }));
      loss.backward();
      opt.step();
      const l = loss.item();
      total += l;
      count++;
      step++;
      o.onStep?.({ step, epoch, loss: l, seconds: now() - start });
      if (dir && o.checkpointEvery && step % o.checkpointEvery === 0) {
        checkpoint({ step, epoch, batch: k + 1, elapsedSeconds: now() - start, losses: [...losses], epochTotal: total, epochCount: count, rng: rng.getState() });
      }
    }
    firstBatch = 0;
    if (count) losses.push(total / count);
    epoch++;
  }
  return { model, projection, epochs: epoch, steps: step, seconds: now() - start, losses, resumedFrom };
}
