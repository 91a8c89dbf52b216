// Shared helpers for native-vs-ts parity tests: addon availability, random data, float32 closeness.
import assert from 'node:assert/strict';
import { loadNative } from '../../src/backend/native/load.js';
import { THRESHOLDS } from '../../src/backend/native/kernels.js';
import { tsKernels } from '../../src/backend/ts/index.js';
import type { Kernels } from '../../src/backend/types.js';

const st = loadNative();
/** Reason to skip native tests, or false when the addon is loaded. */
export const skipNative: string | false = st.kernels ? false : `native addon not available: ${st.error}`;
export const nk = st.kernels as Kernels;
export const ts = tsKernels;
export const addon = st.addon!;

/** Run native kernels even on tiny inputs (the JS fallback thresholds would hide them). */
export function forceNative(): void {
  THRESHOLDS.matmul = 0;
  THRESHOLDS.elementwise = 0;
}

/** The instruction-set levels this CPU can run, best first. */
export function isaLevels(): ('avx512' | 'avx2' | 'baseline')[] {
  if (!st.addon) return [];
  const d = st.addon.info().detectedIsa;
  return d === 'avx512' ? ['avx512', 'avx2', 'baseline'] : d.startsWith('avx2') ? ['avx2', 'baseline'] : ['baseline'];
}

/** Deterministic pseudo-random float32 data in [-1, 1). */
export function rand(n: number, seed = 1): Float32Array {
  const a = new Float32Array(n);
  let s = seed * 2654435761 >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s ^ (s << 13)) >>> 0; s = (s ^ (s >>> 17)) >>> 0; s = (s ^ (s << 5)) >>> 0;
    a[i] = (s / 4294967296) * 2 - 1;
  }
  return a;
}

/** Random data with NaN, ±Infinity, ±0 and repeated values sprinkled in. */
export function randSpecial(n: number, seed = 1): Float32Array {
  const a = rand(n, seed);
  const specials = [NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 1, 2.5];
  for (let i = 0; i < n; i += 7) a[i] = specials[(i / 7) % specials.length]!;
  return a;
}

/** Element-wise closeness in float32 terms: |a − b| ≤ atol + rtol·|b|, NaN where the other is NaN. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 2e-5, atol = 1e-6): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) if (Number.isFinite(expected[i]!)) scale = Math.max(scale, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Number.isNaN(e) || Number.isNaN(a)) {
      assert.ok(Number.isNaN(a) && Number.isNaN(e), `${what}: [${i}] native ${a} vs ts ${e}`);
      continue;
    }
    if (!Number.isFinite(e)) { assert.equal(a, e, `${what}: [${i}]`); continue; }
    const tol = atol * Math.max(1, scale) + rtol * Math.abs(e);
    if (!(Math.abs(a - e) <= tol)) assert.fail(`${what}: [${i}] native ${a} vs ts ${e} (|diff| ${Math.abs(a - e)} > ${tol})`);
  }
}

export function assertEqualArrays(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i]) && !(actual[i] === expected[i])) assert.fail(`${what}: [${i}] native ${actual[i]} vs ts ${expected[i]}`);
  }
}
