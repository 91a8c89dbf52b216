// Training checkpoints as directories that survive kill -9: written whole under a temporary name, renamed into place.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../core/errors.js';
import { writeFileAtomic } from './atomic.js';

/** The file of a checkpoint directory that holds the trainer's state (step, epoch, RNG, …), written last. */
export const TRAINER_FILE = 'trainer.json';

/**
 * Write a checkpoint as one directory: `write(tmp)` fills `<dir>.tmp-<pid>` (tensors, optimiser), then `state` goes
 * to trainer.json and the directory is renamed into place, so a kill at any moment leaves either the old
 * checkpoint or the new one, never a torn one.
 */
export function writeCheckpointDir(dir: string, write: (tmp: string) => void, state: Record<string, unknown>): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  write(tmp);
  writeFileAtomic(join(tmp, TRAINER_FILE), `${JSON.stringify(state, null, 2)}\n`);
  const old = `${dir}.old-${process.pid}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/** The trainer state of a checkpoint directory (its `step` a non-negative integer). */
export function readTrainerState<T extends { step: number }>(dir: string): T {
  const statePath = join(dir, TRAINER_FILE);
  if (!existsSync(statePath)) throw new FormatError(dir, `no ${TRAINER_FILE}: not a checkpoint directory`);
  let state: T;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as T;
  } catch (e) {
    throw new FormatError(statePath, `not JSON: ${(e as Error).message}`);
  }
  if (state === null || typeof state !== 'object' || !Number.isInteger(state.step) || state.step < 0) throw new FormatError(statePath, `step must be a non-negative integer, got ${String((state as { step?: unknown } | null)?.step)}`);
  return state;
}

/** Checkpoint directories under `root/checkpoints`, newest step last (a leftover .tmp is ignored, a lone .old recovered). */
export function listCheckpoints(root: string): { step: number; dir: string }[] {
  const base = join(root, 'checkpoints');
  if (!existsSync(base)) return [];
  const byStep = new Map<number, { dir: string; old: boolean }>();
  for (const name of readdirSync(base)) {
    const m = /^step-(\d+)(\.old-\d+)?$/.exec(name);
    if (!m || !existsSync(join(base, name, TRAINER_FILE))) continue;
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

/** `root/checkpoints/step-00000042`. */
export function checkpointDirFor(root: string, step: number): string {
  return join(root, 'checkpoints', `step-${String(step).padStart(8, '0')}`);
}
