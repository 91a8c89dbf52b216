// `adaptlab multitask`: tasks trained jointly under weighting methods, against single-task baselines (Δ_MTL) and, optionally, transfer.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runMultitaskStudy, type MultitaskStudyReport, type SeedSummary } from '../experiments/multitask-study.js';
import { parseSampling, SAMPLING_SYNTAX } from '../multitask/sampling.js';
import { parseTaskSpec, TASK_HELP } from '../multitask/tasks.js';
import { WEIGHTING_SYNTAX } from '../multitask/weighting/index.js';
import { provenance, RunDir } from '../runs/run-dir.js';
import { STRATEGY_SYNTAX } from '../transfer/strategies.js';
import { UsageError, type Command } from './command.js';
import { applyBackendFlags, asUsage, BACKEND_FLAGS, parseIntFlag, positiveNumberFlag } from './flags.js';
import { bold, log, printJson, table } from './output.js';
import { finishReport } from './reports.js';
import { progressBar } from './progress.js';

const pct = (s: SeedSummary): string => `${(100 * s.mean).toFixed(2)}${s.ci95 === null ? '' : ` ± ${(100 * s.ci95).toFixed(2)}`}`;
const signedPct = (s: SeedSummary): string => `${s.mean >= 0 ? '+' : ''}${(100 * s.mean).toFixed(2)}${s.ci95 === null ? '' : ` ± ${(100 * s.ci95).toFixed(2)}`}`;

/** The tables for people: accuracy per task and method beside the single-task baselines; the transfer table. */
function render(r: MultitaskStudyReport): string {
  const headers = ['task', 'single-task', ...r.methods.map((m) => m.weighting)];
  const rows = r.tasks.map((t, i) => [t.name, pct(r.baselines.perTask[i]!.accuracy), ...r.methods.map((m) => pct(m.perTask[i]!.accuracy))]);
  rows.push(['average', pct(r.baselines.average), ...r.methods.map((m) => pct(m.average))]);
  rows.push(['Δ_MTL %', '', ...r.methods.map((m) => signedPct(m.deltaMtl))]);
  rows.push(['seconds', r.baselines.perTask.reduce((a, b) => a + b.seconds.mean, 0).toFixed(1), ...r.methods.map((m) => m.seconds.mean.toFixed(1))]);
  const budget = 'epochs' in r.budget ? `${r.budget.epochs} epoch${r.budget.epochs === 1 ? '' : 's'}` : `${r.budget.timeBudget} s`;
  let out = `${bold('test accuracy %')} (mean ± 95% CI over ${r.seeds.length} seed${r.seeds.length > 1 ? 's' : ''}; ${budget} per run; ${r.model.kind} trunk; sampling ${r.sampling})\n${table(headers, rows)}\n`;
  if (r.transfer) {
    const tr = r.transfer;
    const th = ['target', 'single-task', ...r.methods.map((m) => `MTL ${m.weighting}`), ...tr.strategies.map((s) => `TL ${s.strategy}`)];
    const trows = r.tasks.slice(1).map((t, j) => [
      t.name, pct(r.baselines.perTask[j + 1]!.accuracy), ...r.methods.map((m) => pct(m.perTask[j + 1]!.accuracy)), ...tr.strategies.map((s) => pct(s.perTarget[j]!.accuracy)),
    ]);
    trows.push([`${tr.source} (source)`, pct(r.baselines.perTask[0]!.accuracy), ...r.methods.map((m) => pct(m.perTask[0]!.accuracy)), ...tr.strategies.map((s) => s.perTarget.map((p) => pct(p.sourceAccuracyAfter)).join(' / '))]);
    out += `\n${bold('multi-task vs transfer')} (source ${tr.source}: ${pct(tr.sourceAccuracyBefore)} after pre-training; TL source row: its old head on the fine-tuned trunk)\n${table(th, trows)}\n`;
  }
  return out;
}

export const multitaskCommand: Command = {
  name: 'multitask',
  summary: 'train tasks jointly (shared trunk, per-task heads) under a weighting method; per-task accuracy and Δ_MTL against single-task baselines',
  usage: [
    'adaptlab multitask --tasks A,B,C --weighting ' + WEIGHTING_SYNTAX,
    '         [--sampling ' + SAMPLING_SYNTAX + '] [--epochs E | --time-budget SECONDS] [--seeds N] [--out DIR] [--json]',
    '         [--transfer ' + STRATEGY_SYNTAX + ']',
    '         [--model mlp|conv4] [--hidden H] [--batch-size B] [--lr A] [--optimizer adam|sgd] [--train-size N|N1,N2,..]',
    '         [--test-size N] [--seed S] [--data-dir D] [--backend auto|native|ts] [--threads N]',
    '',
    TASK_HELP,
    '',
    'Every run has the same budget: --epochs E passes over its own training data (default 5), or --time-budget seconds.',
    'Single-task baselines (the same trunk with one head) are trained per task with that budget; Δ_MTL is their',
    'average relative accuracy change, positive = the multi-task model is better. --weighting may be repeated to compare',
    'methods on the same data, seeds and baselines. --sampling shares each step\'s --batch-size examples (default 64) among',
    'tasks: proportional to their sizes (default), uniform, or ∝ size^(1/T). --transfer STRATEGY (repeatable, needs',
    '--epochs) also pre-trains on the first task and fine-tunes on each other task: multi-task vs transfer learning.',
    '--train-size keeps N training examples per task (or one N per task); --test-size scores N test examples (the same',
    'draw for every seed). Seeds are S, S+1, …, S+N−1 (--seed S, default 0; --seeds N, default 3).',
    'JSON: {tasks, seeds, budget, baselines, weighting, perTask, average, deltaMtl, methods, transfer}; accuracies and',
    'deltaMtl are fractions with {mean, ci95, perSeed}; the top-level weighting/perTask/average/deltaMtl are those of',
    'the first --weighting, `methods` lists every one. --out DIR (a new directory) gets config.json, metrics.jsonl, summary.json.',
  ].join('\n'),
  async run(argv) {
    const { values } = parseArgs({
      args: argv, strict: true,
      options: {
        tasks: { type: 'string' }, weighting: { type: 'string', multiple: true }, sampling: { type: 'string' }, epochs: { type: 'string' },
        'time-budget': { type: 'string' }, seeds: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' },
        transfer: { type: 'string', multiple: true }, model: { type: 'string' }, hidden: { type: 'string' }, 'batch-size': { type: 'string' },
        lr: { type: 'string' }, optimizer: { type: 'string' }, 'train-size': { type: 'string' }, 'test-size': { type: 'string' },
        'data-dir': { type: 'string' }, ...BACKEND_FLAGS,
      },
    });
    applyBackendFlags(values);
    if (!values.tasks) throw new UsageError('--tasks is required (comma-separated task names, e.g. mnist,mnist:parity)');
    const tasks = values.tasks.split(',').map((t) => t.trim());
    asUsage(() => tasks.forEach(parseTaskSpec));
    const weightings = values.weighting ?? ['uniform'];
    const transfer = values.transfer ?? [];
    if (values.epochs !== undefined && values['time-budget'] !== undefined) throw new UsageError('give --epochs or --time-budget, not both');
    if (transfer.length && values['time-budget'] !== undefined) throw new UsageError('--transfer counts epochs (fine-tuning has no time budget): use --epochs');
    const timeBudget = positiveNumberFlag('time-budget', values['time-budget']);
    const epochs = parseIntFlag('epochs', values.epochs, 1) ?? (timeBudget === undefined ? 5 : undefined);
    const seedCount = parseIntFlag('seeds', values.seeds, 1) ?? 3;
    const base = parseIntFlag('seed', values.seed, 0) ?? 0;
    const seeds = Array.from({ length: seedCount }, (_, i) => base + i);
    const kind = values.model ?? 'mlp';
    if (kind !== 'mlp' && kind !== 'conv4') throw new UsageError(`--model must be mlp or conv4, got "${kind}"`);
    const optimizer = values.optimizer ?? 'adam';
    if (optimizer !== 'adam' && optimizer !== 'sgd') throw new UsageError(`--optimizer must be adam or sgd, got "${optimizer}"`);
    const sampling = asUsage(() => parseSampling(values.sampling ?? 'proportional'));
    const trainSizes = values['train-size'] === undefined ? undefined : values['train-size'].split(',').map((v) => parseIntFlag('train-size', v.trim(), 1)!);
    if (trainSizes && trainSizes.length !== 1 && trainSizes.length !== tasks.length) throw new UsageError(`--train-size takes one number or one per task (${tasks.length}), got ${trainSizes.length}`);
    const batchSize = parseIntFlag('batch-size', values['batch-size'], 1) ?? 64;
    if (batchSize < tasks.length) throw new UsageError(`--batch-size (${batchSize}) must be at least the number of tasks (${tasks.length}): every step has every task`);
    const testSize = parseIntFlag('test-size', values['test-size'], 1);
    const hidden = parseIntFlag('hidden', values.hidden, 1);
    const lr = positiveNumberFlag('lr', values.lr);
    const dataDir = values['data-dir'] ? resolve(values['data-dir']) : undefined;
    const quiet = values.json === true;
    if (values.out && existsSync(join(resolve(values.out), 'config.json'))) throw new UsageError(`--out ${values.out} already holds a run (config.json); choose a new directory`);

    const runsPerSeed = tasks.length + weightings.length + (transfer.length ? 1 + transfer.length * (tasks.length - 1) : 0);
    const bar = progressBar('multitask', ['run', 'step'], { quiet });
    bar?.start(seeds.length * runsPerSeed, 0, { run: '-', step: '-' });
    let done = 0, lastLog = 0, runSteps: number | null = null;
    const startedAt = performance.now();
    const command = ['adaptlab', 'multitask', ...argv];
    const config = {
      tasks, weightings, transfer, sampling: values.sampling ?? 'proportional', ...(epochs !== undefined ? { epochs } : { timeBudget }), seeds, model: kind,
      hidden: hidden ?? null, batchSize, lr: lr ?? null, optimizer, trainSize: trainSizes ?? null, testSize: testSize ?? null,
    };
    const dir = values.out ? RunDir.create(values.out, provenance('multitask', command, base), config) : null;
    const report = asUsage(() => runMultitaskStudy({
      tasks, weightings, transfer, seeds, model: { kind, ...(hidden ? { hidden } : {}) }, ...(epochs !== undefined ? { epochs } : { timeBudget: timeBudget! }),
      batchSize, sampling, optimizer, ...(lr !== undefined ? { lr } : {}), ...(trainSizes ? { trainSizes } : {}), ...(testSize ? { testSize } : {}),
      ...(dataDir ? { data: { dataDir } } : {}),
      onRunStart: ({ seed, run, totalSteps }) => {
        runSteps = totalSteps;
        bar?.update(done, { run: `seed ${seed} ${run}`, step: '-' });
        if (!bar && !quiet) log(`multitask: seed ${seed}, ${run}`);
      },
      onStep: ({ seed, run, step, epoch, losses, weights, seconds }) => {
        dir?.logFast({ seed, run, step, epoch, losses, weights, seconds });
        if (bar) bar.update(done, { step: `${step}${runSteps ? `/${runSteps}` : ''} loss ${losses.map((l) => l.toFixed(3)).join(' ')}` });
        else if (!quiet && (performance.now() - startedAt) / 1000 - lastLog >= 10) {
          lastLog = (performance.now() - startedAt) / 1000;
          log(`multitask: seed ${seed}, ${run}: step ${step}, epoch ${epoch.toFixed(2)}, losses ${losses.map((l) => l.toFixed(4)).join(' ')}`);
        }
      },
      onRunEnd: ({ seed, run, accuracy, seconds, steps }) => {
        done++;
        dir?.log({ seed, run, accuracy, seconds, steps });
        bar?.update(done, { run: `seed ${seed} ${run}`, step: 'done' });
      },
    }));
    bar?.stop();
    const first = report.methods[0] ?? null;
    const summary = {
      tasks: report.tasks, seeds: report.seeds, budget: report.budget, batchSize: report.batchSize, sampling: report.sampling, model: report.model,
      lr: report.lr, optimizer: report.optimizer, baselines: report.baselines,
      weighting: first?.weighting ?? null, perTask: first?.perTask ?? null, average: first?.average ?? null, deltaMtl: first?.deltaMtl ?? null,
      methods: report.methods, transfer: report.transfer, seconds: report.seconds,
    };
    dir?.writeSummary(summary);
    if (dir) await finishReport(dir.dir, values.json === true);
    if (values.json) printJson(summary);
    else process.stdout.write(render(report) + (dir ? `run directory: ${dir.dir}\n` : ''));
    return 0;
  },
};
