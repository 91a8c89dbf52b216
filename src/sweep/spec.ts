// Sweep specs (JSON or YAML): a command template and the axes of a grid; expansion into cells with stable ids.
import { createHash } from 'node:crypto';
import { extname, basename } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { FormatError } from '../core/errors.js';
import { readRegularFile } from '../io/files.js';
import { preview } from '../io/untrusted.js';

/** A value an axis can take: written into the command line as text. */
export type AxisValue = string | number | boolean;

/** A parsed, validated sweep spec. */
export interface SweepSpec {
  /** a name for people and for the default output folder (default: the spec file's base name) */
  name: string;
  /** the adaptlab command and its arguments, `{axis}` where an axis value goes (no `--out`/`--json`: the sweep adds them) */
  command: string[];
  /** the axes in the order written: the first one varies slowest */
  axes: [string, AxisValue[]][];
  /** ADAPTLAB_THREADS of each cell (default 1): the local pool runs ⌊cores / threads⌋ cells at once */
  threads: number;
  /** how many times a failing cell is tried again before it is reported failed (default 2) */
  retries: number;
  /** seconds between a failed attempt and the next (default 1) */
  retryDelay: number;
  /** seconds an attempt may run before it is killed and counted as failed (default: no limit) */
  timeout: number | null;
  /** extra environment variables for every cell */
  env: Record<string, string>;
  /** result fields (dotted, e.g. `id.mean`, `losses.last`) shown in tables; null: a default set */
  metrics: string[] | null;
}

/** One cell of the grid: its id, the axis values and the full argument list (without `--out`/`--json`). */
export interface CellPlan {
  id: string;
  values: Record<string, AxisValue>;
  argv: string[];
}

/** Most cells one spec may expand to. */
export const MAX_CELLS = 100_000;
/** Largest spec file read. */
export const MAX_SPEC_BYTES = 1 << 20;

const KEYS = ['name', 'command', 'axes', 'threads', 'retries', 'retryDelay', 'timeout', 'env', 'metrics'];
const AXIS_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const PLACEHOLDER = /\{\{|\}\}|\{([^{}]*)\}/g;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse and validate spec text; `file` names the source in every error (and picks YAML for .yaml/.yml). */
export function parseSpec(text: string, file: string): SweepSpec {
  const fail = (field: string, detail: string): never => {
    throw new FormatError(file, `${field}: ${detail}`);
  };
  let raw: unknown;
  const ext = extname(file).toLowerCase();
  try {
    raw = ext === '.json' ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true, maxAliasCount: 100, prettyErrors: false });
  } catch (e) {
    throw new FormatError(file, `not valid ${ext === '.json' ? 'JSON' : 'YAML or JSON'}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isObject(raw)) return fail('spec', `must be a mapping with "command" and "axes", got ${preview(raw)}`);
  for (const k of Object.keys(raw)) if (!KEYS.includes(k)) fail(k, `unknown field (fields: ${KEYS.join(', ')})`);

  const stem = basename(file, extname(file));
  const name = raw['name'] === undefined ? stem : raw['name'];
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) fail('name', `must be 1–100 letters, digits, ".", "_" or "-", starting with a letter or digit, got ${preview(name)}`);

  let command: string[];
  const c = raw['command'];
  if (typeof c === 'string') {
    if (/["'\\]/.test(c)) fail('command', 'quotes and backslashes are not interpreted in the string form: give the command as a list of arguments');
    command = c.trim().split(/\s+/).filter((t) => t.length > 0);
  } else if (Array.isArray(c) && c.every((t) => typeof t === 'string' || typeof t === 'number')) {
    command = c.map(String);
  } else {
    return fail('command', `must be a string or a list of strings, got ${preview(c)}`);
  }
  if (command[0] === 'adaptlab') command = command.slice(1);
  if (command.length === 0) fail('command', 'is empty: name an adaptlab command, e.g. "pretrain --dataset mnist --seed {seed}"');
  if (command[0]!.startsWith('-') || command[0]!.includes('{')) fail('command', `must start with an adaptlab command name, got "${command[0]}"`);
  for (const t of command) {
    if (t === '--out' || t.startsWith('--out=') || t === '--json') fail('command', `"${t}": the sweep adds --out (the cell's run directory) and --json itself`);
  }

  const axesRaw = raw['axes'];
  if (!isObject(axesRaw) || Object.keys(axesRaw).length === 0) return fail('axes', `must be a mapping from axis names to lists of values, got ${preview(axesRaw)}`);
  const axes: [string, AxisValue[]][] = [];
  for (const [axis, vs] of Object.entries(axesRaw)) {
    if (!AXIS_NAME.test(axis)) fail(`axes.${axis}`, 'axis names are letters, digits, "_" and "-", starting with a letter or "_"');
    if (!Array.isArray(vs) || vs.length === 0) fail(`axes.${axis}`, `must be a non-empty list of values, got ${preview(vs)}`);
    const seen = new Set<string>();
    for (const v of vs as unknown[]) {
      if (!(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean')) fail(`axes.${axis}`, `values must be strings, finite numbers or booleans, got ${preview(v)}`);
      if (seen.has(String(v))) fail(`axes.${axis}`, `the value ${preview(v)} appears twice`);
      seen.add(String(v));
    }
    axes.push([axis, vs as AxisValue[]]);
  }
  const used = new Set<string>();
  for (const t of command) {
    for (const m of t.matchAll(PLACEHOLDER)) {
      if (m[1] === undefined) continue; // {{ or }}
      if (!axes.some(([a]) => a === m[1])) fail('command', `"{${m[1]}}" is not an axis (axes: ${axes.map(([a]) => a).join(', ')}); write {{ and }} for literal braces`);
      used.add(m[1]);
    }
  }
  for (const [a] of axes) if (!used.has(a)) fail(`axes.${a}`, `is not used in the command: write {${a}} where its value goes`);
  let cells = 1;
  for (const [, vs] of axes) cells *= vs.length;
  if (cells > MAX_CELLS) fail('axes', `the grid has ${cells} cells, more than ${MAX_CELLS}`);

  const num = (field: string, min: number, integer: boolean, dflt: number | null): number | null => {
    const v = raw[field as keyof typeof raw];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) fail(field, `must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${preview(v)}`);
    return v as number;
  };
  const threads = num('threads', 1, true, 1)!;
  if (threads > 1024) fail('threads', `must be at most 1024, got ${threads}`);
  const retries = num('retries', 0, true, 2)!;
  if (retries > 100) fail('retries', `must be at most 100, got ${retries}`);
  const retryDelay = num('retryDelay', 0, false, 1)!;
  const timeout = num('timeout', 0.001, false, null);

  const env: Record<string, string> = {};
  const envRaw = raw['env'];
  if (envRaw !== undefined) {
    if (!isObject(envRaw)) fail('env', `must be a mapping of variable names to strings, got ${preview(envRaw)}`);
    for (const [k, v] of Object.entries(envRaw as Record<string, unknown>)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) fail(`env.${k}`, 'is not a valid environment variable name');
      if (k === 'ADAPTLAB_THREADS') fail(`env.${k}`, 'set "threads" instead (the pool sizes itself by it)');
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') fail(`env.${k}`, `must be a string, got ${preview(v)}`);
      Object.defineProperty(env, k, { value: String(v), enumerable: true, writable: true, configurable: true });
    }
  }
  let metrics: string[] | null = null;
  const mRaw = raw['metrics'];
  if (mRaw !== undefined) {
    if (!Array.isArray(mRaw) || !mRaw.every((m) => typeof m === 'string' && m.length > 0)) fail('metrics', `must be a list of result field names (e.g. ["id.mean", "losses.last"]), got ${preview(mRaw)}`);
    metrics = mRaw as string[];
  }
  return { name: name as string, command, axes, threads, retries, retryDelay, timeout, env, metrics };
}

/** Read and parse a spec file (at most MAX_SPEC_BYTES; a regular file). */
export function loadSpec(path: string): SweepSpec {
  const buf = readRegularFile(path);
  if (buf.length > MAX_SPEC_BYTES) throw new FormatError(path, `a sweep spec of ${buf.length} bytes is larger than ${MAX_SPEC_BYTES}`);
  return parseSpec(buf.toString('utf8'), path);
}

/** The template with each `{axis}` replaced by its value (`{{`/`}}` are literal braces). */
export function substitute(template: readonly string[], values: Record<string, AxisValue>): string[] {
  return template.map((t) => t.replace(PLACEHOLDER, (m, axis: string | undefined) => (axis === undefined ? m[0]! : String(values[axis]))));
}

function slugPart(s: string): string {
  return s.replace(/[^A-Za-z0-9.]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/**
 * A cell's id: a readable slug of its axis values and a hash of what decides its result — the command line, the
 * threads and the extra environment — so the same cell gets the same id in every run, on every machine, and a
 * changed command gives new ids. Only [A-Za-z0-9._-]: a folder name and a BullMQ job id as it is.
 */
export function cellId(values: Record<string, AxisValue>, argv: readonly string[], threads: number, env: Record<string, string>): string {
  const slug = Object.entries(values).map(([k, v]) => `${slugPart(k)}-${slugPart(String(v))}`).join('_').slice(0, 80).replace(/[-_]+$/, '');
  const key = JSON.stringify({ argv, threads, env: Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) });
  return `${slug}-${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;
}

/** Every cell of the grid, the first axis varying slowest; two cells with the same command line are an error. */
export function expandGrid(spec: SweepSpec, file = 'sweep spec'): CellPlan[] {
  const out: CellPlan[] = [];
  const seen = new Map<string, string>();
  const walk = (i: number, picked: [string, AxisValue][]): void => {
    if (i === spec.axes.length) {
      const values = Object.fromEntries(picked) as Record<string, AxisValue>;
      const argv = substitute(spec.command, values);
      const id = cellId(values, argv, spec.threads, spec.env);
      const key = JSON.stringify(argv);
      const prev = seen.get(key);
      if (prev !== undefined) throw new FormatError(file, `command: the cells ${prev} and ${preview(values)} give the same command line (${argv.join(' ')}); put each axis in its own argument`);
      seen.set(key, preview(values));
      out.push({ id, values, argv });
      return;
    }
    const [axis, vs] = spec.axes[i]!;
    for (const v of vs) walk(i + 1, [...picked, [axis, v]]);
  };
  walk(0, []);
  return out;
}
