// Lazy loader of the native addon (build/Release/adaptlab.node); never throws, reports why it failed.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../core/package.js';
import type { FloatDType } from '../../core/dtype.js';
import type { Kernels } from '../types.js';
import type { NativeAddon } from './addon.js';
import { nativeKernels } from './kernels.js';
import { probeNativeDTypes, type DTypeKernels } from './probe.js';

export interface NativeStatus {
  loaded: boolean;
  path: string | null;
  error: string | null;
  /** instruction set the kernels dispatch on, e.g. "avx512" */
  isa: string | null;
  /** threads of the kernel pool (the calling thread included) */
  threads: number | null;
  /** micro-kernel family of the GEMM */
  gemm: string | null;
  kernels: Kernels | null;
  addon: NativeAddon | null;
  /** per float dtype, which probed kernels the native table runs on the addon (probe.ts); null when not loaded */
  dtypes: Record<FloatDType, DTypeKernels> | null;
}

let status: NativeStatus | null = null;

function failed(path: string | null, error: string): NativeStatus {
  return { loaded: false, path, error, isa: null, threads: null, gemm: null, kernels: null, addon: null, dtypes: null };
}

/** Try once to load the addon; the result (or the reason it failed) is cached. */
export function loadNative(): NativeStatus {
  if (status) return status;
  const path = join(packageRoot(), 'build', 'Release', 'adaptlab.node');
  if (!existsSync(path)) {
    status = failed(null, 'addon not built (npm install compiles it; it is skipped with --ignore-scripts or without a C++ compiler)');
    return status;
  }
  try {
    const require = createRequire(import.meta.url);
    const addon = require(path) as NativeAddon;
    if (typeof addon.info !== 'function' || typeof addon.matmul !== 'function') throw new Error('not an adaptlab addon (info/matmul missing)');
    const info = addon.info();
    const kernels = nativeKernels(addon);
    status = { loaded: true, path, error: null, isa: info.isa, threads: info.threads, gemm: info.gemm, kernels, addon, dtypes: probeNativeDTypes(addon) };
  } catch (e) {
    status = failed(path, `failed to load ${path}: ${(e as Error).message}`);
  }
  return status;
}

/** Whether loadNative() has already been attempted (and succeeded). */
export function nativeLoaded(): boolean {
  return status !== null && status.loaded;
}

/** Resize the native thread pool (loads the addon if needed); returns the thread count in force, or null without the addon. */
export function setNativeThreads(n: number): number | null {
  const st = loadNative();
  if (!st.addon) return null;
  st.threads = st.addon.setThreads(n).threads;
  return st.threads;
}
