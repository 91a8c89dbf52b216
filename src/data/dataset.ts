// Dataset interfaces (map-style, like torch.utils.data.Dataset) and in-memory, subset, relabelled and batching helpers.
import { tensor } from '../engine/create.js';
import { ArgumentError } from '../core/errors.js';
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import type { Image } from './image.js';
import { rotate90, writeFloat, type Normalize } from './transforms.js';

/** A map-style dataset: `length` items addressed by `get(i)`, 0 ≤ i < length (PyTorch's `Dataset`). */
export interface Dataset<T> {
  readonly length: number;
  get(i: number): T;
}

/** One labelled example of an image classification dataset. */
export interface LabeledImage {
  image: Image<Uint8Array | Float32Array>;
  label: number;
}

/**
 * An image classification dataset: labels are known without decoding any image (`labels[i]` is example i's class,
 * an index into `classes`), and every image has shape `imageShape` = [channels, height, width].
 */
export interface ClassificationDataset extends Dataset<LabeledImage> {
  readonly labels: Int32Array;
  readonly classes: readonly string[];
  readonly imageShape: readonly [number, number, number];
}

export function checkIndex(where: string, i: number, n: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new ArgumentError(where, `index ${i} out of range [0, ${n})`);
}

/**
 * Images held in one contiguous planar array (N×C×H×W, uint8 or float32) with int32 labels — the compact in-memory
 * form every loader produces (like torchvision's `data`/`targets`). `get(i)` returns a view, not a copy.
 * @example const ds = new ImageArrayDataset(pixels, [60000, 1, 28, 28], labels, ['0', ..., '9']);
 */
export class ImageArrayDataset implements ClassificationDataset {
  readonly length: number;
  readonly imageShape: readonly [number, number, number];
  constructor(
    readonly pixels: Uint8Array | Float32Array,
    shape: readonly [number, number, number, number],
    readonly labels: Int32Array,
    readonly classes: readonly string[],
  ) {
    const [n, c, h, w] = shape;
    if (pixels.length !== n * c * h * w) throw new ArgumentError('ImageArrayDataset', `pixels has ${pixels.length} values, shape [${shape.join(',')}] needs ${n * c * h * w}`);
    if (labels.length !== n) throw new ArgumentError('ImageArrayDataset', `${labels.length} labels for ${n} images`);
    for (let i = 0; i < n; i++) {
      if (labels[i]! < 0 || labels[i]! >= classes.length) throw new ArgumentError('ImageArrayDataset', `label ${labels[i]} of example ${i} outside [0, ${classes.length})`);
    }
    this.length = n;
    this.imageShape = [c, h, w];
  }

  get(i: number): LabeledImage {
    checkIndex('ImageArrayDataset.get', i, this.length);
    const [c, h, w] = this.imageShape;
    const size = c * h * w;
    return { image: { data: this.pixels.subarray(i * size, (i + 1) * size), channels: c, height: h, width: w }, label: this.labels[i]! };
  }
}

/** Examples decoded on demand by `load(i)` (e.g. an ImageFolder), with labels known up front. */
export class LazyImageDataset implements ClassificationDataset {
  readonly length: number;
  constructor(
    readonly labels: Int32Array,
    readonly classes: readonly string[],
    readonly imageShape: readonly [number, number, number],
    private readonly load: (i: number) => Image<Uint8Array | Float32Array>,
  ) {
    this.length = labels.length;
  }

  get(i: number): LabeledImage {
    checkIndex('LazyImageDataset.get', i, this.length);
    return { image: this.load(i), label: this.labels[i]! };
  }
}

/**
 * The examples of `ds` whose classes are in `classIds` (in that order), relabelled 0..k−1 — one split of a
 * dataset by class, as few-shot splits are. `classNames` overrides the names of the kept classes.
 * @example const test = subsetClasses(omniglot, evaluationIds);
 */
export function subsetClasses(ds: ClassificationDataset, classIds: readonly number[], classNames?: readonly string[]): ClassificationDataset {
  const map = new Int32Array(ds.classes.length).fill(-1);
  classIds.forEach((c, k) => {
    if (!Number.isInteger(c) || c < 0 || c >= ds.classes.length) throw new ArgumentError('subsetClasses', `class id ${c} outside [0, ${ds.classes.length})`);
    if (map[c] !== -1) throw new ArgumentError('subsetClasses', `class id ${c} listed twice`);
    map[c] = k;
  });
  const idx: number[] = [];
  for (let i = 0; i < ds.length; i++) if (map[ds.labels[i]!] !== -1) idx.push(i);
  const index = Int32Array.from(idx);
  const labels = new Int32Array(index.length);
  for (let j = 0; j < index.length; j++) labels[j] = map[ds.labels[index[j]!]!]!;
  return new IndexedView(ds, index, labels, classNames ?? classIds.map((c) => ds.classes[c]!), (img) => img);
}

/** A view of selected examples of a base dataset with new labels and an optional per-example image transform. */
export class IndexedView implements ClassificationDataset {
  readonly length: number;
  readonly imageShape: readonly [number, number, number];
  constructor(
    readonly base: ClassificationDataset,
    readonly index: Int32Array,
    readonly labels: Int32Array,
    readonly classes: readonly string[],
    private readonly transform: (img: Image<Uint8Array | Float32Array>, j: number) => Image<Uint8Array | Float32Array>,
    imageShape?: readonly [number, number, number],
  ) {
    this.length = index.length;
    this.imageShape = imageShape ?? base.imageShape;
  }

  get(j: number): LabeledImage {
    checkIndex('IndexedView.get', j, this.length);
    return { image: this.transform(this.base.get(this.index[j]!).image, j), label: this.labels[j]! };
  }
}

/**
 * Rotations as new classes (Vinyals et al. 2016; Snell et al. 2017): every class c of `ds` becomes
 * `rotations.length` classes `c*R + r`, named `<name>/rotDDD`, whose images are rotated counter-clockwise.
 * The rotation of each class is fixed by its id, so no closure captures a loop variable.
 * @example rotationClasses(background, [0, 90, 180, 270]).classes.length // 4 × 964
 */
export function rotationClasses(ds: ClassificationDataset, rotations: readonly number[] = [0, 90, 180, 270]): ClassificationDataset {
  for (const r of rotations) if (![0, 90, 180, 270].includes(r)) throw new ArgumentError('rotationClasses', `rotation ${r} is not a multiple of 90 in [0, 270]`);
  const R = rotations.length;
  const n = ds.length * R;
  const index = new Int32Array(n), labels = new Int32Array(n), rot = new Int8Array(n);
  for (let i = 0, j = 0; i < ds.length; i++) {
    for (let r = 0; r < R; r++, j++) {
      index[j] = i;
      labels[j] = ds.labels[i]! * R + r;
      rot[j] = rotations[r]! / 90;
    }
  }
  const classes: string[] = [];
  for (const c of ds.classes) for (const r of rotations) classes.push(`${c}/rot${String(r).padStart(3, '0')}`);
  const [c, h, w] = ds.imageShape;
  if (h !== w && rotations.some((r) => r % 180 !== 0)) throw new ArgumentError('rotationClasses', `90° rotations need square images, got ${h}×${w}`);
  return new IndexedView(ds, index, labels, classes, (img, j) => rotate90(img, rot[j]!), [c, h, w]);
}

/** Options for turning images into float tensors. */
export interface BatchOptions {
  /** Per-channel (x/255 − mean)/std; omitted: x/255 in [0, 1]. */
  normalize?: Normalize | undefined;
  /** Tensor layout, NCHW (default, PyTorch) or NHWC. */
  layout?: 'NCHW' | 'NHWC';
}

/** A batch of examples as tensors: `x` float32 [n, C, H, W] (or NHWC), `y` int32 [n]. */
export interface Batch {
  x: Tensor;
  y: Tensor;
}

/**
 * Gather examples `indices` of `ds` into tensors (images become float32 only here).
 * `labels` overrides the y values (episodes relabel classes 0..N−1); `images` optionally maps each image first.
 * @example const { x, y } = collate(ds, [0, 1, 2]);   // x: [3, 1, 28, 28]
 */
export function collate(
  ds: ClassificationDataset,
  indices: ArrayLike<number>,
  opts: BatchOptions & { labels?: ArrayLike<number>; images?: (img: Image<Uint8Array | Float32Array>, k: number) => Image<Uint8Array | Float32Array> } = {},
): Batch {
  const [c, h, w] = ds.imageShape;
  const size = c * h * w;
  const n = indices.length;
  const x = new Float32Array(n * size);
  const y = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const ex = ds.get(indices[k]!);
    const img = opts.images ? opts.images(ex.image, k) : ex.image;
    if (img.channels !== c || img.height !== h || img.width !== w) {
      throw new ArgumentError('collate', `example ${indices[k]} has shape [${img.channels},${img.height},${img.width}], the dataset declares [${c},${h},${w}]`);
    }
    writeFloat(img, x, k * size, { normalize: opts.normalize, layout: opts.layout ?? 'NCHW' });
    y[k] = opts.labels ? opts.labels[k]! : ex.label;
  }
  const shape = opts.layout === 'NHWC' ? [n, h, w, c] : [n, c, h, w];
  return { x: tensor(x, { shape }), y: tensor(y, { shape: [n] }) };
}

/**
 * Mini-batches over a dataset in a seeded random order (or in order without `rng`), like a PyTorch DataLoader
 * with `shuffle=True`. The last short batch is kept unless `dropLast`.
 * @example for (const { x, y } of batches(train, { batchSize: 64, rng })) { ... }
 */
export function* batches(ds: ClassificationDataset, opts: BatchOptions & { batchSize: number; rng?: Rng; dropLast?: boolean }): Generator<Batch> {
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new ArgumentError('batches', `batchSize must be a positive integer, got ${opts.batchSize}`);
  const order = opts.rng ? opts.rng.permutation(ds.length) : Array.from({ length: ds.length }, (_, i) => i);
  for (let s = 0; s < order.length; s += opts.batchSize) {
    const idx = order.slice(s, s + opts.batchSize);
    if (idx.length < opts.batchSize && opts.dropLast) break;
    yield collate(ds, idx, opts);
  }
}

/** Count of examples per class. */
export function classCounts(ds: { labels: Int32Array; classes: readonly string[] }): Int32Array {
  const c = new Int32Array(ds.classes.length);
  for (let i = 0; i < ds.labels.length; i++) c[ds.labels[i]!]!++;
  return c;
}
