// Input-level distribution shifts: CIFAR-10-C / MNIST-C style corruptions at severities 1–5, seeded by an explicit Rng.
import jpeg from 'jpeg-js';
import { ArgumentError } from '../core/errors.js';
import { Rng } from '../engine/rng.js';
import { checkIndex, type ClassificationDataset, type LabeledImage } from './dataset.js';
import type { Image } from './image.js';
import { alike } from './transforms.js';

/** The corruptions, named as in Hendrycks & Dietterich (2019). */
export const CORRUPTIONS = [
  'gaussian_noise', 'shot_noise', 'impulse_noise',
  'defocus_blur', 'gaussian_blur', 'motion_blur',
  'contrast', 'brightness', 'fog',
  'pixelate', 'jpeg_compression', 'elastic_transform',
] as const;
export type Corruption = (typeof CORRUPTIONS)[number];
export type Severity = 1 | 2 | 3 | 4 | 5;

/**
 * Parameters per severity 1..5. Noise, contrast, brightness, fog, pixelate and JPEG follow the CIFAR-10-C tables
 * of Hendrycks & Dietterich (2019); pixel-sized ones (blur radii, motion length, elastic displacement) are in pixels
 * of a 32×32 image and scale with the image side. Each row grows in strength.
 */
export const SEVERITY_TABLE: Record<Corruption, readonly (readonly number[])[]> = {
  gaussian_noise: [[0.04], [0.06], [0.08], [0.09], [0.1]],
  shot_noise: [[500], [250], [100], [75], [50]],
  impulse_noise: [[0.01], [0.02], [0.03], [0.05], [0.07]],
  defocus_blur: [[0.7], [1.0], [1.3], [1.7], [2.2]], // disk radius (px)
  gaussian_blur: [[0.4], [0.6], [0.8], [1.0], [1.3]], // sigma (px)
  motion_blur: [[1.5], [2.5], [3.5], [5], [7]], // line length (px)
  contrast: [[0.75], [0.5], [0.4], [0.3], [0.15]],
  brightness: [[0.05], [0.1], [0.15], [0.2], [0.3]],
  fog: [[0.2, 3], [0.5, 3], [0.75, 2.5], [1, 2], [1.5, 1.75]], // fog amount, wibble decay
  pixelate: [[0.95], [0.9], [0.85], [0.75], [0.65]],
  jpeg_compression: [[80], [65], [58], [50], [40]],
  elastic_transform: [[0.5], [0.9], [1.3], [1.8], [2.4]], // RMS displacement (px)
};

type Planes = { data: Float64Array; c: number; h: number; w: number };

function toPlanes(img: Image<Uint8Array | Float32Array>): Planes {
  const s = img.data instanceof Uint8Array ? 1 / 255 : 1;
  return { data: Float64Array.from(img.data, (v) => v * s), c: img.channels, h: img.height, w: img.width };
}

function fromPlanes<A extends Uint8Array | Float32Array>(p: Planes, like: Image<A>): Image<A> {
  const out = alike(like.data, p.data.length);
  const isByte = out instanceof Uint8Array;
  for (let i = 0; i < p.data.length; i++) {
    const v = Math.min(1, Math.max(0, p.data[i]!));
    out[i] = isByte ? Math.round(v * 255) : v;
  }
  return { data: out, channels: like.channels, height: like.height, width: like.width };
}

/** Convolve every plane with a small 2-D kernel (edge pixels repeated). */
function convolve(p: Planes, k: Float64Array, kh: number, kw: number): Planes {
  const { c, h, w, data } = p;
  const out = new Float64Array(data.length);
  const ry = (kh - 1) >> 1, rx = (kw - 1) >> 1;
  for (let ch = 0; ch < c; ch++) {
    const o = ch * h * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let acc = 0;
        for (let i = 0; i < kh; i++) {
          const yy = Math.min(h - 1, Math.max(0, y + i - ry));
          for (let j = 0; j < kw; j++) {
            const wt = k[i * kw + j]!;
            if (wt === 0) continue;
            const xx = Math.min(w - 1, Math.max(0, x + j - rx));
            acc += wt * data[o + yy * w + xx]!;
          }
        }
        out[o + y * w + x] = acc;
      }
    }
  }
  return { ...p, data: out };
}

function normalized(k: Float64Array): Float64Array {
  const s = k.reduce((a, b) => a + b, 0);
  return k.map((v) => v / s);
}

function gaussianKernel(sigma: number): [Float64Array, number] {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const n = 2 * r + 1;
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * n + j] = Math.exp(-((i - r) ** 2 + (j - r) ** 2) / (2 * sigma * sigma));
  return [normalized(k), n];
}

/** A soft-edged disk (the defocus aperture). */
function diskKernel(radius: number): [Float64Array, number] {
  const r = Math.ceil(radius + 0.5);
  const n = 2 * r + 1;
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * n + j] = Math.min(1, Math.max(0, radius + 0.5 - Math.hypot(i - r, j - r)));
  return [normalized(k), n];
}

/** A line of `length` pixels through the centre at angle `theta`, sampled with bilinear weights. */
function motionKernel(length: number, theta: number): [Float64Array, number] {
  const r = Math.ceil(length / 2) + 1;
  const n = 2 * r + 1;
  const k = new Float64Array(n * n);
  const steps = Math.max(2, Math.ceil(length * 4));
  for (let s = 0; s <= steps; s++) {
    const t = (s / steps - 0.5) * length;
    const x = r + t * Math.cos(theta), y = r + t * Math.sin(theta);
    const x0 = Math.floor(x), y0 = Math.floor(y), fx = x - x0, fy = y - y0;
    k[y0 * n + x0]! += (1 - fx) * (1 - fy);
    k[y0 * n + x0 + 1]! += fx * (1 - fy);
    k[(y0 + 1) * n + x0]! += (1 - fx) * fy;
    k[(y0 + 1) * n + x0 + 1]! += fx * fy;
  }
  return [normalized(k), n];
}

/** Poisson quantile at u for mean lam (inverse CDF; a normal approximation above 700 where e^−λ underflows). */
function poissonQuantile(u: number, lam: number): number {
  if (lam <= 0) return 0;
  if (lam > 700) return Math.max(0, Math.round(lam + Math.sqrt(lam) * normalQuantile(u)));
  let k = 0, p = Math.exp(-lam), cdf = p;
  while (cdf < u && k < lam + 50 * Math.sqrt(lam) + 50) { k++; p *= lam / k; cdf += p; }
  return k;
}

/** Acklam's rational approximation of the standard normal quantile. */
function normalQuantile(u: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const q0 = Math.min(Math.max(u, 1e-12), 1 - 1e-12);
  if (q0 < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(q0));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (q0 > 1 - 0.02425) return -normalQuantile(1 - q0);
  const q = q0 - 0.5, r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** Diamond-square plasma fractal in [0, 1] on a (2^k)×(2^k) grid (the fog texture of ImageNet-C). */
function plasma(size: number, decay: number, rng: Rng): Float64Array {
  const n = size + 1;
  const m = new Float64Array(n * n);
  let step = size, scale = 100;
  const at = (y: number, x: number): number => m[((y + n) % n) * n + ((x + n) % n)]!;
  while (step >= 2) {
    const half = step >> 1;
    for (let y = 0; y < size; y += step) {
      for (let x = 0; x < size; x += step) {
        const avg = (at(y, x) + at(y, x + step) + at(y + step, x) + at(y + step, x + step)) / 4;
        m[(y + half) * n + x + half] = avg + scale * rng.uniform(-1, 1);
      }
    }
    for (let y = 0; y <= size; y += half) {
      for (let x = (y / half) % 2 === 0 ? half : 0; x <= size; x += step) {
        const avg = (at(y - half, x) + at(y + half, x) + at(y, x - half) + at(y, x + half)) / 4;
        m[y * n + x] = avg + scale * rng.uniform(-1, 1);
      }
    }
    step = half;
    scale /= decay;
  }
  let lo = Infinity, hi = -Infinity;
  for (const v of m) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return m.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 0));
}

function bilinear(data: Float64Array, o: number, h: number, w: number, y: number, x: number): number {
  const yc = Math.min(h - 1, Math.max(0, y)), xc = Math.min(w - 1, Math.max(0, x));
  const y0 = Math.floor(yc), x0 = Math.floor(xc), y1 = Math.min(h - 1, y0 + 1), x1 = Math.min(w - 1, x0 + 1);
  const fy = yc - y0, fx = xc - x0;
  return (data[o + y0 * w + x0]! * (1 - fx) + data[o + y0 * w + x1]! * fx) * (1 - fy) + (data[o + y1 * w + x0]! * (1 - fx) + data[o + y1 * w + x1]! * fx) * fy;
}

/** Throw an ArgumentError for an unknown corruption name or a severity outside 1..5. */
export function checkCorruption(name: string, severity: number): asserts name is Corruption {
  if (!(CORRUPTIONS as readonly string[]).includes(name)) throw new ArgumentError('corrupt', `unknown corruption "${name}" (known: ${CORRUPTIONS.join(', ')})`);
  if (![1, 2, 3, 4, 5].includes(severity)) throw new ArgumentError('corrupt', `severity must be an integer 1..5, got ${severity}`);
}

/**
 * Corrupt one image (planar, uint8 0..255 or float 0..1) at severity 1..5, in the style of CIFAR-10-C / MNIST-C
 * (Hendrycks & Dietterich 2019; Mu & Gilmer 2019). Shape and value range are kept; all randomness comes from `rng`,
 * so the same seed gives the same corruption, and with the same seed higher severities are stronger versions of the
 * same draw (the same noise field scaled up, nested impulse masks, the same blur direction and fog texture).
 * @example const shifted = corrupt(img, 'fog', 3, new Rng(0));
 */
export function corrupt<A extends Uint8Array | Float32Array>(img: Image<A>, name: Corruption, severity: Severity, rng: Rng): Image<A> {
  checkCorruption(name, severity);
  const p = toPlanes(img);
  const { c, h, w } = p;
  const n = h * w;
  const param = SEVERITY_TABLE[name][severity - 1]!;
  const px = Math.min(h, w) / 32; // pixel-sized parameters scale with the image side
  const d = p.data;
  switch (name) {
    case 'gaussian_noise':
      for (let i = 0; i < d.length; i++) d[i]! += param[0]! * rng.normal();
      break;
    case 'shot_noise': {
      const lam = param[0]!;
      for (let i = 0; i < d.length; i++) d[i] = poissonQuantile(rng.uniform(), d[i]! * lam) / lam;
      break;
    }
    case 'impulse_noise':
      // one (u, salt?) pair per pixel position; channels share it so a hit is a full-colour speck
      for (let i = 0; i < n; i++) {
        const u = rng.uniform(), salt = rng.uniform() < 0.5;
        if (u < param[0]!) for (let ch = 0; ch < c; ch++) d[ch * n + i] = salt ? 1 : 0;
      }
      break;
    case 'defocus_blur': {
      const [k, kn] = diskKernel(param[0]! * px);
      p.data = convolve(p, k, kn, kn).data;
      break;
    }
    case 'gaussian_blur': {
      const [k, kn] = gaussianKernel(param[0]! * px);
      p.data = convolve(p, k, kn, kn).data;
      break;
    }
    case 'motion_blur': {
      const theta = rng.uniform(0, Math.PI);
      const [k, kn] = motionKernel(param[0]! * px, theta);
      p.data = convolve(p, k, kn, kn).data;
      break;
    }
    case 'contrast':
      for (let ch = 0; ch < c; ch++) {
        let mean = 0;
        for (let i = 0; i < n; i++) mean += d[ch * n + i]!;
        mean /= n;
        for (let i = 0; i < n; i++) d[ch * n + i] = (d[ch * n + i]! - mean) * param[0]! + mean;
      }
      break;
    case 'brightness':
      if (c === 3) {
        // raise V of HSV by the amount, keeping hue and saturation
        for (let i = 0; i < n; i++) {
          const r = d[i]!, g = d[n + i]!, b = d[2 * n + i]!;
          const v = Math.max(r, g, b), nv = Math.min(1, v + param[0]!);
          if (v === 0) { d[i] = d[n + i] = d[2 * n + i] = nv; continue; }
          const s = nv / v;
          d[i] = r * s; d[n + i] = g * s; d[2 * n + i] = b * s;
        }
      } else for (let i = 0; i < d.length; i++) d[i] = Math.min(1, d[i]! + param[0]!);
      break;
    case 'fog': {
      let size = 1;
      while (size < Math.max(h, w)) size *= 2;
      const fog = plasma(size, param[1]!, rng);
      for (let ch = 0; ch < c; ch++) {
        let max = 0;
        for (let i = 0; i < n; i++) max = Math.max(max, d[ch * n + i]!);
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const i = ch * n + y * w + x;
            d[i] = ((d[i]! + param[0]! * fog[y * (size + 1) + x]!) * max) / (max + param[0]!);
          }
        }
      }
      break;
    }
    case 'pixelate': {
      const sh = Math.max(1, Math.floor(h * param[0]!)), sw = Math.max(1, Math.floor(w * param[0]!));
      const out = new Float64Array(d.length);
      for (let ch = 0; ch < c; ch++) {
        // box-average into sh×sw cells, then nearest-neighbour back up
        const cell = new Float64Array(sh * sw), cnt = new Float64Array(sh * sw);
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
          const k = Math.min(sh - 1, Math.floor((y * sh) / h)) * sw + Math.min(sw - 1, Math.floor((x * sw) / w));
          cell[k]! += d[ch * n + y * w + x]!;
          cnt[k]!++;
        }
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
          const k = Math.min(sh - 1, Math.floor((y * sh) / h)) * sw + Math.min(sw - 1, Math.floor((x * sw) / w));
          out[ch * n + y * w + x] = cell[k]! / cnt[k]!;
        }
      }
      p.data = out;
      break;
    }
    case 'jpeg_compression': {
      const rgba = Buffer.alloc(n * 4);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < 3; k++) rgba[4 * i + k] = Math.round(Math.min(1, Math.max(0, d[(c === 3 ? k : 0) * n + i]!)) * 255);
        rgba[4 * i + 3] = 255;
      }
      const enc = jpeg.encode({ data: rgba, width: w, height: h }, param[0]!);
      const dec = jpeg.decode(enc.data, { useTArray: true, formatAsRGBA: true });
      for (let i = 0; i < n; i++) {
        if (c === 3) for (let k = 0; k < 3; k++) d[k * n + i] = dec.data[4 * i + k]! / 255;
        else d[i] = (dec.data[4 * i]! * 299 + dec.data[4 * i + 1]! * 587 + dec.data[4 * i + 2]! * 114) / 255000;
      }
      break;
    }
    case 'elastic_transform': {
      // Simard et al. (2003): a random displacement field smoothed by a Gaussian, scaled to the severity's RMS size
      const field = { data: new Float64Array(2 * n), c: 2, h, w };
      for (let i = 0; i < 2 * n; i++) field.data[i] = rng.uniform(-1, 1);
      const [k, kn] = gaussianKernel(Math.max(1, 4 * px));
      const sm = convolve(field, k, kn, kn).data;
      let ss = 0;
      for (const v of sm) ss += v * v;
      const scale = (param[0]! * px) / Math.sqrt(ss / n || 1);
      const src = d.slice();
      for (let ch = 0; ch < c; ch++) {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const i = y * w + x;
            d[ch * n + i] = bilinear(src, ch * n, h, w, y + sm[n + i]! * scale, x + sm[i]! * scale);
          }
        }
      }
      break;
    }
  }
  return fromPlanes(p, img);
}

/**
 * A corrupted copy of a classification dataset (like one CIFAR-10-C file): example i is corrupted with its own
 * stream `new Rng(seed).fork('corruption/' + i)`, so any example can be read alone and every read gives the same image.
 * @example const c = corruptDataset(test, 'gaussian_noise', 5, 0);
 */
export function corruptDataset(ds: ClassificationDataset, name: Corruption, severity: Severity, seed: number): ClassificationDataset {
  checkCorruption(name, severity);
  const root = new Rng(seed);
  return {
    length: ds.length,
    labels: ds.labels,
    classes: ds.classes,
    imageShape: ds.imageShape,
    get(i: number): LabeledImage {
      checkIndex('corruptDataset.get', i, ds.length);
      const ex = ds.get(i);
      return { image: corrupt(ex.image, name, severity, root.fork(`corruption/${i}`)), label: ex.label };
    },
  };
}
