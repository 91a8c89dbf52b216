// Sweeps across machines on BullMQ (Redis): enqueue a sweep's cells, run them in `adaptlab worker`s, read job states.
// bullmq and ioredis are loaded only here and only when called, so the local pool needs neither at run time.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Job, Queue, Worker } from 'bullmq';
import { AdaptlabError } from '../core/errors.js';
import { packageVersion } from '../core/package.js';
import { cellDone, runCellAttempt, workerName, type AttemptOutcome } from './cell.js';
import { cellDir, jobOf, MANIFEST_FILE, readManifest, type CellJob, type SweepPlan } from './plan.js';
import { refreshSweepSummary, type QueueCellState } from './status.js';

/** The one BullMQ queue every sweep's cells go through (job ids keep sweeps apart). */
export const QUEUE_NAME = 'adaptlab-cells';
/** Times a job may be recovered from a stalled worker (one that died or stopped renewing its lock) before it fails. */
export const MAX_STALLED = 2;
/** A worker rewrites a sweep's sweep-summary.json at most this often (every cell's end would be O(cells²) reads). */
export const SUMMARY_EVERY_MS = 5000;
/** Finished jobs are kept this long (seconds) in Redis; the results themselves are in the sweep directory. */
export const KEEP_JOBS_SECONDS = 30 * 24 * 3600;

/** A queue that cannot be reached or used; names the URL. */
export class QueueError extends AdaptlabError {
  readonly url: string;
  constructor(url: string, detail: string) {
    super('E_QUEUE', `${url}: ${detail}`);
    this.url = url;
  }
}

/** Where Redis is: what both ioredis and BullMQ take as connection options. */
export interface RedisTarget {
  host: string;
  port: number;
  db?: number;
  username?: string;
  password?: string;
  tls?: Record<string, never>;
}

/** Connection settings from `redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS). */
export interface QueueTarget {
  url: string;
  /** the URL without its password, for messages */
  display: string;
  redis: RedisTarget;
}

export function parseQueueUrl(url: string): QueueTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueError(url, 'not a URL: write redis://HOST:PORT');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new QueueError(url, `the scheme must be redis:// or rediss://, got ${u.protocol}//`);
  if (!u.hostname) throw new QueueError(url, 'no host: write redis://HOST:PORT');
  const port = u.port ? Number(u.port) : 6379;
  const path = u.pathname.replace(/^\//, '');
  if (path && !/^[0-9]+$/.test(path)) throw new QueueError(url, `the path must be a database number (redis://HOST:PORT/0), got "/${path}"`);
  if (u.search || u.hash) throw new QueueError(url, 'query strings and fragments are not used: write redis://HOST:PORT[/DB]');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const redis: RedisTarget = { host, port, ...(path ? { db: Number(path) } : {}), ...(u.protocol === 'rediss:' ? { tls: {} } : {}) };
  if (u.username) redis.username = decodeURIComponent(u.username);
  if (u.password) redis.password = decodeURIComponent(u.password);
  const display = `${u.protocol}//${u.username ? `${u.username}@` : ''}${u.host}${path ? `/${path}` : ''}`;
  return { url, display, redis };
}

async function bullmq(): Promise<typeof import('bullmq')> {
  return import('bullmq');
}

/** Fail fast, with the reason in words, when Redis cannot be reached (BullMQ itself would retry for ever). */
export async function checkRedis(target: QueueTarget, timeoutMs = 5000): Promise<void> {
  const { Redis } = await import('ioredis');
  const r = new Redis({ ...target.redis, lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  r.on('error', () => undefined); // reported through connect() below
  try {
    await r.connect();
    const pong = await r.ping();
    if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
  } catch (e) {
    throw new QueueError(target.display, `cannot reach Redis: ${(e as Error).message}`);
  } finally {
    r.disconnect();
  }
}

/** A key for a sweep directory: job ids are `<key>.<cell id>`, so equal cells of two sweeps stay two jobs. */
export function sweepKey(dir: string): string {
  return createHash('sha256').update(dir).digest('hex').slice(0, 12);
}

export function jobIdOf(plan: SweepPlan, cellId: string): string {
  return `${sweepKey(plan.dir)}.${cellId}`;
}

async function openQueue(target: QueueTarget): Promise<Queue> {
  const { Queue } = await bullmq();
  const q = new Queue(QUEUE_NAME, { connection: { ...target.redis } });
  q.on('error', () => undefined); // connection errors surface through the calls' promises
  return q;
}

export interface EnqueueResult {
  /** cells put on the queue now */
  added: number;
  /** cells whose job was already waiting or running: left as they are */
  queued: number;
  /** cells done already: not enqueued */
  done: number;
}

/**
 * Put every cell of `plan` that is not done on the queue, job id = `<sweep key>.<cell id>`, with `retries + 1`
 * attempts. A job that exists and is waiting, delayed or active is kept (enqueuing twice does not duplicate); one
 * that has failed or completed without a result in the directory is replaced, so submitting again retries it.
 */
export async function enqueueSweep(plan: SweepPlan, target: QueueTarget): Promise<EnqueueResult> {
  await checkRedis(target);
  const q = await openQueue(target);
  const res: EnqueueResult = { added: 0, queued: 0, done: 0 };
  try {
    for (const cell of plan.cells) {
      if (cellDone(cellDir(plan.dir, cell.id))) {
        res.done++;
        continue;
      }
      const jobId = jobIdOf(plan, cell.id);
      const state = await q.getJobState(jobId);
      if (state === 'failed' || state === 'completed') {
        await q.remove(jobId);
      } else if (state !== 'unknown') {
        res.queued++;
        continue;
      }
      await q.add('cell', jobOf(plan, cell), {
        jobId, attempts: plan.retries + 1, backoff: { type: 'fixed', delay: Math.round(plan.retryDelay * 1000) },
        removeOnComplete: { age: KEEP_JOBS_SECONDS }, removeOnFail: { age: KEEP_JOBS_SECONDS },
      });
      res.added++;
    }
  } catch (e) {
    if (e instanceof AdaptlabError) throw e;
    throw new QueueError(target.display, `cannot enqueue the cells of ${plan.dir}: ${(e as Error).message}`);
  } finally {
    await q.close();
  }
  return res;
}

/** Reads job states from one open connection, for a process that follows a sweep. */
export interface CellStateReader {
  /** BullMQ's state of the jobs of `cellIds` (default: every cell of the plan; "missing" when the queue has none) */
  read(plan: SweepPlan, cellIds?: readonly string[]): Promise<Map<string, QueueCellState>>;
  close(): Promise<void>;
}

export async function openCellStateReader(target: QueueTarget): Promise<CellStateReader> {
  const q = await openQueue(target);
  const one = async (plan: SweepPlan, id: string): Promise<QueueCellState> => {
    const job = await q.getJob(jobIdOf(plan, id));
    if (!job) return { state: 'missing', failedReason: null, attemptsMade: 0 };
    return { state: await q.getJobState(job.id!), failedReason: job.failedReason || null, attemptsMade: job.attemptsMade };
  };
  return {
    async read(plan, cellIds) {
      const ids = cellIds ?? plan.cells.map((c) => c.id);
      const out = new Map<string, QueueCellState>();
      try {
        for (let i = 0; i < ids.length; i += 100) {
          const chunk = ids.slice(i, i + 100);
          const states = await Promise.all(chunk.map((id) => one(plan, id)));
          chunk.forEach((id, k) => out.set(id, states[k]!));
        }
      } catch (e) {
        throw new QueueError(target.display, `cannot read job states: ${(e as Error).message}`);
      }
      return out;
    },
    close: () => q.close(),
  };
}

/** BullMQ's state of each cell's job, read once. */
export async function queueCellStates(plan: SweepPlan, target: QueueTarget): Promise<Map<string, QueueCellState>> {
  const r = await openCellStateReader(target);
  try {
    return await r.read(plan);
  } finally {
    await r.close();
  }
}

/** What the queue holds: job counts by state and, per sweep directory named in its jobs, how many jobs. */
export interface QueueOverview {
  queue: string;
  counts: Record<string, number>;
  sweeps: { dir: string; jobs: number }[];
}

export async function queueOverview(target: QueueTarget, maxJobs = 10_000): Promise<QueueOverview> {
  await checkRedis(target);
  const q = await openQueue(target);
  try {
    const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
    const jobs = await q.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'], 0, maxJobs - 1);
    const by = new Map<string, number>();
    for (const j of jobs) {
      const dir = (j.data as Partial<CellJob> | undefined)?.sweepDir;
      if (typeof dir === 'string') by.set(dir, (by.get(dir) ?? 0) + 1);
    }
    return { queue: target.display, counts, sweeps: [...by].sort(([a], [b]) => (a < b ? -1 : 1)).map(([dir, n]) => ({ dir, jobs: n })) };
  } catch (e) {
    throw new QueueError(target.display, `cannot read the queue: ${(e as Error).message}`);
  } finally {
    await q.close();
  }
}

/** Whether a job's data is a sweep cell (what comes out of Redis is checked before it is run). */
export function isCellJob(v: unknown): v is CellJob {
  const j = v as Partial<CellJob> | null;
  return !!j && typeof j === 'object' && typeof j.sweepDir === 'string' && !!j.values && typeof j.values === 'object' && typeof j.cellId === 'string' && /^[A-Za-z0-9._-]+$/.test(j.cellId) &&
    Array.isArray(j.argv) && j.argv.every((a) => typeof a === 'string') && typeof j.cwd === 'string' && typeof j.threads === 'number' &&
    !!j.env && typeof j.env === 'object' && (j.timeout === null || typeof j.timeout === 'number') && typeof j.adaptlab === 'string';
}

export interface WorkerOptions {
  /** cells this worker runs at once */
  concurrency: number;
  /** BullMQ lock duration and stalled-check interval (seconds): how soon a dead worker's cell is taken up again */
  stallSeconds: number;
  /** a line for the log (stderr) */
  log?: (line: string) => void;
}

export interface RunningWorker {
  /** stop taking cells and wait for the running ones; `force` kills them instead and puts their jobs back on the queue */
  close(force?: boolean): Promise<void>;
  /** resolves when the worker has closed */
  closed: Promise<void>;
}

/**
 * A BullMQ worker for sweep cells. Each job is one attempt of a cell (`runCellAttempt`): a cell done already is not run
 * again; a failing attempt throws, and BullMQ retries it (the job's attempts, fixed back-off) and finally marks it
 * failed; a worker that dies mid-cell stops renewing its lock and another worker's stalled check puts the job back.
 * When this worker loses a job's lock (Redis unreachable for longer than the lock), it kills that cell's command,
 * since another worker may run the cell by then.
 */
export async function startWorker(target: QueueTarget, opts: WorkerOptions): Promise<RunningWorker> {
  await checkRedis(target);
  const { Worker: BullWorker, UnrecoverableError, WaitingError } = await bullmq();
  const log = opts.log ?? (() => undefined);
  const running = new Map<string, { abort: AbortController; why: 'shutdown' | 'lock' | null }>();
  const lockMs = Math.max(1000, Math.round(opts.stallSeconds * 1000));
  const refreshed = new Map<string, number>();
  const processor = async (job: Job, token?: string, signal?: AbortSignal): Promise<{ skipped: boolean }> => {
    const data: unknown = job.data;
    if (!isCellJob(data)) throw new UnrecoverableError(`job ${job.id}: not an adaptlab sweep cell`);
    if (data.adaptlab !== packageVersion()) throw new Error(`cell ${data.cellId}: this worker (${workerName()}) runs adaptlab ${packageVersion()}, the sweep was planned with ${data.adaptlab}`);
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    if (!existsSync(join(data.sweepDir, MANIFEST_FILE))) {
      // never create the sweep's folder on this machine's own disk: its results would be invisible to everyone else
      throw new Error(`cell ${data.cellId}: the sweep directory ${data.sweepDir} is not visible on ${workerName()} (mount the shared folder at the same path)`);
    }
    const run = { abort: new AbortController(), why: null as 'shutdown' | 'lock' | null };
    signal?.addEventListener('abort', () => run.abort.abort(), { once: true });
    running.set(job.id!, run);
    log(`cell ${data.cellId} (${data.sweepDir}): attempt ${attempt}/${maxAttempts}`);
    let outcome: AttemptOutcome;
    try {
      outcome = await runCellAttempt(data, { attempt, maxAttempts, signal: run.abort.signal });
    } finally {
      running.delete(job.id!);
    }
    const last = refreshed.get(data.sweepDir) ?? 0;
    if (Date.now() - last >= SUMMARY_EVERY_MS) {
      refreshed.set(data.sweepDir, Date.now());
      try {
        refreshSweepSummary(readManifest(data.sweepDir));
      } catch {
        // the manifest is unreadable just now: `sweep` and `sweep status` refresh the summary too
      }
    }
    if (run.why === 'shutdown') {
      // stopped by this worker's shutdown: back to the queue without using up an attempt
      log(`cell ${data.cellId}: interrupted by shutdown, put back on the queue`);
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (outcome.skipped) log(`cell ${data.cellId}: done already, skipped`);
    else if (outcome.ok) log(`cell ${data.cellId}: done in ${outcome.record?.seconds?.toFixed(1) ?? '?'} s`);
    else log(`cell ${data.cellId}: attempt ${attempt}/${maxAttempts} failed: ${outcome.error}`);
    if (!outcome.ok) throw new Error(outcome.error ?? 'failed');
    return { skipped: outcome.skipped };
  };
  const w: Worker = new BullWorker(QUEUE_NAME, processor, {
    connection: { ...target.redis, maxRetriesPerRequest: null }, concurrency: opts.concurrency, lockDuration: lockMs, stalledInterval: lockMs,
    maxStalledCount: MAX_STALLED, autorun: true,
  });
  w.on('error', (e) => log(`queue error: ${e.message}`));
  w.on('lockRenewalFailed', (ids: string[]) => {
    for (const id of ids) {
      const r = running.get(id);
      if (r) {
        log(`lost the lock of job ${id}: killing its cell (another worker may take it up)`);
        r.why ??= 'lock';
        r.abort.abort();
      }
    }
  });
  const closed = new Promise<void>((res) => w.once('closed', () => res()));
  return {
    closed,
    close(force = false): Promise<void> {
      if (force) {
        for (const r of running.values()) {
          r.why ??= 'shutdown';
          r.abort.abort();
        }
      }
      return w.close();
    },
  };
}
