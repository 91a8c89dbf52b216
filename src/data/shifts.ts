// Output-level (label permutation, label flips) and feature-level (held-out sub-classes or groups) distribution shifts.
import { ArgumentError } from '../core/errors.js';
import type { Rng } from '../engine/rng.js';
import { IndexedView, subsetClasses, type ClassificationDataset } from './dataset.js';

function relabel(ds: ClassificationDataset, labels: Int32Array, classes: readonly string[]): ClassificationDataset {
  const index = Int32Array.from({ length: ds.length }, (_, i) => i);
  return new IndexedView(ds, index, labels, classes, (img) => img);
}

/**
 * Output-level shift: the same inputs with classes renamed by a random permutation π (label y becomes π[y]),
 * never the identity when there are two or more classes. Only the last layer needs to change (Lee et al. 2023).
 * @example const { dataset, permutation } = permuteLabels(target, rng);
 */
export function permuteLabels(ds: ClassificationDataset, rng: Rng): { dataset: ClassificationDataset; permutation: Int32Array } {
  const k = ds.classes.length;
  let perm = rng.permutation(k);
  while (k > 1 && perm.every((v, i) => v === i)) perm = rng.permutation(k);
  const permutation = Int32Array.from(perm);
  const labels = Int32Array.from(ds.labels, (y) => permutation[y]!);
  const classes = new Array<string>(k);
  for (let y = 0; y < k; y++) classes[permutation[y]!] = ds.classes[y]!;
  return { dataset: relabel(ds, labels, classes), permutation };
}

/**
 * Label noise: a `fraction` of examples (chosen by `rng`) get a wrong label — uniformly another class (`uniform`),
 * or the next class y+1 mod K (`pairs`, a systematic flip). Returns the flipped example indices.
 * @example const { dataset, flipped } = flipLabels(train, { fraction: 0.2, rng });
 */
export function flipLabels(ds: ClassificationDataset, opts: { fraction: number; rng: Rng; mode?: 'uniform' | 'pairs' }): { dataset: ClassificationDataset; flipped: Int32Array } {
  const { fraction, rng } = opts;
  if (!(fraction >= 0 && fraction <= 1)) throw new ArgumentError('flipLabels', `fraction must be in [0, 1], got ${fraction}`);
  const k = ds.classes.length;
  if (k < 2) throw new ArgumentError('flipLabels', 'needs at least two classes');
  const count = Math.round(fraction * ds.length);
  const flipped = Int32Array.from(rng.choice(ds.length, count)).sort();
  const labels = ds.labels.slice();
  for (const i of flipped) {
    const y = labels[i]!;
    labels[i] = opts.mode === 'pairs' ? (y + 1) % k : (y + 1 + rng.integer(0, k - 1)) % k;
  }
  return { dataset: relabel(ds, labels, ds.classes), flipped };
}

/**
 * Feature-level (subpopulation) shift, BREEDS-style (Santurkar et al. 2021): classify groups (e.g. Omniglot
 * alphabets, CIFAR-100 superclasses) while source and target see disjoint sub-classes of every group.
 * `groupOf[c]` is the group of class c; per group, `round(heldOut × size)` sub-classes (at least 1, at most size − 1)
 * go to the target. Labels of both datasets are group ids.
 * @example const { source, target } = holdOutSubclasses(omniglot, omniglot.alphabetOfClass, { heldOut: 0.5, rng });
 */
export function holdOutSubclasses(
  ds: ClassificationDataset,
  groupOf: Int32Array,
  opts: { heldOut: number; rng: Rng; groupNames?: readonly string[] },
): { source: ClassificationDataset; target: ClassificationDataset; sourceClasses: number[]; targetClasses: number[] } {
  if (groupOf.length !== ds.classes.length) throw new ArgumentError('holdOutSubclasses', `groupOf has ${groupOf.length} entries for ${ds.classes.length} classes`);
  if (!(opts.heldOut > 0 && opts.heldOut < 1)) throw new ArgumentError('holdOutSubclasses', `heldOut must be in (0, 1), got ${opts.heldOut}`);
  const groups = Math.max(...groupOf) + 1;
  const members: number[][] = Array.from({ length: groups }, () => []);
  groupOf.forEach((g, c) => members[g]!.push(c));
  const sourceClasses: number[] = [], targetClasses: number[] = [];
  members.forEach((m, g) => {
    if (m.length < 2) throw new ArgumentError('holdOutSubclasses', `group ${g} has ${m.length} sub-class; each group needs at least 2 to split`);
    const take = Math.min(m.length - 1, Math.max(1, Math.round(opts.heldOut * m.length)));
    const order = opts.rng.permutation(m.length);
    order.forEach((o, j) => (j < take ? targetClasses : sourceClasses).push(m[o]!));
  });
  sourceClasses.sort((a, b) => a - b);
  targetClasses.sort((a, b) => a - b);
  const names = opts.groupNames ?? Array.from({ length: groups }, (_, g) => `group${g}`);
  const toGroups = (classes: number[]): ClassificationDataset => {
    const sub = subsetClasses(ds, classes);
    const labels = Int32Array.from(sub.labels, (y) => groupOf[classes[y]!]!);
    return relabel(sub, labels, names);
  };
  return { source: toGroups(sourceClasses), target: toGroups(targetClasses), sourceClasses, targetClasses };
}

/**
 * Hold out whole groups (e.g. alphabets): the source keeps the classes of the other groups, the target gets the
 * classes of `groups` (ids) — a new-domain transfer task. Each side keeps its own class labels, relabelled 0..k−1.
 * @example const { source, target } = holdOutGroups(ds, ds.alphabetOfClass, { groups: [3, 7] });
 */
export function holdOutGroups(ds: ClassificationDataset, groupOf: Int32Array, opts: { groups: readonly number[] }): { source: ClassificationDataset; target: ClassificationDataset } {
  if (groupOf.length !== ds.classes.length) throw new ArgumentError('holdOutGroups', `groupOf has ${groupOf.length} entries for ${ds.classes.length} classes`);
  const held = new Set(opts.groups);
  const src: number[] = [], tgt: number[] = [];
  groupOf.forEach((g, c) => (held.has(g) ? tgt : src).push(c));
  if (tgt.length === 0 || src.length === 0) throw new ArgumentError('holdOutGroups', 'both sides need at least one class');
  return { source: subsetClasses(ds, src), target: subsetClasses(ds, tgt) };
}
