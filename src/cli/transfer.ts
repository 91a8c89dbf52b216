// `adaptlab pretrain`, `adaptlab finetune` and `adaptlab estimate`: source checkpoints, the fine-tuning protocol, transferability.
import { existsSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { augment, rotationBatch } from '../data/augment.js';
import { collate, IndexedView, subsetClasses, type ClassificationDataset } from '../data/dataset.js';
import { openDataset, trainTestSplits } from '../data/registry.js';
import { Rng } from '../engine/rng.js';
import { listCheckpoints } from '../io/checkpoint-dir.js';
import { encodeImages, type ImageGroup, type SampleImage, type Samples } from '../report/images.js';
import { RunDir, SAMPLES_FILE } from '../runs/run-dir.js';
import { buildSourceModel, loadSourceCheckpoint, saveSourceCheckpoint, type ModelSpec } from '../transfer/checkpoint.js';
import { pretrain, type PretrainObjective } from '../transfer/pretrain.js';
import { formatShift, parseShift, runProtocol, SHIFT_SYNTAX, targetTask } from '../transfer/protocol.js';
import { TRANSFERABILITY_METRICS, scoreCheckpoints, type TransferabilityMetric } from '../transfer/score-checkpoints.js';
import { formatStrategy, parseStrategy, STRATEGY_SYNTAX } from '../transfer/strategies.js';
import { UsageError, type Command } from './command.js';
import { applyBackendFlags, asUsage, BACKEND_FLAGS, parseIntFlag, positiveNumberFlag, seedFlag } from './flags.js';
import { bold, log, printJson, table } from './output.js';
import { progressBar } from './progress.js';
import { finishReport } from './reports.js';
import { startRun } from './run-options.js';

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

export const pretrainCommand: Command = {
  name: 'pretrain',
  summary: 'pre-train a source model (supervised, rotation prediction or SimCLR) into a checkpoint',
  usage: [
    'adaptlab pretrain --dataset D [--classes LIST] [--objective supervised|rotation|simclr] [--model conv4|resnet|mlp]',
    '         [--epochs E | --time-budget SECONDS] [--seed S] --out DIR [--json] [--steps N] [--alphabets LIST]',
    '         [--batch-size B] [--lr A] [--data-dir D] [--checkpoint-every N] [--resume]',
    '',
    'D: mnist, fashion-mnist, omniglot (its background alphabets) or a path. --classes keeps those class ids (e.g. 0,1,2,3,4);',
    '--alphabets (omniglot) keeps those alphabets, by name or 0-based number. --epochs 0 saves the random initialisation',
    '(the "no pre-training" baseline); --steps N stops after N optimiser steps (equal compute for sources of different sizes).',
    'Writes DIR/model.safetensors (weights, architecture and provenance), config.json, metrics.jsonl, samples.json,',
    'summary.json and report.html. Every --checkpoint-every steps (default 500) model, Adam state and data position go',
    'to DIR/checkpoints/; --resume continues a killed run from there with the options it was started with, and ends',
    'as the uninterrupted run would (same seed, same backend and threads); checkpoints are removed when the run ends.',
  ].join('\n'),
  async run(argv) {
    const parsed = parseArgs({
      args: argv, strict: true,
      options: {
        dataset: { type: 'string' }, classes: { type: 'string' }, objective: { type: 'string' }, model: { type: 'string' }, epochs: { type: 'string' },
        'time-budget': { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, 'batch-size': { type: 'string' },
        lr: { type: 'string' }, 'data-dir': { type: 'string' }, steps: { type: 'string' }, alphabets: { type: 'string' },
        'checkpoint-every': { type: 'string' }, resume: { type: 'boolean' }, ...BACKEND_FLAGS,
      },
    });
    applyBackendFlags(parsed.values);
    if (!parsed.values.out) throw new UsageError('--out is required');
    const out = resolve(parsed.values.out);
    const start = startRun('pretrain', out, argv, parsed.values);
    const values = start.values;
    if (start.finished) return alreadyFinished(out, values.json === true);
    if (!values.dataset) throw new UsageError('--dataset is required');
    const objective = (values.objective ?? 'supervised') as PretrainObjective;
    if (!['supervised', 'rotation', 'simclr'].includes(objective)) throw new UsageError(`--objective must be supervised, rotation or simclr, got "${objective}"`);
    const kind = (values.model ?? 'conv4') as ModelSpec['kind'];
    if (!['conv4', 'resnet', 'mlp'].includes(kind)) throw new UsageError(`--model must be conv4, resnet or mlp, got "${kind}"`);
    if (values.epochs !== undefined && values['time-budget'] !== undefined) throw new UsageError('give --epochs or --time-budget, not both');
    if (values.steps !== undefined && values['time-budget'] !== undefined) throw new UsageError('give --steps or --time-budget, not both');
    const maxSteps = parseIntFlag('steps', values.steps, 1);
    const epochs = parseIntFlag('epochs', values.epochs, 0) ?? (values['time-budget'] === undefined && maxSteps === undefined ? 5 : undefined);
    const checkpointEvery = parseIntFlag('checkpoint-every', values['checkpoint-every'], 1) ?? 500;
    const seed = seedFlag(values.seed);
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
    const run = start.resumed ?? start.create(seed, { dataset: values.dataset, classes: values.classes ?? null, alphabets: values.alphabets ?? null, objective, model: spec, epochs: epochs ?? null, steps: maxSteps ?? null, checkpointEvery });
    const command = run.config<{ command: string[] }>().command;
    if (start.resumed) {
      const from = listCheckpoints(out).pop()?.step ?? 0;
      run.truncateMetrics((r) => typeof r['step'] !== 'number' || r['step'] <= from);
      if (!values.json) log(`pretrain: resuming ${out} from step ${from}`);
    } else {
      run.writeJson(SAMPLES_FILE, pretrainSamples(train, objective, seed));
    }
    let lastLog = 0;
    const bar = progressBar(`pretrain ${objective}`, ['loss'], { quiet: values.json === true });
    const budget = values['time-budget'] !== undefined ? Number(values['time-budget']) : null;
    const perEpoch = Math.ceil(train.length / Number(values['batch-size'] ?? (objective === 'rotation' ? 32 : 64)));
    bar?.start(budget !== null ? Math.ceil(budget) : maxSteps !== undefined ? (epochs !== undefined ? Math.min(maxSteps, epochs * perEpoch) : maxSteps) : epochs! * perEpoch, 0, { loss: '-' });
    const r = pretrain({
      model, objective, data: train, rng: new Rng(seed).fork('pretrain'), ...(epochs !== undefined ? { epochs } : {}), ...(maxSteps !== undefined ? { steps: maxSteps } : {}),
      ...(values['time-budget'] !== undefined ? { timeBudget: positiveNumberFlag('time-budget', values['time-budget'])! } : {}),
      ...(values['batch-size'] !== undefined ? { batchSize: parseIntFlag('batch-size', values['batch-size'], 1)! } : {}),
      ...(values.lr !== undefined ? { lr: positiveNumberFlag('lr', values.lr)! } : {}),
      dir: out, checkpointEvery, resume: start.resumed !== null,
      onStep: ({ step, epoch, loss, seconds }) => {
        run.logFast({ step, epoch, loss, seconds });
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
    const summary = { checkpoint: path, objective, model: kind, dataset: values.dataset, classes: train.classes.length, epochs: r.epochs, steps: r.steps, seconds: r.seconds, losses: r.losses, resumedFrom: r.resumedFrom };
    run.writeSummary(summary);
    rmSync(join(out, 'checkpoints'), { recursive: true, force: true });
    await finishReport(out, values.json === true);
    if (values.json) printJson(summary);
    else process.stdout.write(`${bold(`pretrained ${kind} (${objective})`)} on ${values.dataset}: ${r.epochs} epochs, ${r.steps} steps in ${r.seconds.toFixed(1)} s; final loss ${r.losses.at(-1)?.toFixed(4) ?? '-'}\ncheckpoint: ${path}\n`);
    return 0;
  },
};

/** --resume of a run that has finished: say so (print its summary with --json) and refresh its report. */
async function alreadyFinished(out: string, json: boolean): Promise<number> {
  const summary = RunDir.open(out).summary();
  await finishReport(out, true);
  if (json) printJson(summary);
  else process.stdout.write(`${out} has already finished (summary.json); nothing to resume\n`);
  return 0;
}

/** Pictures of what the objective trains on: examples with their classes, an image in its four rotations, SimCLR's two views. */
function pretrainSamples(train: ClassificationDataset, objective: PretrainObjective, seed: number): Samples {
  const rng = new Rng(seed).fork('samples');
  const pick = rng.choice(train.length, Math.min(8, train.length));
  const b = collate(train, pick);
  const groups: ImageGroup[] = [{ title: 'Training examples', images: encodeImages(b.x.data, b.x.shape, Array.from(b.y.data, (y) => train.classes[y] ?? String(y))) }];
  const [, , h, w] = b.x.shape as number[];
  if (objective === 'rotation' && h === w) {
    const two = collate(train, pick.slice(0, 2));
    const r = rotationBatch(two.x);
    groups.push({ title: 'Rotation prediction: each image in its four rotations', caption: 'The 4-way head predicts the rotation (0°, 90°, 180°, 270°); labels are not used.', images: encodeImages(r.x.data, r.x.shape, Array.from(r.y.data, (y) => `${90 * y}°`)) });
  }
  if (objective === 'simclr') {
    const four = collate(train, pick.slice(0, 4));
    const v1 = augment(four.x, rng), v2 = augment(four.x, rng);
    const n = four.x.shape[0]!, size = four.x.data.length / n;
    const data = new Float32Array(3 * four.x.data.length);
    for (let i = 0; i < n; i++) {
      data.set(four.x.data.subarray(i * size, (i + 1) * size), 3 * i * size);
      data.set(v1.data.subarray(i * size, (i + 1) * size) as Float32Array, (3 * i + 1) * size);
      data.set(v2.data.subarray(i * size, (i + 1) * size) as Float32Array, (3 * i + 2) * size);
    }
    groups.push({ title: 'SimCLR: an image and its two augmented views', caption: 'Random resized crop, flip, brightness and contrast; NT-Xent pulls the two views together.', images: encodeImages(data, [3 * n, ...four.x.shape.slice(1)], Array.from({ length: 3 * n }, (_, k) => ['original', 'view 1', 'view 2'][k % 3]!)) });
  }
  return { groups };
}

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
    '         [--train-size N | --shots K] [--epochs E] [--lr-grid a,b,c] [--seeds N] [--out DIR [--resume]] [--json] [--data-dir D]',
    '',
    'CHECKPOINT: a pretrain run directory or its model.safetensors. The target\'s training split gives N labelled examples',
    '(Omniglot as a target: its evaluation alphabets, 15 drawings of each character for training and 5 for testing)',
    '(or K per class) and a validation set for choosing the lr; ID accuracy is on the shifted test split, OOD on the other side',
    '(clean test for a corruption, corrupted test for none, the source sub-classes for subpopulation).',
    'With --out DIR: a run directory (config.json, metrics.jsonl with one line per finished (seed, lr) run, samples.json,',
    'summary.json, report.html); --resume skips the (seed, lr) runs already in its metrics.jsonl.',
  ].join('\n'),
  async run(argv) {
    const parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        target: { type: 'string' }, shift: { type: 'string' }, strategy: { type: 'string' }, 'train-size': { type: 'string' }, shots: { type: 'string' },
        epochs: { type: 'string' }, 'lr-grid': { type: 'string' }, seeds: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' },
        seed: { type: 'string' }, 'test-size': { type: 'string' }, 'data-dir': { type: 'string' }, resume: { type: 'boolean' }, ...BACKEND_FLAGS,
      },
    });
    applyBackendFlags(parsed.values);
    if (parsed.values.resume && !parsed.values.out) throw new UsageError('--resume needs --out DIR (the run to continue)');
    const out = parsed.values.out ? resolve(parsed.values.out) : null;
    const start = out ? startRun('finetune', out, argv, parsed.values, parsed.positionals.map((p) => resolve(p))) : null;
    if (start?.finished) return alreadyFinished(out!, parsed.values.json === true);
    const values = start?.values ?? parsed.values;
    const positionals = start?.positionals ?? parsed.positionals;
    if (positionals.length !== 1) throw new UsageError('finetune needs exactly one CHECKPOINT');
    if (!values.target) throw new UsageError('--target is required');
    if (!values.strategy) throw new UsageError(`--strategy is required (${STRATEGY_SYNTAX})`);
    if (values['train-size'] !== undefined && values.shots !== undefined) throw new UsageError('give --train-size or --shots, not both');
    const source = checkpointPath(positionals[0]!);
    const { model, spec } = loadSourceCheckpoint(source);
    const strategy = asUsage(() => parseStrategy(values.strategy!, model));
    const shift = asUsage(() => parseShift(values.shift ?? 'none'));
    const seed = seedFlag(values.seed);
    const { train, test } = targetSplits(values.target, values['data-dir']);
    const t = targetTask(train, test, shift, seed);
    const shots = parseIntFlag('shots', values.shots, 1);
    const trainSize = shots !== undefined ? shots * t.numClasses : parseIntFlag('train-size', values['train-size'], 1) ?? 1000;
    const lrGrid = values['lr-grid'] ? values['lr-grid'].split(',').map((v) => positiveNumberFlag('lr-grid', v)!) : [1e-2, 1e-3, 1e-4];
    const seeds = parseIntFlag('seeds', values.seeds, 1) ?? 3;
    const epochs = parseIntFlag('epochs', values.epochs, 1) ?? 15;
    const testSize = parseIntFlag('test-size', values['test-size'], 1);
    const run = start ? start.resumed ?? start.create(seed, {
      checkpoint: source, source: spec, target: values.target, shift: formatShift(shift), strategy: formatStrategy(strategy), trainSize,
      shots: shots ?? null, epochs, lrGrid, seeds, testSize: testSize ?? null,
    }) : null;
    if (run && !start!.resumed) run.writeJson(SAMPLES_FILE, finetuneSamples(t, formatShift(shift), seed));
    const done = run && start!.resumed ? run.metrics().filter((m) => typeof m['seed'] === 'number' && typeof m['lr'] === 'number' && typeof m['val'] === 'number' && typeof m['id'] === 'number')
      .map((m) => ({ seed: m['seed'] as number, lr: m['lr'] as number, val: m['val'] as number, id: m['id'] as number, ood: typeof m['ood'] === 'number' ? m['ood'] : null })) : [];
    if (done.length && !values.json) log(`finetune: resuming ${out}: ${done.length} of ${seeds * lrGrid.length} runs already done`);
    const begin = performance.now();
    const bar = progressBar(`finetune ${values.strategy}`, ['val'], { quiet: values.json === true });
    bar?.start(seeds * lrGrid.length, done.length, { val: '-' });
    let runs = done.length;
    const r = runProtocol({
      model, strategy, ...t, trainSize, seeds, epochs, seed, lrGrid, ...(testSize ? { testSize } : {}), done,
      onRun: (row) => {
        run?.log({ seed: row.seed, lr: row.lr, val: row.val, id: row.id, ood: row.ood });
        if (bar) bar.update(++runs, { val: `${(100 * row.val).toFixed(2)}% (seed ${row.seed}, lr ${row.lr})` });
        else if (!values.json) log(`finetune ${values.strategy}: seed ${row.seed}, lr ${row.lr}: validation accuracy ${(100 * row.val).toFixed(2)}%`);
      },
    });
    bar?.stop();
    const report = {
      strategy: r.strategy, shift: formatShift(shift), target: values.target, source: spec, trainSize, lr: r.lr, grid: r.grid,
      perSeed: r.perSeed, id: r.id, ood: r.ood, seconds: (performance.now() - begin) / 1000,
    };
    if (run) {
      run.writeSummary(report);
      await finishReport(run.dir, values.json === true);
    }
    if (values.json) printJson(report);
    else {
      const pct = (x: { mean: number; ci95: number } | null): string => (x ? `${(100 * x.mean).toFixed(2)}% ± ${(100 * x.ci95).toFixed(2)}` : '-');
      process.stdout.write(`${table(['strategy', 'shift', 'lr', 'ID accuracy', 'OOD accuracy'], [[r.strategy, formatShift(shift), r.lr, pct(r.id), pct(r.ood)]])}\n`);
    }
    return 0;
  },
};

/** Pictures of the shift: the same test examples on the ID side and, where the OOD set is the same images shifted, on the OOD side. */
function finetuneSamples(t: { test: ClassificationDataset; ood: ClassificationDataset | null }, shift: string, seed: number): Samples {
  const n = Math.min(8, t.test.length);
  const pick = new Rng(seed).fork('samples').choice(t.test.length, n);
  const side = (ds: ClassificationDataset, idx: number[]): SampleImage[] => {
    const b = collate(ds, idx);
    return encodeImages(b.x.data, b.x.shape, Array.from(b.y.data, (y) => ds.classes[y] ?? String(y)), { range: [0, 1] });
  };
  const groups: ImageGroup[] = [{ title: `ID test examples (shift: ${shift})`, images: side(t.test, pick) }];
  if (t.ood) {
    const same = t.ood.length === t.test.length;
    groups.push({ title: same ? 'The same examples on the OOD side' : 'OOD test examples', caption: same ? 'ID and OOD accuracy are scored on the same examples, shifted or not.' : 'The OOD set holds other sub-classes of the same superclasses.', images: side(t.ood, same ? pick : new Rng(seed).fork('samples/ood').choice(t.ood.length, Math.min(8, t.ood.length))) });
  }
  return { groups };
}

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
    const seed = seedFlag(values.seed);
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
