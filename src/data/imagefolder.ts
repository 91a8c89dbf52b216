// ImageFolder: one sub-folder per class of PNG/JPEG files (torchvision's ImageFolder layout), decoded lazily or all at once.
import { extname, join, relative } from 'node:path';
import { FormatError } from '../core/errors.js';
import { cachedBuild } from './cache.js';
import { ImageArrayDataset, LazyImageDataset, type ClassificationDataset } from './dataset.js';
import { readImage, type ChannelMode, type Image } from './image.js';
import { dirExists, listDir, pathKind, sha256Bytes, walkFiles } from './io.js';
import { resize, type ResizeFilter } from './transforms.js';

export interface ImageFolderOptions {
  /** 1 = grayscale, 3 = RGB. Default 3. */
  channels?: ChannelMode;
  /** Resize every image to size×size (or [height, width]); without it all images must share one size. */
  size?: number | readonly [number, number];
  filter?: ResizeFilter;
  /** File extensions (lower case). Default .png, .jpg, .jpeg. */
  extensions?: readonly string[];
  /** Pixel cap per image (default `$ADAPTLAB_MAX_IMAGE_PIXELS`, else 2^24; see `DEFAULT_MAX_IMAGE_PIXELS`). */
  maxPixels?: number;
}

/** Image files under a class folder, sorted depth first (links to folders are not followed: see `walkFiles`). */
function listFiles(dir: string, exts: readonly string[]): string[] {
  return walkFiles(dir, { skipHidden: true, keep: (name) => exts.includes(extname(name).toLowerCase()) }).map((rel) => join(dir, rel));
}

/** The files and classes of an ImageFolder tree, without decoding. */
export function scanImageFolder(root: string, extensions: readonly string[] = ['.png', '.jpg', '.jpeg']): { classes: string[]; files: string[]; labels: Int32Array } {
  if (!dirExists(root)) throw new FormatError(root, 'no such folder');
  // class folders may be symbolic links to folders; below them links to folders are not followed
  const classes = listDir(root).filter((n) => !n.startsWith('.') && pathKind(join(root, n)).kind === 'dir').sort();
  if (classes.length === 0) throw new FormatError(root, 'no class sub-folders (ImageFolder expects root/<class>/<image>)');
  const files: string[] = [];
  const labels: number[] = [];
  classes.forEach((c, k) => {
    for (const f of listFiles(join(root, c), extensions)) { files.push(f); labels.push(k); }
  });
  if (files.length === 0) throw new FormatError(root, `no images with extensions ${extensions.join(', ')}`);
  return { classes, files, labels: Int32Array.from(labels) };
}

/**
 * A classification dataset from `root/<class>/<image>.png|jpg` (torchvision.datasets.ImageFolder): classes are the
 * sorted folder names, files are read lazily on `get`. Use `loadImageFolder` to decode everything into memory (cached).
 * @example const ds = imageFolder('pets', { channels: 3, size: 84 }); ds.classes // ['cat', 'dog']
 */
export function imageFolder(root: string, opts: ImageFolderOptions = {}): ClassificationDataset {
  const { classes, files, labels } = scanImageFolder(root, opts.extensions);
  const channels = opts.channels ?? 3;
  const decodeOpts = opts.maxPixels === undefined ? {} : { maxPixels: opts.maxPixels };
  const size = opts.size === undefined ? null : typeof opts.size === 'number' ? [opts.size, opts.size] as const : opts.size;
  let shape: [number, number, number];
  if (size) shape = [channels, size[0], size[1]];
  else {
    const first = readImage(files[0]!, channels, decodeOpts);
    shape = [channels, first.height, first.width];
  }
  const load = (i: number): Image => {
    const img = readImage(files[i]!, channels, decodeOpts);
    if (size) return img.height === size[0] && img.width === size[1] ? img : resize(img, size[0], size[1], opts.filter ?? 'triangle');
    if (img.height !== shape[1] || img.width !== shape[2]) {
      throw new FormatError(files[i]!, `is ${img.width}×${img.height}, the folder's first image is ${shape[2]}×${shape[1]} (pass size to resize)`);
    }
    return img;
  };
  return new LazyImageDataset(labels, classes, shape, load);
}

/** An ImageFolder decoded into one uint8 array, cached by the files' checksums and the options. */
export function loadImageFolder(root: string, opts: ImageFolderOptions & { cacheDir?: string | false } = {}): ImageArrayDataset {
  const lazy = imageFolder(root, opts);
  const { files } = scanImageFolder(root, opts.extensions);
  const [c, h, w] = lazy.imageShape;
  const e = cachedBuild(opts.cacheDir, 'imagefolder', files, { channels: c, h, w, filter: opts.filter ?? 'triangle', classes: lazy.classes, paths: sha256Bytes(files.map((f) => relative(root, f)).join('\n')) }, () => {
    const pixels = new Uint8Array(lazy.length * c * h * w);
    for (let i = 0; i < lazy.length; i++) pixels.set(lazy.get(i).image.data as Uint8Array, i * c * h * w);
    return { meta: {}, arrays: { pixels } };
  });
  return new ImageArrayDataset(e.arrays['pixels'] as Uint8Array, [lazy.length, c, h, w], lazy.labels, lazy.classes);
}
