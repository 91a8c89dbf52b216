// The closed set of differentiable primitives and the parameters each one carries.
import type { DType, FloatArray } from '../core/dtype.js';

export interface ConvParams {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

export interface PoolParams {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  countIncludePad: boolean;
}

/**
 * Every primitive the engine records, with its parameters. Everything else (sub, softmax, losses,
 * batch-norm, ...) is a composition of these; `rules.ts` holds one derivative rule per primitive.
 */
export interface PrimParams {
  // unary
  neg: null; exp: null; log: null; sqrt: null; abs: null; sin: null; cos: null;
  tanh: null; sigmoid: null; relu: null; erf: null;
  // binary with broadcasting
  add: null; sub: null; mul: null; div: null; pow: null; maximum: null; minimum: null;
  /** inputs: cond (bool, not differentiable), a, b */
  where: null;
  // reductions
  sum: { axes: number[]; keepdims: boolean };
  max: { axes: number[]; keepdims: boolean };
  min: { axes: number[]; keepdims: boolean };
  // layout
  reshape: { shape: number[] };
  permute: { perm: number[] };
  expand: { shape: number[] };
  slice: { starts: number[]; steps: number[]; shape: number[] };
  /** embed the input into zeros of `shape` at the strided positions that `slice` reads */
  sliceScatter: { starts: number[]; steps: number[]; shape: number[] };
  concat: { axis: number };
  /** inputs: x, index (int32, not differentiable) */
  gather: { axis: number };
  /** zeros of `shape` with src added at index along axis; inputs: index (int32), src */
  scatterAdd: { axis: number; shape: number[] };
  cast: { dtype: DType };
  // linear algebra and convolution
  matmul: { transA: boolean; transB: boolean };
  /** inputs: x, w, and the bias when hasBias */
  conv2d: ConvParams & { hasBias?: boolean };
  conv2dBackwardData: ConvParams & { inputShape: number[] };
  conv2dBackwardFilter: ConvParams & { weightShape: number[] };
  avgPool2d: PoolParams;
  avgPool2dBackward: PoolParams & { inputShape: number[] };
  // fused
  /** inputs: g, x (not differentiated); out = x > 0 ? g : 0 */
  reluBackward: null;
  /**
   * training-mode batch norm over all dims but 1; inputs: x, then weight and bias when present.
   * mean/invstd are the batch statistics the forward kernel computed (constants for the fast backward).
   */
  batchNormTrain: { eps: number; hasWeight: boolean; hasBias: boolean; mean: FloatArray; invstd: FloatArray };
  softmax: { axis: number };
  logSoftmax: { axis: number };
  /** inputs: logits [n, c], targets int32 [n]; output: per-row losses [n]; prob saved for the fast backward */
  softmaxCrossEntropy: { ignoreIndex: number; prob: FloatArray };
  /** inputs: a [batch, n, d], b [batch, m, d]; output [batch, n, m] */
  pairwiseSquaredDistance: null;
}

export type Prim = keyof PrimParams;
