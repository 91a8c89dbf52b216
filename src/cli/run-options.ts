// Starting or resuming a command's run directory: --resume takes the options the run was started with.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE, METRICS_FILE, provenance, REPORT_FILE, RunDir, SAMPLES_FILE, SUMMARY_FILE } from '../runs/run-dir.js';
import { UsageError } from './command.js';

/** Flags about where and how a command runs, not what it computes: they may change on --resume. */
const RUN_FLAGS = new Set(['out', 'resume', 'json', 'backend', 'threads']);

type Values = Record<string, string | boolean | undefined>;

export interface RunStart<V extends Values> {
  /** the options in force: the saved ones on --resume (with this invocation's run flags), else the given ones */
  values: V;
  positionals: string[];
  /** the run had already finished: nothing to do */
  finished: boolean;
  /** a run being continued (its config kept, a `resumes` entry added) */
  resumed: RunDir | null;
  /** make the run directory of a fresh run: provenance, then the command's own fields, then the options */
  create(seed: number | null, extra: Record<string, unknown>): RunDir;
}

/**
 * Prepare `out` for a training command. With --resume and an existing run: the saved options (config.json's
 * `options`, `positionals`) are used, a flag given again with another value is a usage error. Without --resume: an
 * unfinished run there is a usage error (it would be overwritten), a finished one is replaced.
 */
export function startRun<V extends Values>(kind: string, out: string, argv: string[], values: V, positionals: string[] = []): RunStart<V> {
  const command = ['adaptlab', kind, ...argv];
  const has = (f: string): boolean => existsSync(join(out, f));
  const own = (v: Values): Values => Object.fromEntries(Object.entries(v).filter(([k, x]) => !RUN_FLAGS.has(k) && x !== undefined));
  if (values['resume'] && has(CONFIG_FILE)) {
    const cfg = RunDir.open(out).config();
    if (cfg['kind'] !== kind) throw new UsageError(`--resume: ${out} holds a ${String(cfg['kind'] ?? 'different')} run, not ${kind}`);
    const saved = (cfg['options'] ?? {}) as Values;
    const savedPos = Array.isArray(cfg['positionals']) ? (cfg['positionals'] as string[]) : [];
    for (const [k, v] of Object.entries(own(values))) {
      if (String(saved[k]) !== String(v)) throw new UsageError(`--resume: ${out} was started with ${saved[k] === undefined ? `no --${k}` : `--${k} ${String(saved[k])}`}; leave the flag out or give the same value`);
    }
    if (positionals.length && positionals.join('\0') !== savedPos.join('\0')) throw new UsageError(`--resume: ${out} was started with ${savedPos.join(' ') || 'no positional arguments'}`);
    const merged = { ...saved, ...Object.fromEntries(Object.entries(values).filter(([k]) => RUN_FLAGS.has(k))) } as V;
    const finished = has(SUMMARY_FILE);
    return {
      values: merged, positionals: savedPos, finished, resumed: finished ? null : RunDir.resume(out, command),
      create: () => { throw new UsageError('internal: create() on a resumed run'); },
    };
  }
  if (!values['resume'] && has(CONFIG_FILE) && !has(SUMMARY_FILE) && (has(METRICS_FILE) || has('checkpoints'))) {
    throw new UsageError(`${out} holds an unfinished ${kind} run; pass --resume to continue it or choose another --out`);
  }
  return {
    values, positionals, finished: false, resumed: null,
    create: (seed, extra) => {
      for (const f of [METRICS_FILE, SUMMARY_FILE, REPORT_FILE, SAMPLES_FILE, 'checkpoints']) rmSync(join(out, f), { recursive: true, force: true });
      return RunDir.create(out, provenance(kind, command, seed), { ...extra, options: own(values), ...(positionals.length ? { positionals } : {}) });
    },
  };
}
