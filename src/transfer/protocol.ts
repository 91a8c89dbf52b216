// The surgical fine-tuning protocol: target tasks under a distribution shift, an lr grid chosen on validation, seeds, ID and OOD accuracy.
import { ArgumentError } from '../core/errors.js';
import { CORRUPTIONS, corruptDataset, type Corruption, type Severity } from '../data/corruptions.js';
import { collate, IndexedView, type ClassificationDataset } from '../data/dataset.js';
import { FASHION_MNIST_SUPERCLASSES } from '../data/mnist.js';
import { holdOutSubclasses, permuteLabels } from '../data/shifts.js';
import { Rng } from '../engine/rng.js';
import type { AnyModule } from '../nn/module.js';
import { accuracyOf, fineTune, type LabeledData } from './finetune.js';
import { formatStrategy, type Strategy } from './strategies.js';

/** A distribution shift of the target task, from the data layer (input-, output- or feature-level). */
export type Shift =
  | { kind: 'none' }
  | { kind: 'corruption'; name: Corruption; severity: Severity }
  | { kind: 'label-permutation' }
  | { kind: 'subpopulation' };

export const SHIFT_SYNTAX = 'none|corruption:NAME:SEVERITY|label-permutation|subpopulation';

export function parseShift(spec: string): Shift {
  if (spec === 'none' || spec === 'label-permutation' || spec === 'subpopulation') return { kind: spec };
  const m = /^corruption:([a-z_]+):([1-5])$/.exec(spec);
  if (m) {
    if (!(CORRUPTIONS as readonly string[]).includes(m[1]!)) throw new ArgumentError('shift', `unknown corruption "${m[1]}" (${CORRUPTIONS.join(', ')})`);
    return { kind: 'corruption', name: m[1] as Corruption, severity: Number(m[2]) as Severity };
  }
  throw new ArgumentError('shift', `unknown shift "${spec}" (${SHIFT_SYNTAX})`);
}

export function formatShift(s: Shift): string {
  return s.kind === 'corruption' ? `corruption:${s.name}:${s.severity}` : s.kind;
}

/** Superclasses of a 10-class dataset for the subpopulation shift (Fashion-MNIST: tops, footwear, other; digits: parity-free thirds). */
const FASHION_GROUPS = Int32Array.from(FASHION_MNIST_SUPERCLASSES.groupOf);
const DIGIT_GROUPS = Int32Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2, 2]);

/**
 * A target task under a shift, from a dataset's train and test splits:
 * - `none`: the task itself; OOD = the test set corrupted by `oodCorruption` (LP-FT's question: does fine-tuning keep
 *   robustness?);
 * - `corruption`: inputs corrupted (input-level shift, Lee et al.: the first block should adapt); OOD = clean test;
 * - `label-permutation`: classes renamed by a random permutation (output-level: the last layer should adapt); no OOD;
 * - `subpopulation`: superclass labels, the target seeing held-out sub-classes (feature-level: a middle block);
 *   OOD = the source sub-classes.
 */
export function targetTask(train: ClassificationDataset, test: ClassificationDataset, shift: Shift, seed: number, opts: { oodCorruption?: { name: Corruption; severity: Severity } } = {}): { train: ClassificationDataset; test: ClassificationDataset; ood: ClassificationDataset | null; numClasses: number } {
  const rng = new Rng(seed).fork(`shift/${formatShift(shift)}`);
  switch (shift.kind) {
    case 'none': {
      const c = opts.oodCorruption ?? { name: 'gaussian_noise', severity: 3 };
      return { train, test, ood: corruptDataset(test, c.name, c.severity, seed + 1), numClasses: train.classes.length };
    }
    case 'corruption':
      return { train: corruptDataset(train, shift.name, shift.severity, seed), test: corruptDataset(test, shift.name, shift.severity, seed + 1), ood: test, numClasses: train.classes.length };
    case 'label-permutation': {
      const a = permuteLabels(train, rng);
      const perm = a.permutation;
      const index = Int32Array.from({ length: test.length }, (_, i) => i);
      const t = new IndexedView(test, index, Int32Array.from(test.labels, (y) => perm[y]!), a.dataset.classes, (img) => img);
      return { train: a.dataset, test: t, ood: null, numClasses: train.classes.length };
    }
    case 'subpopulation': {
      if (train.classes.length !== 10) throw new ArgumentError('shift', 'subpopulation needs a 10-class dataset (Fashion-MNIST or MNIST)');
      const groups = train.classes[0] === 'T-shirt/top' ? FASHION_GROUPS : DIGIT_GROUPS;
      const a = holdOutSubclasses(train, groups, { heldOut: 0.5, rng: rng.fork('split') });
      const b = holdOutSubclasses(test, groups, { heldOut: 0.5, rng: rng.fork('split') });
      return { train: a.target, test: b.target, ood: b.source, numClasses: 3 };
    }
  }
}

/** `n` examples of a dataset as tensors, drawn with `rng` (stratification is not needed at these sizes). */
export function sampleData(ds: ClassificationDataset, n: number, rng: Rng, exclude?: Set<number>): { data: LabeledData; indices: number[] } {
  const pool = exclude ? Array.from({ length: ds.length }, (_, i) => i).filter((i) => !exclude.has(i)) : null;
  const size = pool ? pool.length : ds.length;
  if (n > size) throw new ArgumentError('protocol', `asked for ${n} examples, the split has ${size}`);
  const picks = rng.choice(size, n).map((k) => (pool ? pool[k]! : k));
  const b = collate(ds, picks);
  return { data: { x: b.x, y: b.y }, indices: picks };
}

/** Student's t quantile t_{0.975, df} for a 95% interval over few seeds (df ≥ 1). */
export function t975(df: number): number {
  const table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086];
  return df <= table.length ? table[df - 1]! : 1.96 + 2.4 / df;
}

/** mean ± t·s/√n with the sample standard deviation (seeds are few, so Student's t, not 1.96). */
export function seedInterval(values: readonly number[]): { mean: number; ci95: number } {
  const n = values.length;
  const mean = values.reduce((a, v) => a + v, 0) / n;
  if (n < 2) return { mean, ci95: NaN };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { mean, ci95: (t975(n - 1) * sd) / Math.sqrt(n) };
}

export interface ProtocolOptions {
  model: AnyModule;
  strategy: Strategy;
  train: ClassificationDataset;
  test: ClassificationDataset;
  ood: ClassificationDataset | null;
  numClasses: number;
  /** labelled target examples for fine-tuning, and held out from the same split for validation */
  trainSize: number;
  valSize?: number;
  /** how many test examples to score (all by default) */
  testSize?: number;
  lrGrid?: number[];
  seeds?: number;
  epochs?: number;
  batchSize?: number;
  batchNorm?: 'eval' | 'train';
  /** a fresh head even when the target has as many classes as the source (a different label space) */
  newHead?: boolean;
  seed?: number;
  /** called after each (seed, lr) run with its scores (a CLI records each as a line, to resume from) */
  onRun?: (info: ProtocolRun & { lr: number }) => void;
  /** (seed, lr) runs already made (a resumed protocol): their scores are used instead of training again */
  done?: readonly (ProtocolRun & { lr: number })[];
}

/** The scores of one fine-tuning run: validation accuracy (picks the lr), ID and OOD test accuracy. */
export interface ProtocolRun {
  seed: number;
  val: number;
  id: number;
  ood: number | null;
}

export interface ProtocolResult {
  strategy: string;
  lr: number;
  perSeed: ProtocolRun[];
  id: { mean: number; ci95: number };
  ood: { mean: number; ci95: number } | null;
  grid: { lr: number; val: number }[];
}

/**
 * Lee et al.'s protocol (REFERENCE §1): for every lr of the grid and every seed, fine-tune on `trainSize` target
 * examples (a different draw per seed) and score a held-out validation set from the target's train split; pick the
 * lr with the best mean validation accuracy; report ID (target test) and OOD accuracy per seed at that lr, and
 * mean ± 95% CI (Student's t over seeds).
 */
export function runProtocol(o: ProtocolOptions): ProtocolResult {
  const grid = o.lrGrid ?? [1e-2, 1e-3, 1e-4];
  const seeds = o.seeds ?? 3, base = o.seed ?? 0;
  const valSize = o.valSize ?? Math.min(500, Math.max(50, o.trainSize));
  const evalRng = new Rng(base).fork('test');
  // the same draw for both sets: where the OOD set is the test set shifted (none, corruption), ID and OOD score the same examples
  const test = sampleData(o.test, Math.min(o.testSize ?? o.test.length, o.test.length), evalRng.fork('examples')).data;
  const ood = o.ood ? sampleData(o.ood, Math.min(o.testSize ?? o.ood.length, o.ood.length), evalRng.fork('examples')).data : null;
  const runs = new Map<number, ProtocolRun[]>();
  const done = new Map((o.done ?? []).map((r) => [`${r.seed}/${r.lr}`, r]));
  for (let s = 0; s < seeds; s++) {
    const rng = new Rng(base + s);
    // each (seed, lr) run depends only on its seed's draws and rng.fork('finetune'), so a recorded one can stand in for it
    const todo = grid.filter((lr) => !done.has(`${base + s}/${lr}`));
    const tr = todo.length ? sampleData(o.train, o.trainSize, rng.fork('train')) : null;
    const val = tr ? sampleData(o.train, valSize, rng.fork('val'), new Set(tr.indices)).data : null;
    for (const lr of grid) {
      let row: ProtocolRun;
      const prev = done.get(`${base + s}/${lr}`);
      if (prev) row = { seed: prev.seed, val: prev.val, id: prev.id, ood: prev.ood };
      else {
        const { model } = fineTune({ model: o.model, strategy: o.strategy, train: tr!.data, numClasses: o.numClasses, rng: rng.fork('finetune'), lr, epochs: o.epochs ?? 15, batchSize: o.batchSize ?? 64, batchNorm: o.batchNorm ?? 'eval', ...(o.newHead !== undefined ? { newHead: o.newHead } : {}) });
        row = { seed: base + s, val: accuracyOf(model, val!), id: accuracyOf(model, test), ood: ood ? accuracyOf(model, ood) : null };
        o.onRun?.({ ...row, lr });
      }
      if (!runs.has(lr)) runs.set(lr, []);
      runs.get(lr)!.push(row);
    }
  }
  const scored = grid.map((lr) => ({ lr, val: runs.get(lr)!.reduce((a, r) => a + r.val, 0) / seeds }));
  const best = scored.reduce((a, b) => (b.val > a.val ? b : a));
  const perSeed = runs.get(best.lr)!;
  return {
    strategy: formatStrategy(o.strategy), lr: best.lr, perSeed, grid: scored,
    id: seedInterval(perSeed.map((r) => r.id)),
    ood: ood ? seedInterval(perSeed.map((r) => r.ood!)) : null,
  };
}
