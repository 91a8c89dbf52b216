// Tasks for multi-task learning by name: whole datasets, class subsets, derived label spaces and Omniglot alphabets.
import { ArgumentError } from '../core/errors.js';
import { collate, IndexedView, subsetClasses, type ClassificationDataset } from '../data/dataset.js';
import { FASHION_MNIST_SUPERCLASSES } from '../data/mnist.js';
import { OmniglotDataset } from '../data/omniglot.js';
import { OMNIGLOT_ALPHABETS } from '../data/omniglot-alphabets.js';
import { openDataset, trainTestSplits, type OpenOptions } from '../data/registry.js';
import { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';

/** A task's examples as tensors: images float32 [n, C, H, W] in [0, 1], labels int32 [n]. */
export interface LabeledTensors {
  x: Tensor;
  y: Tensor;
}

/** One task of a multi-task problem: its own inputs, label space and size. */
export interface ClassificationTask {
  /** the spec it was made from, e.g. `fashion-mnist:superclass` */
  name: string;
  classes: readonly string[];
  /** the training examples (a view of the dataset, for code that wants a dataset) and the same as tensors */
  trainSet: ClassificationDataset;
  train: LabeledTensors;
  testSet: ClassificationDataset;
  test: LabeledTensors;
}

/** What a task spec asks for. */
export type TaskView =
  | { kind: 'all' }
  | { kind: 'classes'; ids: number[] }
  | { kind: 'parity' }
  | { kind: 'superclass' }
  | { kind: 'alphabet'; name: string };

export interface TaskSpec {
  spec: string;
  dataset: string;
  view: TaskView;
}

export const TASK_SYNTAX = 'DATASET | DATASET:classes=A-B|A+B+… | mnist:parity | fashion-mnist:superclass | omniglot:ALPHABET';

/** The naming scheme of tasks, for help texts. */
export const TASK_HELP = [
  'Tasks (comma-separated, each its own inputs, label space and size):',
  '  mnist, fashion-mnist, cifar10, … or a path    every class of the dataset',
  '  DATASET:classes=0-4  or  DATASET:classes=1+3+5   a subset of its classes, relabelled 0..k−1',
  '  mnist:parity                                 digits as even/odd (2 classes)',
  '  fashion-mnist:superclass                     tops / footwear / other (3 classes)',
  '  omniglot:ALPHABET                            that alphabet\'s characters (e.g. omniglot:Greek); drawers 1–15 train, 16–20 test',
  'Train/test splits are the dataset\'s; where it has no train split (the embedded MNIST digits) even indices train, odd ones test.',
].join('\n');

function parseClassIds(spec: string, list: string): number[] {
  const ids: number[] = [];
  for (const part of list.split('+')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new ArgumentError('task', `"${spec}": classes= takes ids and ranges joined by +, e.g. classes=0-4 or classes=1+3+5`);
    const a = Number(m[1]), b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new ArgumentError('task', `"${spec}": range ${part} is empty`);
    for (let k = a; k <= b; k++) ids.push(k);
  }
  if (new Set(ids).size !== ids.length) throw new ArgumentError('task', `"${spec}": a class is listed twice`);
  return ids;
}

/** Parse a task spec (see TASK_SYNTAX); datasets are not opened here. */
export function parseTaskSpec(spec: string): TaskSpec {
  const s = spec.trim();
  if (!s) throw new ArgumentError('task', `an empty task name (${TASK_SYNTAX})`);
  const colon = s.lastIndexOf(':');
  // a Windows drive letter or a path with colons is a path, not DATASET:VIEW
  if (colon <= 0 || /[\\/]/.test(s.slice(colon))) return { spec: s, dataset: s, view: { kind: 'all' } };
  const dataset = s.slice(0, colon), view = s.slice(colon + 1);
  if (view.startsWith('classes=')) return { spec: s, dataset, view: { kind: 'classes', ids: parseClassIds(s, view.slice('classes='.length)) } };
  if (view === 'parity') return { spec: s, dataset, view: { kind: 'parity' } };
  if (view === 'superclass') return { spec: s, dataset, view: { kind: 'superclass' } };
  if (/^omniglot/.test(dataset)) return { spec: s, dataset, view: { kind: 'alphabet', name: view } };
  throw new ArgumentError('task', `unknown view "${view}" in "${s}" (${TASK_SYNTAX})`);
}

function relabel(ds: ClassificationDataset, labels: Int32Array, classes: readonly string[]): ClassificationDataset {
  return new IndexedView(ds, Int32Array.from({ length: ds.length }, (_, i) => i), labels, classes, (img) => img);
}

/** An Omniglot alphabet as a task: its characters, drawers 1–15 for training and 16–20 for testing. */
function alphabetTask(spec: string, name: string, opts: OpenOptions): { train: ClassificationDataset; test: ClassificationDataset } {
  const ds = openDataset('omniglot', opts).split('all').dataset;
  if (!(ds instanceof OmniglotDataset)) throw new ArgumentError('task', `"${spec}": the omniglot data is not an Omniglot dataset`);
  const known = ds.alphabets;
  const match = known.find((a) => a === name) ?? known.find((a) => a.toLowerCase() === name.toLowerCase());
  if (!match) {
    const all = OMNIGLOT_ALPHABETS.map((a) => a.name).filter((a) => known.includes(a));
    throw new ArgumentError('task', `unknown Omniglot alphabet "${name}" (alphabets: ${all.join(', ')})`);
  }
  const a = known.indexOf(match);
  const classIds: number[] = [];
  ds.alphabetOfClass.forEach((k, c) => { if (k === a) classIds.push(c); });
  const chars = subsetClasses(ds, classIds);
  const view = chars as IndexedView;
  const pick = (train: boolean): ClassificationDataset => {
    const idx: number[] = [];
    for (let j = 0; j < view.length; j++) if ((ds.drawers[view.index[j]!]! <= 15) === train) idx.push(j);
    const index = Int32Array.from(idx);
    return new IndexedView(view, index, Int32Array.from(index, (j) => view.labels[j]!), view.classes, (img) => img);
  };
  return { train: pick(true), test: pick(false) };
}

/** The full train and test splits of a task (before any subsampling). */
export function taskSplits(t: TaskSpec, opts: OpenOptions = {}): { train: ClassificationDataset; test: ClassificationDataset } {
  if (t.view.kind === 'alphabet') return alphabetTask(t.spec, t.view.name, opts);
  const { train, test } = trainTestSplits(t.dataset, opts);
  const view = t.view;
  switch (view.kind) {
    case 'all': return { train, test };
    case 'classes': {
      const k = train.classes.length;
      for (const c of view.ids) if (c >= k) throw new ArgumentError('task', `"${t.spec}": class ${c} is outside 0..${k - 1} (${t.dataset} has ${k} classes)`);
      return { train: subsetClasses(train, view.ids), test: subsetClasses(test, view.ids) };
    }
    case 'parity': {
      if (train.classes.join() !== '0,1,2,3,4,5,6,7,8,9') throw new ArgumentError('task', `"${t.spec}": parity needs the digits 0–9 (mnist)`);
      const parity = (ds: ClassificationDataset): ClassificationDataset => relabel(ds, Int32Array.from(ds.labels, (y) => y % 2), ['even', 'odd']);
      return { train: parity(train), test: parity(test) };
    }
    case 'superclass': {
      if (train.classes[0] !== 'T-shirt/top' || train.classes.length !== 10) throw new ArgumentError('task', `"${t.spec}": superclass is defined for fashion-mnist`);
      const g = FASHION_MNIST_SUPERCLASSES;
      const group = (ds: ClassificationDataset): ClassificationDataset => relabel(ds, Int32Array.from(ds.labels, (y) => g.groupOf[y]!), g.names);
      return { train: group(train), test: group(test) };
    }
  }
}

function take(ds: ClassificationDataset, picks: readonly number[]): ClassificationDataset {
  const index = Int32Array.from(picks);
  return new IndexedView(ds, index, Int32Array.from(index, (i) => ds.labels[i]!), ds.classes, (img) => img);
}

export interface LoadTaskOptions extends OpenOptions {
  /** training examples to keep (a seeded random draw; all when omitted or larger than the split) */
  trainSize?: number;
  /** test examples to score (a draw that depends on `testSeed` only, so every seed scores the same ones) */
  testSize?: number;
  /** the seed of the training draw */
  seed: number;
  testSeed?: number;
}

/**
 * Make a task from its spec: the split, a draw of `trainSize` training examples with `seed` and of `testSize` test
 * examples with `testSeed`, both collated into tensors.
 * @example loadTask('mnist:parity', { trainSize: 1000, seed: 0 }).classes   // ['even', 'odd']
 */
export function loadTask(spec: string | TaskSpec, opts: LoadTaskOptions): ClassificationTask {
  const t = typeof spec === 'string' ? parseTaskSpec(spec) : spec;
  const { train, test } = taskSplits(t, opts);
  if (train.length === 0 || test.length === 0) throw new ArgumentError('task', `"${t.spec}" has ${train.length} training and ${test.length} test examples`);
  const draw = (ds: ClassificationDataset, n: number | undefined, rng: Rng): ClassificationDataset =>
    n === undefined || n >= ds.length ? ds : take(ds, rng.choice(ds.length, n).sort((a, b) => a - b));
  const trainSet = draw(train, opts.trainSize, new Rng(opts.seed).fork(`train/${t.spec}`));
  const testSet = draw(test, opts.testSize, new Rng(opts.testSeed ?? 0).fork(`test/${t.spec}`));
  const all = (ds: ClassificationDataset): LabeledTensors => collate(ds, Int32Array.from({ length: ds.length }, (_, i) => i));
  return { name: t.spec, classes: trainSet.classes, trainSet, train: all(trainSet), testSet, test: all(testSet) };
}
