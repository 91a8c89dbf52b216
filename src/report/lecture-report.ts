// The lecture's report: one section per claim, each with its chart, its table and whether the claim held on this run.
import type { LectureResult } from '../experiments/lecture.js';
import { bandChart, barChart, heatMap, type Bar, type BandPoint } from './charts.js';
import { renderPage, type Block, type Page, type Section } from './html.js';
import { encodeImages } from './images.js';
import { shellQuote } from './run-report.js';

type Interval = { mean: number; ci95: number };
const pct = (x: Interval | null | undefined): string => (x ? `${(100 * x.mean).toFixed(1)} ± ${(100 * x.ci95).toFixed(1)}` : '–');
const held = (ok: boolean): string => (ok ? 'held on this run' : 'did not hold on this run');

/** Whether each of the lecture's claims held, in words, computed from the numbers of the tables. */
export function lectureClaims(r: LectureResult): { section: string; claim: string; held: boolean; evidence: string }[] {
  const row = (s: string) => r.designChoices.rows.find((x) => x.strategy === s)!;
  const lpft = row('lp-ft'), full = row('full'), lp = row('linear-probe');
  const blocks = r.surgical.blocks;
  const expected: Record<string, string> = {
    [r.surgical.shifts[0]!]: `surgical:${blocks[0]}`, 'label-permutation': `surgical:${blocks[blocks.length - 1]}`,
    subpopulation: blocks.slice(1, -1).map((b) => `surgical:${b}`).join(' or '),
  };
  const surgicalOk = r.surgical.shifts.filter((s) => expected[s]!.split(' or ').includes(r.surgical.best[s]!));
  const g = r.multitask.regimes[0]!;
  const joint = g.rows.find((x) => x.method.startsWith('joint'))!, transfer = g.rows.find((x) => x.method === 'transfer (full)')!;
  const at = (m: string, k: number | 'all') => r.shots.rows.find((x) => x.method === m && x.shots === k)?.accuracy.mean ?? NaN;
  const k1 = r.shots.shots[0]!, kMax = r.shots.shots[r.shots.shots.length - 1]!;
  const bestMeta1 = Math.max(at('protonet', k1), at('maml', k1)), ft1 = at('finetune', k1);
  const rhos = Object.entries(r.transferability.spearman).filter(([, v]) => typeof v === 'number') as [string, number][];
  return [
    { section: 'a', claim: 'LP-FT keeps the pre-trained features: it is at least as good as full fine-tuning out of distribution', held: lpft.ood !== null && full.ood !== null && lpft.ood.mean >= full.ood.mean, evidence: `OOD: LP-FT ${pct(lpft.ood)}, full ${pct(full.ood)}, linear probe ${pct(lp.ood)}` },
    { section: 'b', claim: 'the block to tune follows the shift: first block for input corruptions, the last layer for permuted labels, a middle block for sub-population shift', held: surgicalOk.length === r.surgical.shifts.length, evidence: r.surgical.shifts.map((s) => `${s}: best ${r.surgical.best[s]} (expected ${expected[s]})`).join('; ') },
    { section: 'c', claim: 'transfer solves the target but gives up the source; joint training keeps both', held: (joint.source?.mean ?? 0) > (transfer.source?.mean ?? 0), evidence: `${g.name}: source accuracy after joint ${pct(joint.source)}, after transfer ${pct(transfer.source)}; target: joint ${pct(joint.target)}, transfer ${pct(transfer.target)}` },
    { section: 'd', claim: `fine-tuning fails with tiny data and meta-learning helps: at ${k1} shot(s) the best meta-learner beats fine-tuning`, held: bestMeta1 > ft1, evidence: `${r.shots.dataset}, ${k1}-shot: ProtoNet ${(100 * at('protonet', k1)).toFixed(1)}, MAML ${(100 * at('maml', k1)).toFixed(1)}, fine-tuning ${(100 * ft1).toFixed(1)}; ${kMax}-shot fine-tuning ${(100 * at('finetune', kMax)).toFixed(1)}${Number.isNaN(at('finetune', 'all')) ? '' : `, all data ${(100 * at('finetune', 'all')).toFixed(1)}`}` },
    { section: 'e', claim: 'transferability scores computed before fine-tuning rank the sources as fine-tuning does (Spearman ρ > 0)', held: rhos.length > 0 && rhos.every(([, v]) => v > 0), evidence: rhos.map(([m, v]) => `${m} ρ = ${v.toFixed(2)}`).join(', ') || 'no score had three sources' },
  ];
}

function pictures(images: number[][][], labels: string[]): ReturnType<typeof encodeImages> {
  const h = images[0]?.length ?? 0, w = images[0]?.[0]?.length ?? 0;
  const data = new Float32Array(images.length * h * w);
  images.forEach((im, n) => im.forEach((rowPx, y) => rowPx.forEach((v, x) => { data[(n * h + y) * w + x] = v; })));
  return encodeImages(data, [images.length, 1, h, w], labels, { range: [0, 255] });
}

/** The page: a claims table first, then (a)–(e), pictures, and the command. */
export async function lecturePage(r: LectureResult, provenance: { command: string[]; seed: number | null; created?: string; backend?: string; threads?: number; adaptlab?: string }): Promise<Page> {
  const claims = lectureClaims(r);
  const verdict = (s: string): Block => {
    const c = claims.find((x) => x.section === s)!;
    return { kind: 'text', text: `The lecture's claim — ${c.claim} — ${held(c.held)}. ${c.evidence}.` };
  };
  const sections: Section[] = [];
  sections.push({
    title: 'The claims', id: 'claims', blocks: [
      { kind: 'table', headers: ['', 'claim', 'on this run', 'evidence'], rows: claims.map((c) => [`(${c.section})`, c.claim, c.held ? 'held' : 'did not hold', c.evidence]) },
      { kind: 'text', text: `${r.config.quick ? 'Quick preset (small models and budgets: a claim that needs scale may not show)' : 'Default preset'}; seed ${r.config.seed}; ${r.config.seeds} seeds per fine-tuning cell (mean ± 95% Student-t interval), ${r.shots.episodes} fixed episodes per few-shot point (mean ± 1.96σ/√n); ${r.seconds.toFixed(0)} s in all.` },
    ],
  });
  // (a)
  const a = r.designChoices;
  const aBars: Bar[] = a.rows.flatMap((x) => [{ category: x.strategy, mean: x.id.mean, ci95: x.id.ci95, group: 'ID' }, ...(x.ood ? [{ category: x.strategy, mean: x.ood.mean, ci95: x.ood.ci95, group: 'OOD' }] : [])]);
  sections.push({
    title: '(a) Which layers to fine-tune', id: 'design-choices', blocks: [
      { kind: 'text', text: `Source: ${a.source}. Target: ${a.target}. Out of distribution: ${a.ood}.` },
      await barChart({ title: 'Accuracy by fine-tuning strategy', caption: 'Bars: mean over seeds; lines: 95% intervals.', bars: aBars, category: 'strategy', y: { title: 'accuracy', percent: true, domain: [0, 1] }, groupTitle: 'test set' }),
      { kind: 'table', headers: ['strategy', 'lr', 'ID accuracy %', 'OOD accuracy %'], rows: a.rows.map((x) => [x.strategy, x.lr, pct(x.id), pct(x.ood)]) },
      verdict('a'),
    ],
  });
  // (b)
  const b = r.surgical;
  const strategies = [...new Set(b.cells.map((c) => c.strategy))];
  sections.push({
    title: '(b) Surgical fine-tuning: which block for which shift', id: 'surgical', blocks: [
      { kind: 'text', text: `A source trained on all of ${b.dataset}'s classes, then one block at a time fine-tuned on the shifted target (Lee et al. 2023).` },
      await heatMap({ title: 'ID accuracy after tuning one block', cells: b.cells.map((c) => ({ row: c.strategy.replace('surgical:', ''), column: c.shift, value: c.id.mean })), rows: { title: 'block tuned', order: strategies.map((s) => s.replace('surgical:', '')) }, columns: { title: 'shift', order: b.shifts }, value: { title: 'accuracy', percent: true } }),
      { kind: 'table', headers: ['shift', ...strategies, 'best'], rows: b.shifts.map((s) => [s, ...strategies.map((st) => pct(b.cells.find((c) => c.shift === s && c.strategy === st)?.id)), b.best[s]!]) },
      verdict('b'),
    ],
  });
  // (c)
  const cBlocks: Block[] = [{ kind: 'text', text: `Tasks: ${r.multitask.tasks[0]} (the transfer source) and ${r.multitask.tasks[1]} (the target), the same examples for every method.` }];
  for (const g of r.multitask.regimes) {
    const bars: Bar[] = g.rows.flatMap((x) => [{ category: x.method, mean: x.target.mean, ci95: x.target.ci95, group: 'target' }, ...(x.source ? [{ category: x.method, mean: x.source.mean, ci95: x.source.ci95, group: 'source' }] : [])]);
    cBlocks.push(await barChart({ title: `${g.name}: ${g.trainSizes[0]} source and ${g.trainSizes[1]} target examples`, bars, category: 'method', y: { title: 'accuracy', percent: true, domain: [0, 1] }, groupTitle: 'task' }));
    cBlocks.push({ kind: 'table', title: g.name, headers: ['method', 'target accuracy %', 'source accuracy %', 'seconds'], rows: g.rows.map((x) => [x.method, pct(x.target), pct(x.source), Number(x.seconds.toFixed(1))]) });
  }
  cBlocks.push(verdict('c'));
  sections.push({ title: '(c) Multi-task learning vs transfer on the same tasks', id: 'multitask', blocks: cBlocks });
  // (d)
  const d = r.shots;
  const points: BandPoint[] = d.rows.filter((x) => x.shots !== 'all').map((x) => ({ x: x.shots as number, mean: x.accuracy.mean, ci95: x.accuracy.ci95, series: x.method }));
  const methods = [...new Set(d.rows.map((x) => x.method))];
  const ks: (number | 'all')[] = [...d.shots, ...(d.rows.some((x) => x.shots === 'all') ? ['all' as const] : [])];
  sections.push({
    title: '(d) Accuracy vs labelled examples: fine-tuning and meta-learning', id: 'shots', blocks: [
      { kind: 'text', text: `${d.ways}-way episodes of ${d.description}; every method on the same ${d.episodes} fixed episodes per K.` },
      await bandChart({ title: `${d.ways}-way accuracy vs shots per class`, caption: 'Lines: mean over episodes; bands: 95% intervals. x on a log scale.', points, x: { title: 'labelled examples per class (K)', log: true }, y: { title: 'accuracy', percent: true, domain: [0, 1] }, seriesTitle: 'method' }),
      { kind: 'table', headers: ['method', ...ks.map(String)], rows: methods.map((m) => [m, ...ks.map((k) => pct(d.rows.find((x) => x.method === m && x.shots === k)?.accuracy))]) },
      verdict('d'),
    ],
  });
  // (e)
  const e = r.transferability;
  sections.push({
    title: '(e) Will transfer help? Scores before fine-tuning vs accuracy after', id: 'transferability', blocks: [
      { kind: 'text', text: `Target: ${e.target}. LEEP and NCE need the source's classifier (none for the self-supervised sources).` },
      await barChart({ title: 'Accuracy after full fine-tuning, by source', bars: e.rows.map((x) => ({ category: x.source, mean: x.accuracy.mean, ci95: x.accuracy.ci95 })), category: 'source', y: { title: 'accuracy', percent: true, domain: [0, 1] } }),
      {
        kind: 'table', headers: ['source', ...e.metrics, 'fine-tuned accuracy %'], rows: [
          ...e.rows.map((x) => [x.source, ...e.metrics.map((m) => (typeof x.scores[m] === 'number' ? Number((x.scores[m] as number).toFixed(4)) : '–')), pct(x.accuracy)]),
          ['Spearman ρ', ...e.metrics.map((m) => (typeof e.spearman[m] === 'number' ? Number((e.spearman[m] as number).toFixed(2)) : '–')), ''],
        ],
      },
      verdict('e'),
    ],
  });
  // pictures
  sections.push({
    title: 'Inputs', id: 'inputs', blocks: [
      ...r.samples.shifted.map((s) => ({ kind: 'images' as const, title: `${b.dataset}, shift: ${s.shift}`, images: pictures(s.images, s.images.map(() => s.shift)) })),
      { kind: 'images', title: `A ${r.samples.episode.images.length}-way ${r.samples.episode.shots}-shot support set of (d), ${r.shots.dataset}`, images: pictures(r.samples.episode.images, r.samples.episode.names) },
    ],
  });
  sections.push({
    title: 'Run', id: 'run', blocks: [
      { kind: 'code', title: 'Command', code: shellQuote(provenance.command) },
      { kind: 'facts', title: 'Provenance', facts: [['seed', String(provenance.seed)], ['adaptlab', provenance.adaptlab ?? '–'], ['backend', `${provenance.backend ?? '–'} (${provenance.threads ?? '–'} threads)`], ['created', provenance.created ?? '–'], ['wall-clock', `${r.seconds.toFixed(0)} s`]] },
    ],
  });
  return { title: 'The lecture on real data: transfer, multi-task and meta-learning', subtitle: `${r.config.quick ? 'quick' : 'default'} preset, seed ${r.config.seed}`, badges: ['lecture'], sections, footer: `adaptlab ${provenance.adaptlab ?? ''} lecture report; every number is in summary.json beside this file.` };
}

export async function lectureReport(r: LectureResult, provenance: Parameters<typeof lecturePage>[1]): Promise<string> {
  return renderPage(await lecturePage(r, provenance));
}
