// Flags shared by commands: --backend and --threads (also ADAPTLAB_BACKEND / ADAPTLAB_THREADS).
import { setBackend, setThreads, type BackendName } from '../backend/index.js';
import { UsageError } from './command.js';

export const BACKEND_FLAGS = {
  backend: { type: 'string' as const },
  threads: { type: 'string' as const },
};

export function parseIntFlag(name: string, v: string | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${v}"`);
  return n;
}

/** Apply --threads (the native pool; also ADAPTLAB_THREADS) and --backend. */
export function applyBackendFlags(values: { backend?: string | undefined; threads?: string | undefined }): void {
  const threads = parseIntFlag('threads', values.threads);
  if (threads !== undefined) setThreads(threads);
  if (values.backend !== undefined) {
    if (!['auto', 'native', 'ts'].includes(values.backend)) throw new UsageError(`--backend must be auto, native or ts, got "${values.backend}"`);
    setBackend(values.backend as BackendName);
  }
}
