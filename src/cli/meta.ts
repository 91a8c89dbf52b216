// `adaptlab meta-train <method>` and `adaptlab meta-test DIR`: episodic training into a run directory, and the evaluation protocol.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { backendInfo } from '../backend/index.js';
import { FormatError } from '../core/errors.js';
import { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { listCheckpoints } from '../io/checkpoint-dir.js';
import type { Task } from '../meta/learner.js';
import { encodeImages, type ImageGroup, type SampleImage, type Samples } from '../report/images.js';
import { provenance, RunDir, SAMPLES_FILE } from '../runs/run-dir.js';
import { readCheckpointDir } from '../meta/checkpoint.js';
import { evaluate } from '../meta/evaluate.js';
import { EVAL_STEP_METHODS, METHODS, buildLearner, defaultSchedule, evalTasks, trainTaskSource, withDefaults, type MetaConfig } from '../meta/recipes.js';
import { latestCheckpoint, metaTrainAsync } from '../meta/train.js';
import { TASK_PARALLEL_METHODS, TaskParallel } from '../meta/task-parallel.js';
import { UsageError, type Command } from './command.js';
import { applyBackendFlags, BACKEND_FLAGS, parseIntFlag, positiveNumberFlag, seedFlag } from './flags.js';
import { bold, log, printJson, table } from './output.js';
import { progressBar } from './progress.js';
import { finishReport } from './reports.js';

const DATASETS = ['omniglot', 'sinusoid', 'mnist', 'fashion-mnist'];

const TRAIN_USAGE = [
  'adaptlab meta-train <method> --dataset omniglot|sinusoid|mnist|fashion-mnist [--split vinyals|snell|maml|lake]',
  '         --ways N --shots K --queries Q [--train-ways N] [--meta-batch B] [--inner-steps S] [--inner-lr A] [--eval-inner-steps S]',
  '         [--first-order] [--steps T | --time-budget SECONDS] [--seed S] --out DIR [--resume] [--json]',
  '         [--eval-every N] [--val-episodes N] [--checkpoint-every N] [--data-dir D] [--backend auto|native|ts] [--threads N]',
  `         [--workers N]   split each meta-batch's tasks across N threads (${TASK_PARALLEL_METHODS.join(', ')}; one kernel thread each)`,
  '         --eval-inner-steps S: gradient steps when adapting at validation and test time (default: the method\'s paper default)',
  '',
  'Methods:',
  ...Object.entries(METHODS).map(([m, i]) => `  ${m.padEnd(13)} ${i.family.padEnd(15)} ${i.summary}`),
  '',
  'Omniglot splits: snell (default: Vinyals\' characters with Snell\'s 172 validation characters), vinyals and lake',
  '(no validation characters: no model selection), maml. MNIST/Fashion-MNIST: classes 0-4 train, 5-9 validation/test.',
  'Unset options take the method\'s paper defaults for the setting (docs/RESULTS.md). The run directory gets',
  'config.json, metrics.jsonl, samples.json, checkpoints/ (the newest two), best/, summary.json and report.html (also',
  'when stopped by SIGINT/SIGTERM); --resume continues it from its newest checkpoint (metrics after it are dropped).',
].join('\n');

const TEST_USAGE = [
  'adaptlab meta-test DIR [--dataset D] [--split s] [--ways N --shots K --queries Q] [--episodes 600] [--seed S] [--json]',
  '         [--checkpoint best|latest] [--eval-inner-steps S] [--data-dir D] [--backend auto|native|ts] [--threads N]',
  '',
  'Evaluates the run\'s best checkpoint on a fixed, seeded set of test episodes (the same for every method) and',
  'prints {method, dataset, ways, shots, episodes, accuracy, ci95} (mse for regression, plus nll and nllCi95 for a',
  'learner that predicts a distribution over y: cnp; with --json also the checkpoint, its step, the seed, the seconds',
  'taken and the command). --dataset evaluates across domains (a learner meta-trained on Omniglot tested on MNIST episodes).',
  '--eval-inner-steps S adapts with S gradient steps instead of the run\'s (maml, fomaml, anil, meta-sgd, reptile,',
  'pretrain-all; the JSON gives the steps used as evalInnerSteps).',
].join('\n');

function required<T>(name: string, v: T | undefined): T {
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}

export const metaTrainCommand: Command = {
  name: 'meta-train',
  summary: 'meta-train a few-shot learner (MAML, ProtoNets, Reptile, …) into a run directory',
  usage: TRAIN_USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        dataset: { type: 'string' }, split: { type: 'string' }, ways: { type: 'string' }, shots: { type: 'string' }, queries: { type: 'string' },
        'train-ways': { type: 'string' }, 'meta-batch': { type: 'string' }, 'inner-steps': { type: 'string' }, 'inner-lr': { type: 'string' }, 'eval-inner-steps': { type: 'string' },
        'first-order': { type: 'boolean' }, steps: { type: 'string' }, 'time-budget': { type: 'string' }, seed: { type: 'string' },
        out: { type: 'string' }, resume: { type: 'boolean' }, json: { type: 'boolean' }, 'eval-every': { type: 'string' },
        'val-episodes': { type: 'string' }, 'checkpoint-every': { type: 'string' }, 'data-dir': { type: 'string' }, workers: { type: 'string' }, ...BACKEND_FLAGS,
      },
    });
    const workers = parseIntFlag('workers', values.workers, 1, 64) ?? 1;
    if (workers > 1 && values.threads !== undefined && values.threads !== '1') throw new UsageError('--workers N runs one kernel thread per worker: leave out --threads (or give --threads 1)');
    applyBackendFlags(values); // with --workers, TaskParallel sets one kernel thread
    if (positionals.length !== 1) throw new UsageError('meta-train needs exactly one <method>');
    const method = positionals[0]!;
    if (!METHODS[method]) throw new UsageError(`unknown method "${method}" (methods: ${Object.keys(METHODS).join(', ')})`);
    if (workers > 1 && !(TASK_PARALLEL_METHODS as readonly string[]).includes(method)) {
      throw new UsageError(`--workers splits a meta-batch's tasks across threads: ${TASK_PARALLEL_METHODS.join(', ')} only, not ${method}`);
    }
    const dataset = required('dataset', values.dataset);
    if (!DATASETS.includes(dataset)) throw new UsageError(`--dataset must be one of ${DATASETS.join(', ')}, got "${dataset}"`);
    const out = resolve(required('out', values.out));
    if (values.steps !== undefined && values['time-budget'] !== undefined) throw new UsageError('give --steps or --time-budget, not both');
    const steps = parseIntFlag('steps', values.steps, 1);
    const timeBudget = positiveNumberFlag('time-budget', values['time-budget']);
    const configPath = join(out, 'config.json');
    let config: MetaConfig;
    if (values.resume && existsSync(configPath)) {
      const saved = JSON.parse(readFileSync(configPath, 'utf8')) as { meta?: MetaConfig; kind?: string };
      if (!saved.meta) throw new UsageError(`--resume: ${out} holds a ${saved.kind ?? 'different'} run, not a meta-train run`);
      config = saved.meta;
      if (config.method !== method || config.dataset !== dataset) throw new UsageError(`--resume: ${out} holds a ${config.method} run on ${config.dataset}`);
    } else {
      if (existsSync(join(out, 'checkpoints')) && !values.resume) throw new UsageError(`${out} already holds a run; pass --resume to continue it or choose another --out`);
      config = {
        method, dataset, seed: seedFlag(values.seed, 0),
        ways: dataset === 'sinusoid' ? parseIntFlag('ways', values.ways, 1) ?? 1 : required('ways', parseIntFlag('ways', values.ways, 1)),
        shots: required('shots', parseIntFlag('shots', values.shots, 1)),
        queries: required('queries', parseIntFlag('queries', values.queries, 1)),
        ...(values.split !== undefined ? { split: values.split } : {}),
        ...(values['train-ways'] !== undefined ? { trainWays: parseIntFlag('train-ways', values['train-ways'], 1)! } : {}),
        ...(values['meta-batch'] !== undefined ? { metaBatch: parseIntFlag('meta-batch', values['meta-batch'], 1)! } : {}),
        ...(values['inner-steps'] !== undefined ? { innerSteps: parseIntFlag('inner-steps', values['inner-steps'], 0)! } : {}),
        ...(values['inner-lr'] !== undefined ? { innerLr: positiveNumberFlag('inner-lr', values['inner-lr'])! } : {}),
        ...evalInnerStepsFlag(method, values['eval-inner-steps']),
        ...(values['first-order'] ? { firstOrder: true } : {}),
        ...(steps !== undefined ? { steps } : {}),
        ...(values['data-dir'] !== undefined ? { dataDir: resolve(values['data-dir']) } : {}),
      };
      if (values.split !== undefined && dataset !== 'omniglot') throw new UsageError('--split applies to omniglot (vinyals|snell|maml|lake)');
      if (values.split !== undefined && !['vinyals', 'snell', 'maml', 'lake'].includes(values.split)) throw new UsageError(`--split must be vinyals, snell, maml or lake, got "${values.split}"`);
    }
    const full = withDefaults(config);
    const command = ['adaptlab', 'meta-train', ...argv];
    const resuming = values.resume === true && existsSync(configPath);
    const run = resuming ? RunDir.resume(out, command) : RunDir.create(out, provenance('meta-train', command, config.seed), { meta: config, resolved: full });
    if (resuming) {
      // the records after the checkpoint the loop resumes from are written again: drop them so the log reads as one run
      const from = listCheckpoints(out).pop()?.step ?? 0;
      run.truncateMetrics((r) => typeof r['step'] !== 'number' || r['step'] <= from);
    }

    const base = buildLearner(config);
    const learner = workers > 1 ? new TaskParallel(base, { workers, config, backend: backendInfo().name }) : base;
    const tasks = trainTaskSource(config);
    if (!resuming && config.dataset !== 'sinusoid') run.writeJson(SAMPLES_FILE, episodeSamples(tasks, config));
    const evalEvery = parseIntFlag('eval-every', values['eval-every'], 1) ?? Math.max(1, Math.min(500, Math.floor((steps ?? 5000) / 10)));
    const valEpisodes = parseIntFlag('val-episodes', values['val-episodes'], 1) ?? 100;
    const valTasks = evalTasks(config, 'val', valEpisodes, config.seed + 1);
    if (!valTasks && !quietFlag(values)) log(`${config.dataset} ${config.split ?? ''} has no validation split: no model selection, meta-test uses the last checkpoint`);
    const validation = valTasks ? { every: evalEvery, tasks: () => valTasks } : undefined;
    const stop = { requested: false };
    const onSignal = (): void => { stop.requested = true; };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const quiet = values.json === true;
    const bar = progressBar(`${method} steps`, ['loss', 'acc'], { quiet });
    const total = steps ?? 0;
    bar?.start(total || 1, 0, { loss: '-', acc: '-' });
    let lastLog = 0;
    try {
      const result = await metaTrainAsync({
        learner, seed: config.seed, tasks: (rng) => tasks(rng), steps, timeBudget, dir: out, resume: values.resume === true,
        schedule: defaultSchedule(method), checkpointEvery: parseIntFlag('checkpoint-every', values['checkpoint-every'], 1) ?? evalEvery,
        clipGradValue: undefined, validation, stop,
        onStep: ({ step, metrics, lr, elapsed }) => {
          run.logFast({ step, split: 'train', loss: metrics.loss, accuracy: metrics.accuracy ?? null, mse: metrics.mse ?? null, lr, elapsed });
          const acc = metrics.accuracy !== undefined ? (100 * metrics.accuracy).toFixed(1) : metrics.mse !== undefined ? `mse ${metrics.mse.toFixed(3)}` : '-';
          if (bar) bar.update(total ? step : 0, { loss: metrics.loss.toFixed(4), acc });
          else if (!quiet && elapsed - lastLog >= 10) {
            lastLog = elapsed;
            log(`${method} step ${step}${total ? `/${total}` : ''} loss ${metrics.loss.toFixed(4)} acc ${acc} (${elapsed.toFixed(0)} s)`);
          }
        },
        onValidation: ({ step, result, best }) => {
          run.log({ step, split: 'val', metric: result.metric, mean: result.mean, ci95: result.ci95, episodes: result.episodes, best });
          if (!quiet && !bar) log(`${method} step ${step}: validation ${result.metric} ${fmtMetric(result.metric, result.mean, result.ci95)}${best ? ' (best)' : ''}`);
        },
      });
      bar?.stop();
      const summary = { method, dataset, ways: config.ways, shots: config.shots, steps: result.steps, elapsedSeconds: result.elapsedSeconds, stoppedBy: result.stoppedBy, best: result.best, resumedFrom: result.resumedFrom };
      run.writeSummary(summary);
      await finishReport(out, quiet);
      if (quiet) printJson(summary);
      else {
        const metric = full.dataset === 'sinusoid' ? 'mse' : 'accuracy';
        process.stdout.write(`${bold(`${method} on ${dataset}`)}: ${result.steps} steps in ${result.elapsedSeconds.toFixed(1)} s (${result.stoppedBy})${result.resumedFrom !== null ? `, resumed from step ${result.resumedFrom}` : ''}\n`);
        if (result.best) process.stdout.write(`best validation ${metric} ${fmtMetric(metric, result.best.mean, result.best.ci95)} at step ${result.best.step}\n`);
        process.stdout.write(`run directory: ${out}  (evaluate: adaptlab meta-test ${out})\n`);
      }
      return result.stoppedBy === 'signal' ? 130 : 0;
    } finally {
      bar?.stop();
      if (learner instanceof TaskParallel) await learner.close();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

/** Pictures of one training episode: the support set (ways × shots) and some queries, with their episode labels. */
function episodeSamples(tasks: (rng: Rng) => Task[], config: MetaConfig): Samples {
  const task = tasks(new Rng(config.seed).fork('samples'))[0];
  if (!task || task.support.x.shape.length !== 4) return { groups: [] };
  const groups: ImageGroup[] = [];
  const side = (x: Tensor, y: Tensor, n: number): SampleImage[] => {
    const per = x.data.length / x.shape[0]!;
    const k = Math.min(n, x.shape[0]!);
    return encodeImages(x.data.subarray(0, k * per), [k, ...x.shape.slice(1)], Array.from(y.data.subarray(0, k), (c) => `class ${c}`));
  };
  groups.push({ title: `A training episode: the support set (${config.ways}-way, ${config.shots}-shot)`, caption: 'Labels are the episode\'s own (0..ways−1): each episode draws new classes.', images: side(task.support.x, task.support.y, 25) });
  if (task.query.x.shape[0]! > 0) groups.push({ title: 'Some of its queries', images: side(task.query.x, task.query.y, 10) });
  return { groups };
}

function quietFlag(values: { json?: boolean | undefined }): boolean {
  return values.json === true;
}

/** `--eval-inner-steps S` as a config field, for the methods that adapt by a set number of gradient steps. */
function evalInnerStepsFlag(method: string, value: string | undefined): { evalInnerSteps?: number } {
  if (value === undefined) return {};
  if (!EVAL_STEP_METHODS.includes(method)) throw new UsageError(`--eval-inner-steps applies to ${EVAL_STEP_METHODS.join(', ')}, not ${method}`);
  return { evalInnerSteps: parseIntFlag('eval-inner-steps', value, 0)! };
}

function fmtMetric(metric: string, mean: number, ci95: number): string {
  return metric === 'accuracy' ? `${(100 * mean).toFixed(2)}% ± ${(100 * ci95).toFixed(2)}` : `${mean.toFixed(4)} ± ${ci95.toFixed(4)}`;
}

export const metaTestCommand: Command = {
  name: 'meta-test',
  summary: 'evaluate a meta-trained run on fixed test episodes: mean ± 95% CI',
  usage: TEST_USAGE,
  run(argv) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        dataset: { type: 'string' }, split: { type: 'string' }, ways: { type: 'string' }, shots: { type: 'string' }, queries: { type: 'string' },
        episodes: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' }, checkpoint: { type: 'string' }, 'data-dir': { type: 'string' },
        'eval-inner-steps': { type: 'string' },
        ...BACKEND_FLAGS,
      },
    });
    applyBackendFlags(values);
    if (positionals.length !== 1) throw new UsageError('meta-test needs exactly one run directory');
    const dir = resolve(positionals[0]!);
    const configPath = join(dir, 'config.json');
    if (!existsSync(configPath)) throw new FormatError(configPath, 'not found: is this a meta-train run directory?');
    let trained: MetaConfig;
    try {
      trained = (JSON.parse(readFileSync(configPath, 'utf8')) as { meta: MetaConfig }).meta;
    } catch (e) {
      throw new FormatError(configPath, `not JSON: ${(e as Error).message}`);
    }
    if (values.dataset !== undefined && !DATASETS.includes(values.dataset)) throw new UsageError(`--dataset must be one of ${DATASETS.join(', ')}`);
    const which = values.checkpoint ?? 'best';
    if (which !== 'best' && which !== 'latest') throw new UsageError(`--checkpoint must be best or latest, got "${which}"`);
    // --data-dir also serves the learner itself (Baseline and fine-tune read the training split's class count)
    const rebuilt: MetaConfig = {
      ...trained,
      ...(values['data-dir'] !== undefined ? { dataDir: resolve(values['data-dir']) } : {}),
      ...evalInnerStepsFlag(trained.method, values['eval-inner-steps']),
    };
    const learner = buildLearner(rebuilt);
    const evalInnerSteps = EVAL_STEP_METHODS.includes(trained.method) ? withDefaults(rebuilt).evalInnerSteps : undefined;
    const ckpt = which === 'best' && existsSync(join(dir, 'best', 'trainer.json')) ? join(dir, 'best') : latestCheckpoint(dir);
    if (!ckpt) throw new FormatError(dir, 'no checkpoint in this run directory');
    const trainedSteps = readCheckpointDir(ckpt, learner, null).step;
    const test: MetaConfig = {
      ...trained,
      ...(values.dataset !== undefined ? { dataset: values.dataset } : {}),
      ...(values.split !== undefined ? { split: values.split } : {}),
      ...(values['data-dir'] !== undefined ? { dataDir: resolve(values['data-dir']) } : {}),
      ways: parseIntFlag('ways', values.ways, 1) ?? trained.ways,
      shots: parseIntFlag('shots', values.shots, 1) ?? trained.shots,
      queries: parseIntFlag('queries', values.queries, 1) ?? (trained.dataset === 'sinusoid' ? trained.queries : 15),
    };
    if ((test.dataset === 'sinusoid') !== (trained.dataset === 'sinusoid')) throw new UsageError('a classification learner cannot be tested on sinusoids, nor the reverse');
    const episodes = parseIntFlag('episodes', values.episodes, 1) ?? 600;
    const seed = seedFlag(values.seed, 0);
    const start = performance.now();
    const tasks = evalTasks(test, 'test', episodes, seed);
    if (!tasks) throw new UsageError(`${test.dataset} has no test split`);
    const result = evaluate(learner, tasks);
    const report = {
      method: trained.method, dataset: test.dataset, ways: test.ways, shots: test.shots, episodes: result.episodes,
      ...(result.metric === 'accuracy' ? { accuracy: result.mean } : { mse: result.mean }), ci95: result.ci95,
      ...(result.nll ? { nll: result.nll.mean, nllCi95: result.nll.ci95 } : {}),
      ...(evalInnerSteps !== undefined ? { evalInnerSteps } : {}),
      trainedOn: trained.dataset, checkpoint: ckpt, step: trainedSteps, seed, seconds: (performance.now() - start) / 1000,
      command: ['adaptlab', 'meta-test', ...argv],
    };
    const diverged = result.perTask.filter((v) => !Number.isFinite(v)).length;
    if (diverged > 0) {
      const hint = evalInnerSteps !== undefined ? `; the inner loop diverged: try fewer --eval-inner-steps (used ${evalInnerSteps})` : '';
      log(`warning: the ${result.metric} is not finite on ${diverged} of ${result.episodes} test tasks (reported as null)${hint}`);
    }
    if (values.json) printJson(report);
    else {
      const nll = result.nll ? [fmtMetric('nll', result.nll.mean, result.nll.ci95)] : [];
      process.stdout.write(`${table(['method', 'dataset', 'ways', 'shots', 'episodes', result.metric, ...(result.nll ? ['nll'] : [])], [[report.method, report.dataset, report.ways, report.shots, report.episodes, fmtMetric(result.metric, result.mean, result.ci95), ...nll]])}\n`);
    }
    return 0;
  },
};
