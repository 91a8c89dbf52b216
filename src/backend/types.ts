// The kernel interface every backend implements (typed arrays in, typed arrays written in place) and its op names.
import type { DataArray, FloatArray } from '../core/dtype.js';
import type { Shape } from '../core/shape.js';

/** The op names of each kernel family (the native addon numbers them: native/src/opcodes.h). */
export const UNARY_OPS = [
  'neg', 'exp', 'log', 'sqrt', 'abs', 'sin', 'cos', 'tanh', 'sigmoid', 'relu', 'erf',
  'sign', 'floor', 'ceil', 'round', 'not',
] as const;
export const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const;
export const COMPARE_OPS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
export const REDUCE_OPS = ['sum', 'max', 'min'] as const;
export const ARG_REDUCE_OPS = ['argmax', 'argmin'] as const;

export type UnaryOp = (typeof UNARY_OPS)[number];
export type BinaryOp = (typeof BINARY_OPS)[number];
export type CompareOp = (typeof COMPARE_OPS)[number];
export type ReduceOp = (typeof REDUCE_OPS)[number];
export type ArgReduceOp = (typeof ARG_REDUCE_OPS)[number];

/** Batched matrix product C[b] = op(A[aOff[b]]) · op(B[bOff[b]]), op = transpose when the flag is set. */
export interface MatmulGeometry {
  batch: number;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  /** element offsets of each batch's A and B matrix (broadcast batches repeat offsets) */
  aOffsets: Int32Array;
  bOffsets: Int32Array;
}

/** NCHW convolution geometry; weight is [outC, inC/groups, kh, kw]. */
export interface ConvGeometry {
  n: number; c: number; h: number; w: number;
  o: number; kh: number; kw: number;
  oh: number; ow: number;
  strideH: number; strideW: number;
  padH: number; padW: number;
  dilH: number; dilW: number;
  groups: number;
}

/** NCHW pooling geometry. Padding counts as -inf for max and, with countIncludePad, as 0 for average. */
export interface PoolGeometry {
  n: number; c: number; h: number; w: number;
  oh: number; ow: number;
  kh: number; kw: number;
  strideH: number; strideW: number;
  padH: number; padW: number;
  countIncludePad: boolean;
}

/**
 * The backend interface. Arrays are contiguous row-major; outputs are preallocated by the engine
 * (zero-filled where a kernel accumulates). Kernels never allocate tensors or know about autograd.
 */
export interface Kernels {
  readonly name: string;
  unary(op: UnaryOp, x: DataArray, out: DataArray): void;
  /** Element-wise op with NumPy broadcasting of a and b to outShape. */
  binary(op: BinaryOp, a: DataArray, aShape: Shape, b: DataArray, bShape: Shape, out: DataArray, outShape: Shape): void;
  compare(op: CompareOp, a: DataArray, aShape: Shape, b: DataArray, bShape: Shape, out: Uint8Array, outShape: Shape): void;
  where(cond: Uint8Array, cShape: Shape, a: DataArray, aShape: Shape, b: DataArray, bShape: Shape, out: DataArray, outShape: Shape): void;
  /** Reduce the middle axis of an [outer, size, inner] view into [outer, inner]. */
  reduce(op: ReduceOp, x: DataArray, outer: number, size: number, inner: number, out: DataArray): void;
  argReduce(op: ArgReduceOp, x: DataArray, outer: number, size: number, inner: number, out: Int32Array): void;
  permute(x: DataArray, shape: Shape, perm: readonly number[], out: DataArray): void;
  /** Broadcast x (same rank as outShape, with 1s) to outShape. */
  expand(x: DataArray, shape: Shape, outShape: Shape, out: DataArray): void;
  /** out = x[starts[i] : : steps[i]] with outShape extents. */
  slice(x: DataArray, shape: Shape, starts: readonly number[], steps: readonly number[], outShape: Shape, out: DataArray): void;
  /** out (zero-filled, outShape) receives src at the strided positions `slice` would read. */
  sliceScatter(src: DataArray, srcShape: Shape, starts: readonly number[], steps: readonly number[], outShape: Shape, out: DataArray): void;
  /** torch.gather: out[.., j, ..] = x[.., idx[.., j, ..], ..] along axis; idx has out's shape. */
  gather(x: DataArray, shape: Shape, axis: number, idx: Int32Array, idxShape: Shape, out: DataArray): void;
  /** torch.scatter_add_: out[.., idx[.., j, ..], ..] += src[.., j, ..] along axis (out holds the base). */
  scatterAdd(out: DataArray, shape: Shape, axis: number, idx: Int32Array, idxShape: Shape, src: DataArray): void;
  cast(x: DataArray, out: DataArray): void;
  matmul(a: FloatArray, b: FloatArray, out: FloatArray, g: MatmulGeometry): void;
  /** out = conv(x, w) (+ bias per output channel when given). */
  conv2d(x: FloatArray, w: FloatArray, out: FloatArray, g: ConvGeometry, bias?: FloatArray | null): void;
  /** dx (zero-filled) from dy and w: the transpose of conv2d in x. */
  conv2dBackwardData(dy: FloatArray, w: FloatArray, dx: FloatArray, g: ConvGeometry): void;
  /** dw (zero-filled) from x and dy: the transpose of conv2d in w. */
  conv2dBackwardFilter(x: FloatArray, dy: FloatArray, dw: FloatArray, g: ConvGeometry): void;
  /** Max pooling values and the flat index (within each H×W plane) of each maximum. */
  maxPool2d(x: FloatArray, out: FloatArray, idx: Int32Array, g: PoolGeometry): void;
  avgPool2d(x: FloatArray, out: FloatArray, g: PoolGeometry): void;
  /** dx (zero-filled) from dy: the transpose of avgPool2d. */
  avgPool2dBackward(dy: FloatArray, dx: FloatArray, g: PoolGeometry): void;
  /** out = x > 0 ? g : 0 (the gradient of relu). */
  reluBackward(g: FloatArray, x: FloatArray, out: FloatArray): void;
  /**
   * Training-mode batch norm of x viewed as [n, c, hw]: per-channel batch mean and 1/√(biased var + eps)
   * into mean/invstd, and out = (x − mean)·invstd·weight + bias (weight/bias may be null).
   */
  batchNormTrainForward(x: FloatArray, weight: FloatArray | null, bias: FloatArray | null, n: number, c: number, hw: number, eps: number, out: FloatArray, mean: FloatArray, invstd: FloatArray): void;
  /** Gradients of batchNormTrainForward: dx, and when not null dweight = Σ dy·x̂ and dbias = Σ dy. */
  batchNormBackward(x: FloatArray, dy: FloatArray, mean: FloatArray, invstd: FloatArray, weight: FloatArray | null, n: number, c: number, hw: number, dx: FloatArray, dweight: FloatArray | null, dbias: FloatArray | null): void;
  /** softmax over the middle axis of [outer, size, inner] (shifted by the row maximum). */
  softmax(x: FloatArray, outer: number, size: number, inner: number, out: FloatArray): void;
  logSoftmax(x: FloatArray, outer: number, size: number, inner: number, out: FloatArray): void;
  /**
   * Per-row cross-entropy of logits [n, c] with int32 targets (0 on rows whose target is ignoreIndex) and
   * the softmax probabilities for the backward. Targets are in range (the engine checks).
   */
  softmaxCrossEntropy(logits: FloatArray, targets: Int32Array, n: number, c: number, ignoreIndex: number, loss: FloatArray, prob: FloatArray): void;
  /** dlogits = (prob − onehot(target)) · gradLoss[row], 0 on ignored rows. */
  softmaxCrossEntropyBackward(prob: FloatArray, targets: Int32Array, n: number, c: number, ignoreIndex: number, gradLoss: FloatArray, dlogits: FloatArray): void;
  /** out[t, i, j] = max(‖a_i‖² − 2 a_i·b_j + ‖b_j‖², 0) for a [batch, n, d], b [batch, m, d] (NaN propagates). */
  pairwiseSquaredDistance(a: FloatArray, b: FloatArray, batch: number, n: number, m: number, d: number, out: FloatArray): void;
}
