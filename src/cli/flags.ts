// Flags shared by commands: --backend and --threads (also ADAPTLAB_BACKEND / ADAPTLAB_THREADS), strict integers.
import { setBackend, setThreads, type BackendName } from '../backend/index.js';
import { ArgumentError, BackendError } from '../core/errors.js';
import { UsageError } from './command.js';

export const BACKEND_FLAGS = {
  backend: { type: 'string' as const },
  threads: { type: 'string' as const },
};

/** Most threads the native pool accepts. */
export const MAX_THREADS = 1024;

/**
 * A whole number written in plain decimal digits ("0x5", "1e3", "5.0", " 5", "" and "+5" are not), from `min` to
 * `max` (default 2^53 − 1, the largest integer a double holds exactly). Anything else is a usage error naming `what`.
 */
export function parseDecimal(what: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^[0-9]+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}${min === 0 ? ' and < 2^53' : ''}` : `an integer from ${min} to ${max}`;
    throw new UsageError(`${what} must be ${range} in decimal digits, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** An optional integer flag `--name` (see `parseDecimal`); undefined when absent. */
export function parseIntFlag(name: string, v: string | undefined, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  return parseDecimal(`--${name}`, v, min, max);
}

/**
 * ADAPTLAB_THREADS and ADAPTLAB_BACKEND, when set, must be valid: a bad value is a failed run (exit 1, like an
 * unavailable backend) with a message naming the variable, never silently ignored (the native pool would otherwise
 * fall back to all cores for "0" or "abc").
 */
export function checkEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  const threads = env['ADAPTLAB_THREADS'];
  if (threads !== undefined) {
    const n = /^[0-9]+$/.test(threads.trim()) ? Number(threads.trim()) : NaN;
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_THREADS) throw new BackendError(`ADAPTLAB_THREADS must be an integer from 1 to ${MAX_THREADS}, got ${JSON.stringify(threads)}`);
  }
  const backend = env['ADAPTLAB_BACKEND'];
  if (backend !== undefined && !['auto', 'native', 'ts'].includes(backend.trim().toLowerCase())) {
    throw new BackendError(`ADAPTLAB_BACKEND must be auto, native or ts (got ${JSON.stringify(backend)})`);
  }
}

/** Apply --threads (the native pool; also ADAPTLAB_THREADS) and --backend. */
export function applyBackendFlags(values: { backend?: string | undefined; threads?: string | undefined }): void {
  const threads = parseIntFlag('threads', values.threads, 1, MAX_THREADS);
  if (threads !== undefined) setThreads(threads);
  if (values.backend !== undefined) {
    if (!['auto', 'native', 'ts'].includes(values.backend)) throw new UsageError(`--backend must be auto, native or ts, got "${values.backend}"`);
    setBackend(values.backend as BackendName);
  }
}

/** --seed: a non-negative integer in plain digits; `fallback` when the flag is absent. */
export function seedFlag(v: string | undefined, fallback = 0): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`--seed must be a non-negative integer, got "${v}"`);
  return Number(v);
}

/** A flag that must be a positive finite number (a learning rate, a time budget); undefined when absent. */
export function positiveNumberFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got "${v}"`);
  return n;
}

/** Run `fn`, turning the method layers' argument errors (a strategy, a shift, a task, a weighting) into usage errors: exit 2. */
export function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ArgumentError) throw new UsageError(e.message);
    throw e;
  }
}
