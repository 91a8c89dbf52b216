// Meta-training checkpoints that survive kill -9: learner tensors, optimiser state and trainer state per directory.
import { join } from 'node:path';
import { StateDictError } from '../core/errors.js';
import { noGrad } from '../engine/autograd.js';
import type { Tensor } from '../engine/tensor.js';
import { loadOptimizer, saveOptimizer } from '../io/checkpoint.js';
import { checkpointDirFor, listCheckpoints, pruneCheckpoints, readTrainerState, writeCheckpointDir as writeDir } from '../io/checkpoint-dir.js';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { MetaLearner } from './learner.js';

/** Every tensor a learner's state consists of: its meta-parameters and the model's buffers (BN statistics). */
export function learnerTensors(learner: MetaLearner): Map<string, Tensor> {
  const out = new Map<string, Tensor>(learner.namedMetaParameters());
  for (const [n, b] of learner.model.namedBuffers('model')) out.set(n, b);
  for (const [n, p] of learner.model.namedParameters('model')) if (!out.has(n)) out.set(n, p); // frozen ones too
  return out;
}

/** Save the learner's tensors to a safetensors file (atomic). */
export function saveLearner(path: string, learner: MetaLearner, metadata: Record<string, string> = {}): void {
  const t = learnerTensors(learner);
  saveSafetensors(path, t, { metadata: { method: learner.method, ...metadata }, int64: [...t.keys()].filter((k) => k.endsWith('num_batches_tracked')) });
}

/** Load tensors saved by saveLearner into a learner built the same way; every tensor must be present and fit. */
export function loadLearner(path: string, learner: MetaLearner): Record<string, string> {
  const f = loadSafetensors(path);
  const own = learnerTensors(learner);
  const missing = [...own.keys()].filter((k) => !(k in f.tensors));
  const unexpected = Object.keys(f.tensors).filter((k) => !own.has(k));
  if (missing.length || unexpected.length) {
    throw new StateDictError(`${path}: does not fit this ${learner.method} learner (missing: ${missing.slice(0, 5).join(', ') || 'none'}; unexpected: ${unexpected.slice(0, 5).join(', ') || 'none'})`, missing[0] ?? unexpected[0]);
  }
  noGrad(() => {
    for (const [k, t] of own) {
      const v = f.tensors[k]!;
      if (v.shape.length !== t.shape.length || v.shape.some((d, i) => d !== t.shape[i])) {
        throw new StateDictError(`${path}: ${k} has shape [${v.shape}], the learner has [${t.shape}]`, k);
      }
      if (v.dtype !== t.dtype) {
        throw new StateDictError(`${path}: ${k} is ${v.dtype}, the learner has ${t.dtype}`, k);
      }
      t.data.set(v.data);
      t._bumpVersion();
    }
  });
  return f.metadata;
}

/** What the trainer needs besides tensors to continue exactly where it stopped. */
export interface TrainerState {
  step: number;
  elapsedSeconds: number;
  best: { step: number; mean: number; ci95: number } | null;
  [key: string]: unknown;
}

/**
 * Write a complete checkpoint as one directory (io/checkpoint-dir.ts: written under a temporary name and renamed
 * into place, so a kill at any moment leaves either the old checkpoint or the new one, never a torn one).
 */
export function writeCheckpointDir(dir: string, learner: MetaLearner, optimizer: Optimizer | null, state: TrainerState): void {
  writeDir(dir, (tmp) => {
    saveLearner(join(tmp, 'learner.safetensors'), learner, { step: String(state.step) });
    if (optimizer) saveOptimizer(join(tmp, 'optimizer.safetensors'), optimizer);
  }, state);
}

/** Read a checkpoint directory into a learner (and optimiser); returns the trainer state. */
export function readCheckpointDir(dir: string, learner: MetaLearner, optimizer: Optimizer | null): TrainerState {
  const state = readTrainerState<TrainerState>(dir);
  loadLearner(join(dir, 'learner.safetensors'), learner);
  if (optimizer) loadOptimizer(join(dir, 'optimizer.safetensors'), optimizer);
  return state;
}

export { checkpointDirFor, listCheckpoints, pruneCheckpoints };
