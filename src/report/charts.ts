// Charts as inline SVG: Vega-Lite specs compiled with vega-lite and rendered by vega in Node (no browser, no network).
import type { TopLevelSpec } from 'vega-lite';

/** A chart ready for a page: its SVG text, a title and a caption (what it shows, where the numbers come from). */
export interface Chart {
  kind: 'chart';
  title: string;
  caption?: string;
  svg: string;
}

/** The look shared by every chart: system fonts only (nothing fetched), a white background that prints. */
const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  background: 'white',
  view: { stroke: '#ccc' },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'right' },
  title: { fontSize: 13, anchor: 'start', fontWeight: 'normal' },
  range: { category: ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'] },
} as const;

export const CHART_WIDTH = 460;
export const CHART_HEIGHT = 240;

/** vega and vega-lite, loaded on the first chart (about 0.4 s): commands that draw nothing do not pay for them. */
let libraries: Promise<[typeof import('vega'), typeof import('vega-lite')]> | null = null;

/** Render a Vega-Lite spec to SVG text in Node (the 'none' renderer: scenegraph only, text widths estimated). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  libraries ??= Promise.all([import('vega'), import('vega-lite')]);
  const [vega, vl] = await libraries;
  const withConfig = { ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
  const view = new vega.View(vega.parse(vl.compile(withConfig).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Axis options: a title, and optionally a log scale or a fixed domain (e.g. [0, 1] for accuracy). */
export interface AxisOptions {
  title: string;
  log?: boolean;
  domain?: [number, number];
  /** show values as percentages (accuracy) */
  percent?: boolean;
  /** whole numbers only on the ticks (steps, epochs) */
  integer?: boolean;
}

function scaleOf(a: AxisOptions, zero = false): Record<string, unknown> {
  return { ...(a.log ? { type: 'log', nice: false } : { zero }), ...(a.domain ? { domain: a.domain } : {}) };
}

/** An interval's ends, clipped to [0, 1] on a percentage axis (an accuracy interval past 100% says nothing). */
function ends(mean: number, ci: number, a: AxisOptions): { lo: number; hi: number } {
  const lo = mean - ci, hi = mean + ci;
  return a.percent ? { lo: Math.max(0, lo), hi: Math.min(1, hi) } : { lo, hi };
}

/** Long category labels are slanted; the limit is in vega's estimated widths (about 0.8 em a character without a canvas). */
function categoryAxis(labels: readonly string[]): Record<string, unknown> {
  return { labelAngle: labels.some((c) => c.length > 10) ? -30 : 0, labelLimit: 420 };
}

function axisOf(a: AxisOptions): Record<string, unknown> {
  return { title: a.title, ...(a.percent ? { format: '.0%' } : {}), ...(a.integer ? { tickMinStep: 1, format: 'd' } : {}) };
}

/** A point of a line: x, y and the series it belongs to (a split, a run, a strategy). */
export interface LinePoint {
  x: number;
  y: number;
  series?: string;
}

/**
 * Average consecutive points of each series into at most `maxPoints` buckets: a curve of 20,000 steps becomes a
 * few hundred points, each the mean of its bucket (so the SVG stays small and the noise of single steps is smoothed).
 * Returns the points and the bucket size used (1: untouched).
 */
export function downsample(points: readonly LinePoint[], maxPoints = 400): { points: LinePoint[]; bucket: number } {
  const bySeries = new Map<string, LinePoint[]>();
  for (const p of points) {
    const k = p.series ?? '';
    if (!bySeries.has(k)) bySeries.set(k, []);
    bySeries.get(k)!.push(p);
  }
  const longest = Math.max(0, ...[...bySeries.values()].map((s) => s.length));
  const bucket = Math.max(1, Math.ceil(longest / maxPoints));
  if (bucket === 1) return { points: [...points], bucket };
  const out: LinePoint[] = [];
  for (const [series, pts] of bySeries) {
    for (let i = 0; i < pts.length; i += bucket) {
      const chunk = pts.slice(i, i + bucket);
      const x = chunk.reduce((a, p) => a + p.x, 0) / chunk.length;
      const y = chunk.reduce((a, p) => a + p.y, 0) / chunk.length;
      out.push(series ? { x, y, series } : { x, y });
    }
  }
  return { points: out, bucket };
}

/** Learning curves: one line per series (y against step, epoch, …). */
export async function lineChart(o: { title: string; caption?: string; points: readonly LinePoint[]; x: AxisOptions; y: AxisOptions; seriesTitle?: string; maxPoints?: number }): Promise<Chart> {
  const { points, bucket } = downsample(o.points, o.maxPoints ?? 400);
  const multi = points.some((p) => p.series !== undefined);
  const spec = {
    width: CHART_WIDTH, height: CHART_HEIGHT,
    data: { values: points },
    mark: { type: 'line', strokeWidth: 1.5, ...(points.length <= 60 ? { point: { size: 18 } } : {}) },
    encoding: {
      x: { field: 'x', type: 'quantitative', axis: axisOf(o.x), scale: scaleOf(o.x) },
      y: { field: 'y', type: 'quantitative', axis: axisOf(o.y), scale: scaleOf(o.y) },
      ...(multi ? { color: { field: 'series', type: 'nominal', title: o.seriesTitle ?? null } } : {}),
    },
  } as TopLevelSpec;
  const note = bucket > 1 ? `Each point is the mean of ${bucket} consecutive records.` : '';
  return { kind: 'chart', title: o.title, ...(o.caption || note ? { caption: [o.caption, note].filter(Boolean).join(' ') } : {}), svg: await renderSvg(spec) };
}

/** A mean with its 95% interval at x (accuracy vs shots, validation accuracy vs step). */
export interface BandPoint {
  x: number;
  mean: number;
  ci95: number;
  series?: string;
}

/** Means as a line with points and their 95% intervals as a shaded band (accuracy vs shots, validation vs step). */
export async function bandChart(o: { title: string; caption?: string; points: readonly BandPoint[]; x: AxisOptions; y: AxisOptions; seriesTitle?: string }): Promise<Chart> {
  const values = o.points.map((p) => {
    const ci = Number.isFinite(p.ci95) ? p.ci95 : 0;
    return { x: p.x, mean: p.mean, ...ends(p.mean, ci, o.y), series: p.series ?? '' };
  });
  const multi = o.points.some((p) => p.series !== undefined);
  const color = multi ? { color: { field: 'series', type: 'nominal', title: o.seriesTitle ?? null } } : {};
  const x = { field: 'x', type: 'quantitative', axis: axisOf(o.x), scale: scaleOf(o.x) };
  const spec = {
    width: CHART_WIDTH, height: CHART_HEIGHT,
    data: { values },
    layer: [
      { mark: { type: 'errorband', opacity: 0.25 }, encoding: { x, y: { field: 'lo', type: 'quantitative', axis: axisOf(o.y), scale: scaleOf(o.y) }, y2: { field: 'hi' }, ...color } },
      { mark: { type: 'line', point: { size: 24 }, strokeWidth: 1.5 }, encoding: { x, y: { field: 'mean', type: 'quantitative' }, ...color } },
    ],
  } as TopLevelSpec;
  return { kind: 'chart', title: o.title, ...(o.caption ? { caption: o.caption } : {}), svg: await renderSvg(spec) };
}

/** A bar: a category (strategy, lr, run), its mean and 95% interval, and optionally a group (ID / OOD). */
export interface Bar {
  category: string;
  mean: number;
  ci95: number | null;
  group?: string;
}

/** Bars with 95% error bars, grouped side by side when bars carry a group (per-strategy ID and OOD accuracy). */
export async function barChart(o: { title: string; caption?: string; bars: readonly Bar[]; category: string; y: AxisOptions; groupTitle?: string }): Promise<Chart> {
  const values = o.bars.map((b) => {
    const ci = b.ci95 !== null && Number.isFinite(b.ci95) ? b.ci95 : 0;
    return { category: b.category, mean: b.mean, ...ends(b.mean, ci, o.y), group: b.group ?? '' };
  });
  const grouped = o.bars.some((b) => b.group !== undefined);
  const order = [...new Set(o.bars.map((b) => b.category))];
  const x = { field: 'category', type: 'nominal', sort: order, title: o.category, axis: categoryAxis(order) };
  const offset = grouped ? { xOffset: { field: 'group', type: 'nominal' } } : {};
  const spec = {
    width: Math.max(200, Math.min(CHART_WIDTH + 100, 70 * order.length * (grouped ? 1.5 : 1))), height: CHART_HEIGHT,
    data: { values },
    layer: [
      { mark: { type: 'bar', opacity: 0.85 }, encoding: { x, y: { field: 'mean', type: 'quantitative', axis: axisOf(o.y), scale: scaleOf(o.y, true) }, ...(grouped ? { color: { field: 'group', type: 'nominal', title: o.groupTitle ?? null } } : {}), ...offset } },
      { mark: { type: 'rule', color: 'black' }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, ...offset } },
    ],
  } as TopLevelSpec;
  return { kind: 'chart', title: o.title, ...(o.caption ? { caption: o.caption } : {}), svg: await renderSvg(spec) };
}

/** A cell of a heat map: row (a block), column (a shift), value (accuracy). */
export interface Cell {
  row: string;
  column: string;
  value: number;
}

/** A heat map with each cell's value written in it (the surgical fine-tuning table: block tuned × shift). */
export async function heatMap(o: { title: string; caption?: string; cells: readonly Cell[]; rows: { title: string; order?: string[] }; columns: { title: string; order?: string[] }; value: AxisOptions }): Promise<Chart> {
  const rowOrder = o.rows.order ?? [...new Set(o.cells.map((c) => c.row))];
  const colOrder = o.columns.order ?? [...new Set(o.cells.map((c) => c.column))];
  const min = Math.min(...o.cells.map((c) => c.value)), max = Math.max(...o.cells.map((c) => c.value));
  const mid = (min + max) / 2;
  const enc = {
    x: { field: 'column', type: 'nominal', sort: colOrder, title: o.columns.title, axis: categoryAxis(colOrder) },
    y: { field: 'row', type: 'nominal', sort: rowOrder, title: o.rows.title },
  };
  const spec = {
    width: Math.max(160, 110 * colOrder.length), height: Math.max(80, 34 * rowOrder.length),
    data: { values: o.cells.map((c) => ({ ...c, dark: c.value > mid ? 1 : 0 })) },
    layer: [
      { mark: 'rect', encoding: { ...enc, color: { field: 'value', type: 'quantitative', title: o.value.title, scale: { scheme: 'blues', ...(o.value.domain ? { domain: o.value.domain } : {}) }, legend: o.value.percent ? { format: '.0%' } : {} } } },
      {
        mark: { type: 'text', fontSize: 11 },
        encoding: { ...enc, text: { field: 'value', type: 'quantitative', format: o.value.percent ? '.1%' : '.3f' }, color: { condition: { test: 'datum.dark === 1', value: 'white' }, value: 'black' } },
      },
    ],
  } as TopLevelSpec;
  return { kind: 'chart', title: o.title, ...(o.caption ? { caption: o.caption } : {}), svg: await renderSvg(spec) };
}
