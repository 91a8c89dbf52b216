// Where a sweep stands, read from its cells' records: done / running / pending / failed, ETA, flattened results; the
// same object is `adaptlab sweep status --json` and the sweep-summary.json a dashboard reads.
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { cellDone, readCellRecord, readResult, STALE_MS, type CellRecord } from './cell.js';
import { cellDir, CELLS_DIR, SUMMARY_FILE, type SweepPlan } from './plan.js';
import type { AxisValue } from './spec.js';

export type CellStatusState = 'pending' | 'running' | 'done' | 'failed';

/** What the queue knows of a cell's job (from BullMQ), when the sweep runs on one. */
export interface QueueCellState {
  /** BullMQ's job state: waiting, active, delayed, completed, failed, …, or "missing" */
  state: string;
  failedReason: string | null;
  attemptsMade: number;
}

export interface CellStatus {
  id: string;
  values: Record<string, AxisValue>;
  state: CellStatusState;
  /** a word more on the state: "retrying", "interrupted", "queued: waiting", … or null */
  note: string | null;
  /** attempts begun (including interrupted ones) */
  attempts: number;
  /** the run directory, relative to the sweep directory */
  dir: string;
  worker: string | null;
  started: string | null;
  finished: string | null;
  seconds: number | null;
  error: string | null;
  /** the cell's summary.json flattened to scalars (`id.mean`, `losses.last`), when done */
  result: Record<string, number | string | boolean | null> | null;
  /** BullMQ's state of the cell's job, when asked with --queue */
  queue: string | null;
}

export interface SweepStatus {
  name: string;
  dir: string;
  spec: string | null;
  axes: [string, AxisValue[]][];
  updated: string;
  counts: { total: number; pending: number; running: number; done: number; failed: number };
  /** mean seconds of the cells done so far (null before the first) */
  meanCellSeconds: number | null;
  /** estimated seconds until every cell has ended, at the current parallelism (null while unknown) */
  etaSeconds: number | null;
  cells: CellStatus[];
}

/**
 * A result object flattened for tables: scalars by name, objects one level down (`id.mean`), numeric arrays by
 * their last element (`losses.last`); other arrays are left out.
 */
export function flattenResult(r: Record<string, unknown>): Record<string, number | string | boolean | null> {
  const out: Record<string, number | string | boolean | null> = {};
  const put = (k: string, v: unknown, depth: number): void => {
    if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') {
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    } else if (Array.isArray(v)) {
      if (v.length > 0 && v.every((x) => typeof x === 'number')) put(`${k}.last`, v[v.length - 1], depth);
    } else if (typeof v === 'object' && depth < 1) {
      for (const [kk, vv] of Object.entries(v as Record<string, unknown>)) put(`${k}.${kk}`, vv, depth + 1);
    }
  };
  for (const [k, v] of Object.entries(r)) put(k, v, 0);
  return out;
}

function cellStatus(plan: SweepPlan, id: string, values: Record<string, AxisValue>, q: QueueCellState | undefined, now: number): CellStatus {
  const dir = cellDir(plan.dir, id);
  const rec: CellRecord | null = readCellRecord(dir);
  const base: CellStatus = {
    id, values, state: 'pending', note: null, attempts: rec ? rec.history.length + 1 : 0, dir: join(CELLS_DIR, id), worker: rec?.worker ?? null,
    started: rec?.started ?? null, finished: rec?.finished ?? null, seconds: rec?.seconds ?? null, error: rec?.error ?? null, result: null, queue: q?.state ?? null,
  };
  if (rec && cellDone(dir)) {
    const r = readResult(dir);
    return { ...base, state: 'done', error: null, result: r ? flattenResult(r) : null };
  }
  if (q?.state === 'completed') {
    // a worker wrote the result where this machine cannot see it (or it was deleted since)
    return { ...base, state: 'failed', error: `the queue has the job completed, but ${dir} holds no result: is the sweep directory shared at the same path on every worker?` };
  }
  if (q?.state === 'failed') return { ...base, state: 'failed', error: rec?.state === 'failed' ? rec.error : q.failedReason ?? rec?.error ?? 'failed in the queue' };
  if (!rec) return { ...base, note: q ? `queued: ${q.state}` : null };
  switch (rec.state) {
    case 'failed':
      return { ...base, state: 'failed' };
    case 'retrying':
      return { ...base, note: 'retrying' };
    case 'interrupted':
      return { ...base, note: 'interrupted' };
    case 'running': {
      const alive = now - Date.parse(rec.heartbeat) < STALE_MS;
      if (q && q.state !== 'active') return { ...base, note: alive ? `queued: ${q.state}` : 'interrupted' };
      return alive ? { ...base, state: 'running', seconds: (now - Date.parse(rec.started)) / 1000 } : { ...base, note: 'interrupted' };
    }
    default:
      return base;
  }
}

/** The sweep's status from its cells' records (and, given, the queue's job states by cell id). */
export function sweepStatus(plan: SweepPlan, queue?: Map<string, QueueCellState>): SweepStatus {
  const now = Date.now();
  const cells = plan.cells.map((c) => cellStatus(plan, c.id, c.values, queue?.get(c.id), now));
  const counts = { total: cells.length, pending: 0, running: 0, done: 0, failed: 0 };
  for (const c of cells) counts[c.state]++;
  const times = cells.filter((c) => c.state === 'done' && c.seconds !== null).map((c) => c.seconds!);
  const mean = times.length ? times.reduce((a, b) => a + b, 0) / times.length : null;
  let eta: number | null = null;
  if (counts.pending + counts.running === 0) eta = 0;
  else if (mean !== null) {
    const left = counts.pending * mean + cells.filter((c) => c.state === 'running').reduce((a, c) => a + Math.max(0, mean - (c.seconds ?? 0)), 0);
    eta = left / Math.max(1, counts.running);
  }
  return { name: plan.name, dir: plan.dir, spec: plan.specFile, axes: plan.axes, updated: new Date(now).toISOString(), counts, meanCellSeconds: mean, etaSeconds: eta, cells };
}

/** Write `<dir>/sweep-summary.json` (atomically). */
export function writeSweepSummary(status: SweepStatus): void {
  writeFileAtomic(join(status.dir, SUMMARY_FILE), `${JSON.stringify(status, null, 2)}\n`);
}

/** Compute and write the summary, swallowing write errors (another machine may be writing it at the same time). */
export function refreshSweepSummary(plan: SweepPlan, queue?: Map<string, QueueCellState>): SweepStatus {
  const s = sweepStatus(plan, queue);
  try {
    writeSweepSummary(s);
  } catch {
    // best effort: the next refresh writes it again
  }
  return s;
}

/** Result fields shown in tables: the spec's `metrics`, else the usual ones of adaptlab's commands that occur. */
export function tableMetrics(plan: SweepPlan, status: SweepStatus): string[] {
  if (plan.metrics) return plan.metrics;
  const usual = ['id.mean', 'ood.mean', 'best.mean', 'losses.last'];
  return usual.filter((k) => status.cells.some((c) => c.result && typeof c.result[k] === 'number'));
}
