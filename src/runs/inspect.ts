// Reading run directories for people: status (finished, running, stopped), the key metric, and everything a report needs.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { FormatError } from '../core/errors.js';
import { CONFIG_FILE, findRuns, METRICS_FILE, readMetrics, REPORT_FILE, RUNNING_FILE, SAMPLES_FILE, SUMMARY_FILE } from './run-dir.js';

const RUN_FILES = [CONFIG_FILE, METRICS_FILE, SUMMARY_FILE, SAMPLES_FILE, REPORT_FILE, RUNNING_FILE];

export type RunStatus = 'finished' | 'running' | 'stopped';

/** A run's headline number: best validation accuracy (meta-train), ID accuracy (finetune), final loss (pretrain), … */
export interface KeyMetric {
  name: string;
  value: number;
  ci95?: number | null;
  percent?: boolean;
}

/** One line of `adaptlab runs list`. */
export interface RunInfo {
  /** the run's path under the runs root ('.' for the root itself), with '/' separators */
  name: string;
  dir: string;
  kind: string;
  created: string | null;
  status: RunStatus;
  keyMetric: KeyMetric | null;
  /** metrics.jsonl records so far */
  records: number;
}

/** A run directory read whole: what the report generator takes. */
export interface LoadedRun {
  name: string;
  dir: string;
  config: Record<string, unknown>;
  metrics: Record<string, unknown>[];
  summary: Record<string, unknown> | null;
  samples: { groups: { title: string; caption?: string; images: { label: string; png: string }[] }[] } | null;
  status: RunStatus;
  keyMetric: KeyMetric | null;
}

/** A metrics.jsonl written to within this many seconds, by a writer that left no running.json, counts as running. */
export const RUNNING_WINDOW_SECONDS = 120;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new FormatError(path, `cannot read: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FormatError(path, `not JSON: ${(e as Error).message}`);
  }
}

function readObject(path: string): Obj {
  const v = readJson(path);
  if (!isObj(v)) throw new FormatError(path, 'expected a JSON object');
  return v;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * finished: summary.json exists (a meta-train stopped by a signal is `stopped`); running: the process named in
 * running.json is alive on this host, or, for a writer that left no running.json, metrics.jsonl changed within
 * RUNNING_WINDOW_SECONDS; stopped: anything else (killed, crashed, interrupted before its summary).
 */
export function runStatus(dir: string, summary: Obj | null = existsSync(join(dir, SUMMARY_FILE)) ? readObject(join(dir, SUMMARY_FILE)) : null, now = Date.now()): RunStatus {
  if (summary) return summary['stoppedBy'] === 'signal' ? 'stopped' : 'finished';
  const marker = join(dir, RUNNING_FILE);
  if (existsSync(marker)) {
    try {
      const m = readObject(marker);
      if (m['host'] === hostname() && typeof m['pid'] === 'number') return alive(m['pid']) ? 'running' : 'stopped';
    } catch {
      // unreadable marker: fall back on the metrics' age
    }
  }
  try {
    const age = (now - statSync(join(dir, METRICS_FILE)).mtimeMs) / 1000;
    return age <= RUNNING_WINDOW_SECONDS ? 'running' : 'stopped';
  } catch {
    return 'stopped';
  }
}

const isRate = (name: string): boolean => /acc/i.test(name);

/** The key metric of a run by kind, from its summary (or, before it finishes, its metrics); unknown kinds by field names. */
export function keyMetric(config: Obj, summary: Obj | null, metrics: Obj[]): KeyMetric | null {
  const kind = config['kind'];
  if (kind === 'meta-train') {
    const vals = metrics.filter((m) => m['split'] === 'val' && num(m['mean']) !== null);
    const metric = typeof vals.at(-1)?.['metric'] === 'string' ? (vals.at(-1)!['metric'] as string) : isObj(config['meta']) && config['meta']['dataset'] === 'sinusoid' ? 'mse' : 'accuracy';
    const best = summary && isObj(summary['best']) ? summary['best'] : vals.reduce<Obj | null>((b, m) => (b === null || (metric === 'accuracy' ? num(m['mean'])! > num(b['mean'])! : num(m['mean'])! < num(b['mean'])!) ? m : b), null);
    if (best && num(best['mean']) !== null) return { name: `best val ${metric}`, value: num(best['mean'])!, ci95: num(best['ci95']), percent: metric === 'accuracy' };
    const last = metrics.filter((m) => num(m['loss']) !== null).at(-1);
    return last ? { name: 'train loss', value: num(last['loss'])! } : null;
  }
  if (kind === 'pretrain') {
    const losses = summary && Array.isArray(summary['losses']) ? (summary['losses'] as unknown[]) : [];
    if (num(losses.at(-1)) !== null) return { name: 'final epoch loss', value: num(losses.at(-1))! };
    const last = metrics.filter((m) => num(m['loss']) !== null).at(-1);
    return last ? { name: 'loss', value: num(last['loss'])! } : null;
  }
  if (kind === 'finetune' && summary && isObj(summary['id']) && num(summary['id']['mean']) !== null) {
    return { name: 'ID accuracy', value: num(summary['id']['mean'])!, ci95: num(summary['id']['ci95']), percent: true };
  }
  if (summary) {
    for (const k of ['accuracy', 'meanAccuracy', 'id', 'mean', 'score', 'mse', 'loss']) {
      const v = summary[k];
      if (num(v) !== null) return { name: k, value: num(v)!, ...(num(summary['ci95']) !== null ? { ci95: num(summary['ci95']) } : {}), percent: isRate(k) };
      if (isObj(v) && num(v['mean']) !== null) return { name: k, value: num(v['mean'])!, ci95: num(v['ci95']), percent: isRate(k) || k === 'id' };
    }
  }
  const last = metrics.at(-1);
  if (last) {
    for (const [k, v] of Object.entries(last)) {
      if (num(v) !== null && !['step', 'epoch', 'seconds', 'elapsed', 'seed', 'ci95', 'episodes', 'iteration'].includes(k)) return { name: k, value: num(v)!, percent: isRate(k) };
    }
  }
  return null;
}

/** The path of `dir` under `root` with '/' separators ('.' for the root itself). */
export function runName(root: string, dir: string): string {
  const rel = relative(resolve(root), resolve(dir));
  return rel === '' ? '.' : rel.split(sep).join('/');
}

function samplesOf(dir: string): LoadedRun['samples'] {
  const p = join(dir, SAMPLES_FILE);
  if (!existsSync(p)) return null;
  const v = readObject(p);
  if (!Array.isArray(v['groups'])) throw new FormatError(p, 'expected {"groups": [...]}');
  const groups = (v['groups'] as unknown[]).filter(isObj).map((g) => ({
    title: String(g['title'] ?? ''),
    ...(typeof g['caption'] === 'string' ? { caption: g['caption'] } : {}),
    images: (Array.isArray(g['images']) ? (g['images'] as unknown[]) : []).filter(isObj)
      .filter((im) => typeof im['png'] === 'string' && /^[A-Za-z0-9+/=]*$/.test(im['png']))
      .map((im) => ({ label: String(im['label'] ?? ''), png: im['png'] as string })),
  }));
  return { groups };
}

/** Read a run directory whole (config, metrics, summary, samples, status, key metric). */
export function loadRun(dir: string, name = dir): LoadedRun {
  const abs = resolve(dir);
  const configPath = join(abs, CONFIG_FILE);
  if (!existsSync(configPath)) throw new FormatError(abs, `not a run directory: no ${CONFIG_FILE}`);
  const config = readObject(configPath);
  const summaryPath = join(abs, SUMMARY_FILE);
  const summary = existsSync(summaryPath) ? readObject(summaryPath) : null;
  const metrics = readMetrics(join(abs, METRICS_FILE));
  return { name, dir: abs, config, metrics, summary, samples: samplesOf(abs), status: runStatus(abs, summary), keyMetric: keyMetric(config, summary, metrics) };
}

/** Summary lines of every run under `root`, oldest first; a run whose files cannot be read is listed as stopped with its kind '?'. */
export function listRuns(root: string): RunInfo[] {
  const out: RunInfo[] = [];
  for (const dir of findRuns(root)) {
    const name = runName(root, dir);
    try {
      const r = loadRun(dir, name);
      out.push({ name, dir, kind: typeof r.config['kind'] === 'string' ? r.config['kind'] : '?', created: typeof r.config['created'] === 'string' ? r.config['created'] : null, status: r.status, keyMetric: r.keyMetric, records: r.metrics.length });
    } catch {
      out.push({ name, dir, kind: '?', created: null, status: 'stopped', keyMetric: null, records: 0 });
    }
  }
  return out.sort((a, b) => (a.created ?? '').localeCompare(b.created ?? '') || a.name.localeCompare(b.name));
}

/**
 * The run directory `name` (a path relative to `root`, '/'-separated) when it is one and lies inside `root` once
 * every symbolic link is resolved; null for anything else: '..' or '.' segments, empty segments (an absolute path),
 * backslashes or NUL, a link leading out of the root, a directory without config.json.
 */
export function resolveRunPath(root: string, name: string): string | null {
  if (name === '.' || name === '') return runDirInside(root, root);
  const parts = name.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))) return null;
  return runDirInside(root, join(root, ...parts));
}

function runDirInside(root: string, dir: string): string | null {
  try {
    const realRoot = realpathSync(root);
    const real = realpathSync(dir);
    if (real !== realRoot && !real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) return null;
    if (!statSync(real).isDirectory() || !existsSync(join(real, CONFIG_FILE))) return null;
    // the files a reader of the run opens must not be links leading out of it either
    for (const f of RUN_FILES) if (existsSync(join(real, f)) && fileInsideRun(real, f) === null) return null;
    return real;
  } catch {
    return null;
  }
}

/** A file of a run directory, or null when missing or when it is a link leading out of that directory. */
export function fileInsideRun(runDir: string, file: string): string | null {
  try {
    const real = realpathSync(join(runDir, file));
    return real.startsWith(runDir + sep) && statSync(real).isFile() ? real : null;
  } catch {
    return null;
  }
}
