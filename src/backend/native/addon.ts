// The raw interface the C++ addon exports (float32 kernels taking packed Int32Array geometries).

/** What the addon reports about itself. */
export interface NativeInfo {
  isa: string;
  detectedIsa: string;
  gemm: string;
  threads: number;
  compiler?: string;
}

type F32 = Float32Array;
type I32 = Int32Array;

/**
 * Functions of build/Release/adaptlab.node. Every kernel validates argument types and lengths and
 * throws a JS error on bad input; arrays are read and written in place.
 */
export interface NativeAddon {
  /** op name → code per family, from native/src/opcodes.h (the codes the op arguments below take) */
  readonly opcodes: Record<string, Record<string, number>>;
  info(): NativeInfo;
  setThreads(n: number): NativeInfo;
  setIsa(isa: 'avx512' | 'avx2' | 'baseline'): NativeInfo;
  /** geom = [batch, m, k, n, transA, transB] */
  matmul(a: F32, b: F32, out: F32, geom: I32, aOffsets: I32, bOffsets: I32): void;
  /** geom = [n, c, h, w, o, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups]; optional bias [o] added at store time */
  conv2d(x: F32, w: F32, out: F32, geom: I32, bias?: F32 | null): void;
  conv2dBackwardData(dy: F32, w: F32, dx: F32, geom: I32): void;
  conv2dBackwardFilter(x: F32, dy: F32, dw: F32, geom: I32): void;
  /** geom = [n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, countIncludePad] */
  maxPool2d(x: F32, out: F32, idx: I32, geom: I32): void;
  avgPool2d(x: F32, out: F32, geom: I32): void;
  avgPool2dBackward(dy: F32, dx: F32, geom: I32): void;
  /** op: a code from `opcodes`; plan = [nd, dims..., strides of each operand...] */
  unary(op: number, x: F32, out: F32): void;
  binary(op: number, a: F32, b: F32, out: F32, plan: I32): void;
  compare(op: number, a: F32, b: F32, out: Uint8Array, plan: I32): void;
  where(cond: Uint8Array, a: F32, b: F32, out: F32, plan: I32): void;
  reduce(op: number, x: F32, outer: number, size: number, inner: number, out: F32): void;
  argReduce(op: number, x: F32, outer: number, size: number, inner: number, out: I32): void;
  /** 4-byte arrays of one type (Float32Array or Int32Array); plan = [nd, dims..., strides...] */
  stridedRead(x: F32 | I32, offset: number, plan: I32, out: F32 | I32): void;
  stridedWrite(src: F32 | I32, out: F32 | I32, offset: number, plan: I32): void;
  gather(x: F32, outer: number, size: number, inner: number, idx: I32, isize: number, out: F32): void;
  scatterAdd(out: F32, outer: number, size: number, inner: number, idx: I32, isize: number, src: F32): void;
  /** out = x > 0 ? g : 0 */
  reluBackward(g: F32, x: F32, out: F32): void;

  // ---- fused entry points (batch norm is wired to the Kernels interface; the rest are available) ----
  /** Batch statistics per channel of x [n, c, hw] (biased variance); weight/bias may be empty arrays. */
  batchNormTrainForward(x: F32, weight: F32, bias: F32, n: number, c: number, hw: number, eps: number, out: F32, mean: F32, invstd: F32): void;
  /** dx, dweight = Σ dy·x̂, dbias = Σ dy of the training-mode batch norm; weight/dweight/dbias may be empty. */
  batchNormBackward(x: F32, dy: F32, mean: F32, invstd: F32, weight: F32, n: number, c: number, hw: number, dx: F32, dweight: F32, dbias: F32): void;
  softmax(x: F32, outer: number, size: number, inner: number, out: F32): void;
  logSoftmax(x: F32, outer: number, size: number, inner: number, out: F32): void;
  /** Per-row loss (0 where target == ignoreIndex) and the softmax probabilities. */
  softmaxCrossEntropy(logits: F32, targets: I32, n: number, c: number, ignoreIndex: number, loss: F32, prob: F32): void;
  /** dlogits = (prob − onehot(target)) · gradLoss[row], 0 on ignored rows. */
  softmaxCrossEntropyBackward(prob: F32, targets: I32, n: number, c: number, ignoreIndex: number, gradLoss: F32, dlogits: F32): void;
  /** out[t, i, j] = max(‖a_i‖² − 2 a_i·b_j + ‖b_j‖², 0) for a [batch, n, d], b [batch, m, d]. */
  pairwiseSquaredDistance(a: F32, b: F32, batch: number, n: number, m: number, d: number, out: F32): void;
}
