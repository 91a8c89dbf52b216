// `adaptlab lecture`: the lecture's claims on real data in one command — a progress bar per stage, a summary table, a run directory.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { lectureConfig, runLecture, type LectureProgress, type LectureResult } from '../experiments/lecture.js';
import { writeFileAtomic } from '../io/atomic.js';
import { lectureReport } from '../report/lecture-report.js';
import { provenance, REPORT_FILE, RunDir } from '../runs/run-dir.js';
import { UsageError, type Command } from './command.js';
import { applyBackendFlags, BACKEND_FLAGS, seedFlag } from './flags.js';
import { bold, log, printJson, table } from './output.js';
import { progressBar } from './progress.js';

const STAGES: Record<LectureProgress['stage'], string> = {
  'design-choices': '(a) design choices',
  surgical: '(b) surgical fine-tuning',
  multitask: '(c) multi-task vs transfer',
  shots: '(d) accuracy vs shots',
  transferability: '(e) transferability',
};

const pct = (x: { mean: number; ci95: number } | null): string => (x ? `${(100 * x.mean).toFixed(1)} ± ${(100 * x.ci95).toFixed(1)}` : '-');

/** The terminal summary: one small table per study. */
export function lectureTables(r: LectureResult): string {
  const out: string[] = [];
  out.push(bold(`(a) fine-tuning design choices — ${r.designChoices.source} → ${r.designChoices.target}`));
  out.push(table(['strategy', 'ID accuracy %', 'OOD accuracy %'], r.designChoices.rows.map((x) => [x.strategy, pct(x.id), pct(x.ood)])));
  out.push('', bold(`(b) surgical fine-tuning on ${r.surgical.dataset}: ID accuracy % per tuned block and shift`));
  const strategies = [...new Set(r.surgical.cells.map((c) => c.strategy))];
  out.push(table(['shift', ...strategies, 'best'], r.surgical.shifts.map((s) => [s, ...strategies.map((st) => pct(r.surgical.cells.find((c) => c.shift === s && c.strategy === st)!.id)), r.surgical.best[s]!])));
  for (const g of r.multitask.regimes) {
    out.push('', bold(`(c) multi-task vs transfer: ${r.multitask.tasks[0]} (${g.trainSizes[0]} examples) and ${r.multitask.tasks[1]} (${g.trainSizes[1]}), ${g.name}: accuracy %`));
    out.push(table(['method', 'target (5–9)', 'source (0–4)', 'seconds'], g.rows.map((x) => [x.method, pct(x.target), pct(x.source), x.seconds.toFixed(1)])));
  }
  out.push('', bold(`(d) ${r.shots.ways}-way accuracy % on new ${r.shots.dataset} classes vs labelled examples per class (${r.shots.episodes} episodes)`));
  const methods = [...new Set(r.shots.rows.map((x) => x.method))];
  const ks = [...r.shots.shots, ...(r.shots.rows.some((x) => x.shots === 'all') ? ['all' as const] : [])];
  out.push(table(['method', ...ks.map(String)], methods.map((m) => [m, ...ks.map((k) => pct(r.shots.rows.find((x) => x.method === m && x.shots === k)?.accuracy ?? null))])));
  out.push('', bold(`(e) transferability scores before fine-tuning vs accuracy after (${r.transferability.target})`));
  const ms = r.transferability.metrics;
  out.push(table(['source', ...ms, 'fine-tuned %'], [
    ...r.transferability.rows.map((x) => [x.source, ...ms.map((m) => (typeof x.scores[m] === 'number' ? (x.scores[m] as number).toFixed(3) : '-')), pct(x.accuracy)]),
    ['Spearman ρ', ...ms.map((m) => (typeof r.transferability.spearman[m] === 'number' ? (r.transferability.spearman[m] as number).toFixed(2) : '-')), ''],
  ]));
  return out.join('\n');
}

export const lectureCommand: Command = {
  name: 'lecture',
  summary: 'the lecture\'s claims on real data: design choices, surgical FT, few-shot vs fine-tuning, transferability',
  usage: [
    'adaptlab lecture [--quick] [--out DIR] [--seed S] [--data-dir D] [--json]',
    '',
    'Runs the studies of the transfer-learning lecture on the embedded MNIST digits (default preset: Fashion-MNIST for the',
    'surgical study and Omniglot for the few-shot study when the data directory has them): (a) which layers to fine-tune (LP, FT, LP-FT, surgical),',
    '(b) surgical fine-tuning, block x shift, (c) multi-task vs transfer on the same tasks, (d) accuracy vs labelled examples for fine-tuning and meta-learning,',
    '(e) transferability scores vs the accuracy reached. --quick: smaller models and budgets (about 2 minutes on 2 cores);',
    'the default takes about 10. Writes DIR (default runs/lecture-<time>) with config.json, metrics.jsonl, summary.json, report.html.',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: { quick: { type: 'boolean' }, out: { type: 'string' }, seed: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' }, ...BACKEND_FLAGS },
    });
    applyBackendFlags(values);
    if (positionals.length) throw new UsageError(`lecture takes no positional arguments, got "${positionals[0]}"`);
    const seed = seedFlag(values.seed);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const out = resolve(values.out ?? join('runs', `lecture-${stamp}`));
    if (existsSync(join(out, 'summary.json'))) throw new UsageError(`${out} already holds a finished lecture; choose another --out`);
    const cfg = lectureConfig({ quick: values.quick === true, seed, ...(values['data-dir'] ? { dataDir: resolve(values['data-dir']) } : {}) });
    const prov = provenance('lecture', ['adaptlab', 'lecture', ...argv], seed);
    const run = RunDir.create(out, prov, { lecture: cfg });
    const quiet = values.json === true;
    const ui: { bar: ReturnType<typeof progressBar>; stage: string } = { bar: null, stage: '' };
    const onProgress = (p: LectureProgress): void => {
      if (p.stage !== ui.stage) {
        ui.bar?.stop();
        ui.stage = p.stage;
        ui.bar = progressBar(STAGES[p.stage].padEnd(26), ['step'], { quiet });
        ui.bar?.start(p.total, p.done, { step: p.detail ?? '' });
        if (!ui.bar && !quiet) log(`${STAGES[p.stage]}…`);
      }
      ui.bar?.update(p.done, { step: p.detail ?? '' });
      run.logFast({ stage: p.stage, done: p.done, total: p.total, ...(p.detail ? { detail: p.detail } : {}), seconds: performance.now() / 1000 });
    };
    const result = runLecture(cfg, onProgress);
    ui.bar?.stop();
    run.writeSummary(result as unknown as Record<string, unknown>);
    writeFileAtomic(run.path(REPORT_FILE), await lectureReport(result, prov));
    if (quiet) printJson({ dir: out, ...result });
    else process.stdout.write(`${lectureTables(result)}\n\n${bold('report')}: ${run.path(REPORT_FILE)}  (${result.seconds.toFixed(0)} s)\n`);
    return 0;
  },
};
