// `adaptlab pretrain`, `adaptlab finetune` and `adaptlab estimate`: source checkpoints, the fine-tuning protocol, transferability.
import { appendFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { backendInfo } from '../backend/index.js';
import { ArgumentError } from '../core/errors.js';
import { packageVersion } from '../core/package.js';
import { IndexedView, subsetClasses, type ClassificationDataset } from '../data/dataset.js';
import { openDataset, trainTestSplits } from '../data/registry.js';
import { Rng } from '../engine/rng.js';
import { writeFileAtomic } from '../io/atomic.js';
import { buildSourceModel, loadSourceCheckpoint, saveSourceCheckpoint, type ModelSpec } from '../transfer/checkpoint.js';
import { pretrain, type PretrainObjective } from '../transfer/pretrain.js';
import { formatShift, parseShift, runProtocol, SHIFT_SYNTAX, targetTask } from '../transfer/protocol.js';
import { TRANSFERABILITY_METRICS, scoreCheckpoints, type TransferabilityMetric } from '../transfer/score-checkpoints.js';
import { parseStrategy, STRATEGY_SYNTAX } from '../transfer/strategies.js';
import { UsageError, type Command } from './command.js';
import { applyBackendFlags, BACKEND_FLAGS, parseIntFlag } from './flags.js';
import { bold, log, printJson, table } from './output.js';
import { progressBar } from './progress.js';

function splits(name: string, dataDir: string | undefined): { train: ClassificationDataset; test: ClassificationDataset } {
  return trainTestSplits(name, dataDir ? { dataDir: resolve(dataDir) } : {});
}

/**
 * The target of `finetune` and `estimate`: for Omniglot, the evaluation alphabets (characters no background
 * pre-training saw), 15 of each character's 20 drawings for training and 5 for testing; otherwise `splits()`.
 */
function targetSplits(name: string, dataDir: string | undefined): { train: ClassificationDataset; test: ClassificationDataset } {
  const ds = openDataset(name, dataDir ? { dataDir: resolve(dataDir) } : {});
  if (ds.format !== 'omniglot') return splits(name, dataDir);
  const ev = ds.split('evaluation').dataset;
  const seen = new Int32Array(ev.classes.length);
  const tr: number[] = [], te: number[] = [];
  for (let i = 0; i < ev.length; i++) (seen[ev.labels[i]!]!++ < 15 ? tr : te).push(i);
  const view = (idx: number[]): ClassificationDataset => new IndexedView(ev, Int32Array.from(idx), Int32Array.from(idx, (i) => ev.labels[i]!), ev.classes, (img) => img);
  return { train: view(tr), test: view(te) };
}

/** Class ids of the named (or 0-based numbered) Omniglot alphabets in a split whose class names are `Alphabet/characterNN`. */
function alphabetClasses(ds: ClassificationDataset, spec: string): number[] {
  const names = [...new Set(ds.classes.map((c) => c.split('/')[0]!))];
  const picked = spec.split(',').map((a) => a.trim()).filter(Boolean).map((a) => {
    if (/^\d+$/.test(a) && Number(a) < names.length) return names[Number(a)]!;
    if (names.includes(a)) return a;
    throw new UsageError(`--alphabets: unknown alphabet "${a}" (0..${names.length - 1} or one of: ${names.join(', ')})`);
  });
  return ds.classes.flatMap((c, k) => (picked.includes(c.split('/')[0]!) ? [k] : []));
}

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got "${v}"`);
  return n;
}

function seedOf(v: string | undefined): number {
  if (v === undefined) return 0;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`--seed must be a non-negative integer, got "${v}"`);
  return Number(v);
}

/** Run a function whose argument errors (a strategy, a shift, a block) are the user's: exit 2 with the message. */
function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ArgumentError) throw new UsageError(e.message);
    throw e;
  }
}

export const pretrainCommand: Command = {
  name: 'pretrain',
  summary: 'pre-train a source model (supervised, rotation prediction or SimCLR) into a checkpoint',
  usage: [
    'adaptlab pretrain --dataset D [--classes LIST] [--objective supervised|rotation|simclr] [--model conv4|resnet|mlp]',
    '         [--epochs E | --time-budget SECONDS] [--seed S] --out DIR [--json] [--steps N] [--alphabets LIST]',
    '         [--batch-size B] [--lr A] [--data-dir D]',
    '',
    'D: mnist, fashion-mnist, omniglot (its background alphabets) or a path. --classes keeps those class ids (e.g. 0,1,2,3,4);',
    '--alphabets (omniglot) keeps those alphabets, by name or 0-based number. --epochs 0 saves the random initialisation',
    '(the "no pre-training" baseline); --steps N stops after N optimiser steps (equal compute for sources of different sizes).',
    'Writes DIR/model.safetensors (weights, architecture and provenance), config.json, metrics.jsonl, summary.json.',
  ].join('\n'),
  async run(argv) {
    const { values } = parseArgs({
      args: argv, strict: true,
      options: {
        dataset: { type: 'string' }, classes: { type: 'string' }, objective: { type: 'string' }, model: { type: 'string' }, epochs: { type: 'string' },
        'time-budget': { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, 'batch-size': { type: 'string' },
        lr: { type: 'string' }, 'data-dir': { type: 'string' }, steps: { type: 'string' }, alphabets: { type: 'string' }, ...BACKEND_FLAGS,
      },
    });
    applyBackendFlags(values);
    if (!values.dataset) throw new UsageError('--dataset is required');
    if (!values.out) throw new UsageError('--out is required');
    const objective = (values.objective ?? 'supervised') as PretrainObjective;
    if (!['supervised', 'rotation', 'simclr'].includes(objective)) throw new UsageError(`--objective must be supervised, rotation or simclr, got "${objective}"`);
    const kind = (values.model ?? 'conv4') as ModelSpec['kind'];
    if (!['conv4', 'resnet', 'mlp'].includes(kind)) throw new UsageError(`--model must be conv4, resnet or mlp, got "${kind}"`);
    if (values.epochs !== undefined && values['time-budget'] !== undefined) throw new UsageError('give --epochs or --time-budget, not both');
    if (values.steps !== undefined && values['time-budget'] !== undefined) throw new UsageError('give --steps or --time-budget, not both');
    const maxSteps = parseIntFlag('steps', values.steps, 1);
    const epochs = parseIntFlag('epochs', values.epochs, 0) ?? (values['time-budget'] === undefined && maxSteps === undefined ? 5 : undefined);
    const seed = seedOf(values.seed);
    let { train } = splits(values.dataset, values['data-dir']);
    if (values.classes) {
      const ids = values.classes.split(',').map((s) => Number(s));
      if (ids.some((k) => !Number.isInteger(k) || k < 0 || k >= train.classes.length)) throw new UsageError(`--classes must be class ids in 0..${train.classes.length - 1}, got "${values.classes}"`);
      train = subsetClasses(train, ids);
    }
    if (values.alphabets) {
      if (values.classes) throw new UsageError('give --classes or --alphabets, not both');
      train = subsetClasses(train, alphabetClasses(train, values.alphabets));
    }
    const [c, h] = train.imageShape;
    const spec: ModelSpec = { kind, inChannels: c, imageSize: h, numClasses: objective === 'rotation' ? 4 : train.classes.length };
    const model = buildSourceModel(spec, seed);
    const out = resolve(values.out);
    mkdirSync(out, { recursive: true });
    const command = ['adaptlab', 'pretrain', ...argv];
    const info = backendInfo();
    writeFileAtomic(join(out, 'config.json'), `${JSON.stringify({ command, dataset: values.dataset, classes: values.classes ?? null, objective, model: spec, seed, adaptlab: packageVersion(), backend: info.name, created: new Date().toISOString() }, null, 2)}\n`);
    const metrics = join(out, 'metrics.jsonl');
    let lastLog = 0;
    const bar = progressBar(`pretrain ${objective}`, ['loss'], { quiet: values.json === true });
    const budget = values['time-budget'] !== undefined ? Number(values['time-budget']) : null;
    const perEpoch = Math.ceil(train.length / Number(values['batch-size'] ?? (objective === 'rotation' ? 32 : 64)));
    bar?.start(budget !== null ? Math.ceil(budget) : maxSteps !== undefined ? (epochs !== undefined ? Math.min(maxSteps, epochs * perEpoch) : maxSteps) : epochs! * perEpoch, 0, { loss: '-' });
    const r = pretrain({
      model, objective, data: train, rng: new Rng(seed).fork('pretrain'), ...(epochs !== undefined ? { epochs } : {}), ...(maxSteps !== undefined ? { steps: maxSteps } : {}),
      ...(values['time-budget'] !== undefined ? { timeBudget: positive('time-budget', values['time-budget'])! } : {}),
      ...(values['batch-size'] !== undefined ? { batchSize: parseIntFlag('batch-size', values['batch-size'], 1)! } : {}),
      ...(values.lr !== undefined ? { lr: positive('lr', values.lr)! } : {}),
      onStep: ({ step, epoch, loss, seconds }) => {
        appendFileSync(metrics, `${JSON.stringify({ step, epoch, loss, seconds })}\n`);
        if (bar) bar.update(budget !== null ? Math.min(Math.floor(seconds), Math.ceil(budget)) : step, { loss: loss.toFixed(4) });
        else if (!values.json && seconds - lastLog >= 5) {
          lastLog = seconds;
          log(`pretrain ${objective}: epoch ${epoch + 1}${epochs ? `/${epochs}` : ''}, step ${step}, loss ${loss.toFixed(4)} (${seconds.toFixed(0)} s)`);
        }
      },
    });
    bar?.stop();
    const path = join(out, 'model.safetensors');
    saveSourceCheckpoint(path, model, spec, { command, objective, dataset: values.dataset, classes: values.classes ?? null, seed, epochs: r.epochs, steps: r.steps });
    const summary = { checkpoint: path, objective, model: kind, dataset: values.dataset, classes: train.classes.length, epochs: r.epochs, steps: r.steps, seconds: r.seconds, losses: r.losses };
    writeFileAtomic(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    if (values.json) printJson(summary);
    else process.stdout.write(`${bold(`pretrained ${kind} (${objective})`)} on ${values.dataset}: ${r.epochs} epochs, ${r.steps} steps in ${r.seconds.toFixed(1)} s; final loss ${r.losses.at(-1)?.toFixed(4) ?? '-'}\ncheckpoint: ${path}\n`);
    return 0;
  },
};

function checkpointPath(p: string): string {
  const abs = resolve(p);
  if (existsSync(abs) && statSync(abs).isDirectory()) return join(abs, 'model.safetensors');
  return abs;
}

export const finetuneCommand: Command = {
  name: 'finetune',
  summary: 'fine-tune a source checkpoint on a (shifted) target with a strategy: lr grid, seeds, ID/OOD accuracy',
  usage: [
    'adaptlab finetune CHECKPOINT --target D [--shift ' + SHIFT_SYNTAX + ']',
    '         --strategy ' + STRATEGY_SYNTAX,
    '         [--train-size N | --shots K] [--epochs E] [--lr-grid a,b,c] [--seeds N] [--out DIR] [--json] [--data-dir D]',
    '',
    'CHECKPOINT: a pretrain run directory or its model.safetensors. The target\'s training split gives N labelled examples',
    '(Omniglot as a target: its evaluation alphabets, 15 drawings of each character for training and 5 for testing)',
    '(or K per class) and a validation set for choosing the lr; ID accuracy is on the shifted test split, OOD on the other side',
    '(clean test for a corruption, corrupted test for none, the source sub-classes for subpopulation).',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        target: { type: 'string' }, shift: { type: 'string' }, strategy: { type: 'string' }, 'train-size': { type: 'string' }, shots: { type: 'string' },
        epochs: { type: 'string' }, 'lr-grid': { type: 'string' }, seeds: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' },
        seed: { type: 'string' }, 'test-size': { type: 'string' }, 'data-dir': { type: 'string' }, ...BACKEND_FLAGS,
      },
    });
    applyBackendFlags(values);
    if (positionals.length !== 1) throw new UsageError('finetune needs exactly one CHECKPOINT');
    if (!values.target) throw new UsageError('--target is required');
    if (!values.strategy) throw new UsageError(`--strategy is required (${STRATEGY_SYNTAX})`);
    if (values['train-size'] !== undefined && values.shots !== undefined) throw new UsageError('give --train-size or --shots, not both');
    const { model, spec } = loadSourceCheckpoint(checkpointPath(positionals[0]!));
    const strategy = asUsage(() => parseStrategy(values.strategy!, model));
    const shift = asUsage(() => parseShift(values.shift ?? 'none'));
    const seed = seedOf(values.seed);
    const { train, test } = targetSplits(values.target, values['data-dir']);
    const t = targetTask(train, test, shift, seed);
    const shots = parseIntFlag('shots', values.shots, 1);
    const trainSize = shots !== undefined ? shots * t.numClasses : parseIntFlag('train-size', values['train-size'], 1) ?? 1000;
    const lrGrid = values['lr-grid'] ? values['lr-grid'].split(',').map((v) => positive('lr-grid', v)!) : undefined;
    const seeds = parseIntFlag('seeds', values.seeds, 1) ?? 3;
    const epochs = parseIntFlag('epochs', values.epochs, 1) ?? 15;
    const testSize = parseIntFlag('test-size', values['test-size'], 1);
    const start = performance.now();
    const bar = progressBar(`finetune ${values.strategy}`, ['val'], { quiet: values.json === true });
    bar?.start(seeds * (lrGrid ?? [1e-2, 1e-3, 1e-4]).length, 0, { val: '-' });
    let runs = 0;
    const r = runProtocol({
      model, strategy, ...t, trainSize, seeds, epochs, seed, ...(lrGrid ? { lrGrid } : {}), ...(testSize ? { testSize } : {}),
      onRun: ({ seed: s, lr, val }) => {
        if (bar) bar.update(++runs, { val: `${(100 * val).toFixed(2)}% (seed ${s}, lr ${lr})` });
        else if (!values.json) log(`finetune ${values.strategy}: seed ${s}, lr ${lr}: validation accuracy ${(100 * val).toFixed(2)}%`);
      },
    });
    bar?.stop();
    const report = {
      strategy: r.strategy, shift: formatShift(shift), target: values.target, source: spec, trainSize, lr: r.lr, grid: r.grid,
      perSeed: r.perSeed, id: r.id, ood: r.ood, seconds: (performance.now() - start) / 1000,
    };
    if (values.out) {
      const out = resolve(values.out);
      mkdirSync(out, { recursive: true });
      writeFileAtomic(join(out, 'config.json'), `${JSON.stringify({ command: ['adaptlab', 'finetune', ...argv], adaptlab: packageVersion(), backend: backendInfo().name }, null, 2)}\n`);
      writeFileAtomic(join(out, 'summary.json'), `${JSON.stringify(report, null, 2)}\n`);
    }
    if (values.json) printJson(report);
    else {
      const pct = (x: { mean: number; ci95: number } | null): string => (x ? `${(100 * x.mean).toFixed(2)}% ± ${(100 * x.ci95).toFixed(2)}` : '-');
      process.stdout.write(`${table(['strategy', 'shift', 'lr', 'ID accuracy', 'OOD accuracy'], [[r.strategy, formatShift(shift), r.lr, pct(r.id), pct(r.ood)]])}\n`);
    }
    return 0;
  },
};

export const estimateCommand: Command = {
  name: 'estimate',
  summary: 'transferability scores (LEEP, LogME, NCE, H-score) of source checkpoints on a target, before fine-tuning',
  usage: 'adaptlab estimate CHECKPOINT... --target D [--shift ' + SHIFT_SYNTAX + '] [--metric leep,logme,nce,hscore] [--size N] [--json] [--data-dir D]',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: { target: { type: 'string' }, shift: { type: 'string' }, metric: { type: 'string' }, size: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' }, 'data-dir': { type: 'string' }, ...BACKEND_FLAGS },
    });
    applyBackendFlags(values);
    if (positionals.length === 0) throw new UsageError('estimate needs at least one CHECKPOINT');
    if (!values.target) throw new UsageError('--target is required');
    const metrics = (values.metric ?? TRANSFERABILITY_METRICS.join(',')).split(',') as TransferabilityMetric[];
    for (const m of metrics) if (!TRANSFERABILITY_METRICS.includes(m)) throw new UsageError(`--metric: unknown "${m}" (${TRANSFERABILITY_METRICS.join(', ')})`);
    const shift = asUsage(() => parseShift(values.shift ?? 'none'));
    const seed = seedOf(values.seed);
    const { train, test } = targetSplits(values.target, values['data-dir']);
    const t = targetTask(train, test, shift, seed);
    const size = Math.min(parseIntFlag('size', values.size, 2) ?? 1000, t.train.length);
    const pick = new Rng(seed).fork('estimate').choice(t.train.length, size);
    const ids = Int32Array.from(pick);
    const target: ClassificationDataset = {
      length: size, classes: t.train.classes, imageShape: t.train.imageShape, labels: Int32Array.from(ids, (i) => t.train.labels[i]!),
      get: (i) => t.train.get(ids[i]!),
    };
    const sources = positionals.map((p) => {
      const { model, provenance } = loadSourceCheckpoint(checkpointPath(p));
      const selfSupervised = provenance['objective'] !== undefined && provenance['objective'] !== 'supervised';
      return { name: p, model, ...(selfSupervised ? { head: null } : {}) };
    });
    const bar = progressBar('estimate', ['source'], { quiet: values.json === true });
    bar?.start(sources.length * Math.ceil(size / 256), 0, { source: '-' });
    let done = 0;
    const rows = scoreCheckpoints(sources, target, { metrics, batchSize: 256, onProgress: ({ source }) => bar?.update(++done, { source }) });
    bar?.stop();
    if (values.json) printJson({ target: values.target, shift: formatShift(shift), examples: size, rows });
    else process.stdout.write(`${table(['checkpoint', ...metrics], rows.map((r) => [r.name, ...metrics.map((m) => (r[m] === null || r[m] === undefined ? '-' : (r[m] as number).toFixed(4)))]))}\n`);
    return 0;
  },
};
