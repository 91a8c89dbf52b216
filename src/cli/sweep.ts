// `adaptlab sweep` (a grid on the local pool or on BullMQ), `adaptlab sweep status` and `adaptlab worker`.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cellDone, markCellFailed, workerName } from '../sweep/cell.js';
import { cellDir, defaultSweepDir, MANIFEST_FILE, planSweep, readManifest, writeManifest, type SweepPlan } from '../sweep/plan.js';
import { defaultConcurrency, runLocal } from '../sweep/pool.js';
import { loadSpec } from '../sweep/spec.js';
import { refreshSweepSummary, sweepStatus, tableMetrics, type QueueCellState, type SweepStatus } from '../sweep/status.js';
import { checkRedis, enqueueSweep, openCellStateReader, parseQueueUrl, QueueError, queueCellStates, queueOverview, startWorker, type QueueTarget } from '../sweep/queue.js';
import { UsageError, type Command } from './command.js';
import { parseIntFlag } from './flags.js';
import { bold, log, printJson, table } from './output.js';
import { progressBar } from './progress.js';

/** Seconds as people read them: "42 s", "3 min 5 s", "2 h 10 min". */
export function formatDuration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '-';
  const t = Math.round(s);
  if (t < 60) return `${t} s`;
  if (t < 3600) return `${Math.floor(t / 60)} min ${t % 60} s`;
  return `${Math.floor(t / 3600)} h ${Math.floor((t % 3600) / 60)} min`;
}

function fmt(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6 ? v.toFixed(4) : v.toExponential(3);
  return v === null || v === undefined ? '-' : String(v);
}

function headline(s: SweepStatus): string {
  const c = s.counts;
  const eta = c.pending + c.running > 0 ? `; ETA ${s.etaSeconds === null ? 'unknown until a cell is done' : formatDuration(s.etaSeconds)}` : '';
  return `${bold(`sweep ${s.name}`)} (${s.dir}): ${c.done}/${c.total} done, ${c.running} running, ${c.failed} failed, ${c.pending} pending${eta}`;
}

/** The human view of a status: a line, a table of cells (axis values, state, time, chosen result fields), errors. */
function statusText(plan: SweepPlan, s: SweepStatus): string {
  const metrics = tableMetrics(plan, s);
  const axes = s.axes.map(([a]) => a);
  const rows = s.cells.map((c) => [
    ...axes.map((a) => fmt(c.values[a])), c.note ? `${c.state} (${c.note})` : c.state, c.attempts, formatDuration(c.seconds),
    ...metrics.map((m) => fmt(c.result?.[m])),
  ]);
  const lines = [headline(s), table([...axes, 'state', 'attempts', 'time', ...metrics], rows)];
  const failed = s.cells.filter((c) => c.state === 'failed');
  if (failed.length) lines.push('', 'failed cells:', ...failed.map((c) => `  ${c.dir}: ${c.error ?? 'no error recorded'}`));
  return lines.join('\n');
}

function queueTarget(url: string): QueueTarget {
  try {
    return parseQueueUrl(url);
  } catch (e) {
    if (e instanceof QueueError) throw new UsageError(`--queue: ${e.message}`);
    throw e;
  }
}

/** A spec file (planned into --out or the default folder) or a sweep directory holding sweep.json. */
function openPlan(target: string, out: string | undefined, write: boolean): SweepPlan {
  const abs = resolve(target);
  if (existsSync(abs) && statSync(abs).isDirectory()) {
    if (out !== undefined) throw new UsageError('--out goes with a SPEC file; a sweep directory is its own --out');
    return readManifest(abs);
  }
  const spec = loadSpec(abs);
  const plan = planSweep(spec, { dir: out ?? defaultSweepDir(spec.name), specFile: abs });
  if (write) writeManifest(plan);
  return plan;
}

async function checkCellCommand(plan: SweepPlan): Promise<void> {
  const { COMMANDS } = await import('./main.js');
  const name = plan.command[0]!;
  const cmd = COMMANDS.find((c) => c.name === name);
  const runs = COMMANDS.filter((c) => c.usage.includes('--out DIR') && c.name !== 'sweep').map((c) => c.name);
  if (!cmd || !runs.includes(name)) {
    throw new UsageError(`${plan.specFile ?? 'spec'}: command: "${name}" is not an adaptlab command that writes a run directory (${runs.join(', ')})`);
  }
}

const STATUS_USAGE = [
  'adaptlab sweep status SPEC|DIR [--out DIR] [--queue redis://HOST:PORT] [--json]',
  'adaptlab sweep status --queue redis://HOST:PORT [--json]',
].join('\n');

async function statusCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: { out: { type: 'string' }, queue: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (positionals.length > 1) throw new UsageError(`sweep status takes one SPEC or sweep directory, got ${positionals.length}`);
  const target = values.queue !== undefined ? queueTarget(values.queue) : null;
  if (positionals.length === 0) {
    if (!target) throw new UsageError(`give a SPEC, a sweep directory or --queue\nUsage: ${STATUS_USAGE}`);
    if (values.out !== undefined) throw new UsageError('--out goes with a SPEC file');
    const o = await queueOverview(target);
    const sweeps = o.sweeps.map(({ dir, jobs }) => {
      let status: SweepStatus | null = null;
      try {
        if (existsSync(join(dir, MANIFEST_FILE))) status = refreshSweepSummary(readManifest(dir));
      } catch {
        // a directory on another machine's disk: only the job count is known here
      }
      return { dir, jobs, name: status?.name ?? null, counts: status?.counts ?? null, etaSeconds: status?.etaSeconds ?? null };
    });
    if (values.json) printJson({ queue: o.queue, counts: o.counts, sweeps });
    else {
      process.stdout.write(`${bold(`queue ${o.queue}`)}: ${Object.entries(o.counts).map(([k, v]) => `${v} ${k}`).join(', ')}\n`);
      if (sweeps.length) {
        process.stdout.write(`${table(['sweep', 'jobs', 'done', 'running', 'failed', 'pending', 'ETA'], sweeps.map((s) => [
          s.dir, s.jobs, s.counts?.done ?? '-', s.counts?.running ?? '-', s.counts?.failed ?? '-', s.counts?.pending ?? '-', s.counts ? formatDuration(s.etaSeconds) : '-',
        ]))}\n`);
      }
    }
    return 0;
  }
  const plan = openPlan(positionals[0]!, values.out, false);
  let states: Map<string, QueueCellState> | undefined;
  if (target) {
    await checkRedis(target);
    states = await queueCellStates(plan, target);
  }
  const s = existsSync(join(plan.dir, MANIFEST_FILE)) ? refreshSweepSummary(plan, states) : sweepStatus(plan, states);
  if (values.json) printJson(s);
  else process.stdout.write(`${statusText(plan, s)}\n`);
  return 0;
}

/** Stop on SIGINT/SIGTERM: the first signal calls `onStop`; the handlers are removed by the returned function. */
function onSignals(onStop: (sig: NodeJS.Signals) => void): () => void {
  const h = (sig: NodeJS.Signals): void => onStop(sig);
  process.on('SIGINT', h);
  process.on('SIGTERM', h);
  return () => {
    process.off('SIGINT', h);
    process.off('SIGTERM', h);
  };
}

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

function finish(plan: SweepPlan, s: SweepStatus, json: boolean): number {
  if (json) printJson(s);
  else process.stdout.write(`${statusText(plan, s)}\n`);
  return s.counts.failed > 0 ? 1 : 0;
}

async function runOnQueue(plan: SweepPlan, url: string, opts: { detach: boolean; json: boolean }): Promise<number> {
  const target = queueTarget(url);
  const r = await enqueueSweep(plan, target);
  if (!opts.json) log(`sweep ${plan.name}: ${r.added} cells enqueued on ${target.display}, ${r.queued} queued already, ${r.done} done already (${plan.dir})`);
  if (opts.detach) {
    const s = refreshSweepSummary(plan);
    if (opts.json) printJson(s);
    else process.stdout.write(`${headline(s)}\nfollow it with: adaptlab sweep status ${plan.dir} --queue ${target.display}\n`);
    return 0;
  }
  let stop: NodeJS.Signals | null = null;
  const off = onSignals((sig) => {
    stop = sig;
  });
  const bar = progressBar(`sweep ${plan.name}`, ['running', 'failed'], { quiet: opts.json });
  bar?.start(plan.cells.length, 0, { running: 0, failed: 0 });
  let s: SweepStatus;
  let last = -1;
  const reader = await openCellStateReader(target);
  try {
    for (;;) {
      // only the cells without a result need the queue's word
      const open = plan.cells.filter((c) => !cellDone(cellDir(plan.dir, c.id))).map((c) => c.id);
      const states = await reader.read(plan, open);
      for (const c of plan.cells) {
        const q = states.get(c.id);
        if (q?.state === 'failed') markCellFailed(plan.dir, c.id, c.values, q.failedReason ?? 'failed in the queue');
      }
      s = refreshSweepSummary(plan, states);
      const ended = s.counts.done + s.counts.failed;
      bar?.update(ended, { running: s.counts.running, failed: s.counts.failed });
      if (!bar && !opts.json && ended !== last) log(`sweep ${plan.name}: ${s.counts.done}/${s.counts.total} done, ${s.counts.running} running, ${s.counts.failed} failed`);
      last = ended;
      if (s.counts.pending + s.counts.running === 0 || stop) break;
      await new Promise((res) => setTimeout(res, 1000));
    }
  } finally {
    bar?.stop();
    off();
    await reader.close();
  }
  if (stop) {
    log(`sweep ${plan.name}: stopped following; the cells stay on the queue (adaptlab sweep status ${plan.dir} --queue ${target.display})`);
    return SIGNAL_EXIT[stop] ?? 1;
  }
  return finish(plan, s!, opts.json);
}

async function runLocally(plan: SweepPlan, concurrency: number, json: boolean): Promise<number> {
  const abort = new AbortController();
  let stop: NodeJS.Signals | null = null;
  const off = onSignals((sig) => {
    stop ??= sig;
    abort.abort();
  });
  const total = plan.cells.length;
  const bar = progressBar(`sweep ${plan.name}`, ['running', 'failed'], { quiet: json });
  let s = refreshSweepSummary(plan);
  bar?.start(total, s.counts.done + s.counts.failed, { running: 0, failed: s.counts.failed });
  if (!json && !bar) log(`sweep ${plan.name}: ${total - s.counts.done} of ${total} cells to run, ${concurrency} at a time (${plan.dir})`);
  let lastWrite = 0;
  try {
    await runLocal(plan, {
      concurrency, signal: abort.signal,
      onEvent: (e) => {
        const now = Date.now();
        if (e.kind === 'end' || now - lastWrite > 1000) {
          s = refreshSweepSummary(plan);
          lastWrite = now;
        }
        bar?.update(s.counts.done + s.counts.failed, { running: s.counts.running, failed: s.counts.failed });
        if (!bar && !json && e.kind === 'end' && e.outcome && !e.outcome.skipped) {
          const o = e.outcome;
          const what = o.ok ? `done in ${formatDuration(o.record?.seconds ?? null)}` : `attempt ${e.attempt} ${o.record?.state === 'retrying' ? 'failed, retrying' : o.record?.state ?? 'failed'}: ${o.error}`;
          log(`cell ${e.cell.id}: ${what} (${s.counts.done + s.counts.failed}/${total})`);
        }
      },
    });
  } finally {
    bar?.stop();
    off();
  }
  s = refreshSweepSummary(plan);
  if (stop) {
    log(`sweep ${plan.name}: interrupted; run the same command again to go on (finished cells are kept)`);
    return SIGNAL_EXIT[stop] ?? 1;
  }
  return finish(plan, s, json);
}

export const sweepCommand: Command = {
  name: 'sweep',
  summary: 'run a grid of runs (a spec: command template × axes) on a local pool or on BullMQ workers; `sweep status`',
  usage: [
    'adaptlab sweep SPEC [--out DIR] [--queue redis://HOST:PORT [--detach]] [--concurrency N] [--json]',
    STATUS_USAGE,
    '',
    'SPEC (JSON or YAML): command (an adaptlab command with {axis} placeholders; the sweep adds --out and --json), axes',
    '(name: [values]) and optionally name, threads (per cell, default 1), retries (default 2), retryDelay (s), timeout (s),',
    'env, metrics (result fields for tables). Each cell is a run directory DIR/cells/<id>/ (default DIR: runs/sweeps/<name>);',
    'a cell with a result is not run again. DIR/sweep.json lists the cells, DIR/sweep-summary.json is their status.',
    'Without --queue the cells run here, --concurrency at a time (default: cores / threads). With --queue they are put on',
    'BullMQ and run by `adaptlab worker`s, which must see DIR at the same path (a shared folder; docs/SCALING.md);',
    'sweep waits and follows them unless --detach. Exit 1 when a cell failed after its retries.',
  ].join('\n'),
  async run(argv) {
    if (argv[0] === 'status') return statusCommand(argv.slice(1));
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: { out: { type: 'string' }, queue: { type: 'string' }, concurrency: { type: 'string' }, detach: { type: 'boolean' }, json: { type: 'boolean' } },
    });
    if (positionals.length !== 1) throw new UsageError(`sweep needs exactly one SPEC file, got ${positionals.length}`);
    const specPath = resolve(positionals[0]!);
    if (existsSync(specPath) && statSync(specPath).isDirectory()) throw new UsageError(`${specPath} is a directory: sweep runs a SPEC file (sweep status also reads a sweep directory)`);
    if (values.queue === undefined && values.detach) throw new UsageError('--detach goes with --queue (the local pool runs in this process)');
    if (values.queue !== undefined && values.concurrency !== undefined) throw new UsageError('--concurrency sizes the local pool; with --queue give it to each `adaptlab worker`');
    const concurrency = parseIntFlag('concurrency', values.concurrency, 1, 1024);
    const plan = openPlan(specPath, values.out, false);
    await checkCellCommand(plan);
    writeManifest(plan);
    if (values.queue !== undefined) return runOnQueue(plan, values.queue, { detach: values.detach === true, json: values.json === true });
    return runLocally(plan, concurrency ?? defaultConcurrency(plan.threads), values.json === true);
  },
};

export const workerCommand: Command = {
  name: 'worker',
  summary: 'run sweep cells from a BullMQ queue (Redis) on this machine until stopped',
  usage: [
    'adaptlab worker --queue redis://HOST:PORT [--concurrency N] [--stall-seconds S]',
    '',
    'Takes cells of any sweep enqueued on that Redis and runs them here, N at a time (default: the number of cores), writing',
    'each into its sweep directory, which must be visible here at the same path. S (default 30): the lock a running cell',
    'holds and how often dead workers are looked for, so a cell of a worker killed mid-way is taken up again within ~2·S.',
    'SIGINT/SIGTERM: finish the running cells and stop; a second signal puts them back on the queue and stops at once.',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: { queue: { type: 'string' }, concurrency: { type: 'string' }, 'stall-seconds': { type: 'string' } },
    });
    if (positionals.length) throw new UsageError(`worker takes no arguments, got "${positionals[0]}"`);
    if (values.queue === undefined) throw new UsageError('--queue redis://HOST:PORT is required');
    const target = queueTarget(values.queue);
    const concurrency = parseIntFlag('concurrency', values.concurrency, 1, 1024) ?? defaultConcurrency(1);
    const stallSeconds = parseIntFlag('stall-seconds', values['stall-seconds'], 1, 3600) ?? 30;
    const name = workerName();
    const say = (line: string): void => log(`${new Date().toISOString()} worker ${name}: ${line}`);
    const w = await startWorker(target, { concurrency, stallSeconds, log: say });
    say(`taking cells from ${target.display}, ${concurrency} at a time (SIGINT/SIGTERM to stop)`);
    let signals = 0;
    let code = 0;
    const off = onSignals((sig) => {
      signals++;
      code = SIGNAL_EXIT[sig] ?? 1;
      if (signals === 1) {
        say(`${sig}: finishing the running cells, taking no more (again to put them back on the queue and stop now)`);
        void w.close();
      } else {
        say(`${sig} again: putting the running cells back on the queue`);
        void w.close(true);
      }
    });
    try {
      await w.closed;
    } finally {
      off();
    }
    say(`stopped`);
    return code === 143 || code === 130 ? 0 : code;
  },
};
