// The browser's stand-in for load.ts (the browser bundle resolves ./native/load.js here): no addon, so every choice ends in the ts kernels.
import type { NativeStatus } from './load.js';

const status: NativeStatus = {
  loaded: false, path: null, error: 'native kernels are not part of the browser build', isa: null, threads: null, gemm: null,
  kernels: null, addon: null, dtypes: null,
};

/** Never loads: reports why (`auto` then selects the ts kernels, `native` throws a BackendError). */
export function loadNative(): NativeStatus {
  return status;
}

export function nativeLoaded(): boolean {
  return false;
}

export function setNativeThreads(_n: number): number | null {
  return null;
}

export type { NativeStatus };
