// Drawings and uploads to Omniglot-like inputs: RGBA → gray over white, ink made bright (inverted), padded square, 28×28 anti-aliased.
import { ArgumentError } from '../core/errors.js';
import { tensor } from '../engine/create.js';
import type { Tensor } from '../engine/tensor.js';
import type { Image } from '../data/image.js';
import { luma, resize, writeFloat } from '../data/transforms.js';

export interface PreprocessOptions {
  /** output side (default 28, Omniglot's few-shot size) */
  size?: number;
  /**
   * `true` inverts (dark ink on a light background, as Omniglot's files and the drawing canvas), `false` keeps the
   * pixels (already bright ink on dark), `'auto'` (default) inverts when the border is mostly light.
   */
  invert?: boolean | 'auto';
}

export interface Preprocessed {
  /** `size`×`size` gray, ink bright (255) on a dark background (0), as the data layer's Omniglot images */
  image: Image<Uint8Array>;
  inverted: boolean;
}

/**
 * RGBA pixels (a canvas's ImageData, row-major, 4 bytes per pixel) → an Omniglot-style image, in the order the data
 * layer prepares Omniglot (data/omniglot.ts: gray, invert, anti-aliased `triangle` resize of the 105×105 drawing):
 * transparent pixels are composited over white, gray is PIL's luma, the image is inverted so the ink is bright,
 * padded to a square with the background (centred), and resized with the same filter. An image already of the
 * output size is not resampled, so a 28×28 Omniglot character comes out unchanged.
 * @example const { image } = preprocessRGBA(ctx.getImageData(0, 0, w, h).data, w, h);
 */
export function preprocessRGBA(rgba: ArrayLike<number>, width: number, height: number, opts: PreprocessOptions = {}): Preprocessed {
  const size = opts.size ?? 28;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ArgumentError('preprocessRGBA', `image size must be positive integers, got ${width}×${height}`);
  }
  if (rgba.length !== width * height * 4) throw new ArgumentError('preprocessRGBA', `expected ${width * height * 4} RGBA bytes for ${width}×${height}, got ${rgba.length}`);
  const gray = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < gray.length; i++, j += 4) {
    const a = rgba[j + 3]!;
    const v = luma(rgba[j]!, rgba[j + 1]!, rgba[j + 2]!);
    gray[i] = a === 255 ? v : Math.round((v * a + 255 * (255 - a)) / 255); // over white
  }
  const inverted = opts.invert === undefined || opts.invert === 'auto' ? borderMean(gray, width, height) > 127.5 : opts.invert;
  if (inverted) for (let i = 0; i < gray.length; i++) gray[i] = 255 - gray[i]!;
  const square = padSquare({ data: gray, channels: 1, height, width });
  return { image: resize(square, size, size, 'triangle'), inverted };
}

/** Mean of the outermost rows and columns: the background's brightness. */
function borderMean(g: Uint8Array, w: number, h: number): number {
  let sum = 0, n = 0;
  for (let x = 0; x < w; x++) { sum += g[x]! + g[(h - 1) * w + x]!; n += 2; }
  for (let y = 1; y < h - 1; y++) { sum += g[y * w]! + g[y * w + w - 1]!; n += 2; }
  return sum / n;
}

/** Pad to a square with the background value 0 (ink is bright by now), the image centred. */
function padSquare(img: Image<Uint8Array>): Image<Uint8Array> {
  const { width: w, height: h } = img;
  if (w === h) return img;
  const s = Math.max(w, h), ox = (s - w) >> 1, oy = (s - h) >> 1;
  const out = new Uint8Array(s * s);
  for (let y = 0; y < h; y++) out.set(img.data.subarray(y * w, y * w + w), (y + oy) * s + ox);
  return { data: out, channels: 1, height: s, width: s };
}

/** Images of one size as a float batch [n, 1, H, W] in 0..1 (the data layer's collate: uint8 / 255, no normalisation). */
export function imagesToTensor(images: readonly Image<Uint8Array>[]): Tensor {
  if (images.length === 0) throw new ArgumentError('imagesToTensor', 'no images');
  const { channels: c, height: h, width: w } = images[0]!;
  const out = new Float32Array(images.length * c * h * w);
  images.forEach((img, i) => {
    if (img.channels !== c || img.height !== h || img.width !== w) {
      throw new ArgumentError('imagesToTensor', `image ${i} is ${img.channels}×${img.height}×${img.width}, the first is ${c}×${h}×${w}`);
    }
    writeFloat(img, out, i * c * h * w);
  });
  return tensor(out, { shape: [images.length, c, h, w] });
}
