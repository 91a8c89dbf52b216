// A sweep laid out on disk: the manifest (sweep.json) with every cell, and the job one cell is (local or queued).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FormatError } from '../core/errors.js';
import { packageVersion } from '../core/package.js';
import { writeFileAtomic } from '../io/atomic.js';
import { expandGrid, type AxisValue, type CellPlan, type SweepSpec } from './spec.js';

export const MANIFEST_FILE = 'sweep.json';
export const SUMMARY_FILE = 'sweep-summary.json';
export const CELLS_DIR = 'cells';

/** A sweep ready to run: the spec's settings, where it lives, and its cells. Written to `<dir>/sweep.json`. */
export interface SweepPlan {
  name: string;
  /** the sweep directory (absolute): `cells/<id>/` are the cells' run directories */
  dir: string;
  /** the spec file it came from (absolute), or null */
  specFile: string | null;
  /** the working directory cells run in (where `adaptlab sweep` was started) */
  cwd: string;
  command: string[];
  axes: [string, AxisValue[]][];
  threads: number;
  retries: number;
  retryDelay: number;
  timeout: number | null;
  env: Record<string, string>;
  metrics: string[] | null;
  /** the adaptlab version that planned it: workers of another version refuse its cells */
  adaptlab: string;
  cells: CellPlan[];
}

/** What it takes to run one cell anywhere: the unit of work of the local pool and the data of a BullMQ job. */
export interface CellJob {
  sweepDir: string;
  cellId: string;
  values: Record<string, AxisValue>;
  argv: string[];
  cwd: string;
  threads: number;
  env: Record<string, string>;
  timeout: number | null;
  adaptlab: string;
}

/** The default sweep directory: `runs/sweeps/<name>` under the current directory. */
export function defaultSweepDir(name: string): string {
  return resolve('runs', 'sweeps', name);
}

export function planSweep(spec: SweepSpec, opts: { dir: string; specFile: string | null; cwd?: string }): SweepPlan {
  return {
    name: spec.name, dir: resolve(opts.dir), specFile: opts.specFile ? resolve(opts.specFile) : null, cwd: resolve(opts.cwd ?? process.cwd()),
    command: spec.command, axes: spec.axes, threads: spec.threads, retries: spec.retries, retryDelay: spec.retryDelay, timeout: spec.timeout,
    env: spec.env, metrics: spec.metrics, adaptlab: packageVersion(), cells: expandGrid(spec, opts.specFile ?? 'sweep spec'),
  };
}

export function cellDir(sweepDir: string, id: string): string {
  return join(sweepDir, CELLS_DIR, id);
}

export function jobOf(plan: SweepPlan, cell: CellPlan): CellJob {
  return {
    sweepDir: plan.dir, cellId: cell.id, values: cell.values, argv: cell.argv, cwd: plan.cwd, threads: plan.threads, env: plan.env,
    timeout: plan.timeout, adaptlab: plan.adaptlab,
  };
}

/** Write `<dir>/sweep.json` (atomically), so workers, `sweep status DIR` and a dashboard know the cells. */
export function writeManifest(plan: SweepPlan): void {
  writeFileAtomic(join(plan.dir, MANIFEST_FILE), `${JSON.stringify({ ...plan, created: new Date().toISOString() }, null, 2)}\n`);
}

/** The plan stored in a sweep directory. */
export function readManifest(dir: string): SweepPlan {
  const path = join(resolve(dir), MANIFEST_FILE);
  if (!existsSync(path)) throw new FormatError(resolve(dir), `not a sweep directory: no ${MANIFEST_FILE}`);
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new FormatError(path, `cannot read JSON: ${(e as Error).message}`);
  }
  const p = v as Partial<SweepPlan>;
  if (!p || typeof p !== 'object' || !Array.isArray(p.cells) || typeof p.name !== 'string' || !Array.isArray(p.axes)) {
    throw new FormatError(path, 'not a sweep manifest (needs name, axes and cells)');
  }
  return { ...(p as SweepPlan), dir: resolve(dir) };
}
