// Reports: Vega-Lite charts rendered to SVG in Node (titles, mark counts, determinism), self-contained pages, run pages of any kind.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { markCount, networkRefs } from './report-helpers.js';
import { bandChart, barChart, comparePage, differingFields, downsample, encodeImages, flatten, heatMap, lineChart, renderPage, runPage, runReport, type RunData } from '../src/report/index.js';

const fakeRun = (over: Partial<RunData> = {}): RunData => ({
  name: 'mt/run-1',
  config: { command: ['adaptlab', 'multitask', '--tasks', 'mnist,fashion-mnist', '--seed', '4'], kind: 'multitask', seed: 4, adaptlab: '0.1.0', node: '20', backend: 'native', threads: 1, created: '2026-01-01T00:00:00.000Z', tasks: ['mnist', 'fashion-mnist'], weighting: 'uncertainty' },
  metrics: Array.from({ length: 30 }, (_, i) => ({ step: i + 1, task: i % 2 ? 'mnist' : 'fashion-mnist', loss: 2 / (i + 1), accuracy: 0.5 + i / 100, seconds: i })),
  summary: { accuracy: 0.83, perTask: { mnist: 0.9, 'fashion-mnist': 0.76 } },
  status: 'finished',
  keyMetric: { name: 'accuracy', value: 0.83, percent: true },
  ...over,
});

describe('charts', () => {
  it('a line chart has its axis titles, one line per series, and renders identically twice', async () => {
    const points = [1, 2, 3, 4].flatMap((x) => [{ x, y: 1 / x, series: 'train' }, { x, y: 2 / x, series: 'val' }]);
    const a = await lineChart({ title: 'loss', points, x: { title: 'step' }, y: { title: 'training loss' } });
    const b = await lineChart({ title: 'loss', points, x: { title: 'step' }, y: { title: 'training loss' } });
    assert.equal(a.svg, b.svg, 'the SVG text is deterministic');
    assert.match(a.svg, /^<svg /);
    assert.match(a.svg, />step</);
    assert.match(a.svg, />training loss</);
    assert.equal(markCount(a.svg, 'line'), 2);
    assert.equal(markCount(a.svg, 'symbol'), 8, 'short curves show their points');
  });

  it('bars with error bars, a band chart and a heat map have a mark per datum', async () => {
    const bars = await barChart({ title: 'strategies', bars: [{ category: 'full', mean: 0.8, ci95: 0.02, group: 'ID' }, { category: 'full', mean: 0.6, ci95: 0.03, group: 'OOD' }, { category: 'lp-ft', mean: 0.82, ci95: null, group: 'ID' }], category: 'strategy', y: { title: 'accuracy', percent: true } });
    assert.equal(markCount(bars.svg, 'rect'), 3);
    assert.equal(markCount(bars.svg, 'rule'), 3);
    assert.match(bars.svg, />strategy</);
    assert.match(bars.svg, />80%</, 'percent ticks');
    const band = await bandChart({ title: 'shots', points: [1, 5, 10].map((x) => ({ x, mean: 0.5 + x / 40, ci95: 0.05, series: 'lp' })), x: { title: 'shots per class', log: true }, y: { title: 'accuracy', percent: true } });
    assert.equal(markCount(band.svg, 'area'), 1);
    assert.equal(markCount(band.svg, 'symbol'), 3);
    const cells = ['block1', 'block2', 'head'].flatMap((row, i) => ['noise', 'permutation'].map((column, j) => ({ row, column, value: 0.5 + 0.1 * i - 0.1 * j })));
    const heat = await heatMap({ title: 'surgical', cells, rows: { title: 'block tuned' }, columns: { title: 'shift' }, value: { title: 'ID accuracy', percent: true } });
    assert.equal(markCount(heat.svg, 'rect'), 6);
    assert.equal(markCount(heat.svg, 'text'), 6);
    assert.match(heat.svg, />70\.0%</);
    assert.match(heat.svg, />block tuned</);
  });

  it('long curves are averaged into buckets', () => {
    const pts = Array.from({ length: 1000 }, (_, i) => ({ x: i, y: i % 2 }));
    const d = downsample(pts, 100);
    assert.equal(d.bucket, 10);
    assert.equal(d.points.length, 100);
    assert.deepEqual(d.points[0], { x: 4.5, y: 0.5 });
  });
});

describe('pages', () => {
  it('encodes image batches as PNGs of the right size, one range for the batch', () => {
    const data = Float32Array.from({ length: 2 * 1 * 3 * 4 }, (_, i) => i);
    const imgs = encodeImages(data, [2, 1, 3, 4], ['a', 'b']);
    assert.equal(imgs.length, 2);
    const png = PNG.sync.read(Buffer.from(imgs[1]!.png, 'base64'));
    assert.equal(png.width, 4);
    assert.equal(png.height, 3);
    assert.equal(png.data[png.data.length - 4], 255, 'the batch maximum is white');
    assert.equal(PNG.sync.read(Buffer.from(imgs[0]!.png, 'base64')).data[0], 0, 'the batch minimum is black');
  });

  it('escapes text, adds print CSS and references nothing on the network', () => {
    const html = renderPage({ title: '<b>x</b>', sections: [{ title: 'S', blocks: [{ kind: 'table', headers: ['a'], rows: [['<i>'], [1.23456]] }] }] });
    assert.ok(html.includes('&lt;b&gt;x&lt;/b&gt;') && !html.includes('<b>x</b>'));
    assert.ok(html.includes('@media print'));
    assert.ok(html.includes('>1.235<'));
    assert.deepEqual(networkRefs(html), []);
  });

  it('a run of a kind the report does not know gets provenance, summary, config and curves of every numeric field', async () => {
    const html = await runReport(fakeRun({ samples: { groups: [{ title: 'Inputs', images: encodeImages(new Float32Array(16), [1, 1, 4, 4], ['zero']) }] } }));
    assert.deepEqual(networkRefs(html), []);
    assert.ok(!/<script/i.test(html), 'a report file has no script');
    assert.ok(!/<link [^>]*href="(?!data:)/.test(html) && !/src="(?!data:)/.test(html), 'every resource is inline');
    assert.ok(html.includes('adaptlab multitask --tasks mnist,fashion-mnist --seed 4'), 'the exact command');
    assert.ok(html.includes('weighting') && html.includes('uncertainty'), 'the config');
    assert.ok(html.includes('perTask.fashion-mnist'), 'the summary');
    assert.ok(html.includes('83.00%'), 'the key metric');
    const page = await runPage(fakeRun());
    const charts = page.sections.find((s) => s.id === 'curves')!.blocks.filter((b) => b.kind === 'chart');
    assert.deepEqual(charts.map((c) => (c.kind === 'chart' ? c.title : '')), ['loss', 'accuracy'], 'seconds is not a curve');
    const svg = charts[0]!.kind === 'chart' ? charts[0]!.svg : '';
    assert.equal(markCount(svg, 'line'), 2, 'one line per task');
    assert.ok(html.includes('data:image/png;base64,'));
  });

  it('compares fine-tuning runs: the configuration that differs, bars per run, the block × shift heat map, accuracy vs shots', async () => {
    const ft = (strategy: string, shift: string, shots: number, id: number): RunData => ({
      name: `${strategy}-${shift}-${shots}`, status: 'finished',
      config: { kind: 'finetune', command: ['adaptlab', 'finetune'], created: String(Math.random()), strategy, shift, shots, target: 'mnist' },
      metrics: [], summary: { strategy, shift, id: { mean: id, ci95: 0.02 }, ood: null, trainSize: shots * 10 },
    });
    const runs = [ft('surgical:block1', 'noise', 10, 0.8), ft('surgical:head', 'noise', 10, 0.7), ft('surgical:block1', 'permutation', 10, 0.5), ft('surgical:head', 'permutation', 10, 0.75), ft('surgical:head', 'permutation', 20, 0.8)];
    assert.deepEqual(differingFields(runs.map((r) => r.config)), ['strategy', 'shift', 'shots']);
    const page = await comparePage(runs);
    const charts = page.sections.flatMap((s) => s.blocks).filter((b) => b.kind === 'chart');
    const titles = charts.map((c) => (c.kind === 'chart' ? c.title : ''));
    assert.ok(titles.some((t) => /heat|block|strategy \(block tuned\)/.test(t)), titles.join(' | '));
    const heat = charts.find((c) => c.kind === 'chart' && /shift/.test(c.title));
    assert.ok(heat && heat.kind === 'chart' && markCount(heat.svg, 'rect') === 4, 'a cell per (strategy, shift)');
    assert.ok(titles.some((t) => /vs shots/.test(t)));
    assert.deepEqual(networkRefs(renderPage(page)), []);
  });

  it('flattens nested values for tables', () => {
    assert.deepEqual(flatten({ a: { b: 1, c: [1, 2] }, d: null, e: 'x' }), [['a.b', '1'], ['a.c', '1, 2'], ['d', '–'], ['e', 'x']]);
  });
});
