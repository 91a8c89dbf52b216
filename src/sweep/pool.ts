// The embedded default: a sweep's cells on a local pool of cell processes, no server; retries, skip of finished cells.
import { availableParallelism } from 'node:os';
import { cellDone, runCellAttempt, type AttemptOutcome } from './cell.js';
import { cellDir, jobOf, type SweepPlan } from './plan.js';
import type { CellPlan } from './spec.js';

/** Cells at once on this machine: ⌊cores / threads per cell⌋, at least 1. */
export function defaultConcurrency(threads: number): number {
  return Math.max(1, Math.floor(availableParallelism() / Math.max(1, threads)));
}

export interface PoolEvent {
  kind: 'start' | 'end';
  cell: CellPlan;
  attempt: number;
  outcome: AttemptOutcome | null;
}

export interface PoolOptions {
  concurrency: number;
  /** called as cells start and end (every attempt) */
  onEvent?: (e: PoolEvent) => void;
  /** aborting kills the running cells and returns without starting more */
  signal?: AbortSignal;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((res) => {
    if (signal?.aborted) return res();
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', done);
      res();
    }, ms);
    const done = (): void => {
      clearTimeout(t);
      res();
    };
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Run every cell of `plan` that is not done yet, `concurrency` at a time, each cell up to `retries + 1` attempts
 * (`retryDelay` seconds apart). A failing cell does not stop the others. Returns when every cell has ended or the
 * signal aborted; the cells' records hold the outcome (read them with `sweepStatus`).
 */
export async function runLocal(plan: SweepPlan, opts: PoolOptions): Promise<void> {
  const queue = plan.cells.filter((c) => !cellDone(cellDir(plan.dir, c.id)));
  const maxAttempts = plan.retries + 1;
  const lane = async (): Promise<void> => {
    for (let cell = queue.shift(); cell !== undefined && !opts.signal?.aborted; cell = queue.shift()) {
      const job = jobOf(plan, cell);
      for (let attempt = 1; attempt <= maxAttempts && !opts.signal?.aborted; attempt++) {
        opts.onEvent?.({ kind: 'start', cell, attempt, outcome: null });
        const outcome = await runCellAttempt(job, { attempt, maxAttempts, ...(opts.signal ? { signal: opts.signal } : {}) });
        opts.onEvent?.({ kind: 'end', cell, attempt, outcome });
        if (outcome.ok || outcome.record?.state === 'interrupted') break;
        if (attempt < maxAttempts) await sleep(plan.retryDelay * 1000, opts.signal);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, lane));
}
