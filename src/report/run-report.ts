// Reports of run directories (one run, or several compared) from already-read config, metrics, summary and samples.
import { seedInterval } from '../transfer/protocol.js';
import { bandChart, barChart, heatMap, lineChart, type Bar, type BandPoint, type Cell, type Chart, type LinePoint } from './charts.js';
import { formatNumber, renderPage, type Block, type Page, type PageOptions, type Section } from './html.js';
import type { Samples } from './images.js';

/** A run's headline number (validation accuracy, ID accuracy, final loss), as `adaptlab runs` computes it. */
export interface KeyMetric {
  name: string;
  value: number;
  ci95?: number | null;
  /** a fraction shown as a percentage */
  percent?: boolean;
}

/** Everything a report shows about one run, read from its directory by the caller (the CLI or the dashboard). */
export interface RunData {
  /** how the run is called: its path under the runs root, or its directory */
  name: string;
  config: Record<string, unknown>;
  metrics: Record<string, unknown>[];
  summary: Record<string, unknown> | null;
  samples?: Samples | null;
  status?: string;
  keyMetric?: KeyMetric | null;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** A key metric in words: `97.25% ± 0.41` or `0.0123 ± 0.0010`. */
export function formatKeyMetric(k: KeyMetric): string {
  const ci = k.ci95 !== undefined && k.ci95 !== null && Number.isFinite(k.ci95) ? k.ci95 : null;
  if (k.percent) return `${(100 * k.value).toFixed(2)}%${ci !== null ? ` ± ${(100 * ci).toFixed(2)}` : ''}`;
  return `${formatNumber(k.value)}${ci !== null ? ` ± ${formatNumber(ci)}` : ''}`;
}

/** Shell-quote a command line so it can be pasted back. */
export function shellQuote(args: readonly string[]): string {
  return args.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Nested objects as dotted name → value text; long arrays summarised. */
export function flatten(o: unknown, prefix = '', out: [string, string][] = [], depth = 0): [string, string][] {
  if (isObj(o) && depth < 4) {
    for (const [k, v] of Object.entries(o)) flatten(v, prefix ? `${prefix}.${k}` : k, out, depth + 1);
    return out;
  }
  let text: string;
  if (o === null || o === undefined) text = '–';
  else if (typeof o === 'number') text = formatNumber(o);
  else if (typeof o === 'string') text = o;
  else if (Array.isArray(o)) {
    if (o.every((v) => typeof v === 'number')) text = o.length <= 8 ? o.map((v) => formatNumber(v as number)).join(', ') : `${o.length} values: ${o.slice(0, 3).map((v) => formatNumber(v as number)).join(', ')}, …, ${formatNumber(o.at(-1) as number)}`;
    else if (o.every((v) => typeof v === 'string')) text = o.join(' ');
    else text = o.length <= 3 ? JSON.stringify(o) : `${o.length} entries`;
  } else text = JSON.stringify(o);
  out.push([prefix || 'value', text]);
  return out;
}

/** The fields every run's config.json has (RunProvenance); the rest is the command's own configuration. */
const PROVENANCE = ['command', 'kind', 'seed', 'adaptlab', 'node', 'backend', 'threads', 'created', 'resumes'];

/** A one-line description of a run from its config, by kind (unknown kinds: their kind). */
export function describeRun(config: Obj): string {
  const kind = str(config['kind']) ?? 'run';
  if (kind === 'meta-train' && isObj(config['meta'])) {
    const m = config['meta'];
    return `${String(m['method'])} on ${String(m['dataset'])}${m['dataset'] === 'sinusoid' ? '' : `, ${String(m['ways'])}-way`} ${String(m['shots'])}-shot`;
  }
  if (kind === 'pretrain') {
    const model = isObj(config['model']) ? String(config['model']['kind']) : 'model';
    return `${String(config['objective'] ?? 'supervised')} pre-training of ${model} on ${String(config['dataset'])}`;
  }
  if (kind === 'finetune') return `${String(config['strategy'])} on ${String(config['target'])} (shift: ${String(config['shift'] ?? 'none')})`;
  return kind;
}

function provenanceBlocks(config: Obj): Block[] {
  const command = Array.isArray(config['command']) ? shellQuote(config['command'] as string[]) : String(config['command'] ?? '–');
  const facts: [string, string][] = [];
  for (const k of ['kind', 'seed', 'created', 'adaptlab', 'node', 'backend', 'threads']) if (config[k] !== undefined) facts.push([k, config[k] === null ? '–' : String(config[k])]);
  const resumes = Array.isArray(config['resumes']) ? (config['resumes'] as unknown[]).filter(isObj) : [];
  for (const r of resumes) facts.push(['resumed', `${String(r['created'] ?? '')}: ${Array.isArray(r['command']) ? shellQuote(r['command'] as string[]) : ''}`]);
  return [{ kind: 'code', title: 'Command', code: command }, { kind: 'facts', title: 'Provenance', facts }];
}

/** The x axis of a metrics log: the first of step/epoch/iteration/round that most records carry, else null. */
function xFieldOf(metrics: Obj[]): string | null {
  for (const f of ['step', 'epoch', 'iteration', 'round']) {
    if (metrics.filter((m) => num(m[f]) !== null).length >= Math.max(2, metrics.length / 2)) return f;
  }
  return null;
}

/** A string field that splits records into a few series (`split`: train/val, `task`: one per task), or null. */
function seriesFieldOf(metrics: Obj[]): string | null {
  for (const f of ['split', 'task', 'phase', 'series']) {
    const vals = new Set(metrics.map((m) => m[f]).filter((v) => typeof v === 'string'));
    if (vals.size >= 1 && vals.size <= 12) return f;
  }
  return null;
}

const NOT_CURVES = new Set(['seconds', 'elapsed', 'elapsedSeconds', 'time', 'episodes', 'seed', 'ci95', 'epoch', 'step', 'iteration', 'round']);
const isRate = (field: string): boolean => /acc|accuracy|^val$|^id$|^ood$/i.test(field);

/** One curve per numeric field of metrics.jsonl, with validation means ± CI as bands; works for any run kind. */
async function curveCharts(runs: { label: string; metrics: Obj[] }[], opts: { maxCharts?: number; indexAsX?: boolean } = {}): Promise<Chart[]> {
  const all = runs.flatMap((r) => r.metrics);
  if (all.length < 2) return [];
  let xField = xFieldOf(all);
  if (!xField && !opts.indexAsX) return [];
  const seriesField = seriesFieldOf(all);
  const fields: string[] = [];
  for (const m of all) for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && !fields.includes(k) && k !== xField && !NOT_CURVES.has(k)) fields.push(k);
  const charts: Chart[] = [];
  const multiRun = runs.length > 1;
  for (const field of fields) {
    const points: LinePoint[] = [];
    const bands: BandPoint[] = [];
    let banded = false;
    for (const r of runs) {
      r.metrics.forEach((m, i) => {
        const x = xField ? num(m[xField]) : i + 1;
        const y = num(m[field]);
        if (x === null || y === null) return;
        const s = seriesField ? str(m[seriesField]) : null;
        const series = multiRun ? (s && new Set(all.map((a) => a[seriesField!])).size > 1 ? `${r.label} · ${s}` : r.label) : s ?? undefined;
        const ci = num(m['ci95']);
        if (field === 'mean' && ci !== null) {
          banded = true;
          bands.push({ x, mean: y, ci95: ci, ...(series !== undefined ? { series } : {}) });
        }
        points.push({ x, y, ...(series !== undefined ? { series } : {}) });
      });
    }
    if (points.length < 2 || points.every((p) => p.y === points[0]!.y)) continue; // a constant (a fixed lr) is not a curve
    const metricName = str(all.find((m) => m[field] !== undefined && typeof m['metric'] === 'string')?.['metric']);
    const name = field === 'mean' && metricName ? `validation ${metricName}` : field;
    const percent = isRate(field) || (field === 'mean' && metricName === 'accuracy');
    const x = { title: xField ?? 'record', integer: true };
    const y = { title: name, ...(percent ? { percent: true } : {}) };
    if (banded) charts.push(await bandChart({ title: `${name} (mean ± 95% CI)`, points: bands, x, y, caption: 'Shaded: the 95% interval over the evaluation episodes.' }));
    else charts.push(await lineChart({ title: name, points, x, y }));
    if (charts.length >= (opts.maxCharts ?? 8)) break;
  }
  return charts;
}

const pctOf = (v: unknown): string => (num(v) === null ? '–' : `${(100 * num(v)!).toFixed(2)}%`);

/** Fine-tuning runs: the lr grid (validation accuracy per lr over seeds), ID and OOD accuracy, per-seed table. */
async function finetuneBlocks(run: RunData): Promise<Block[]> {
  const out: Block[] = [];
  const s = run.summary;
  const rows = run.metrics.filter((m) => num(m['lr']) !== null && num(m['val']) !== null);
  if (rows.length) {
    const lrs = [...new Set(rows.map((m) => num(m['lr'])!))];
    const bars: Bar[] = lrs.map((lr) => {
      const vals = rows.filter((m) => m['lr'] === lr).map((m) => num(m['val'])!);
      const iv = seedInterval(vals);
      return { category: `lr ${lr}`, mean: iv.mean, ci95: Number.isFinite(iv.ci95) ? iv.ci95 : null };
    });
    out.push(await barChart({ title: 'Learning-rate grid: validation accuracy', bars, category: 'learning rate', y: { title: 'validation accuracy', percent: true }, caption: `Mean over seeds ± 95% Student-t interval; the lr with the best mean is chosen${s && num(s['lr']) !== null ? ` (${formatNumber(num(s['lr'])!)})` : ''}.` }));
  }
  if (s && isObj(s['id'])) {
    const bars: Bar[] = [{ category: 'ID', mean: num(s['id']['mean']) ?? 0, ci95: num(s['id']['ci95']) }];
    if (isObj(s['ood'])) bars.push({ category: 'OOD', mean: num(s['ood']['mean']) ?? 0, ci95: num(s['ood']['ci95']) });
    out.push(await barChart({ title: 'Test accuracy at the chosen lr', bars, category: 'test set', y: { title: 'accuracy', percent: true, domain: [0, 1] }, caption: 'ID: the target test set (under the shift); OOD: the other side of the shift. Mean over seeds ± 95% Student-t interval.' }));
  }
  const perSeed = s && Array.isArray(s['perSeed']) ? (s['perSeed'] as unknown[]).filter(isObj) : [];
  if (perSeed.length) out.push({ kind: 'table', title: 'Per seed, at the chosen lr', headers: ['seed', 'validation', 'ID', 'OOD'], rows: perSeed.map((r) => [num(r['seed']), pctOf(r['val']), pctOf(r['id']), r['ood'] === null ? null : pctOf(r['ood'])]) });
  if (rows.length) out.push({ kind: 'table', title: 'Every run of the grid (metrics.jsonl)', headers: ['seed', 'lr', 'validation', 'ID', 'OOD'], rows: rows.map((m) => [num(m['seed']), num(m['lr']), pctOf(m['val']), pctOf(m['id']), m['ood'] === null || m['ood'] === undefined ? null : pctOf(m['ood'])]) });
  return out;
}

/** Pre-training runs: the mean loss of each epoch from the summary. */
async function pretrainBlocks(run: RunData): Promise<Block[]> {
  const losses = run.summary && Array.isArray(run.summary['losses']) ? (run.summary['losses'] as unknown[]).map(num) : [];
  if (losses.length < 2 || losses.some((l) => l === null)) return [];
  return [await lineChart({ title: 'Mean loss per epoch', points: losses.map((y, i) => ({ x: i + 1, y: y! })), x: { title: 'epoch', integer: true }, y: { title: 'loss' } })];
}

function summaryFacts(run: RunData): [string, string][] {
  if (!run.summary) return [];
  const s = { ...run.summary };
  if (run.config['kind'] === 'finetune') { delete s['perSeed']; delete s['grid']; } // drawn and tabled below
  return flatten(s);
}

/**
 * The page of one run: headline, command and provenance, summary, learning curves from metrics.jsonl, the kind's own
 * charts (fine-tuning: lr grid, ID/OOD bars; pre-training: loss per epoch), sample pictures, the whole config.
 * Kinds it does not know get everything but their own charts.
 */
export async function runPage(run: RunData): Promise<Page> {
  const c = run.config;
  const kind = str(c['kind']) ?? 'run';
  const sections: Section[] = [];
  const headline: Block[] = [];
  if (run.keyMetric) headline.push({ kind: 'facts', facts: [[run.keyMetric.name, formatKeyMetric(run.keyMetric)]] });
  sections.push({ title: 'Result', id: 'result', blocks: [...headline, ...(run.summary ? [{ kind: 'facts', title: 'Summary (summary.json)', facts: summaryFacts(run) } as Block] : [{ kind: 'text', text: run.status === 'running' ? 'The run has not finished: no summary.json yet.' : 'No summary.json: the run did not finish (resume it with --resume).' } as Block])] });
  const own = kind === 'finetune' ? await finetuneBlocks(run) : kind === 'pretrain' ? await pretrainBlocks(run) : [];
  if (own.length) sections.push({ title: kind === 'finetune' ? 'Fine-tuning protocol' : 'Training', id: 'method', blocks: own });
  const curves = await curveCharts([{ label: run.name, metrics: run.metrics }], { indexAsX: kind !== 'finetune' });
  if (curves.length || kind !== 'finetune') sections.push({ title: 'Learning curves', id: 'curves', blocks: curves.length ? curves : [{ kind: 'text', text: run.metrics.length ? 'metrics.jsonl has no curve to draw.' : 'No metrics yet.' }] });
  if (run.samples?.groups.length) sections.push({ title: 'Samples', id: 'samples', blocks: run.samples.groups.map((g) => ({ kind: 'images', title: g.title, ...(g.caption ? { caption: g.caption } : {}), images: g.images })) });
  sections.push({ title: 'Run', id: 'run', blocks: provenanceBlocks(c) });
  const rest: Obj = {};
  for (const [k, v] of Object.entries(c)) if (!PROVENANCE.includes(k)) rest[k] = v;
  if (Object.keys(rest).length) sections.push({ title: 'Configuration (config.json)', id: 'config', blocks: [{ kind: 'facts', facts: flatten(rest) }] });
  return {
    title: `${kind}: ${describeRun(c)}`,
    subtitle: `${run.name}${run.keyMetric ? ` — ${run.keyMetric.name} ${formatKeyMetric(run.keyMetric)}` : ''}`,
    badges: [kind, ...(run.status ? [run.status] : [])],
    sections,
    footer: `adaptlab ${String(c['adaptlab'] ?? '')} report of ${run.name}; seed ${String(c['seed'] ?? '–')}; ${run.metrics.length} metrics records.`,
  };
}

/** report.html of one run: a self-contained page (inline SVG charts, no scripts, no network). */
export async function runReport(run: RunData, opts: PageOptions = {}): Promise<string> {
  return renderPage(await runPage(run), opts);
}

/**
 * Config fields (dotted) whose values differ between runs; provenance that always differs (created, command, resumes)
 * and the raw flags the command's own fields repeat (options, positionals) are left out.
 */
export function differingFields(configs: Obj[]): string[] {
  const flat = configs.map((c) => new Map(flatten(Object.fromEntries(Object.entries(c).filter(([k]) => !['created', 'command', 'resumes', 'options', 'positionals'].includes(k))))));
  const keys = [...new Set(flat.flatMap((m) => [...m.keys()]))];
  return keys.filter((k) => new Set(flat.map((m) => m.get(k) ?? '–')).size > 1);
}

/** Fine-tuning runs compared: ID/OOD bars per run, the surgical heat map (block × shift), accuracy vs shots. */
async function finetuneComparison(runs: RunData[]): Promise<Block[]> {
  const done = runs.filter((r) => r.summary && isObj(r.summary['id']));
  if (done.length < 2) return [];
  const out: Block[] = [];
  const strategy = (r: RunData): string => String(r.config['strategy'] ?? r.summary!['strategy']);
  const shift = (r: RunData): string => String(r.config['shift'] ?? r.summary!['shift'] ?? 'none');
  const differs = (f: (r: RunData) => string): boolean => new Set(done.map(f)).size > 1;
  const label = (r: RunData): string => {
    const parts = [differs(strategy) ? strategy(r) : '', differs(shift) ? shift(r) : ''].filter(Boolean);
    return parts.length ? parts.join(' · ') : r.name;
  };
  const bars: Bar[] = [];
  for (const r of done) {
    const id = r.summary!['id'] as Obj, ood = r.summary!['ood'];
    bars.push({ category: label(r), mean: num(id['mean']) ?? 0, ci95: num(id['ci95']), group: 'ID' });
    if (isObj(ood)) bars.push({ category: label(r), mean: num(ood['mean']) ?? 0, ci95: num(ood['ci95']), group: 'OOD' });
  }
  out.push(await barChart({ title: 'Accuracy per run (mean ± 95% CI over seeds)', bars, category: 'run', y: { title: 'accuracy', percent: true, domain: [0, 1] }, groupTitle: 'test set' }));
  if (differs(strategy) && differs(shift)) {
    const sums = new Map<string, { row: string; column: string; total: number; n: number }>();
    for (const r of done) {
      const k = `${strategy(r)}\u0000${shift(r)}`;
      const e = sums.get(k) ?? { row: strategy(r), column: shift(r), total: 0, n: 0 };
      e.total += num((r.summary!['id'] as Obj)['mean']) ?? 0;
      e.n++;
      sums.set(k, e);
    }
    const cells: Cell[] = [...sums.values()].map((e) => ({ row: e.row, column: e.column, value: e.total / e.n }));
    const surgical = (s: string): number => (s.startsWith('surgical:') ? 0 : 1);
    const rows = [...new Set(cells.map((c) => c.row))].sort((a, b) => surgical(a) - surgical(b));
    out.push(await heatMap({ title: 'ID accuracy by strategy (block tuned) and shift', cells, rows: { title: 'strategy', order: rows }, columns: { title: 'shift' }, value: { title: 'ID accuracy', percent: true }, caption: 'Surgical fine-tuning (Lee et al. 2023): which block is best to tune depends on the shift. Each cell is the mean ID accuracy over seeds.' }));
  }
  const size = (r: RunData): number | null => num(r.config['shots']) ?? num(r.config['trainSize']) ?? num(r.summary!['trainSize']);
  const byShots = done.filter((r) => size(r) !== null);
  if (new Set(byShots.map(size)).size > 1) {
    const shots = byShots.every((r) => num(r.config['shots']) !== null);
    const points: BandPoint[] = byShots.map((r) => {
      const id = r.summary!['id'] as Obj;
      return { x: size(r)!, mean: num(id['mean']) ?? 0, ci95: num(id['ci95']) ?? 0, series: `${strategy(r)}${differs(shift) ? ` · ${shift(r)}` : ''}` };
    }).sort((a, b) => a.x - b.x);
    out.push(await bandChart({ title: `ID accuracy vs ${shots ? 'shots per class' : 'training examples'}`, points, x: { title: shots ? 'shots per class' : 'training examples', log: true }, y: { title: 'ID accuracy', percent: true }, seriesTitle: 'strategy', caption: 'Shaded: 95% Student-t interval over seeds.' }));
  }
  return out;
}

/** The page comparing runs: the configuration fields that differ, key metrics, overlaid curves, kind-specific charts. */
export async function comparePage(runs: RunData[]): Promise<Page> {
  const diff = differingFields(runs.map((r) => r.config));
  const cfg = runs.map((r) => new Map(flatten(r.config)));
  const table: Block = {
    kind: 'table', title: 'Runs and the configuration that differs',
    headers: ['run', 'status', ...diff, 'key metric'],
    rows: runs.map((r, i) => [r.name, r.status ?? '–', ...diff.map((k) => cfg[i]!.get(k) ?? null), r.keyMetric ? `${r.keyMetric.name} ${formatKeyMetric(r.keyMetric)}` : null]),
  };
  const sections: Section[] = [{ title: 'Runs', id: 'runs', blocks: [table] }];
  const keyed = runs.filter((r) => r.keyMetric);
  const allFinetune = runs.every((r) => r.config['kind'] === 'finetune');
  if (!allFinetune && keyed.length >= 2 && new Set(keyed.map((r) => r.keyMetric!.name)).size === 1) {
    const k = keyed[0]!.keyMetric!;
    sections.push({ title: 'Key metric', id: 'key', blocks: [await barChart({ title: k.name, bars: keyed.map((r) => ({ category: r.name, mean: r.keyMetric!.value, ci95: r.keyMetric!.ci95 ?? null })), category: 'run', y: { title: k.name, ...(k.percent ? { percent: true } : {}) } })] });
  }
  if (allFinetune) {
    const blocks = await finetuneComparison(runs);
    if (blocks.length) sections.push({ title: 'Fine-tuning', id: 'finetune', blocks });
  }
  const sameKind = new Set(runs.map((r) => r.config['kind'])).size === 1;
  if (sameKind) {
    const curves = await curveCharts(runs.map((r) => ({ label: r.name, metrics: r.metrics })));
    if (curves.length) sections.push({ title: 'Learning curves', id: 'curves', blocks: curves });
  }
  return { title: `Comparing ${runs.length} runs`, subtitle: runs.map((r) => r.name).join(', '), sections, footer: 'adaptlab run comparison.' };
}

export async function compareReport(runs: RunData[], opts: PageOptions = {}): Promise<string> {
  return renderPage(await comparePage(runs), opts);
}
