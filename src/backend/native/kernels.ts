// The native kernel table: the ts table with float32 kernels routed to the addon above a size threshold.
import type { DataArray, FloatArray } from '../../core/dtype.js';
import { numel, shapeEq, stridesOf, type Shape } from '../../core/shape.js';
import { broadcastPlan } from '../ts/broadcast.js';
import { tsKernels } from '../ts/index.js';
import { collapse } from '../ts/layout.js';
import type { ConvGeometry, Kernels, MatmulGeometry, PoolGeometry } from '../types.js';
import type { NativeAddon } from './addon.js';
import { opcodeTables } from './opcodes.js';

/** Below these sizes a kernel stays in JS, where the N-API call would cost more than the work. */
export const THRESHOLDS = {
  /** multiply-adds m·n·k·batch */
  matmul: 256,
  /** output elements of element-wise, layout and reduction kernels */
  elementwise: 512,
};

const MAX_DIMS = 16;

const f32 = (a: DataArray | null): a is Float32Array => a instanceof Float32Array;
/** Stands for a null optional array (no affine weight, gradient not wanted). */
const NONE = new Float32Array(0);
const word = (a: DataArray, b: DataArray): boolean =>
  (a instanceof Float32Array && b instanceof Float32Array) || (a instanceof Int32Array && b instanceof Int32Array);

function axisView(shape: Shape, axis: number): [number, number, number] {
  let outer = 1, inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[axis]!, inner];
}

/**
 * Build the kernel table over a loaded addon; float64/int/uint8 calls go to the ts kernels. Throws when the
 * addon's op codes disagree with the TypeScript op names (see opcodes.ts).
 */
export function nativeKernels(addon: NativeAddon): Kernels {
  const ts = tsKernels;
  const codes = opcodeTables(addon.opcodes);
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

  const plan = new Int32Array(1 + MAX_DIMS * 4);
  /** Pack a broadcast plan of out over the operands; null when it has too many loops for the addon. */
  const broadcast = (outShape: Shape, shapes: readonly Shape[], lens: readonly number[], n: number): Int32Array | null => {
    if (lens.every((l) => l === n) && shapes.every((s) => shapeEq(s, outShape))) {
      plan[0] = 1; plan[1] = n;
      for (let k = 0; k < shapes.length; k++) plan[2 + k] = 1;
      return plan;
    }
    const p = broadcastPlan(outShape, shapes);
    const nd = p.dims.length;
    if (nd > MAX_DIMS) return null;
    plan[0] = nd;
    for (let i = 0; i < nd; i++) {
      plan[1 + i] = p.dims[i]!;
      for (let k = 0; k < shapes.length; k++) plan[1 + nd * (k + 1) + i] = p.strides[k]![i]!;
    }
    return plan;
  };
  /** Pack a strided single-operand plan (collapsed); null when too many loops. */
  const strided = (dims: readonly number[], strides: readonly number[]): Int32Array | null => {
    const c = collapse(dims, strides);
    const nd = c.dims.length;
    if (nd > MAX_DIMS) return null;
    plan[0] = nd;
    for (let i = 0; i < nd; i++) { plan[1 + i] = c.dims[i]!; plan[1 + nd + i] = c.strides[i]!; }
    return plan;
  };
  const small = (n: number): boolean => n < THRESHOLDS.elementwise;

  return {
    ...ts,
    name: 'native',
    unary(op, x, out) {
      if (!f32(x) || !f32(out) || small(out.length)) return ts.unary(op, x, out);
      addon.unary(codes.unary[op], x, out);
    },
    binary(op, a, aShape, b, bShape, out, outShape) {
      const n = numel(outShape);
      const p = f32(a) && f32(b) && f32(out) && !small(n) ? broadcast(outShape, [aShape, bShape], [a.length, b.length], n) : null;
      if (!p) return ts.binary(op, a, aShape, b, bShape, out, outShape);
      addon.binary(codes.binary[op], a as Float32Array, b as Float32Array, out as Float32Array, p);
    },
    compare(op, a, aShape, b, bShape, out, outShape) {
      const n = numel(outShape);
      const p = f32(a) && f32(b) && !small(n) ? broadcast(outShape, [aShape, bShape], [a.length, b.length], n) : null;
      if (!p) return ts.compare(op, a, aShape, b, bShape, out, outShape);
      addon.compare(codes.compare[op], a as Float32Array, b as Float32Array, out, p);
    },
    where(cond, cShape, a, aShape, b, bShape, out, outShape) {
      const n = numel(outShape);
      const p = f32(a) && f32(b) && f32(out) && !small(n) ? broadcast(outShape, [cShape, aShape, bShape], [cond.length, a.length, b.length], n) : null;
      if (!p) return ts.where(cond, cShape, a, aShape, b, bShape, out, outShape);
      addon.where(cond, a as Float32Array, b as Float32Array, out as Float32Array, p);
    },
    reduce(op, x, outer, size, inner, out) {
      if (!f32(x) || !f32(out) || small(outer * size * inner)) return ts.reduce(op, x, outer, size, inner, out);
      addon.reduce(codes.reduce[op], x, outer, size, inner, out);
    },
    argReduce(op, x, outer, size, inner, out) {
      if (!f32(x) || small(outer * size * inner) || size < 1) return ts.argReduce(op, x, outer, size, inner, out);
      addon.argReduce(codes.argReduce[op], x, outer, size, inner, out);
    },
    permute(x, shape, perm, out) {
      const st = stridesOf(shape);
      const p = word(x, out) && !small(out.length) ? strided(perm.map((q) => shape[q]!), perm.map((q) => st[q]!)) : null;
      if (!p) return ts.permute(x, shape, perm, out);
      addon.stridedRead(x as Float32Array, 0, p, out as Float32Array);
    },
    expand(x, shape, outShape, out) {
      const st = stridesOf(shape);
      const p = word(x, out) && !small(out.length) ? strided(outShape, outShape.map((d, i) => (shape[i] === 1 && d !== 1 ? 0 : st[i]!))) : null;
      if (!p) return ts.expand(x, shape, outShape, out);
      addon.stridedRead(x as Float32Array, 0, p, out as Float32Array);
    },
    slice(x, shape, starts, steps, outShape, out) {
      const st = stridesOf(shape);
      let off = 0;
      for (let i = 0; i < shape.length; i++) off += starts[i]! * st[i]!;
      const p = word(x, out) && !small(out.length) && steps.every((s) => s > 0) ? strided(outShape, st.map((s, i) => s * steps[i]!)) : null;
      if (!p) return ts.slice(x, shape, starts, steps, outShape, out);
      addon.stridedRead(x as Float32Array, off, p, out as Float32Array);
    },
    sliceScatter(src, srcShape, starts, steps, outShape, out) {
      const st = stridesOf(outShape);
      let off = 0;
      for (let i = 0; i < outShape.length; i++) off += starts[i]! * st[i]!;
      const p = word(src, out) && !small(src.length) && steps.every((s) => s > 0) ? strided(srcShape, st.map((s, i) => s * steps[i]!)) : null;
      if (!p) return ts.sliceScatter(src, srcShape, starts, steps, outShape, out);
      addon.stridedWrite(src as Float32Array, out as Float32Array, off, p);
    },
    reluBackward(g, x, out) {
      if (!f32(g) || !f32(x) || !f32(out) || small(out.length)) return ts.reluBackward(g, x, out);
      addon.reluBackward(g, x, out);
    },
    batchNormTrainForward(x, weight, bias, n, c, hw, eps, out, mean, invstd) {
      if (!f32(x) || !f32(out) || !f32(mean) || !f32(invstd) || (weight && !f32(weight)) || (bias && !f32(bias)) || small(out.length)) {
        return ts.batchNormTrainForward(x, weight, bias, n, c, hw, eps, out, mean, invstd);
      }
      addon.batchNormTrainForward(x, weight ?? NONE, bias ?? NONE, n, c, hw, eps, out, mean, invstd);
    },
    batchNormBackward(x, dy, mean, invstd, weight, n, c, hw, dx, dweight, dbias) {
      const ok = f32(x) && f32(dy) && f32(mean) && f32(invstd) && f32(dx) && (!weight || f32(weight)) && (!dweight || f32(dweight)) && (!dbias || f32(dbias));
      if (!ok || small(dx.length)) return ts.batchNormBackward(x, dy, mean, invstd, weight, n, c, hw, dx, dweight, dbias);
      addon.batchNormBackward(x as Float32Array, dy as Float32Array, mean as Float32Array, invstd as Float32Array, (weight ?? NONE) as Float32Array,
        n, c, hw, dx as Float32Array, (dweight ?? NONE) as Float32Array, (dbias ?? NONE) as Float32Array);
    },
    softmax(x, outer, size, inner, out) {
      if (!f32(x) || !f32(out) || small(out.length)) return ts.softmax(x, outer, size, inner, out);
      addon.softmax(x, outer, size, inner, out);
    },
    logSoftmax(x, outer, size, inner, out) {
      if (!f32(x) || !f32(out) || small(out.length)) return ts.logSoftmax(x, outer, size, inner, out);
      addon.logSoftmax(x, outer, size, inner, out);
    },
    softmaxCrossEntropy(logits, targets, n, c, ignoreIndex, loss, prob) {
      if (!f32(logits) || !f32(loss) || !f32(prob) || small(prob.length)) return ts.softmaxCrossEntropy(logits, targets, n, c, ignoreIndex, loss, prob);
      addon.softmaxCrossEntropy(logits, targets, n, c, ignoreIndex, loss, prob);
    },
    softmaxCrossEntropyBackward(prob, targets, n, c, ignoreIndex, gradLoss, dlogits) {
      if (!f32(prob) || !f32(gradLoss) || !f32(dlogits) || small(dlogits.length)) return ts.softmaxCrossEntropyBackward(prob, targets, n, c, ignoreIndex, gradLoss, dlogits);
      addon.softmaxCrossEntropyBackward(prob, targets, n, c, ignoreIndex, gradLoss, dlogits);
    },
    pairwiseSquaredDistance(a, b, batch, n, m, d, out) {
      if (!f32(a) || !f32(b) || !f32(out) || batch * n * m * d < THRESHOLDS.matmul) return ts.pairwiseSquaredDistance(a, b, batch, n, m, d, out);
      addon.pairwiseSquaredDistance(a, b, batch, n, m, d, out);
    },
    gather(x, shape, axis, idx, idxShape, out) {
      if (!f32(x) || !f32(out) || small(out.length)) return ts.gather(x, shape, axis, idx, idxShape, out);
      const [outer, size, inner] = axisView(shape, axis);
      addon.gather(x, outer, size, inner, idx, idxShape[axis]!, out);
    },
    scatterAdd(out, shape, axis, idx, idxShape, src) {
      if (!f32(out) || !f32(src) || small(src.length)) return ts.scatterAdd(out, shape, axis, idx, idxShape, src);
      const [outer, size, inner] = axisView(shape, axis);
      addon.scatterAdd(out, outer, size, inner, idx, idxShape[axis]!, src);
    },
    matmul(a: FloatArray, b: FloatArray, out: FloatArray, g: MatmulGeometry): void {
      if (!f32(a) || !f32(b) || !f32(out) || g.batch * g.m * g.n * g.k < THRESHOLDS.matmul) return ts.matmul(a, b, out, g);
      mmGeom[0] = g.batch; mmGeom[1] = g.m; mmGeom[2] = g.k; mmGeom[3] = g.n;
      mmGeom[4] = g.transA ? 1 : 0; mmGeom[5] = g.transB ? 1 : 0;
      addon.matmul(a, b, out, mmGeom, g.aOffsets, g.bOffsets);
    },
    conv2d(x, w, out, g, bias) {
      if (!f32(x) || !f32(w) || !f32(out) || (bias && !f32(bias))) return ts.conv2d(x, w, out, g, bias);
      addon.conv2d(x, w, out, packConv(g), (bias as Float32Array | null | undefined) ?? null);
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
