// Run directories: the one on-disk shape every training command writes (config.json, metrics.jsonl, summary.json).
import { appendFileSync, closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { backendInfo } from '../backend/index.js';
import { FormatError } from '../core/errors.js';
import { packageVersion } from '../core/package.js';
import { writeFileAtomic } from '../io/atomic.js';

/** What config.json always holds, whatever the command; commands add their own fields beside these. */
export interface RunProvenance {
  /** the exact command line, e.g. ['adaptlab', 'multitask', '--tasks', 'mnist,fashion-mnist'] */
  command: string[];
  /** the command's name (`meta-train`, `pretrain`, `finetune`, `multitask`, `lecture`, …) */
  kind: string;
  seed: number | null;
  adaptlab: string;
  node: string;
  backend: string;
  threads: number;
  created: string;
}

export const CONFIG_FILE = 'config.json';
export const METRICS_FILE = 'metrics.jsonl';
export const SUMMARY_FILE = 'summary.json';
export const REPORT_FILE = 'report.html';
export const SAMPLES_FILE = 'samples.json';
/** Written when a process starts or resumes a run and removed with the summary: `{pid, host, started}`. */
export const RUNNING_FILE = 'running.json';

/** Provenance of a run started now by this process. */
export function provenance(kind: string, command: string[], seed: number | null): RunProvenance {
  const info = backendInfo();
  return {
    command, kind, seed, adaptlab: packageVersion(), node: process.versions.node, backend: info.name,
    threads: info.name === 'native' ? info.native.threads ?? 1 : 1, created: new Date().toISOString(),
  };
}

/**
 * A run directory being written. `config.json` and `summary.json` are replaced atomically; `metrics.jsonl` is
 * appended one JSON object per line and flushed to disk per line, so a reader (the dashboard, `runs show`) sees
 * every finished line and a killed run leaves at most a partial last line, which readers skip.
 */
export class RunDir {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Create (or reopen, for --resume) `dir` and write its config: provenance first, then the command's own fields. */
  static create(dir: string, prov: RunProvenance, extra: Record<string, unknown> = {}): RunDir {
    const abs = resolve(dir);
    mkdirSync(abs, { recursive: true });
    writeFileAtomic(join(abs, CONFIG_FILE), `${JSON.stringify({ ...prov, ...extra }, null, 2)}\n`);
    const run = new RunDir(abs);
    run.markRunning();
    return run;
  }

  /**
   * Continue an existing run (--resume): its config keeps the original command, seed and provenance, and gains
   * a `resumes` entry with this command and time.
   */
  static resume(dir: string, command: string[]): RunDir {
    const run = RunDir.open(dir);
    const cfg = run.config();
    const resumes = Array.isArray(cfg['resumes']) ? cfg['resumes'] : [];
    writeFileAtomic(run.path(CONFIG_FILE), `${JSON.stringify({ ...cfg, resumes: [...resumes, { command, created: new Date().toISOString() }] }, null, 2)}\n`);
    run.markRunning();
    return run;
  }

  /** An existing run directory (it must hold a config.json). */
  static open(dir: string): RunDir {
    const abs = resolve(dir);
    if (!existsSync(join(abs, CONFIG_FILE))) throw new FormatError(abs, `not a run directory: no ${CONFIG_FILE}`);
    return new RunDir(abs);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** Append one metrics record (a line of JSON), flushed before returning. */
  log(record: Record<string, unknown>): void {
    const fd = openSync(this.path(METRICS_FILE), 'a');
    try {
      writeSync(fd, `${JSON.stringify(record)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Append without the flush, for loops that log every step (a line per step; the OS writes it out). */
  logFast(record: Record<string, unknown>): void {
    appendFileSync(this.path(METRICS_FILE), `${JSON.stringify(record)}\n`);
  }

  /** Write summary.json: the run has finished (its running.json goes). */
  writeSummary(summary: Record<string, unknown>): void {
    writeFileAtomic(this.path(SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
    rmSync(this.path(RUNNING_FILE), { force: true });
  }

  /** Record that this process is writing the run (`adaptlab runs` tells running from stopped by it). */
  markRunning(): void {
    writeFileAtomic(this.path(RUNNING_FILE), `${JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() })}\n`);
  }

  /** Replace a JSON file of the run atomically (samples.json, a command's own state). */
  writeJson(name: string, value: unknown): void {
    writeFileAtomic(this.path(name), `${JSON.stringify(value)}\n`);
  }

  /**
   * Keep only the metrics records `keep` accepts (and drop a torn last line): a resumed run first forgets the
   * records written after its checkpoint, so its metrics end as an uninterrupted run's do. Returns how many went.
   */
  truncateMetrics(keep: (record: Record<string, unknown>) => boolean): number {
    const p = this.path(METRICS_FILE);
    if (!existsSync(p)) return 0;
    const all = readMetrics(p);
    const kept = all.filter(keep);
    writeFileAtomic(p, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return all.length - kept.length;
  }

  config<T = Record<string, unknown>>(): T {
    return readJson(this.path(CONFIG_FILE)) as T;
  }

  /** The summary, or null while the run has not finished. */
  summary<T = Record<string, unknown>>(): T | null {
    const p = this.path(SUMMARY_FILE);
    return existsSync(p) ? (readJson(p) as T) : null;
  }

  /** Every complete metrics line (a torn last line from a killed writer is skipped). */
  metrics(): Record<string, unknown>[] {
    return readMetrics(this.path(METRICS_FILE));
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new FormatError(path, `cannot read JSON: ${(e as Error).message}`);
  }
}

/** Lines of a metrics.jsonl; a line that does not parse (the torn tail of a killed run) is skipped. */
export function readMetrics(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  const out: Record<string, unknown>[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as Record<string, unknown>);
    } catch {
      // torn line
    }
  }
  return out;
}

/**
 * Directories under `root` (itself included) that hold a file named `marker`, to a bounded depth, in sorted order.
 * Hidden directories and `skip` are not entered; with `followLinks: false` neither are symbolic links.
 */
export function findDirsContaining(root: string, marker: string, o: { maxDepth?: number; skip?: readonly string[]; followLinks?: boolean } = {}): string[] {
  const maxDepth = o.maxDepth ?? 4, skip = new Set(o.skip ?? []), follow = o.followLinks ?? true;
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    if (names.includes(marker)) out.push(dir);
    if (depth >= maxDepth) return;
    for (const n of names.sort()) {
      if (n.startsWith('.') || skip.has(n)) continue;
      const p = join(dir, n);
      try {
        if ((follow ? statSync(p) : lstatSync(p)).isDirectory()) walk(p, depth + 1);
      } catch {
        // vanished or unreadable
      }
    }
  };
  walk(resolve(root), 0);
  return out;
}

/** Run directories under `root` (itself included), found by their config.json, to a bounded depth. */
export function findRuns(root: string, maxDepth = 4): string[] {
  return findDirsContaining(root, CONFIG_FILE, { maxDepth, skip: ['checkpoints', 'best', 'node_modules'] });
}
