// Image transforms on compact planar images: anti-aliased resize, invert, 90° rotations, float conversion with normalisation.
import { ArgumentError } from '../core/errors.js';
import type { Image } from './image.js';

/** ITU-R 601-2 luma of an RGB triple, rounded (PIL's convert('L'), the grayscale every decoder here produces). */
export function luma(r: number, g: number, b: number): number {
  return Math.floor((r * 299 + g * 587 + b * 114 + 500) / 1000);
}

/** A new zeroed array of the same element type (plain Uint8Array even for a Node Buffer). */
export function alike<A extends Uint8Array | Float32Array>(a: A, n: number): A {
  return (a instanceof Float32Array ? new Float32Array(n) : new Uint8Array(n)) as A;
}

/** A copy with its own memory (`Buffer#slice` would share it). */
export function copyOf<A extends Uint8Array | Float32Array>(a: A): A {
  return (a instanceof Float32Array ? new Float32Array(a) : new Uint8Array(a)) as A;
}

/** Resampling filters: `box` (area average), `triangle` (bilinear), `lanczos3`; all anti-aliased when shrinking. */
export type ResizeFilter = 'box' | 'triangle' | 'lanczos3';

const FILTERS: Record<ResizeFilter, { support: number; f: (x: number) => number }> = {
  box: { support: 0.5, f: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  triangle: { support: 1, f: (x) => Math.max(0, 1 - Math.abs(x)) },
  lanczos3: {
    support: 3,
    f: (x) => {
      if (x === 0) return 1;
      if (x <= -3 || x >= 3) return 0;
      const px = Math.PI * x;
      return (3 * Math.sin(px) * Math.sin(px / 3)) / (px * px);
    },
  },
};

interface Coeffs { start: Int32Array; count: Int32Array; weights: Float64Array; taps: number }

const coeffCache = new Map<string, Coeffs>();

/**
 * Resampling weights for one axis (convolution-based resampling as in PIL's `Image.resize` since Pillow 2.7,
 * which torchvision's `Resize` uses): when shrinking, the filter is stretched by the scale factor so every input
 * pixel contributes (anti-aliasing); weights of each output pixel sum to 1.
 */
function coefficients(inSize: number, outSize: number, filter: ResizeFilter): Coeffs {
  const key = `${inSize}:${outSize}:${filter}`;
  const hit = coeffCache.get(key);
  if (hit) return hit;
  const { support: base, f } = FILTERS[filter];
  const scale = inSize / outSize;
  const fscale = Math.max(scale, 1);
  const support = base * fscale;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize), count = new Int32Array(outSize), weights = new Float64Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support + 0.5));
    const hi = Math.min(inSize, Math.floor(center + support + 0.5));
    let total = 0;
    const n = Math.min(hi - lo, taps);
    for (let j = 0; j < n; j++) {
      const w = f((lo + j - center + 0.5) / fscale);
      weights[i * taps + j] = w;
      total += w;
    }
    if (total !== 0) for (let j = 0; j < n; j++) weights[i * taps + j]! /= total;
    start[i] = lo;
    count[i] = n;
  }
  const c = { start, count, weights, taps };
  coeffCache.set(key, c);
  return c;
}

/**
 * Resize an image to `height`×`width` with a separable anti-aliased filter (default `triangle`, i.e. PIL/torchvision
 * bilinear with antialias). Omniglot's standard 105→28 uses this. uint8 results are rounded and clamped.
 * @example resize(img, 28, 28)          // 105×105 Omniglot → 28×28
 */
export function resize<A extends Uint8Array | Float32Array>(img: Image<A>, height: number, width: number, filter: ResizeFilter = 'triangle'): Image<A> {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) throw new ArgumentError('resize', `size must be positive integers, got ${height}×${width}`);
  const { channels: c, height: h, width: w, data } = img;
  if (h === height && w === width) return { ...img, data: copyOf(data) };
  const cx = coefficients(w, width, filter), cy = coefficients(h, height, filter);
  const out = (data instanceof Uint8Array ? new Uint8Array(c * height * width) : new Float32Array(c * height * width)) as A;
  const tmp = new Float64Array(h * width);
  for (let ch = 0; ch < c; ch++) {
    if (data instanceof Uint8Array) horizontalU8(data, ch * h * w, h, w, width, cx, tmp);
    else horizontalF32(data as Float32Array, ch * h * w, h, w, width, cx, tmp);
    if (out instanceof Uint8Array) verticalU8(tmp, width, height, cy, out, ch * height * width);
    else verticalF32(tmp, width, height, cy, out as Float32Array, ch * height * width);
  }
  return { data: out, channels: c, height, width };
}

// Monomorphic passes (one element type each) keep the inner loops fast in V8.
function horizontalU8(data: Uint8Array, src: number, h: number, w: number, width: number, cx: Coeffs, tmp: Float64Array): void {
  const { start, count, weights, taps } = cx;
  for (let y = 0; y < h; y++) {
    const row = src + y * w;
    for (let x = 0; x < width; x++) {
      const s = row + start[x]!, n = count[x]!, o = x * taps;
      let acc = 0;
      for (let k = 0; k < n; k++) acc += data[s + k]! * weights[o + k]!;
      tmp[y * width + x] = acc;
    }
  }
}

function horizontalF32(data: Float32Array, src: number, h: number, w: number, width: number, cx: Coeffs, tmp: Float64Array): void {
  const { start, count, weights, taps } = cx;
  for (let y = 0; y < h; y++) {
    const row = src + y * w;
    for (let x = 0; x < width; x++) {
      const s = row + start[x]!, n = count[x]!, o = x * taps;
      let acc = 0;
      for (let k = 0; k < n; k++) acc += data[s + k]! * weights[o + k]!;
      tmp[y * width + x] = acc;
    }
  }
}

function verticalU8(tmp: Float64Array, width: number, height: number, cy: Coeffs, out: Uint8Array, dst: number): void {
  const { start, count, weights, taps } = cy;
  for (let y = 0; y < height; y++) {
    const s = start[y]!, n = count[y]!, o = y * taps;
    for (let x = 0; x < width; x++) {
      let acc = 0.5;
      for (let k = 0; k < n; k++) acc += tmp[(s + k) * width + x]! * weights[o + k]!;
      out[dst + y * width + x] = acc <= 0 ? 0 : acc >= 255 ? 255 : acc; // truncation of v + 0.5 = rounding
    }
  }
}

function verticalF32(tmp: Float64Array, width: number, height: number, cy: Coeffs, out: Float32Array, dst: number): void {
  const { start, count, weights, taps } = cy;
  for (let y = 0; y < height; y++) {
    const s = start[y]!, n = count[y]!, o = y * taps;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += tmp[(s + k) * width + x]! * weights[o + k]!;
      out[dst + y * width + x] = acc;
    }
  }
}

/** 255 − v for uint8 (or 1 − v for float): Omniglot's black-on-white becomes ink = bright. */
export function invert<A extends Uint8Array | Float32Array>(img: Image<A>): Image<A> {
  const out = copyOf(img.data);
  const top = img.data instanceof Uint8Array ? 255 : 1;
  for (let i = 0; i < out.length; i++) out[i] = top - out[i]!;
  return { ...img, data: out };
}

/**
 * Rotate by k·90° counter-clockwise (the direction of PIL's `Image.rotate(90·k)`, used by the Vinyals/Snell
 * `rotDDD` classes). Non-square images swap height and width for odd k.
 * @example rotate90(img, 1)   // rot090
 */
export function rotate90<A extends Uint8Array | Float32Array>(img: Image<A>, k: number): Image<A> {
  const r = ((k % 4) + 4) % 4;
  if (r === 0) return img;
  const { channels: c, height: h, width: w, data } = img;
  const oh = r === 2 ? h : w, ow = r === 2 ? w : h;
  const out = alike(data, data.length);
  for (let ch = 0; ch < c; ch++) {
    const s = ch * h * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let ny: number, nx: number;
        if (r === 1) { ny = w - 1 - x; nx = y; } else if (r === 2) { ny = h - 1 - y; nx = w - 1 - x; } else { ny = x; nx = h - 1 - y; }
        out[s + ny * ow + nx] = data[s + y * w + x]!;
      }
    }
  }
  return { data: out, channels: c, height: oh, width: ow };
}

/** Per-channel normalisation applied when images become float tensors: x ↦ (x/255 − mean)/std. */
export interface Normalize {
  mean: readonly number[];
  std: readonly number[];
}

/**
 * Write an image as float32 into `out` at `offset` (CHW, or HWC with `layout: 'NHWC'`), scaling uint8 by 1/255 and
 * applying `normalize` per channel (a single value broadcasts to all channels). Float images are taken as already in 0..1.
 */
export function writeFloat(img: Image<Uint8Array | Float32Array>, out: Float32Array, offset: number, opts: { normalize?: Normalize | undefined; layout?: 'NCHW' | 'NHWC' } = {}): void {
  const { channels: c, height: h, width: w, data } = img;
  const hw = h * w;
  const scale = data instanceof Uint8Array ? 1 / 255 : 1;
  const nhwc = opts.layout === 'NHWC';
  for (let ch = 0; ch < c; ch++) {
    const mean = opts.normalize ? (opts.normalize.mean[ch] ?? opts.normalize.mean[0]!) : 0;
    const std = opts.normalize ? (opts.normalize.std[ch] ?? opts.normalize.std[0]!) : 1;
    const a = scale / std, b = -mean / std;
    for (let i = 0; i < hw; i++) {
      const v = data[ch * hw + i]! * a + b;
      out[nhwc ? offset + i * c + ch : offset + ch * hw + i] = v;
    }
  }
}
