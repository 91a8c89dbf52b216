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
  info(): NativeInfo;
  setThreads(n: number): NativeInfo;
  setIsa(isa: 'avx512' | 'avx2' | 'baseline'): NativeInfo;
  /** geom = [batch, m, k, n, transA, transB] */
  matmul(a: F32, b: F32, out: F32, geom: I32, aOffsets: I32, bOffsets: I32): void;
  /** geom = [n, c, h, w, o, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups] */
  conv2d(x: F32, w: F32, out: F32, geom: I32): void;
  conv2dBackwardData(dy: F32, w: F32, dx: F32, geom: I32): void;
  conv2dBackwardFilter(x: F32, dy: F32, dw: F32, geom: I32): void;
  /** geom = [n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, countIncludePad] */
  maxPool2d(x: F32, out: F32, idx: I32, geom: I32): void;
  avgPool2d(x: F32, out: F32, geom: I32): void;
  avgPool2dBackward(dy: F32, dx: F32, geom: I32): void;
}
