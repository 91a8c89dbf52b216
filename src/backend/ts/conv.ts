// Reference conv2d kernels (forward, backward-data, backward-filter) by im2col and GEMM.
import type { FloatArray } from '../../core/dtype.js';
import type { ConvGeometry } from '../types.js';
import { gemm } from './gemm.js';

/** col[(ci·kh + i)·kw + j, oy·ow + ox] = x[n, g·cg + ci, oy·sh − ph + i·dh, ox·sw − pw + j·dw]. */
function im2col(x: FloatArray, xOff: number, cg: number, g: ConvGeometry, col: FloatArray): void {
  const { h, w, kh, kw, oh, ow, strideH, strideW, padH, padW, dilH, dilW } = g;
  let r = 0;
  for (let ci = 0; ci < cg; ci++) {
    const plane = xOff + ci * h * w;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, r++) {
        const rowOff = r * oh * ow;
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * strideH - padH + i * dilH;
          const dst = rowOff + oy * ow;
          if (iy < 0 || iy >= h) { col.fill(0, dst, dst + ow); continue; }
          const src = plane + iy * w;
          for (let ox = 0; ox < ow; ox++) {
            const ix = ox * strideW - padW + j * dilW;
            col[dst + ox] = ix >= 0 && ix < w ? x[src + ix]! : 0;
          }
        }
      }
    }
  }
}

/** The transpose of im2col: accumulate col entries back into dx. */
function col2im(col: FloatArray, cg: number, g: ConvGeometry, dx: FloatArray, dxOff: number): void {
  const { h, w, kh, kw, oh, ow, strideH, strideW, padH, padW, dilH, dilW } = g;
  let r = 0;
  for (let ci = 0; ci < cg; ci++) {
    const plane = dxOff + ci * h * w;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, r++) {
        const rowOff = r * oh * ow;
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * strideH - padH + i * dilH;
          if (iy < 0 || iy >= h) continue;
          const src = rowOff + oy * ow;
          const dst = plane + iy * w;
          for (let ox = 0; ox < ow; ox++) {
            const ix = ox * strideW - padW + j * dilW;
            if (ix >= 0 && ix < w) dx[dst + ix] += col[src + ox]!;
          }
        }
      }
    }
  }
}

function scratch(like: FloatArray, n: number): FloatArray {
  return like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

export function conv2d(x: FloatArray, wt: FloatArray, out: FloatArray, g: ConvGeometry, bias?: FloatArray | null): void {
  const cg = g.c / g.groups, og = g.o / g.groups, kk = cg * g.kh * g.kw, p = g.oh * g.ow;
  const col = scratch(x, kk * p);
  for (let b = 0; b < g.n; b++) {
    for (let gi = 0; gi < g.groups; gi++) {
      im2col(x, (b * g.c + gi * cg) * g.h * g.w, cg, g, col);
      gemm(false, false, og, p, kk, wt, gi * og * kk, col, 0, out, (b * g.o + gi * og) * p, false);
    }
    if (bias) {
      for (let o = 0; o < g.o; o++) {
        const v = bias[o]!, base = (b * g.o + o) * p;
        for (let i = 0; i < p; i++) out[base + i] += v;
      }
    }
  }
}

export function conv2dBackwardData(dy: FloatArray, wt: FloatArray, dx: FloatArray, g: ConvGeometry): void {
  const cg = g.c / g.groups, og = g.o / g.groups, kk = cg * g.kh * g.kw, p = g.oh * g.ow;
  const col = scratch(dy, kk * p);
  for (let b = 0; b < g.n; b++) {
    for (let gi = 0; gi < g.groups; gi++) {
      // col = W_gᵀ (kk×og) · dy_g (og×p)
      gemm(true, false, kk, p, og, wt, gi * og * kk, dy, (b * g.o + gi * og) * p, col, 0, false);
      col2im(col, cg, g, dx, (b * g.c + gi * cg) * g.h * g.w);
    }
  }
}

export function conv2dBackwardFilter(x: FloatArray, dy: FloatArray, dw: FloatArray, g: ConvGeometry): void {
  const cg = g.c / g.groups, og = g.o / g.groups, kk = cg * g.kh * g.kw, p = g.oh * g.ow;
  const col = scratch(x, kk * p);
  for (let b = 0; b < g.n; b++) {
    for (let gi = 0; gi < g.groups; gi++) {
      im2col(x, (b * g.c + gi * cg) * g.h * g.w, cg, g, col);
      // dW_g (og×kk) += dy_g (og×p) · colᵀ (p×kk)
      gemm(false, true, og, kk, p, dy, (b * g.o + gi * og) * p, col, 0, dw, gi * og * kk, true);
    }
  }
}
