// The lecture's claims as studies on real data: fine-tuning design choices, surgical fine-tuning per shift, accuracy vs target size for fine-tuning and meta-learning, transferability scores.
import { subsetClasses, type ClassificationDataset } from '../data/dataset.js';
import { EpisodeSampler } from '../data/episodes.js';
import { trainTestSplits, type OpenOptions } from '../data/registry.js';
import { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { Conv4 } from '../nn/models/conv4.js';
import { MLP } from '../nn/models/mlp.js';
import type { AnyModule } from '../nn/module.js';
import { Baseline, FineTune } from '../meta/baselines.js';
import { evaluate } from '../meta/evaluate.js';
import type { MetaLearner, Task } from '../meta/learner.js';
import { MAML } from '../meta/maml.js';
import { ProtoNet } from '../meta/protonet.js';
import { metaTrain } from '../meta/train.js';
import { collate } from '../data/dataset.js';
import { buildSourceModel, type ModelSpec } from '../transfer/checkpoint.js';
import { pretrain, type PretrainObjective, type SourceModel } from '../transfer/pretrain.js';
import { parseShift, runProtocol, targetTask, type ProtocolResult } from '../transfer/protocol.js';
import { scoreCheckpoints, TRANSFERABILITY_METRICS, type TransferabilityMetric } from '../transfer/score-checkpoints.js';
import { parseStrategy } from '../transfer/strategies.js';
import { runMultitaskStudy, type SeedSummary } from './multitask-study.js';
import { spearman } from '../transfer/transferability.js';

/** How big each study is; `lectureConfig` gives the quick and default presets. */
export interface LectureConfig {
  quick: boolean;
  seed: number;
  /** where Omniglot / Fashion-MNIST are looked for (the embedded MNIST digits are always there) */
  dataDir?: string;
  /** the network of the transfer studies (a), (b), (e): an MLP 784-256-256 or a 32-channel Conv-4 */
  model: 'mlp' | 'conv4';
  /** the network of the few-shot study (d): an MLP 784-256-256, or a Conv-4 with 32 channels */
  fewShotModel: 'mlp' | 'conv4';
  /** seeds per fine-tuning cell (mean ± Student-t CI over them) */
  seeds: number;
  sourceEpochs: number;
  /** epochs of the surgical study's source (all classes of its dataset: Fashion-MNIST's 60,000 training images in the default preset) */
  surgicalSourceEpochs: number;
  /** labelled target examples for the design-choice and surgical studies */
  targetSize: number;
  fineTuneEpochs: number;
  lrGrid: number[];
  /** test examples scored per cell */
  testSize: number;
  /** the input-level shift of the surgical study */
  corruption: string;
  /** K of the accuracy-vs-shots study on the digits and on Omniglot (20 drawings a character: K + 5 queries ≤ 20), and the number of fixed episodes per K */
  shots: number[];
  omniglotShots: number[];
  episodes: number;
  queries: number;
  metaSteps: { protonet: number; maml: number; baseline: number };
  /** self-supervised pre-training steps of the transferability sources */
  sslSteps: number;
  /** epochs of every multi-task, single-task and transfer run of (c), and its data-size regimes (source, target) */
  multitaskEpochs: number;
  multitaskRegimes: [number, number][];
}

export function lectureConfig(o: { quick: boolean; seed?: number; dataDir?: string }): LectureConfig {
  const base = { quick: o.quick, seed: o.seed ?? 0, ...(o.dataDir ? { dataDir: o.dataDir } : {}), corruption: 'corruption:gaussian_noise:5', shots: [1, 5, 10, 50], omniglotShots: [1, 5, 10, 15], queries: 15 };
  return o.quick
    ? { ...base, model: 'mlp', fewShotModel: 'mlp', seeds: 3, sourceEpochs: 3, surgicalSourceEpochs: 3, targetSize: 100, fineTuneEpochs: 20, lrGrid: [1e-3], testSize: 500, episodes: 20, metaSteps: { protonet: 300, maml: 150, baseline: 300 }, sslSteps: 100, multitaskEpochs: 10, multitaskRegimes: [[2500, 100]] }
    : { ...base, model: 'conv4', fewShotModel: 'conv4', seeds: 3, sourceEpochs: 3, surgicalSourceEpochs: 1, targetSize: 250, fineTuneEpochs: 10, lrGrid: [1e-3], testSize: 1000, episodes: 40, metaSteps: { protonet: 1000, maml: 300, baseline: 1000 }, sslSteps: 300, multitaskEpochs: 20, multitaskRegimes: [[2500, 100], [100, 100]] };
}

export interface Interval {
  mean: number;
  ci95: number;
}

/** One progress event: a stage and how far it is. */
export interface LectureProgress {
  stage: 'design-choices' | 'surgical' | 'multitask' | 'shots' | 'transferability';
  done: number;
  total: number;
  detail?: string;
}

export interface DesignChoicesResult {
  dataset: string;
  source: string;
  target: string;
  ood: string;
  rows: { strategy: string; lr: number; id: Interval; ood: Interval | null }[];
  seconds: number;
}

export interface SurgicalResult {
  dataset: string;
  blocks: string[];
  shifts: string[];
  /** ID accuracy of each (shift, strategy) cell; strategies are `surgical:BLOCK` and `full` */
  cells: { shift: string; strategy: string; lr: number; id: Interval }[];
  /** the best strategy per shift */
  best: Record<string, string>;
  seconds: number;
}

export interface MultitaskVsTransferResult {
  /** source task (transfer pre-trains on it) and target task */
  tasks: [string, string];
  regimes: {
    name: string;
    trainSizes: [number, number];
    /** single-task, joint (uniform Σ L_i) and transfer rows: target accuracy, and the source task's accuracy after */
    rows: { method: string; target: Interval; source: Interval | null; seconds: number }[];
  }[];
  seconds: number;
}

export interface ShotsResult {
  dataset: string;
  /** in words: which new classes the episodes hold and which base classes the learners saw */
  description: string;
  ways: number;
  /** classes the learners were (pre-/meta-)trained on, and the new classes of the episodes */
  baseClasses: string[];
  novelClasses: string[];
  shots: number[];
  /** query examples per class of each episode */
  queries: number;
  episodes: number;
  /** a row per method and K; on the digits also finetune at `all` (every labelled example of the new classes) */
  rows: { method: string; family: string; shots: number | 'all'; accuracy: Interval }[];
  seconds: number;
}

export interface TransferabilityResult {
  target: string;
  metrics: TransferabilityMetric[];
  rows: { source: string; scores: Partial<Record<TransferabilityMetric, number | null>>; accuracy: Interval }[];
  /** Spearman's ρ between each score and the fine-tuned accuracy, over sources that have the score */
  spearman: Partial<Record<TransferabilityMetric, number | null>>;
  seconds: number;
}

/** Sample pictures for the report: inputs under each shift of the surgical study, and one support set. */
export interface LectureSamples {
  /** uint8 images [H, W] as arrays of rows, per shift */
  shifted: { shift: string; images: number[][][] }[];
  episode: { shots: number; images: number[][][]; labels: number[]; names: string[] };
}

export interface LectureResult {
  config: LectureConfig;
  designChoices: DesignChoicesResult;
  surgical: SurgicalResult;
  multitask: MultitaskVsTransferResult;
  shots: ShotsResult;
  transferability: TransferabilityResult;
  samples: LectureSamples;
  seconds: number;
}

const now = (): number => performance.now() / 1000;
const interval = (r: { mean: number; ci95: number }): Interval => ({ mean: r.mean, ci95: Number.isFinite(r.ci95) ? r.ci95 : 0 });

/** The datasets of the studies: the embedded MNIST digits always; Fashion-MNIST for the surgical study and Omniglot for the few-shot study when present (default preset). */
function open(name: string, cfg: LectureConfig): { train: ClassificationDataset; test: ClassificationDataset } | null {
  const opts: OpenOptions = cfg.dataDir ? { dataDir: cfg.dataDir } : {};
  try {
    return trainTestSplits(name, opts);
  } catch (e) {
    if (name === 'mnist') throw e;
    return null;
  }
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

/** The transfer studies' network: an MLP 784-256-256, or a Conv-4 with 32 channels (a quarter of the 64-channel cost). */
function spec(cfg: LectureConfig, numClasses: number): ModelSpec {
  return { kind: cfg.model, inChannels: 1, imageSize: 28, numClasses, hidden: cfg.model === 'conv4' ? 32 : 256 };
}

function pretrainSource(cfg: LectureConfig, data: ClassificationDataset, objective: PretrainObjective, tag: string, opts: { epochs?: number; steps?: number }): SourceModel {
  const model = buildSourceModel(spec(cfg, objective === 'rotation' ? 4 : data.classes.length), cfg.seed);
  if ((opts.epochs ?? 1) > 0) pretrain({ model, objective, data, rng: new Rng(cfg.seed).fork(`lecture/${tag}`), ...opts });
  return model;
}

/**
 * (a) "Which layers to freeze?": a source trained on digits 0–4, fine-tuned on a few labelled examples of digits 5–9
 * by linear probing, LP-FT, full fine-tuning and surgical fine-tuning of the first and of the last hidden block;
 * in-distribution accuracy on clean digits 5–9 and out-of-distribution on the same digits with Gaussian noise.
 */
export function designChoices(cfg: LectureConfig, digits: { train: ClassificationDataset; test: ClassificationDataset }, source: SourceModel, progress?: (p: LectureProgress) => void): DesignChoicesResult {
  const t0 = now();
  const target = targetTask(subsetClasses(digits.train, range(5, 10)), subsetClasses(digits.test, range(5, 10)), { kind: 'none' }, cfg.seed);
  const blocks = (source as unknown as { blocks(): { name: string }[] }).blocks().map((b) => b.name);
  const strategies = ['linear-probe', 'lp-ft', 'full', `surgical:${blocks[0]}`, `surgical:${blocks[blocks.length - 2]}`];
  const rows: DesignChoicesResult['rows'] = [];
  strategies.forEach((s, k) => {
    progress?.({ stage: 'design-choices', done: k, total: strategies.length, detail: s });
    const r = runProtocol({ model: source, strategy: parseStrategy(s, source), ...target, trainSize: cfg.targetSize, seeds: cfg.seeds, epochs: cfg.fineTuneEpochs, lrGrid: cfg.lrGrid, testSize: cfg.testSize, seed: cfg.seed, newHead: true });
    rows.push({ strategy: s, lr: r.lr, id: interval(r.id), ood: r.ood ? interval(r.ood) : null });
  });
  progress?.({ stage: 'design-choices', done: strategies.length, total: strategies.length });
  return { dataset: 'mnist', source: `${cfg.model} trained on digits 0–4`, target: `digits 5–9, ${cfg.targetSize} labelled examples`, ood: 'the same digits with Gaussian noise (severity 3)', rows, seconds: now() - t0 };
}

/**
 * (b) Surgical fine-tuning (Lee et al. 2023): a source trained on all ten classes, then one block at a time (or
 * everything) fine-tuned under an input-level shift (corruption), an output-level shift (permuted labels) and a
 * feature-level shift (held-out sub-classes of superclasses). The lecture's claim: the best block follows the shift.
 */
export function surgical(cfg: LectureConfig, data: { name: string; train: ClassificationDataset; test: ClassificationDataset }, source: SourceModel, progress?: (p: LectureProgress) => void): SurgicalResult {
  const t0 = now();
  const blocks = (source as unknown as { blocks(): { name: string }[] }).blocks().map((b) => b.name);
  const shifts = [cfg.corruption, 'label-permutation', 'subpopulation'];
  const strategies = [...blocks.map((b) => `surgical:${b}`), 'full'];
  const cells: SurgicalResult['cells'] = [];
  const total = shifts.length * strategies.length;
  for (const shift of shifts) {
    const t = targetTask(data.train, data.test, parseShift(shift), cfg.seed);
    for (const s of strategies) {
      progress?.({ stage: 'surgical', done: cells.length, total, detail: `${shift} × ${s}` });
      const r: ProtocolResult = runProtocol({ model: source, strategy: parseStrategy(s, source), ...t, trainSize: cfg.targetSize, seeds: cfg.seeds, epochs: cfg.fineTuneEpochs, lrGrid: cfg.lrGrid, testSize: cfg.testSize, seed: cfg.seed });
      cells.push({ shift, strategy: s, lr: r.lr, id: interval(r.id) });
    }
  }
  progress?.({ stage: 'surgical', done: total, total });
  const best: Record<string, string> = {};
  for (const shift of shifts) {
    const mine = cells.filter((c) => c.shift === shift);
    best[shift] = mine.reduce((a, b) => (b.id.mean > a.id.mean ? b : a)).strategy;
  }
  return { dataset: data.name, blocks, shifts, cells, best, seconds: now() - t0 };
}

const seedInterval = (x: SeedSummary): Interval => ({ mean: x.mean, ci95: x.ci95 ?? 0 });

/**
 * (c) Multi-task vs transfer on the same tasks (digits 0–4 and digits 5–9): each task alone, both jointly (uniform
 * Σ L_i), and transfer — pre-train on digits 0–4, fine-tune on digits 5–9 (full and LP-FT) — with the source much
 * larger than the target and, in the default preset, the two equal. Transfer solves the target; joint training also
 * keeps the source, which transfer gives up (its old head on the fine-tuned trunk).
 */
export function multitaskVsTransfer(cfg: LectureConfig, progress?: (p: LectureProgress) => void): MultitaskVsTransferResult {
  const t0 = now();
  const tasks: [string, string] = ['mnist:classes=0-4', 'mnist:classes=5-9'];
  const seeds = Array.from({ length: cfg.seeds }, (_, i) => cfg.seed + i);
  const regimes: MultitaskVsTransferResult['regimes'] = [];
  cfg.multitaskRegimes.forEach(([source, target], k) => {
    progress?.({ stage: 'multitask', done: k, total: cfg.multitaskRegimes.length, detail: `source ${source}, target ${target}` });
    const r = runMultitaskStudy({
      tasks, weightings: ['uniform'], transfer: ['full', 'lp-ft'], seeds, model: { kind: 'mlp' }, epochs: cfg.multitaskEpochs,
      trainSizes: [source, target], testSize: cfg.testSize, ...(cfg.dataDir ? { data: { dataDir: cfg.dataDir } } : {}),
    });
    const rows: MultitaskVsTransferResult['regimes'][number]['rows'] = [
      { method: 'single-task', target: seedInterval(r.baselines.perTask[1]!.accuracy), source: seedInterval(r.baselines.perTask[0]!.accuracy), seconds: r.baselines.perTask.reduce((a, p) => a + p.seconds.mean, 0) },
      ...r.methods.map((m) => ({ method: `joint (${m.weighting})`, target: seedInterval(m.perTask[1]!.accuracy), source: seedInterval(m.perTask[0]!.accuracy), seconds: m.seconds.mean })),
      ...(r.transfer?.strategies ?? []).map((t) => ({ method: `transfer (${t.strategy})`, target: seedInterval(t.perTarget[0]!.accuracy), source: seedInterval(t.perTarget[0]!.sourceAccuracyAfter), seconds: t.seconds.mean })),
    ];
    regimes.push({ name: source > target ? 'source ≫ target' : source === target ? 'source = target' : 'source < target', trainSizes: [source, target], rows });
  });
  progress?.({ stage: 'multitask', done: cfg.multitaskRegimes.length, total: cfg.multitaskRegimes.length });
  return { tasks, regimes, seconds: now() - t0 };
}

/** The few-shot learners' network (with a head when `numClasses` > 0): an MLP 784-256-256 or a 32-channel Conv-4. */
function backbone(kind: 'mlp' | 'conv4', rng: Rng, numClasses: number): AnyModule & { features(x: Tensor): Tensor; featureDim: number } {
  const net = kind === 'mlp'
    ? new MLP(numClasses > 0 ? [784, 256, 256, numClasses] : [784, 256, 256], { rng })
    : new Conv4({ rng, hidden: 32, numClasses, pooling: 'max' });
  return net as unknown as AnyModule & { features(x: Tensor): Tensor; featureDim: number };
}

/**
 * The data of the few-shot study (d): base classes the learners are (pre-/meta-)trained on and new classes the test
 * episodes come from. Omniglot when the data directory has it (default preset): the 964 characters of the background
 * alphabets → the 659 of the evaluation alphabets, 20 drawings each, so K stops at 15 with 5 queries per class. Otherwise
 * the embedded digits 0–4 → 5–9, where K goes to 50 and "all" fine-tunes on every training example of digits 5–9.
 */
export interface FewShotData {
  dataset: string;
  train: ClassificationDataset;
  test: ClassificationDataset;
  base: number[];
  novel: number[];
  shots: number[];
  queries: number;
  /** add the "fine-tune on every labelled example of the new classes" point */
  all: boolean;
}

export function fewShotData(cfg: LectureConfig, digits: { train: ClassificationDataset; test: ClassificationDataset }, omniglot: { train: ClassificationDataset; test: ClassificationDataset } | null): FewShotData {
  if (omniglot) {
    const queries = 5, perClass = 20;
    return { dataset: 'omniglot', ...omniglot, base: range(0, omniglot.train.classes.length), novel: range(0, omniglot.test.classes.length), shots: cfg.omniglotShots.filter((k) => k + queries <= perClass), queries, all: false };
  }
  return { dataset: 'mnist', ...digits, base: range(0, 5), novel: range(5, 10), shots: cfg.shots, queries: cfg.queries, all: true };
}

/**
 * (d) "Fine-tuning fails with tiny data; meta-learning helps": 5-way K-shot episodes on new classes for learners that
 * only saw the base classes — fine-tune everything on the support, Baseline++ (a new cosine head), ProtoNet and
 * MAML — on the same fixed episodes for every K; and, on the digits, fine-tuning on all the labelled examples of the
 * new classes as the other end of the curve.
 */
export function accuracyVsShots(cfg: LectureConfig, data: FewShotData, progress?: (p: LectureProgress) => void): ShotsResult {
  const t0 = now();
  const ways = 5, { base, novel, train, test, queries } = data;
  // five digit classes are too few to meta-learn from: each class of a training episode is also rotated by a random
  // multiple of 90° (Finn et al.'s and Snell et al.'s task augmentation; on Omniglot too, as they do)
  const baseSampler = new EpisodeSampler(train, { ways, shots: 5, queries, classes: base, rotate: 'random90' });
  const baseSet = new Set(base);
  const pool = Array.from({ length: train.length }, (_, i) => i).filter((i) => baseSet.has(train.labels[i]!));
  const supervisedBatches = (rng: Rng): Task[] => [{ support: collate(train, rng.choice(pool.length, 32).map((j) => pool[j]!)), query: collate(train, []) }];
  const numBase = base.length;
  const learners: { method: string; family: string; make: () => MetaLearner; steps: number; tasks: (rng: Rng) => Task[] }[] = [
    { method: 'finetune', family: 'transfer', steps: cfg.metaSteps.baseline, tasks: supervisedBatches, make: () => new FineTune({ backbone: backbone(cfg.fewShotModel, new Rng(cfg.seed).fork('ft'), numBase) as never, numBaseClasses: numBase, rng: new Rng(cfg.seed).fork('ft/adapt'), steps: cfg.quick ? 30 : 50, batch: 25 }) },
    { method: 'baseline++', family: 'transfer', steps: cfg.metaSteps.baseline, tasks: supervisedBatches, make: () => new Baseline({ backbone: backbone(cfg.fewShotModel, new Rng(cfg.seed).fork('bpp'), numBase) as never, numBaseClasses: numBase, head: 'cosine', rng: new Rng(cfg.seed).fork('bpp/adapt'), headEpochs: cfg.quick ? 30 : 50 }) },
    { method: 'protonet', family: 'non-parametric', steps: cfg.metaSteps.protonet, tasks: (rng) => [baseSampler.sample(rng)], make: () => new ProtoNet({ encoder: backbone(cfg.fewShotModel, new Rng(cfg.seed).fork('proto'), 0) }) },
    { method: 'maml', family: 'optimisation', steps: cfg.metaSteps.maml, tasks: (rng) => Array.from({ length: 4 }, () => baseSampler.sample(rng)), make: () => new MAML({ model: backbone(cfg.fewShotModel, new Rng(cfg.seed).fork('maml'), ways), innerLr: 0.1, innerSteps: 1, evalInnerSteps: 5 }) },
  ];
  const fixed = new Map(data.shots.map((k) => [k, new EpisodeSampler(test, { ways, shots: k, queries, classes: novel }).fixed(cfg.seed + 7, cfg.episodes)]));
  const total = learners.length * (1 + data.shots.length) + (data.all ? 1 : 0);
  let done = 0;
  const rows: ShotsResult['rows'] = [];
  let fineTuner: MetaLearner | null = null;
  for (const l of learners) {
    progress?.({ stage: 'shots', done: done++, total, detail: `meta-train ${l.method}` });
    const learner = l.make();
    if (l.method === 'finetune') fineTuner = learner;
    metaTrain({ learner, tasks: l.tasks, seed: cfg.seed, steps: l.steps, dir: null });
    for (const k of data.shots) {
      progress?.({ stage: 'shots', done: done++, total, detail: `${l.method} ${k}-shot` });
      rows.push({ method: l.method, family: l.family, shots: k, accuracy: interval(evaluate(learner, fixed.get(k)!)) });
    }
  }
  if (data.all) {
    // fine-tuning with every labelled example of the new classes (the "plenty of target data" end): the same
    // fine-tune learner, its support being all of the new classes' training examples; a binomial 95% interval
    progress?.({ stage: 'shots', done: done++, total, detail: 'finetune, all target examples' });
    const all = subsetClasses(train, novel), novelTest = subsetClasses(test, novel);
    const queryIdx = new Rng(cfg.seed).fork('lecture/all-query').choice(novelTest.length, Math.min(cfg.testSize, novelTest.length));
    const full: Task = { support: collate(all, Array.from({ length: all.length }, (_, i) => i)), query: collate(novelTest, queryIdx) };
    // the same pre-trained network, fine-tuned for 3 epochs of the larger support (25 examples a step)
    const allTuner = new FineTune({ backbone: backbone(cfg.fewShotModel, new Rng(cfg.seed).fork('ft'), numBase) as never, numBaseClasses: numBase, rng: new Rng(cfg.seed).fork('ft/adapt'), steps: Math.ceil((3 * all.length) / 25), batch: 25 });
    allTuner.model.loadStateDict(fineTuner!.model.stateDict());
    const acc = evaluate(allTuner, [full]).mean;
    rows.push({ method: 'finetune', family: 'transfer', shots: 'all', accuracy: { mean: acc, ci95: 1.96 * Math.sqrt((acc * (1 - acc)) / queryIdx.length) } });
  }
  progress?.({ stage: 'shots', done: total, total });
  const names = (ds: ClassificationDataset, cls: number[]): string[] => cls.map((c) => ds.classes[c] ?? String(c));
  const description = data.dataset === 'omniglot'
    ? `the ${novel.length} characters of Omniglot's evaluation alphabets, for learners that saw only the ${base.length} of its background alphabets (${queries} queries per class)`
    : `${data.dataset} classes ${names(test, novel).join(', ')}, for learners that saw only classes ${names(train, base).join(', ')} (${queries} queries per class)`;
  return { dataset: data.dataset, description, ways, baseClasses: names(train, base), novelClasses: names(test, novel), shots: data.shots, queries, episodes: cfg.episodes, rows, seconds: now() - t0 };
}

/**
 * (e) "Will transfer help?": LEEP, NCE, LogME and H-score of several sources on the digits 5–9 target, computed
 * before any fine-tuning, against the accuracy full fine-tuning then reaches; Spearman's ρ per score.
 */
export function transferability(cfg: LectureConfig, digits: { train: ClassificationDataset; test: ClassificationDataset }, sources: { name: string; model: SourceModel; selfSupervised: boolean }[], progress?: (p: LectureProgress) => void): TransferabilityResult {
  const t0 = now();
  const train = subsetClasses(digits.train, range(5, 10)), test = subsetClasses(digits.test, range(5, 10));
  const pick = new Rng(cfg.seed).fork('lecture/estimate').choice(train.length, Math.min(500, train.length));
  const probe = collate(train, pick);
  const metrics = [...TRANSFERABILITY_METRICS];
  const total = sources.length + 1;
  progress?.({ stage: 'transferability', done: 0, total, detail: 'scores' });
  const scored = scoreCheckpoints(sources.map((s) => ({ name: s.name, model: s.model, ...(s.selfSupervised ? { head: null } : {}) })), { x: probe.x, y: probe.y }, { metrics });
  const t = targetTask(train, test, { kind: 'none' }, cfg.seed);
  const rows: TransferabilityResult['rows'] = sources.map((s, k) => {
    progress?.({ stage: 'transferability', done: k + 1, total, detail: `fine-tune ${s.name}` });
    const r = runProtocol({ model: s.model, strategy: parseStrategy('full', s.model), ...t, trainSize: cfg.targetSize, seeds: cfg.seeds, epochs: cfg.fineTuneEpochs, lrGrid: [1e-3], testSize: cfg.testSize, seed: cfg.seed, newHead: true });
    const row = scored.find((x) => x.name === s.name)!; // scoreCheckpoints sorts its rows best first
    return { source: s.name, scores: Object.fromEntries(metrics.map((m) => [m, row[m] ?? null])), accuracy: interval(r.id) };
  });
  progress?.({ stage: 'transferability', done: total, total });
  const rho: TransferabilityResult['spearman'] = {};
  for (const m of metrics) {
    const have = rows.filter((r) => typeof r.scores[m] === 'number');
    rho[m] = spearman(have.map((r) => r.scores[m] as number), have.map((r) => r.accuracy.mean));
  }
  return { target: `digits 5–9, ${cfg.targetSize} labelled examples (scores on 500)`, metrics, rows, spearman: rho, seconds: now() - t0 };
}

function picture(ds: ClassificationDataset, i: number): number[][] {
  const { image } = ds.get(i);
  const scale = image.data instanceof Uint8Array ? 1 : 255; // float images are 0..1
  return Array.from({ length: image.height }, (_, r) => Array.from({ length: image.width }, (_, c) => Math.round(Math.min(255, Math.max(0, scale * image.data[r * image.width + c]!)))));
}

/** Run every study; `progress` reports each stage's advance (the CLI draws a bar per stage). */
export function runLecture(cfg: LectureConfig, progress?: (p: LectureProgress) => void): LectureResult {
  const t0 = now();
  const digits = open('mnist', cfg)!;
  const fashion = cfg.quick ? null : open('fashion-mnist', cfg);
  const fewShot = fewShotData(cfg, digits, cfg.quick ? null : open('omniglot', cfg));
  const surgicalData = fashion ? { name: 'fashion-mnist', ...fashion } : { name: 'mnist', ...digits };
  // sources: digits 0–4 with labels (the transfer source of (a), (d), (e)), all classes of the surgical dataset, and
  // label-free sources on digits 0–4 for the transferability study
  const base = subsetClasses(digits.train, range(0, 5));
  const source = pretrainSource(cfg, base, 'supervised', 'source', { epochs: cfg.sourceEpochs });
  const designChoicesResult = designChoices(cfg, digits, source, progress);
  const surgicalSource = pretrainSource(cfg, surgicalData.train, 'supervised', 'surgical-source', { epochs: cfg.surgicalSourceEpochs });
  const surgicalResult = surgical(cfg, surgicalData, surgicalSource, progress);
  const multitaskResult = multitaskVsTransfer(cfg, progress);
  const shotsResult = accuracyVsShots(cfg, fewShot, progress);
  const sources = [
    { name: 'supervised, digits 0–4', model: source, selfSupervised: false },
    { name: 'supervised, digits 0–4, 1 epoch', model: pretrainSource(cfg, base, 'supervised', 'source-short', { epochs: 1 }), selfSupervised: false },
    { name: 'rotation, digits 0–4', model: pretrainSource(cfg, base, 'rotation', 'rotation', { steps: cfg.sslSteps }), selfSupervised: true },
    { name: 'SimCLR, digits 0–4', model: pretrainSource(cfg, base, 'simclr', 'simclr', { steps: cfg.sslSteps }), selfSupervised: true },
    { name: 'random initialisation', model: pretrainSource(cfg, base, 'supervised', 'random', { epochs: 0 }), selfSupervised: false },
    ...(surgicalData.name === 'fashion-mnist' ? [{ name: 'supervised, Fashion-MNIST', model: surgicalSource, selfSupervised: false }] : []),
  ];
  const transferabilityResult = transferability(cfg, digits, sources, progress);
  const samples: LectureSamples = {
    shifted: [{ shift: 'none', images: [0, 1, 2, 3].map((i) => picture(surgicalData.test, i)) }, ...surgicalResult.shifts.map((shift) => {
      const t = targetTask(surgicalData.train, surgicalData.test, parseShift(shift), cfg.seed);
      return { shift, images: [0, 1, 2, 3].map((i) => picture(t.test, i)) };
    })],
    episode: (() => {
      const ep = new EpisodeSampler(fewShot.test, { ways: 5, shots: 1, queries: 0, classes: fewShot.novel }).sampleIndices(new Rng(cfg.seed).fork('lecture/picture'));
      const idx = Array.from(ep.support);
      return { shots: 1, images: idx.map((i) => picture(fewShot.test, i)), labels: idx.map((i) => fewShot.test.labels[i]!), names: idx.map((i) => fewShot.test.classes[fewShot.test.labels[i]!] ?? String(fewShot.test.labels[i])) };
    })(),
  };
  return { config: cfg, designChoices: designChoicesResult, surgical: surgicalResult, multitask: multitaskResult, shots: shotsResult, transferability: transferabilityResult, samples, seconds: now() - t0 };
}
