// Picture grids of images (episodes, clean vs corrupted) for `adaptlab data sample/shift --png`.
import { ArgumentError } from '../core/errors.js';
import type { Image } from './image.js';

/**
 * Lay out rows of images (uint8 0..255 or float 0..1; gray or RGB) into one RGB image with `gap`-pixel separators,
 * each image magnified `scale` times (nearest neighbour). A `null` cell stays blank (background colour).
 * @example writePng('episode.png', imageGrid([[a, b], [c, null]], { scale: 2 }))
 */
export function imageGrid(rows: readonly (readonly (Image<Uint8Array | Float32Array> | null)[])[], opts: { scale?: number; gap?: number; background?: number } = {}): Image {
  const scale = opts.scale ?? 2, gap = opts.gap ?? 2, bg = opts.background ?? 96;
  const cells = rows.flat().filter((c): c is Image<Uint8Array | Float32Array> => c !== null);
  if (cells.length === 0) throw new ArgumentError('imageGrid', 'no images');
  const ch = Math.max(...cells.map((c) => c.height)) * scale, cw = Math.max(...cells.map((c) => c.width)) * scale;
  const cols = Math.max(...rows.map((r) => r.length));
  const H = rows.length * (ch + gap) + gap, W = cols * (cw + gap) + gap;
  const out = new Uint8Array(3 * H * W).fill(bg);
  const plane = H * W;
  rows.forEach((row, r) => row.forEach((img, c) => {
    if (!img) return;
    const isFloat = img.data instanceof Float32Array;
    const n = img.height * img.width;
    const y0 = gap + r * (ch + gap), x0 = gap + c * (cw + gap);
    for (let y = 0; y < img.height * scale; y++) {
      for (let x = 0; x < img.width * scale; x++) {
        const i = Math.floor(y / scale) * img.width + Math.floor(x / scale);
        for (let k = 0; k < 3; k++) {
          const v = img.data[(img.channels === 3 ? k : 0) * n + i]!;
          out[k * plane + (y0 + y) * W + x0 + x] = isFloat ? Math.max(0, Math.min(255, Math.round(v * 255))) : v;
        }
      }
    }
  }));
  return { data: out, channels: 3, height: H, width: W };
}
