// Reference 2-d pooling kernels (max with argmax indices, average and its transpose).
import type { FloatArray } from '../../core/dtype.js';
import type { PoolGeometry } from '../types.js';

export function maxPool2d(x: FloatArray, out: FloatArray, idx: Int32Array, g: PoolGeometry): void {
  const { h, w, oh, ow, kh, kw, strideH, strideW, padH, padW } = g;
  const planes = g.n * g.c;
  for (let pl = 0; pl < planes; pl++) {
    const xb = pl * h * w, ob = pl * oh * ow;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * strideH - padH;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * strideW - padW;
        let best = -Infinity, bi = -1;
        for (let i = 0; i < kh; i++) {
          const iy = y0 + i;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = x0 + j;
            if (ix < 0 || ix >= w) continue;
            const v = x[xb + iy * w + ix]!;
            if (v > best || bi < 0 || v !== v) { best = v; bi = iy * w + ix; if (v !== v) { i = kh; break; } }
          }
        }
        out[ob + oy * ow + ox] = best;
        idx[ob + oy * ow + ox] = bi;
      }
    }
  }
}

function windowCount(g: PoolGeometry, oy: number, ox: number): number {
  const y0 = oy * g.strideH - g.padH, x0 = ox * g.strideW - g.padW;
  if (g.countIncludePad) {
    const y1 = Math.min(y0 + g.kh, g.h + g.padH), x1 = Math.min(x0 + g.kw, g.w + g.padW);
    return (y1 - y0) * (x1 - x0);
  }
  const ys = Math.max(y0, 0), ye = Math.min(y0 + g.kh, g.h);
  const xs = Math.max(x0, 0), xe = Math.min(x0 + g.kw, g.w);
  return Math.max(ye - ys, 0) * Math.max(xe - xs, 0);
}

export function avgPool2d(x: FloatArray, out: FloatArray, g: PoolGeometry): void {
  const { h, w, oh, ow, kh, kw, strideH, strideW, padH, padW } = g;
  const planes = g.n * g.c;
  for (let pl = 0; pl < planes; pl++) {
    const xb = pl * h * w, ob = pl * oh * ow;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * strideH - padH;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * strideW - padW;
        let s = 0;
        for (let i = Math.max(0, -y0); i < kh && y0 + i < h; i++) {
          const row = xb + (y0 + i) * w;
          for (let j = Math.max(0, -x0); j < kw && x0 + j < w; j++) s += x[row + x0 + j]!;
        }
        out[ob + oy * ow + ox] = s / windowCount(g, oy, ox);
      }
    }
  }
}

export function avgPool2dBackward(dy: FloatArray, dx: FloatArray, g: PoolGeometry): void {
  const { h, w, oh, ow, kh, kw, strideH, strideW, padH, padW } = g;
  const planes = g.n * g.c;
  for (let pl = 0; pl < planes; pl++) {
    const xb = pl * h * w, ob = pl * oh * ow;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * strideH - padH;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * strideW - padW;
        const v = dy[ob + oy * ow + ox]! / windowCount(g, oy, ox);
        for (let i = Math.max(0, -y0); i < kh && y0 + i < h; i++) {
          const row = xb + (y0 + i) * w;
          for (let j = Math.max(0, -x0); j < kw && x0 + j < w; j++) dx[row + x0 + j] += v;
        }
      }
    }
  }
}
