// CIFAR-10 and CIFAR-100 binary batches (Krizhevsky 2009): records of label byte(s) + 3072 planar RGB bytes.
import { join } from 'node:path';
import { ArgumentError, FormatError } from '../core/errors.js';
import { cachedBuild } from './cache.js';
import { ImageArrayDataset } from './dataset.js';
import { fileExists, readFileBytes } from './io.js';

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

function names(file: string, fallback: readonly string[] | null, count: number): string[] {
  if (fileExists(file)) {
    const l = readFileBytes(file).toString('utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
    if (l.length !== count) throw new FormatError(file, `lists ${l.length} class names, expected ${count}`);
    return l;
  }
  return fallback ? [...fallback] : Array.from({ length: count }, (_, i) => String(i));
}

/**
 * Parse CIFAR binary batch files: `labelBytes` label bytes (1 for CIFAR-10; coarse and fine for CIFAR-100),
 * then 1024 R, 1024 G, 1024 B bytes (already planar CHW, 32×32). The file size must be a whole number of records.
 */
export function parseCifarBatches(files: readonly string[], labelBytes: 1 | 2, numClasses: readonly number[]): { pixels: Uint8Array; labels: Int32Array[] } {
  const rec = labelBytes + 3072;
  const bufs = files.map((f) => {
    const b = readFileBytes(f);
    if (b.length === 0 || b.length % rec !== 0) throw new FormatError(f, `${b.length} bytes is not a whole number of ${rec}-byte CIFAR records (truncated or not a CIFAR batch)`);
    return b;
  });
  const n = bufs.reduce((a, b) => a + b.length / rec, 0);
  const pixels = new Uint8Array(n * 3072);
  const labels = Array.from({ length: labelBytes }, () => new Int32Array(n));
  let i = 0;
  bufs.forEach((b, k) => {
    for (let o = 0; o < b.length; o += rec, i++) {
      for (let l = 0; l < labelBytes; l++) {
        const v = b[o + l]!;
        if (v >= numClasses[l]!) throw new FormatError(files[k]!, `record ${o / rec}: label ${v} ≥ ${numClasses[l]} classes`);
        labels[l]![i] = v;
      }
      pixels.set(b.subarray(o + labelBytes, o + rec), i * 3072);
    }
  });
  return { pixels, labels };
}

/**
 * CIFAR-10 from the binary version's folder `cifar-10-batches-bin` (data_batch_1..5.bin, test_batch.bin,
 * batches.meta.txt): 50,000 train / 10,000 test images, 3×32×32 uint8.
 * @example loadCifar10('data/cifar-10-batches-bin', 'test').length // 10000
 */
export function loadCifar10(dir: string, split: 'train' | 'test', opts: { cacheDir?: string | false } = {}): ImageArrayDataset {
  const files = split === 'train' ? [1, 2, 3, 4, 5].map((k) => join(dir, `data_batch_${k}.bin`)) : [join(dir, 'test_batch.bin')];
  for (const f of files) if (!fileExists(f)) throw new FormatError(f, 'no such file (expected the CIFAR-10 binary version)');
  const classes = names(join(dir, 'batches.meta.txt'), CIFAR10_CLASSES, 10);
  const e = cachedBuild(opts.cacheDir, 'cifar10', files, {}, () => {
    const { pixels, labels } = parseCifarBatches(files, 1, [10]);
    return { meta: {}, arrays: { pixels, labels: labels[0]! } };
  });
  const labels = e.arrays['labels'] as Int32Array;
  return new ImageArrayDataset(e.arrays['pixels'] as Uint8Array, [labels.length, 3, 32, 32], labels, classes);
}

/** A CIFAR-100 split with fine labels, plus the coarse (superclass) label of every example and class. */
export interface Cifar100 {
  dataset: ImageArrayDataset;
  coarseLabels: Int32Array;
  coarseClasses: string[];
  /** Superclass of every fine class. */
  coarseOfFine: Int32Array;
}

/**
 * CIFAR-100 from `cifar-100-binary` (train.bin, test.bin, coarse_label_names.txt, fine_label_names.txt):
 * records of coarse label, fine label, 3072 pixels. Fine labels are the classes; coarse ones come alongside for
 * subpopulation shifts (BREEDS-style superclass tasks).
 * @example const { dataset, coarseOfFine } = loadCifar100('data/cifar-100-binary', 'train');
 */
export function loadCifar100(dir: string, split: 'train' | 'test', opts: { cacheDir?: string | false } = {}): Cifar100 {
  const file = join(dir, `${split}.bin`);
  if (!fileExists(file)) throw new FormatError(file, 'no such file (expected the CIFAR-100 binary version)');
  const fine = names(join(dir, 'fine_label_names.txt'), null, 100);
  const coarse = names(join(dir, 'coarse_label_names.txt'), null, 20);
  const e = cachedBuild(opts.cacheDir, 'cifar100', [file], {}, () => {
    const { pixels, labels } = parseCifarBatches([file], 2, [20, 100]);
    return { meta: {}, arrays: { pixels, coarse: labels[0]!, fine: labels[1]! } };
  });
  const fineLabels = e.arrays['fine'] as Int32Array, coarseLabels = e.arrays['coarse'] as Int32Array;
  const coarseOfFine = new Int32Array(100).fill(-1);
  for (let i = 0; i < fineLabels.length; i++) {
    const f = fineLabels[i]!, c = coarseLabels[i]!;
    if (coarseOfFine[f] === -1) coarseOfFine[f] = c;
    else if (coarseOfFine[f] !== c) throw new FormatError(file, `fine class ${f} appears under coarse classes ${coarseOfFine[f]} and ${c}`);
  }
  if (fineLabels.length === 0) throw new ArgumentError('loadCifar100', 'empty split');
  return {
    dataset: new ImageArrayDataset(e.arrays['pixels'] as Uint8Array, [fineLabels.length, 3, 32, 32], fineLabels, fine),
    coarseLabels, coarseClasses: coarse, coarseOfFine,
  };
}
