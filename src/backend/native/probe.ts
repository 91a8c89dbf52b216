// Which kernels run on the addon for each float dtype, found by calling the native kernel table with a recording stand-in for the addon.
import type { FloatArray, FloatDType } from '../../core/dtype.js';
import type { Kernels } from '../types.js';
import type { NativeAddon } from './addon.js';
import { nativeKernels } from './kernels.js';

/** For one dtype: the probed kernels the native table sends to the addon, and those it leaves to the ts kernels. */
export interface DTypeKernels {
  native: string[];
  ts: string[];
}

type Ctor = new (n: number) => FloatArray;

/** One call of each heavy kernel family, on inputs above the native size thresholds. */
const PROBES: Record<string, (k: Kernels, A: Ctor) => void> = {
  matmul: (k, A) => {
    const z = new Int32Array(1);
    k.matmul(new A(256), new A(256), new A(256), { batch: 1, m: 16, k: 16, n: 16, transA: false, transB: false, aOffsets: z, bOffsets: z });
  },
  conv2d: (k, A) => k.conv2d(new A(36), new A(9), new A(16), {
    n: 1, c: 1, h: 6, w: 6, o: 1, kh: 3, kw: 3, oh: 4, ow: 4, strideH: 1, strideW: 1, padH: 0, padW: 0, dilH: 1, dilW: 1, groups: 1,
  }),
  unary: (k, A) => k.unary('exp', new A(4096), new A(4096)),
  binary: (k, A) => k.binary('add', new A(4096), [4096], new A(4096), [4096], new A(4096), [4096]),
  reduce: (k, A) => k.reduce('sum', new A(4096), 1, 4096, 1, new A(1)),
};

const CTORS: Record<FloatDType, Ctor> = { float32: Float32Array, float64: Float64Array };

/**
 * Probe the kernel table that `nativeKernels` builds over `addon`: every kernel function of the addon is replaced
 * by a recorder (it computes nothing), each probe runs once per float dtype, and a probe counts as native when it
 * reached the addon. Calls that fall back run the ts kernels on the small probe inputs.
 */
export function probeNativeDTypes(addon: NativeAddon): Record<FloatDType, DTypeKernels> {
  let reached = false;
  const recorder = new Proxy(addon, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || prop === 'info' || prop === 'setThreads' || prop === 'setIsa') return v;
      return () => { reached = true; };
    },
  });
  const table = nativeKernels(recorder);
  const result = {} as Record<FloatDType, DTypeKernels>;
  for (const [dtype, A] of Object.entries(CTORS) as [FloatDType, Ctor][]) {
    const r: DTypeKernels = { native: [], ts: [] };
    for (const [name, probe] of Object.entries(PROBES)) {
      reached = false;
      probe(table, A);
      (reached ? r.native : r.ts).push(name);
    }
    result[dtype] = r;
  }
  return result;
}

/** The same shape for a backend without the addon: every probed kernel on ts. */
export function allTs(): Record<FloatDType, DTypeKernels> {
  const names = Object.keys(PROBES);
  return { float32: { native: [], ts: [...names] }, float64: { native: [], ts: [...names] } };
}
