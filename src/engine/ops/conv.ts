// Convolution and pooling ops: conv2d and its two transposes, max/avg pooling, adaptive average pooling.
import type { ConvGeometry, PoolGeometry } from '../../backend/types.js';
import { record } from '../autograd.js';
import { promote, type FloatArray } from '../../core/dtype.js';
import { ArgumentError, ShapeError } from '../../core/errors.js';
import type { ConvParams, PoolParams } from '../prims.js';
import type { Tensor } from "../tensor.js";
import { cast } from './elementwise.js';
import { empty, kernels, requireFloat, zerosOf } from './core.js';
import { mean } from './reduce.js';
import { reshape, trustIndex } from './shape.js';

export type Pair = number | readonly [number, number];

export function pair(where: string, v: Pair, name: string, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((d) => Number.isInteger(d) && d >= min)) throw new ArgumentError(where, `${name} must be integers ≥ ${min}, got ${JSON.stringify(v)}`);
  return p;
}

function outSize(inp: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((inp + 2 * p - d * (k - 1) - 1) / s) + 1;
}

export function convGeometry(xShape: readonly number[], wShape: readonly number[], p: ConvParams): ConvGeometry {
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [o, , kh, kw] = wShape as [number, number, number, number];
  return {
    n, c, h, w, o, kh, kw,
    oh: outSize(h, kh, p.stride[0], p.padding[0], p.dilation[0]),
    ow: outSize(w, kw, p.stride[1], p.padding[1], p.dilation[1]),
    strideH: p.stride[0], strideW: p.stride[1], padH: p.padding[0], padW: p.padding[1],
    dilH: p.dilation[0], dilW: p.dilation[1], groups: p.groups,
  };
}

function sameDType(a: Tensor, b: Tensor): [Tensor, Tensor] {
  const dt = promote(a.dtype, b.dtype);
  return [a.dtype === dt ? a : cast(a, dt), b.dtype === dt ? b : cast(b, dt)];
}

/** Primitive conv2d (bias fused into the kernel when given). x: [N, C, H, W]; w: [O, C/groups, kh, kw]; bias: [O]. */
export function conv2dPrim(x: Tensor, w: Tensor, p: ConvParams, bias: Tensor | null = null): Tensor {
  [x, w] = sameDType(x, w);
  if (bias && bias.dtype !== x.dtype) bias = cast(bias, x.dtype);
  const g = convGeometry(x.shape, w.shape, p);
  const out = empty([g.n, g.o, g.oh, g.ow], x.dtype);
  kernels().conv2d(x.data as FloatArray, w.data as FloatArray, out.data as FloatArray, g, (bias?.data ?? null) as FloatArray | null);
  return bias ? record('conv2d', [x, w, bias], { ...p, hasBias: true }, out) : record('conv2d', [x, w], p, out);
}

/** Primitive: gradient of conv2d with respect to its input (a transposed convolution). */
export function conv2dBackwardDataPrim(dy: Tensor, w: Tensor, p: ConvParams & { inputShape: number[] }): Tensor {
  [dy, w] = sameDType(dy, w);
  const g = convGeometry(p.inputShape, w.shape, p);
  const dx = zerosOf(p.inputShape, dy.dtype);
  kernels().conv2dBackwardData(dy.data as FloatArray, w.data as FloatArray, dx.data as FloatArray, g);
  return record('conv2dBackwardData', [dy, w], p, dx);
}

/** Primitive: gradient of conv2d with respect to its weight. */
export function conv2dBackwardFilterPrim(x: Tensor, dy: Tensor, p: ConvParams & { weightShape: number[] }): Tensor {
  [x, dy] = sameDType(x, dy);
  const g = convGeometry(x.shape, p.weightShape, p);
  const dw = zerosOf(p.weightShape, x.dtype);
  kernels().conv2dBackwardFilter(x.data as FloatArray, dy.data as FloatArray, dw.data as FloatArray, g);
  return record('conv2dBackwardFilter', [x, dy], p, dw);
}

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
}

/**
 * 2-d convolution (cross-correlation) as torch.nn.functional.conv2d; accepts [C, H, W] unbatched input.
 * @example conv2d(x, w, b, { padding: 1 })
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  requireFloat('conv2d', x);
  requireFloat('conv2d', weight);
  const unbatched = x.ndim === 3;
  const xb = unbatched ? reshape(x, [1, ...x.shape]) : x;
  if (xb.ndim !== 4) throw new ShapeError('conv2d', 'input must be [N, C, H, W] or [C, H, W]', [x.shape, weight.shape]);
  if (weight.ndim !== 4) throw new ShapeError('conv2d', 'weight must be [outC, inC/groups, kh, kw]', [x.shape, weight.shape]);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new ArgumentError('conv2d', `groups must be a positive integer, got ${groups}`);
  const [, c, h, w] = xb.shape as [number, number, number, number];
  const [o, cg, kh, kw] = weight.shape as [number, number, number, number];
  if (c % groups !== 0 || o % groups !== 0) throw new ShapeError('conv2d', `channels (in ${c}, out ${o}) must be divisible by groups ${groups}`, [x.shape, weight.shape]);
  if (cg * groups !== c) throw new ShapeError('conv2d', `weight expects ${cg * groups} input channels, input has ${c}`, [x.shape, weight.shape]);
  const stride = pair('conv2d', opts.stride ?? 1, 'stride', 1);
  const dilation = pair('conv2d', opts.dilation ?? 1, 'dilation', 1);
  let padding: [number, number];
  if (opts.padding === 'valid' || opts.padding === undefined) padding = [0, 0];
  else if (opts.padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) throw new ArgumentError('conv2d', "padding 'same' needs stride 1");
    const th = dilation[0] * (kh - 1), tw = dilation[1] * (kw - 1);
    if (th % 2 || tw % 2) throw new ArgumentError('conv2d', "padding 'same' with an even kernel extent is not supported");
    padding = [th / 2, tw / 2];
  } else padding = pair('conv2d', opts.padding, 'padding', 0);
  const p: ConvParams = { stride, padding, dilation, groups };
  const g = convGeometry(xb.shape, weight.shape, p);
  if (g.oh <= 0 || g.ow <= 0) {
    throw new ShapeError('conv2d', `input ${h}×${w} is too small for kernel ${kh}×${kw} (padding ${padding}, dilation ${dilation})`, [x.shape, weight.shape]);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== o)) throw new ShapeError('conv2d', `bias must be [${o}]`, [weight.shape, bias.shape]);
  const y = conv2dPrim(xb, weight, p, bias ?? null);
  return unbatched ? reshape(y, y.shape.slice(1)) : y;
}

export interface Pool2dOptions {
  stride?: Pair | null;
  padding?: Pair;
  ceilMode?: false;
}

function poolGeometry(op: string, x: Tensor, kernel: Pair, opts: Pool2dOptions, countIncludePad: boolean): PoolGeometry {
  if (x.ndim !== 4) throw new ShapeError(op, 'input must be [N, C, H, W]', [x.shape]);
  const [kh, kw] = pair(op, kernel, 'kernel size', 1);
  const [sh, sw] = pair(op, opts.stride ?? [kh, kw], 'stride', 1);
  const [ph, pw] = pair(op, opts.padding ?? 0, 'padding', 0);
  if (ph > kh / 2 || pw > kw / 2) throw new ArgumentError(op, `padding (${ph}, ${pw}) must be at most half the kernel (${kh}, ${kw})`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const oh = Math.floor((h + 2 * ph - kh) / sh) + 1, ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
  if (oh <= 0 || ow <= 0) throw new ShapeError(op, `input ${h}×${w} is smaller than the kernel ${kh}×${kw}`, [x.shape]);
  return { n, c, h, w, oh, ow, kh, kw, strideH: sh, strideW: sw, padH: ph, padW: pw, countIncludePad };
}

/**
 * 2-d max pooling (stride defaults to the kernel size). Recorded as a gather of the maxima, so its
 * gradient of any order comes from the gather/scatter-add rules.
 */
export function maxPool2d(x: Tensor, kernel: Pair, opts: Pool2dOptions = {}): Tensor {
  requireFloat('maxPool2d', x);
  const g = poolGeometry('maxPool2d', x, kernel, opts, false);
  const planes = g.n * g.c;
  const out = empty([planes, g.oh * g.ow], x.dtype);
  const idx = empty([planes, g.oh * g.ow], 'int32');
  kernels().maxPool2d(x.data as FloatArray, out.data as FloatArray, idx.data as Int32Array, g);
  const x2 = reshape(x, [planes, g.h * g.w]);
  const y2 = record('gather', [x2, trustIndex(idx, g.h * g.w)], { axis: 1 }, out);
  return reshape(y2, [g.n, g.c, g.oh, g.ow]);
}

export function poolParams(g: PoolGeometry): PoolParams {
  return { kernel: [g.kh, g.kw], stride: [g.strideH, g.strideW], padding: [g.padH, g.padW], countIncludePad: g.countIncludePad };
}

export function poolGeometryOf(xShape: readonly number[], p: PoolParams): PoolGeometry {
  const [n, c, h, w] = xShape as [number, number, number, number];
  return {
    n, c, h, w, kh: p.kernel[0], kw: p.kernel[1], strideH: p.stride[0], strideW: p.stride[1], padH: p.padding[0], padW: p.padding[1],
    oh: Math.floor((h + 2 * p.padding[0] - p.kernel[0]) / p.stride[0]) + 1,
    ow: Math.floor((w + 2 * p.padding[1] - p.kernel[1]) / p.stride[1]) + 1,
    countIncludePad: p.countIncludePad,
  };
}

export function avgPool2dPrim(x: Tensor, p: PoolParams): Tensor {
  const g = poolGeometryOf(x.shape, p);
  const out = empty([g.n, g.c, g.oh, g.ow], x.dtype);
  kernels().avgPool2d(x.data as FloatArray, out.data as FloatArray, g);
  return record('avgPool2d', [x], p, out);
}

export function avgPool2dBackwardPrim(dy: Tensor, p: PoolParams & { inputShape: number[] }): Tensor {
  const g = poolGeometryOf(p.inputShape, p);
  const dx = zerosOf(p.inputShape, dy.dtype);
  kernels().avgPool2dBackward(dy.data as FloatArray, dx.data as FloatArray, g);
  return record('avgPool2dBackward', [dy], p, dx);
}

/** 2-d average pooling (countIncludePad true by default, as in PyTorch). */
export function avgPool2d(x: Tensor, kernel: Pair, opts: Pool2dOptions & { countIncludePad?: boolean } = {}): Tensor {
  requireFloat('avgPool2d', x);
  const g = poolGeometry('avgPool2d', x, kernel, opts, opts.countIncludePad ?? true);
  return avgPool2dPrim(x, poolParams(g));
}

/** Adaptive average pooling to `size` (1 = global average pooling; otherwise H and W must divide evenly). */
export function adaptiveAvgPool2d(x: Tensor, size: Pair = 1): Tensor {
  if (x.ndim !== 4) throw new ShapeError('adaptiveAvgPool2d', 'input must be [N, C, H, W]', [x.shape]);
  const [oh, ow] = pair('adaptiveAvgPool2d', size, 'output size', 1);
  const [, , h, w] = x.shape as [number, number, number, number];
  if (oh === 1 && ow === 1) return mean(x, [2, 3], true);
  if (h % oh !== 0 || w % ow !== 0) {
    throw new ShapeError('adaptiveAvgPool2d', `input ${h}×${w} is not divisible into ${oh}×${ow} bins`, [x.shape]);
  }
  return avgPool2d(x, [h / oh, w / ow]);
}

/** Mean over the spatial dims: [N, C, H, W] → [N, C]. */
export function globalAvgPool2d(x: Tensor): Tensor {
  if (x.ndim !== 4) throw new ShapeError('globalAvgPool2d', 'input must be [N, C, H, W]', [x.shape]);
  return mean(x, [2, 3]);
}

