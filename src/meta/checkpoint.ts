// Meta-training checkpoints that survive kill -9: learner tensors, optimiser state and trainer state per directory.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, StateDictError } from '../core/errors.js';
import { noGrad } from '../engine/autograd.js';
import type { Tensor } from '../engine/tensor.js';
import { writeFileAtomic } from '../io/atomic.js';
import { loadOptimizer, saveOptimizer } from '../io/checkpoint.js';
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
 * Write a complete checkpoint as one directory: files go into `<name>.tmp-<pid>`, which is renamed into place
 * only when complete, so a kill at any moment leaves either the old checkpoint or the new one, never a torn one.
 */
export function writeCheckpointDir(dir: string, learner: MetaLearner, optimizer: Optimizer | null, state: TrainerState): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  saveLearner(join(tmp, 'learner.safetensors'), learner, { step: String(state.step) });
  if (optimizer) saveOptimizer(join(tmp, 'optimizer.safetensors'), optimizer);
  writeFileAtomic(join(tmp, 'trainer.json'), `${JSON.stringify(state, null, 2)}\n`);
  const old = `${dir}.old-${process.pid}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/** Read a checkpoint directory into a learner (and optimiser); returns the trainer state. */
export function readCheckpointDir(dir: string, learner: MetaLearner, optimizer: Optimizer | null): TrainerState {
  const statePath = join(dir, 'trainer.json');
  if (!existsSync(statePath)) throw new FormatError(dir, 'no trainer.json: not a checkpoint directory');
  let state: TrainerState;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as TrainerState;
  } catch (e) {
    throw new FormatError(statePath, `not JSON: ${(e as Error).message}`);
  }
  if (!Number.isInteger(state.step) || state.step < 0) throw new FormatError(statePath, `step must be a non-negative integer, got ${String(state.step)}`);
  loadLearner(join(dir, 'learner.safetensors'), learner);
  if (optimizer) loadOptimizer(join(dir, 'optimizer.safetensors'), optimizer);
  return state;
}

/** Checkpoint directories under `root/checkpoints`, newest step last (a leftover .tmp or .old is ignored or recovered). */
export function listCheckpoints(root: string): { step: number; dir: string }[] {
  const base = join(root, 'checkpoints');
  if (!existsSync(base)) return [];
  const byStep = new Map<number, { dir: string; old: boolean }>();
  for (const name of readdirSync(base)) {
    const m = /^step-(\d+)(\.old-\d+)?$/.exec(name);
    if (!m || !existsSync(join(base, name, 'trainer.json'))) continue;
    const step = Number(m[1]), old = m[2] !== undefined;
    const prev = byStep.get(step);
    if (!prev || (prev.old && !old)) byStep.set(step, { dir: join(base, name), old });
  }
  const out = [...byStep].map(([step, { dir }]) => ({ step, dir }));
  return out.sort((a, b) => a.step - b.step);
}

/** Remove all but the newest `keep` checkpoints and any stale temporary directories. */
export function pruneCheckpoints(root: string, keep: number): void {
  const base = join(root, 'checkpoints');
  if (!existsSync(base)) return;
  for (const name of readdirSync(base)) if (/\.tmp-\d+$|\.old-\d+$/.test(name)) rmSync(join(base, name), { recursive: true, force: true });
  const all = listCheckpoints(root);
  for (const c of all.slice(0, Math.max(0, all.length - keep))) rmSync(c.dir, { recursive: true, force: true });
}

export function checkpointDirFor(root: string, step: number): string {
  return join(root, 'checkpoints', `step-${String(step).padStart(8, '0')}`);
}
