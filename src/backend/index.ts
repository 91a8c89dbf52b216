// Backend selection: auto | native | ts, by API, CLI flag or ADAPTLAB_BACKEND; the active kernel table.
import type { FloatDType } from '../core/dtype.js';
import { BackendError } from '../core/errors.js';
import { tsKernels } from './ts/index.js';
import type { Kernels } from './types.js';
// The browser bundle (scripts/build-browser.mjs) resolves this import to ./native/unavailable.ts: no node: modules.
import { loadNative, nativeLoaded, setNativeThreads, type NativeStatus } from './native/load.js';
import { allTs, type DTypeKernels } from './native/probe.js';

export type BackendName = 'auto' | 'native' | 'ts';

let active: Kernels = tsKernels;
let requested: BackendName | null = null;
let reason = 'not selected yet';

/** Why the active backend was chosen, for `adaptlab doctor`. */
export interface BackendInfo {
  name: 'native' | 'ts';
  requested: BackendName;
  reason: string;
  native: NativeStatus;
  /**
   * Float dtypes whose probed kernels (matmul, conv2d, unary, binary, reduce) all run on the native addon in the
   * active kernel table (found by probing the table, see native/probe.ts); empty on the ts backend.
   */
  nativeDTypes: FloatDType[];
  /** Per float dtype, which probed kernels run natively and which on the TypeScript kernels. */
  dtypes: Record<FloatDType, DTypeKernels>;
}

/** An environment variable, or undefined where there is no `process` (a browser). */
function env(name: string): string | undefined {
  return typeof process === 'undefined' ? undefined : process.env?.[name];
}

function envBackend(): BackendName {
  const v = (env('ADAPTLAB_BACKEND') ?? 'auto').trim().toLowerCase();
  if (v === 'auto' || v === 'native' || v === 'ts') return v;
  throw new BackendError(`ADAPTLAB_BACKEND must be auto, native or ts (got "${v}")`);
}

/**
 * Choose the kernels every op runs on. `auto` takes the native addon when it loads, else ts;
 * `native` throws a BackendError when the addon is unavailable.
 * @example setBackend('ts'); // force the pure-TypeScript reference kernels
 */
export function setBackend(name: BackendName): BackendInfo {
  if (name !== 'auto' && name !== 'native' && name !== 'ts') {
    throw new BackendError(`unknown backend "${String(name)}" (expected auto, native or ts)`);
  }
  requested = name;
  if (name === 'ts') {
    active = tsKernels;
    reason = 'ts requested';
  } else {
    const st = loadNative();
    if (st.kernels) {
      active = st.kernels;
      reason = name === 'native' ? 'native requested' : 'auto: native addon loaded';
    } else if (name === 'native') {
      throw new BackendError(`native backend requested but unavailable: ${st.error}`);
    } else {
      active = tsKernels;
      reason = `auto: native addon unavailable (${st.error}); using ts`;
    }
  }
  return backendInfo();
}

function ensureSelected(): void {
  if (requested === null) setBackend(envBackend());
}

/** The active kernel table (selected lazily from ADAPTLAB_BACKEND on first use). */
export function kernels(): Kernels {
  if (requested === null) ensureSelected();
  return active;
}

export function backendInfo(): BackendInfo {
  ensureSelected();
  const native = loadNative();
  const name = active === tsKernels ? 'ts' : 'native';
  const dtypes = name === 'native' && native.dtypes ? native.dtypes : allTs();
  const nativeDTypes = (Object.keys(dtypes) as FloatDType[]).filter((d) => dtypes[d].ts.length === 0);
  return { name, requested: requested!, reason, native, nativeDTypes, dtypes };
}

/** Run `fn` with another backend active (used by parity tests), restoring the previous one after. */
export function withBackend<T>(name: BackendName, fn: () => T): T {
  ensureSelected();
  const prev = { active, requested, reason };
  setBackend(name);
  try {
    return fn();
  } finally {
    active = prev.active;
    requested = prev.requested;
    reason = prev.reason;
  }
}

/**
 * Threads the native kernels use (the calling thread included); also read from ADAPTLAB_THREADS when
 * the addon loads. Default: the machine's cores. The ts backend is single-threaded.
 * @example setThreads(2)
 */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new BackendError(`threads must be an integer in [1, 1024], got ${String(n)}`);
  if (typeof process !== 'undefined') process.env['ADAPTLAB_THREADS'] = String(n);
  if (nativeLoaded()) setNativeThreads(n);
}

export { tsKernels };
export type { Kernels };
