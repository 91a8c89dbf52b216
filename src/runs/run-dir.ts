// Run directories: the one on-disk shape every training command writes (config.json, metrics.jsonl, summary.json).
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
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
    return new RunDir(abs);
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

  writeSummary(summary: Record<string, unknown>): void {
    writeFileAtomic(this.path(SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
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

/** Run directories under `root` (itself included), found by their config.json, to a bounded depth. */
export function findRuns(root: string, maxDepth = 4): string[] {
  const abs = resolve(root);
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    if (names.includes(CONFIG_FILE)) out.push(dir);
    if (depth >= maxDepth) return;
    for (const n of names.sort()) {
      if (n.startsWith('.') || n === 'checkpoints' || n === 'best' || n === 'node_modules') continue;
      const p = join(dir, n);
      try {
        if (statSync(p).isDirectory()) walk(p, depth + 1);
      } catch {
        // vanished or unreadable
      }
    }
  };
  walk(abs, 0);
  return out;
}
