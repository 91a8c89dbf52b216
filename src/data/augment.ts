// Seeded batch augmentations on float image tensors [N, C, H, W]: random resized crop, flip, brightness/contrast jitter.
import { ArgumentError } from '../core/errors.js';
import { tensor } from '../engine/create.js';
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { rotate90 } from './transforms.js';

export interface AugmentOptions {
  /** crop area as a fraction of the image (SimCLR: [0.08, 1]; smaller images usually want [0.2, 1]) */
  scale?: [number, number];
  /** crop aspect ratio range (SimCLR: [3/4, 4/3]) */
  ratio?: [number, number];
  /** probability of a horizontal flip (0.5) */
  flip?: number;
  /** probability of colour jitter (0.8) and its strength s: brightness and contrast factors in [1 − 0.8s, 1 + 0.8s] */
  jitter?: number;
  strength?: number;
}

function check(x: Tensor): [number, number, number, number] {
  if (x.ndim !== 4 || (x.dtype !== 'float32' && x.dtype !== 'float64')) throw new ArgumentError('augment', `expected a float [N, C, H, W] batch, got ${x.dtype} [${x.shape}]`);
  return x.shape as [number, number, number, number];
}

/** Bilinear sample of one channel plane at (y, x) in pixel coordinates (edges clamped). */
function sample(src: Float32Array | Float64Array, off: number, h: number, w: number, y: number, x: number): number {
  const y0 = Math.max(0, Math.min(h - 1, Math.floor(y))), x0 = Math.max(0, Math.min(w - 1, Math.floor(x)));
  const y1 = Math.min(h - 1, y0 + 1), x1 = Math.min(w - 1, x0 + 1);
  const dy = Math.max(0, Math.min(1, y - y0)), dx = Math.max(0, Math.min(1, x - x0));
  const a = src[off + y0 * w + x0]!, b = src[off + y0 * w + x1]!, c = src[off + y1 * w + x0]!, d = src[off + y1 * w + x1]!;
  return (a * (1 - dx) + b * dx) * (1 - dy) + (c * (1 - dx) + d * dx) * dy;
}

/**
 * SimCLR's augmentation of a batch (Chen et al. 2020, §3 and Appendix A): per image, a random resized crop back to
 * H×W (area and aspect drawn as torchvision's RandomResizedCrop, falling back to the whole image), a horizontal flip,
 * and brightness/contrast jitter; every draw comes from `rng`, so the same seed gives the same views. A new tensor
 * is returned; the input is not changed.
 * @example const v1 = augment(x, rng), v2 = augment(x, rng);   // two views for the contrastive loss
 */
export function augment(x: Tensor, rng: Rng, opts: AugmentOptions = {}): Tensor {
  const [n, c, h, w] = check(x);
  const [smin, smax] = opts.scale ?? [0.08, 1];
  const [rmin, rmax] = opts.ratio ?? [3 / 4, 4 / 3];
  const flipP = opts.flip ?? 0.5, jitterP = opts.jitter ?? 0.8, s = opts.strength ?? 1;
  const src = x.data as Float32Array | Float64Array;
  const out = x.dtype === 'float64' ? new Float64Array(src.length) : new Float32Array(src.length);
  for (let i = 0; i < n; i++) {
    // crop box (torchvision RandomResizedCrop: 10 tries, else the whole image)
    let ch = h, cw = w, top = 0, left = 0;
    for (let t = 0; t < 10; t++) {
      const area = h * w * rng.uniform(smin, smax);
      const logr = rng.uniform(Math.log(rmin), Math.log(rmax));
      const ar = Math.exp(logr);
      const ww = Math.round(Math.sqrt(area * ar)), hh = Math.round(Math.sqrt(area / ar));
      if (ww > 0 && hh > 0 && ww <= w && hh <= h) {
        ch = hh; cw = ww;
        top = rng.integer(0, h - hh + 1);
        left = rng.integer(0, w - ww + 1);
        break;
      }
    }
    const flip = rng.uniform() < flipP;
    const jitter = rng.uniform() < jitterP;
    const bright = jitter ? rng.uniform(Math.max(0, 1 - 0.8 * s), 1 + 0.8 * s) : 1;
    const contrast = jitter ? rng.uniform(Math.max(0, 1 - 0.8 * s), 1 + 0.8 * s) : 1;
    for (let k = 0; k < c; k++) {
      const off = (i * c + k) * h * w;
      let total = 0;
      for (let yy = 0; yy < h; yy++) {
        const sy = top + ((yy + 0.5) * ch) / h - 0.5;
        for (let xx = 0; xx < w; xx++) {
          const ox = flip ? w - 1 - xx : xx;
          const sx = left + ((ox + 0.5) * cw) / w - 0.5;
          const v = sample(src, off, h, w, sy, sx) * bright;
          out[off + yy * w + xx] = v;
          total += v;
        }
      }
      if (contrast !== 1) {
        const m = total / (h * w);
        for (let j = 0; j < h * w; j++) out[off + j] = Math.min(1, Math.max(0, (out[off + j]! - m) * contrast + m));
      } else if (bright !== 1) {
        for (let j = 0; j < h * w; j++) out[off + j] = Math.min(1, Math.max(0, out[off + j]!));
      }
    }
  }
  return tensor(out, { shape: [n, c, h, w] });
}

/** Each image in its 4 rotations (0°, 90°, 180°, 270° counter-clockwise, as `rotate90`) and the rotation labels: RotNet's batch. */
export function rotationBatch(x: Tensor): { x: Tensor; y: Tensor } {
  const [n, c, h, w] = check(x);
  if (h !== w) throw new ArgumentError('rotationBatch', `images must be square to rotate, got ${h}×${w}`);
  const src = x.data as Float32Array | Float64Array;
  const size = c * h * w;
  const out = x.dtype === 'float64' ? new Float64Array(src.length * 4) : new Float32Array(src.length * 4);
  const y = new Int32Array(n * 4);
  const img = new Float32Array(size);
  for (let i = 0; i < n; i++) {
    img.set(src.subarray(i * size, (i + 1) * size));
    for (let r = 0; r < 4; r++) {
      y[i * 4 + r] = r;
      out.set(rotate90({ data: img, channels: c, height: h, width: w }, r).data, (i * 4 + r) * size);
    }
  }
  return { x: tensor(out, { shape: [n * 4, c, h, w] }), y: tensor(y, { shape: [n * 4] }) };
}
