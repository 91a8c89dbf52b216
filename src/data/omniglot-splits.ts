// Omniglot few-shot split presets by name: lake, vinyals, snell, maml (class lists, rotations, seeded shuffles).
import { join } from 'node:path';
import { ArgumentError, FormatError } from '../core/errors.js';
import { Rng } from '../engine/rng.js';
import { rotationClasses, subsetClasses, type ClassificationDataset } from './dataset.js';
import { fileExists, readFileBytes } from './io.js';
import type { OmniglotCharacter, OmniglotDataset } from './omniglot.js';

export type OmniglotPreset = 'lake' | 'vinyals' | 'snell' | 'maml';
export const OMNIGLOT_PRESETS: readonly OmniglotPreset[] = ['lake', 'vinyals', 'snell', 'maml'];
export type SplitName = 'train' | 'val' | 'test';

/** The Snell et al. (2017) validation alphabets, carved out of the Vinyals training characters. */
export const SNELL_VAL_ALPHABETS = ['Armenian', 'Bengali', 'Early_Aramaic', 'Hebrew', 'Mkhedruli_(Georgian)'] as const;

/** The splits of one preset: datasets whose classes are characters (or character/rotation pairs). */
export interface OmniglotSplits {
  preset: OmniglotPreset;
  train: ClassificationDataset;
  val: ClassificationDataset | null;
  test: ClassificationDataset;
  /** Characters (`Alphabet/characterNN`) in each split, without rotations. */
  characters: Record<SplitName, string[]>;
  /**
   * MAML's augmentation: each class of a task gets one random multiple of 90° (same for all its images),
   * drawn per task from the episode RNG. Pass `rotate: 'random90'` to the episode sampler.
   */
  rotateTasks: boolean;
  /** Where the class lists came from (e.g. the split files, or the built-in rule). */
  origin: string;
}

function requireAll(ds: OmniglotDataset, preset: string): void {
  if (ds.characters.length !== 1623) {
    throw new ArgumentError(`omniglotSplits(${preset})`, `needs all 1,623 characters (background and evaluation), the dataset has ${ds.characters.length}`);
  }
}

function byAlphabetOrder(chars: readonly OmniglotCharacter[]): OmniglotCharacter[] {
  return chars.slice().sort((a, b) => (a.alphabet < b.alphabet ? -1 : a.alphabet > b.alphabet ? 1 : a.number - b.number));
}

function rotated(names: readonly string[]): string[] {
  return names.flatMap((n) => ['000', '090', '180', '270'].map((r) => `${n}/rot${r}`));
}

function classesByName(ds: ClassificationDataset, names: readonly string[], where: string): ClassificationDataset {
  const index = new Map(ds.classes.map((c, k) => [c, k]));
  const ids = names.map((n) => {
    const k = index.get(n);
    if (k === undefined) throw new FormatError(where, `class "${n}" is not in the dataset`);
    return k;
  });
  return subsetClasses(ds, ids);
}

function readSplitFile(file: string): string[] {
  const lines = readFileBytes(file).toString('utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  for (const l of lines) {
    if (!/^[^/]+\/character\d\d\/rot(000|090|180|270)$/.test(l)) throw new FormatError(file, `line "${l}" is not Alphabet/characterNN/rotDDD`);
  }
  return lines;
}

/**
 * The Vinyals et al. (2016) character lists: training = all background characters plus the first 236 evaluation
 * characters in alphabetical order (alphabet, then character number); test = the other 423. Snell et al. (2017)
 * carve 5 alphabets (`SNELL_VAL_ALPHABETS`) out of training for validation. Names are `Alphabet/characterNN`,
 * in alphabetical order, as in the published split files.
 */
export function vinyalsCharacters(ds: OmniglotDataset): { trainval: string[]; train: string[]; val: string[]; test: string[] } {
  requireAll(ds, 'vinyals');
  const bg = ds.characters.filter((c) => c.set === 'background');
  const ev = byAlphabetOrder(ds.characters.filter((c) => c.set === 'evaluation'));
  const trainvalSet = new Set([...bg, ...ev.slice(0, 236)].map((c) => c.name));
  const all = byAlphabetOrder(ds.characters);
  const trainval = all.filter((c) => trainvalSet.has(c.name));
  const val = trainval.filter((c) => (SNELL_VAL_ALPHABETS as readonly string[]).includes(c.alphabet));
  const train = trainval.filter((c) => !(SNELL_VAL_ALPHABETS as readonly string[]).includes(c.alphabet));
  const test = all.filter((c) => !trainvalSet.has(c.name));
  const names = (l: OmniglotCharacter[]): string[] => l.map((c) => c.name);
  return { trainval: names(trainval), train: names(train), val: names(val), test: names(test) };
}

const strip = (n: string): string => n.replace(/\/rot\d{3}$/, '');
const unique = (l: string[]): string[] => [...new Set(l.map(strip))];

/**
 * Few-shot splits of Omniglot by preset name (see REFERENCE §5):
 * - `lake` (Lake et al. 2015): background 964 characters / evaluation 659, no rotations.
 * - `vinyals` (Vinyals et al. 2016): 1200 / 423 characters, each rotated by 0/90/180/270° as a new class (4800 / 1692).
 * - `snell` (Snell et al. 2017): 1028 / 172 / 423 characters with rotation classes (4112 / 688 / 1692), read from
 *   the split files `train.txt`, `val.txt`, `test.txt` in `splitDir` when given (else the same lists by rule).
 * - `maml` (Finn et al. 2017): all 1623 characters shuffled by `new Rng(seed)`, 1100 / 100 / 423, no rotation classes;
 *   instead each class of a task is rotated by a random multiple of 90° (`rotateTasks`).
 * @example
 * const s = omniglotSplits(loadOmniglot(dir), 'vinyals');
 * s.train.classes.length    // 4800
 */
export function omniglotSplits(ds: OmniglotDataset, preset: OmniglotPreset, opts: { seed?: number; splitDir?: string } = {}): OmniglotSplits {
  switch (preset) {
    case 'lake': {
      const bg = ds.classesOfSet('background'), ev = ds.classesOfSet('evaluation');
      if (bg.length === 0 || ev.length === 0) throw new ArgumentError('omniglotSplits(lake)', 'needs both the background and the evaluation set');
      const names = (ids: number[]): string[] => ids.map((k) => ds.classes[k]!);
      return {
        preset, train: subsetClasses(ds, bg), val: null, test: subsetClasses(ds, ev),
        characters: { train: names(bg), val: [], test: names(ev) }, rotateTasks: false, origin: 'background / evaluation zips',
      };
    }
    case 'vinyals': {
      const v = vinyalsCharacters(ds);
      const rot = rotationClasses(ds);
      return {
        preset, train: classesByName(rot, rotated(v.trainval), 'vinyals'), val: null, test: classesByName(rot, rotated(v.test), 'vinyals'),
        characters: { train: v.trainval, val: [], test: v.test }, rotateTasks: false, origin: 'rule: background + first 236 evaluation characters',
      };
    }
    case 'snell': {
      requireAll(ds, 'snell');
      const rot = rotationClasses(ds);
      let lists: Record<SplitName, string[]>;
      let origin: string;
      const files = opts.splitDir ? (['train', 'val', 'test'] as const).map((s) => join(opts.splitDir!, `${s}.txt`)) : [];
      if (files.length && files.every(fileExists)) {
        lists = { train: readSplitFile(files[0]!), val: readSplitFile(files[1]!), test: readSplitFile(files[2]!) };
        origin = `split files in ${opts.splitDir}`;
      } else {
        if (opts.splitDir) throw new FormatError(opts.splitDir, 'missing one of train.txt, val.txt, test.txt');
        const v = vinyalsCharacters(ds);
        lists = { train: rotated(v.train), val: rotated(v.val), test: rotated(v.test) };
        origin = 'rule: Vinyals split with 5 validation alphabets';
      }
      return {
        preset,
        train: classesByName(rot, lists.train, origin), val: classesByName(rot, lists.val, origin), test: classesByName(rot, lists.test, origin),
        characters: { train: unique(lists.train), val: unique(lists.val), test: unique(lists.test) }, rotateTasks: false, origin,
      };
    }
    case 'maml': {
      requireAll(ds, 'maml');
      const seed = opts.seed ?? 1;
      const perm = new Rng(seed).fork('omniglot-maml-split').permutation(ds.characters.length);
      const train = perm.slice(0, 1100), val = perm.slice(1100, 1200), test = perm.slice(1200);
      const names = (ids: number[]): string[] => ids.map((k) => ds.classes[k]!);
      return {
        preset, train: subsetClasses(ds, train), val: subsetClasses(ds, val), test: subsetClasses(ds, test),
        characters: { train: names(train), val: names(val), test: names(test) }, rotateTasks: true, origin: `seeded shuffle (seed ${seed})`,
      };
    }
    default:
      throw new ArgumentError('omniglotSplits', `unknown preset "${preset as string}" (known: ${OMNIGLOT_PRESETS.join(', ')})`);
  }
}
