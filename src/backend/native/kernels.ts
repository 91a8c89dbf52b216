// The native kernel table: the ts table with float32 kernels routed to the addon above a size threshold.
import type { DataArray, FloatArray } from '../../engine/dtype.js';
import { tsKernels } from '../ts/index.js';
import type { ConvGeometry, Kernels, MatmulGeometry, PoolGeometry } from '../types.js';
import type { NativeAddon } from './addon.js';

/** Below these sizes a kernel stays in JS, where the N-API call would cost more than the work. */
export const THRESHOLDS = {
  /** multiply-adds m·n·k·batch */
  matmul: 2048,
};

const f32 = (a: DataArray): a is Float32Array => a instanceof Float32Array;

/** Build the kernel table over a loaded addon; float64/int/uint8 calls go to the ts kernels. */
export function nativeKernels(addon: NativeAddon): Kernels {
  const ts = tsKernels;
  const mmGeom = new Int32Array(6);
  const convGeom = new Int32Array(16);
  const poolGeom = new Int32Array(13);

  const packConv = (g: ConvGeometry): Int32Array => {
    const v = convGeom;
    v[0] = g.n; v[1] = g.c; v[2] = g.h; v[3] = g.w; v[4] = g.o; v[5] = g.kh; v[6] = g.kw; v[7] = g.oh; v[8] = g.ow;
    v[9] = g.strideH; v[10] = g.strideW; v[11] = g.padH; v[12] = g.padW; v[13] = g.dilH; v[14] = g.dilW; v[15] = g.groups;
    return v;
  };
  const packPool = (g: PoolGeometry): Int32Array => {
    const v = poolGeom;
    v[0] = g.n; v[1] = g.c; v[2] = g.h; v[3] = g.w; v[4] = g.oh; v[5] = g.ow; v[6] = g.kh; v[7] = g.kw;
    v[8] = g.strideH; v[9] = g.strideW; v[10] = g.padH; v[11] = g.padW; v[12] = g.countIncludePad ? 1 : 0;
    return v;
  };

  return {
    ...ts,
    name: 'native',
    matmul(a: FloatArray, b: FloatArray, out: FloatArray, g: MatmulGeometry): void {
      if (!f32(a) || !f32(b) || !f32(out) || g.batch * g.m * g.n * g.k < THRESHOLDS.matmul) return ts.matmul(a, b, out, g);
      mmGeom[0] = g.batch; mmGeom[1] = g.m; mmGeom[2] = g.k; mmGeom[3] = g.n;
      mmGeom[4] = g.transA ? 1 : 0; mmGeom[5] = g.transB ? 1 : 0;
      addon.matmul(a, b, out, mmGeom, g.aOffsets, g.bOffsets);
    },
    conv2d(x, w, out, g) {
      if (!f32(x) || !f32(w) || !f32(out)) return ts.conv2d(x, w, out, g);
      addon.conv2d(x, w, out, packConv(g));
    },
    conv2dBackwardData(dy, w, dx, g) {
      if (!f32(dy) || !f32(w) || !f32(dx)) return ts.conv2dBackwardData(dy, w, dx, g);
      addon.conv2dBackwardData(dy, w, dx, packConv(g));
    },
    conv2dBackwardFilter(x, dy, dw, g) {
      if (!f32(x) || !f32(dy) || !f32(dw)) return ts.conv2dBackwardFilter(x, dy, dw, g);
      addon.conv2dBackwardFilter(x, dy, dw, packConv(g));
    },
    maxPool2d(x, out, idx, g) {
      if (!f32(x) || !f32(out)) return ts.maxPool2d(x, out, idx, g);
      addon.maxPool2d(x, out, idx, packPool(g));
    },
    avgPool2d(x, out, g) {
      if (!f32(x) || !f32(out)) return ts.avgPool2d(x, out, g);
      addon.avgPool2d(x, out, packPool(g));
    },
    avgPool2dBackward(dy, dx, g) {
      if (!f32(dy) || !f32(dx)) return ts.avgPool2dBackward(dy, dx, g);
      addon.avgPool2dBackward(dy, dx, packPool(g));
    },
  };
}
