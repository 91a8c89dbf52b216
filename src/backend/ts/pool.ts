// Reference 2-d pooling kernels (max with argmax indices, average and its transpose).
import type { FloatArray } from '../../core/dtype.js';
import type { PoolGeometry } from '../types.js';

/**
 * Visit every output position `o` of every plane with its window clipped to the input: rows [ys, ye) and columns
 * [xs, xe) of the plane starting at input index `xb`; (oy, ox) is the position within the plane.
 */
function forEachWindow(g: PoolGeometry, visit: (xb: number, o: number, ys: number, ye: number, xs: number, xe: number, oy: number, ox: number) => void): void {
  const { h, w, oh, ow, kh, kw, strideH, strideW, padH, padW } = g;
  for (let pl = 0; pl < g.n * g.c; pl++) {
    const xb = pl * h * w, ob = pl * oh * ow;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * strideH - padH;
      const ys = Math.max(y0, 0), ye = Math.min(y0 + kh, h);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * strideW - padW;
        visit(xb, ob + oy * ow + ox, ys, ye, Math.max(x0, 0), Math.min(x0 + kw, w), oy, ox);
      }
    }
  }
}

export function maxPool2d(x: FloatArray, out: FloatArray, idx: Int32Array, g: PoolGeometry): void {
  const w = g.w;
  forEachWindow(g, (xb, o, ys, ye, xs, xe) => {
    let best = -Infinity, bi = -1;
    scan: for (let iy = ys; iy < ye; iy++) {
      for (let ix = xs; ix < xe; ix++) {
        const v = x[xb + iy * w + ix]!;
        if (v > best || bi < 0 || v !== v) { best = v; bi = iy * w + ix; if (v !== v) break scan; }
      }
    }
    out[o] = best;
    idx[o] = bi;
  });
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
  const w = g.w;
  forEachWindow(g, (xb, o, ys, ye, xs, xe, oy, ox) => {
    let s = 0;
    for (let iy = ys; iy < ye; iy++) for (let ix = xs; ix < xe; ix++) s += x[xb + iy * w + ix]!;
    out[o] = s / windowCount(g, oy, ox);
  });
}

export function avgPool2dBackward(dy: FloatArray, dx: FloatArray, g: PoolGeometry): void {
  const w = g.w;
  forEachWindow(g, (xb, o, ys, ye, xs, xe, oy, ox) => {
    const v = dy[o]! / windowCount(g, oy, ox);
    for (let iy = ys; iy < ye; iy++) for (let ix = xs; ix < xe; ix++) dx[xb + iy * w + ix] += v;
  });
}
