// Running one cell: an `adaptlab <command> --out cells/<id> --json` child process, its record (cell.json), heartbeat,
// timeout, and the rule that a cell with a finished result is never run again.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../core/package.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { AxisValue } from './spec.js';
import { cellDir, type CellJob } from './plan.js';

/** The sweep's own record of a cell, beside the run's files in its directory. */
export const CELL_FILE = 'cell.json';
/** The cell command's standard output and error, for reading after a failure. */
export const OUTPUT_FILE = 'output.log';
/** The result a finished cell command leaves (the run directory's summary). */
export const RESULT_FILE = 'summary.json';

/** How often a running cell's record is rewritten, so a reader can tell a live cell from an abandoned one. */
export const HEARTBEAT_MS = 5000;
/** A running record whose heartbeat is older than this belonged to a process that is gone. */
export const STALE_MS = 6 * HEARTBEAT_MS;

export type CellState = 'running' | 'done' | 'retrying' | 'failed' | 'interrupted';

export interface AttemptRecord {
  attempt: number;
  worker: string;
  started: string;
  finished: string | null;
  exitCode: number | null;
  error: string | null;
}

export interface CellRecord {
  id: string;
  values: Record<string, AxisValue>;
  state: CellState;
  /** this attempt's number (1-based) and how many there may be */
  attempt: number;
  maxAttempts: number;
  /** `host:pid` of the process that runs the cell (the pool or the worker), and the cell command's own pid */
  worker: string;
  pid: number | null;
  started: string;
  heartbeat: string;
  finished: string | null;
  seconds: number | null;
  exitCode: number | null;
  error: string | null;
  /** the last lines the cell command wrote to stderr, when it failed */
  stderrTail: string | null;
  /** earlier attempts, oldest first (an attempt whose worker died is listed with the error "interrupted") */
  history: AttemptRecord[];
}

export interface AttemptOutcome {
  ok: boolean;
  /** the cell had a finished result already: nothing was run */
  skipped: boolean;
  error: string | null;
  record: CellRecord | null;
}

/**
 * Record a cell as failed for a reason outside its command (the queue gave up on its job: stalled too often, or
 * refused by every worker), keeping its history; a cell already failed or done is left alone.
 */
export function markCellFailed(sweepDir: string, id: string, values: Record<string, AxisValue>, error: string): void {
  const dir = cellDir(sweepDir, id);
  const prev = readCellRecord(dir);
  if (prev?.state === 'failed' || cellDone(dir)) return;
  const now = new Date().toISOString();
  const rec: CellRecord = prev
    ? { ...prev, state: 'failed', error, finished: now, heartbeat: now }
    : { id, values, state: 'failed', attempt: 0, maxAttempts: 0, worker: workerName(), pid: null, started: now, heartbeat: now, finished: now, seconds: null, exitCode: null, error, stderrTail: null, history: [] };
  writeRecord(dir, rec);
}

/** `host:pid` of this process. */
export function workerName(): string {
  return `${hostname()}:${process.pid}`;
}

/** A cell's record, or null when there is none or it cannot be read (a torn write cannot happen: it is atomic). */
export function readCellRecord(dir: string): CellRecord | null {
  try {
    const v = JSON.parse(readFileSync(join(dir, CELL_FILE), 'utf8')) as CellRecord;
    return v && typeof v === 'object' && typeof v.state === 'string' ? v : null;
  } catch {
    return null;
  }
}

/** A cell is done when its record says so and its result file is there. */
export function cellDone(dir: string): boolean {
  return readCellRecord(dir)?.state === 'done' && existsSync(join(dir, RESULT_FILE));
}

/** The cell command's result (summary.json), or null. */
export function readResult(dir: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(readFileSync(join(dir, RESULT_FILE), 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function writeRecord(dir: string, r: CellRecord): void {
  writeFileAtomic(join(dir, CELL_FILE), `${JSON.stringify(r, null, 2)}\n`);
}

/** The entry point of this installation's CLI (the cell commands run the same adaptlab as the pool or worker). */
export function adaptlabBin(): string {
  return join(packageRoot(), 'bin', 'adaptlab.js');
}

export interface AttemptOptions {
  /** this attempt's number (1-based) and the most there may be */
  attempt: number;
  maxAttempts: number;
  /** aborting kills the cell command (SIGKILL) and records the attempt as interrupted */
  signal?: AbortSignal;
  /** called with the child process once it is started */
  onStart?: (child: ChildProcess) => void;
}

const TAIL = 4000;

/**
 * Run one attempt of a cell. A cell that is done already is skipped. Otherwise its directory is emptied (a killed
 * earlier attempt may have left a partial run there: metrics lines, checkpoints), the record says `running`, and the
 * cell command runs with `--out <cell dir> --json`, ADAPTLAB_THREADS set and told to exit when this process dies
 * (ADAPTLAB_EXIT_WITH_PARENT). Exit 0 with a summary.json is done; anything else is `retrying` or, on the last
 * attempt, `failed`, with the error in words and the tail of stderr. Never throws for the cell's own failures.
 */
export async function runCellAttempt(job: CellJob, opts: AttemptOptions): Promise<AttemptOutcome> {
  const dir = cellDir(job.sweepDir, job.cellId);
  if (cellDone(dir)) return { ok: true, skipped: true, error: null, record: readCellRecord(dir) };
  const prev = readCellRecord(dir);
  const history: AttemptRecord[] = prev ? [...(prev.history ?? [])] : [];
  if (prev) {
    const interrupted = prev.state === 'running' || prev.state === 'interrupted';
    history.push({ attempt: prev.attempt, worker: prev.worker, started: prev.started, finished: prev.finished, exitCode: prev.exitCode, error: interrupted ? `interrupted (${prev.worker} stopped before the cell ended)` : prev.error });
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = Date.now();
  const now = (): string => new Date().toISOString();
  const record: CellRecord = {
    id: job.cellId, values: job.values, state: 'running', attempt: opts.attempt, maxAttempts: opts.maxAttempts, worker: workerName(), pid: null,
    started: now(), heartbeat: now(), finished: null, seconds: null, exitCode: null, error: null, stderrTail: null, history,
  };
  const finish = (state: CellState, error: string | null, exitCode: number | null, stderrTail: string | null): AttemptOutcome => {
    Object.assign(record, { state, error, exitCode, stderrTail, finished: now(), heartbeat: now(), seconds: (Date.now() - t0) / 1000 });
    writeRecord(dir, record);
    return { ok: state === 'done', skipped: false, error, record };
  };
  const failed = (error: string, exitCode: number | null = null, tail: string | null = null): AttemptOutcome =>
    finish(opts.attempt >= opts.maxAttempts ? 'failed' : 'retrying', error, exitCode, tail);
  writeRecord(dir, record);
  if (opts.signal?.aborted) return finish('interrupted', 'interrupted before it started', null, null);
  let cwdOk = false;
  try {
    cwdOk = statSync(job.cwd).isDirectory();
  } catch {
    // reported below
  }
  if (!cwdOk) return failed(`cell ${job.cellId}: its working directory ${job.cwd} does not exist on ${workerName()} (cells run where the sweep was started: use a path every machine shares)`);

  const out = openSync(join(dir, OUTPUT_FILE), 'a');
  let tail = '';
  const write = (chunk: Buffer): void => {
    writeSync(out, chunk);
  };
  const child = spawn(process.execPath, [adaptlabBin(), ...job.argv, '--out', dir, '--json'], {
    cwd: job.cwd, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...job.env, ADAPTLAB_THREADS: String(job.threads), ADAPTLAB_EXIT_WITH_PARENT: String(process.pid) },
  });
  record.pid = child.pid ?? null;
  writeRecord(dir, record);
  opts.onStart?.(child);
  child.stdout!.on('data', write);
  child.stderr!.on('data', (chunk: Buffer) => {
    write(chunk);
    tail = (tail + chunk.toString('utf8')).slice(-TAIL);
  });
  let why: 'timeout' | 'abort' | null = null;
  const kill = (reason: 'timeout' | 'abort'): void => {
    why ??= reason;
    child.kill('SIGKILL');
  };
  const onAbort = (): void => kill('abort');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const beat = setInterval(() => {
    record.heartbeat = now();
    try {
      writeRecord(dir, record);
    } catch {
      // a missed heartbeat is harmless; the next one or the end writes again
    }
  }, HEARTBEAT_MS);
  const timer = job.timeout !== null ? setTimeout(() => kill('timeout'), job.timeout * 1000) : null;
  const [code, sig, spawnError] = await new Promise<[number | null, NodeJS.Signals | null, Error | null]>((res) => {
    child.once('error', (e) => res([null, null, e]));
    child.once('close', (c, s) => res([c, s, null]));
  });
  clearInterval(beat);
  if (timer) clearTimeout(timer);
  opts.signal?.removeEventListener('abort', onAbort);
  closeSync(out);
  const cmd = `adaptlab ${job.argv[0] ?? ''}`;
  // adaptlab reports an error as one line "adaptlab <command>: …" (a usage text may follow it): prefer that line
  const lines = tail.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const own = [...lines].reverse().find((l) => l.startsWith(`${cmd}: `));
  const lastLine = own !== undefined ? own.slice(cmd.length + 2) : lines.at(-1) ?? '';
  if (why === 'abort') return finish('interrupted', `interrupted: ${workerName()} was stopped`, null, tail || null);
  if (why === 'timeout') return failed(`${cmd} timed out after ${job.timeout} s and was killed`, null, tail || null);
  if (spawnError) return failed(`cannot start ${cmd}: ${spawnError.message}`);
  if (code === 0 && existsSync(join(dir, RESULT_FILE))) return finish('done', null, 0, null);
  const how = code === 0 ? `exited 0 without writing ${RESULT_FILE}` : code !== null ? `exited with code ${code}` : `was killed by ${sig}`;
  return failed(`${cmd} ${how}${lastLine ? `: ${lastLine}` : ''}`, code, tail || null);
}
