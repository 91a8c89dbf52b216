// Sample images for reports: float image batches as small PNGs (pngjs), kept as base64 so a page inlines them as data URIs.
import { PNG } from 'pngjs';
import { ArgumentError } from '../core/errors.js';

/** One picture of a sample: a base64 PNG and its label (the class, the view, the shift). */
export interface SampleImage {
  label: string;
  png: string;
}

/** A row of pictures with a title: a support set, an input before and after a shift, the views SimCLR sees. */
export interface ImageGroup {
  title: string;
  caption?: string;
  images: SampleImage[];
}

/** What a run directory's samples.json holds. */
export interface Samples {
  groups: ImageGroup[];
}

/**
 * Encode images of a batch laid out [n, c, h, w] (c = 1 or 3) as PNGs. Values map linearly from the batch's own
 * range (or `range`) to 0..255, one range for the whole batch, so a darker or noisier input looks darker or noisier.
 */
export function encodeImages(data: ArrayLike<number>, shape: readonly number[], labels: readonly string[], opts: { range?: [number, number] } = {}): SampleImage[] {
  if (shape.length !== 4) throw new ArgumentError('encodeImages', `expected [n, c, h, w], got [${shape.join(', ')}]`);
  const [n, c, h, w] = shape as [number, number, number, number];
  if (c !== 1 && c !== 3) throw new ArgumentError('encodeImages', `images need 1 or 3 channels, got ${c}`);
  if (data.length !== n * c * h * w) throw new ArgumentError('encodeImages', `${data.length} values do not fill [${shape.join(', ')}]`);
  let [lo, hi] = opts.range ?? [Infinity, -Infinity];
  if (!opts.range) {
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
    }
  }
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const out: SampleImage[] = [];
  for (let k = 0; k < n; k++) {
    const png = new PNG({ width: w, height: h, colorType: 6 });
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 4;
        for (let ch = 0; ch < 3; ch++) {
          const v = data[((k * c + (c === 1 ? 0 : ch)) * h + y) * w + x]!;
          png.data[o + ch] = Number.isFinite(v) ? Math.max(0, Math.min(255, Math.round((v - lo) * scale))) : 0;
        }
        png.data[o + 3] = 255;
      }
    }
    out.push({ label: labels[k] ?? '', png: PNG.sync.write(png).toString('base64') });
  }
  return out;
}

/** The data URI of a sample image, for an `<img src>` that needs no file and no network. */
export function pngDataUri(img: SampleImage): string {
  return `data:image/png;base64,${img.png}`;
}
