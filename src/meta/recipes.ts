// Learners and task sources built from a plain config (what `adaptlab meta-train` records in config.json).
import { ArgumentError } from '../core/errors.js';
import { EpisodeSampler } from '../data/episodes.js';
import { datasetTrainTest, openDataset, type OpenOptions } from '../data/registry.js';
import { SinusoidTasks } from '../data/tasks.js';
import { collate, type ClassificationDataset } from '../data/dataset.js';
import { Rng } from '../engine/rng.js';
import { Conv4 } from '../nn/models/conv4.js';
import { MLP } from '../nn/models/mlp.js';
import { ANIL } from './anil.js';
import { Baseline, FineTune, type Backbone } from './baselines.js';
import { BlackBox } from './black-box.js';
import { CNP } from './cnp.js';
import { FOMAML } from './fomaml.js';
import type { MetaLearner, Task } from './learner.js';
import { MAML } from './maml.js';
import { MAMLPlusPlus } from './maml-plus-plus.js';
import { MatchingNet } from './matching-net.js';
import { MetaSGD } from './meta-sgd.js';
import { PretrainAll } from './pretrain-all.js';
import { ProtoNet } from './protonet.js';
import { Reptile } from './reptile.js';
import type { OuterSchedule } from './train.js';

/** Every method `meta-train` knows, with what it is. */
export const METHODS: Record<string, { family: string; summary: string; problems: ('classification' | 'regression')[] }> = {
  maml: { family: 'optimisation', summary: 'MAML, second order (Finn et al. 2017)', problems: ['classification', 'regression'] },
  fomaml: { family: 'optimisation', summary: 'first-order MAML', problems: ['classification', 'regression'] },
  anil: { family: 'optimisation', summary: 'ANIL: inner loop on the head only (Raghu et al. 2020)', problems: ['classification'] },
  'meta-sgd': { family: 'optimisation', summary: 'Meta-SGD: learned per-parameter inner lrs (Li et al. 2017)', problems: ['classification', 'regression'] },
  'maml++': { family: 'optimisation', summary: 'MAML++: LSLR, per-step BN, MSL, DA (Antoniou et al. 2019)', problems: ['classification', 'regression'] },
  reptile: { family: 'optimisation', summary: 'Reptile: Adam inner loop, annealed outer step (Nichol et al. 2018)', problems: ['classification', 'regression'] },
  protonet: { family: 'non-parametric', summary: 'prototypical networks (Snell et al. 2017)', problems: ['classification'] },
  matching: { family: 'non-parametric', summary: 'matching networks, cosine attention (Vinyals et al. 2016)', problems: ['classification'] },
  snail: { family: 'black-box', summary: 'SNAIL: causal attention + temporal convolutions over the episode (Mishra et al. 2018)', problems: ['classification'] },
  mann: { family: 'black-box', summary: 'MANN-style LSTM reading (x_t, y_{t-1}) (Santoro et al. 2016, no external memory)', problems: ['classification'] },
  cnp: { family: 'black-box', summary: 'conditional neural process: a distribution over y (Garnelo et al. 2018)', problems: ['regression'] },
  baseline: { family: 'transfer', summary: 'pre-train on base classes, new linear head on the support (Chen et al. 2019)', problems: ['classification'] },
  'baseline++': { family: 'transfer', summary: 'as baseline with a cosine head', problems: ['classification'] },
  finetune: { family: 'transfer', summary: 'pre-train on base classes, fine-tune everything on the support', problems: ['classification'] },
  'pretrain-all': { family: 'transfer', summary: 'train on all tasks jointly, fine-tune at test (Finn et al. 2017 baseline)', problems: ['regression'] },
};

/** The methods whose test-time adaptation is a number of gradient steps (`evalInnerSteps`, `--eval-inner-steps`). */
export const EVAL_STEP_METHODS: readonly string[] = ['maml', 'fomaml', 'anil', 'meta-sgd', 'reptile', 'pretrain-all'];

/** Everything needed to rebuild a learner and its tasks; stored as a run's config. */
export interface MetaConfig {
  method: string;
  dataset: string;
  split?: string;
  ways: number;
  shots: number;
  queries: number;
  trainWays?: number;
  /** examples per class in the training tasks' support (default shots; Reptile's train-shots) */
  trainShots?: number;
  trainQueries?: number;
  metaBatch?: number;
  innerSteps?: number;
  /** gradient steps when adapting at validation and test time (MAML, FOMAML, ANIL, Meta-SGD, Reptile, pretrain-all) */
  evalInnerSteps?: number;
  innerLr?: number;
  firstOrder?: boolean;
  seed: number;
  /** total meta-iterations (for schedules) */
  steps?: number;
  dataDir?: string;
  cacheDir?: string | false;
}

/** The paper defaults a config leaves out, by method and setting (REFERENCE.md §3). */
export function withDefaults(c: MetaConfig): Required<Pick<MetaConfig, 'metaBatch' | 'innerSteps' | 'evalInnerSteps' | 'innerLr' | 'trainWays' | 'trainShots' | 'trainQueries'>> & MetaConfig {
  const m = c.method, sinusoid = c.dataset === 'sinusoid', wide = c.ways >= 20;
  const innerLr = c.innerLr ?? (sinusoid ? 0.01 : m === 'reptile' ? (wide ? 5e-4 : 1e-3) : m === 'maml++' ? 0.1 : wide ? 0.1 : 0.4);
  const innerSteps = c.innerSteps ?? (m === 'reptile' ? (wide ? 10 : 5) : m === 'maml++' ? 5 : sinusoid ? 1 : wide ? 5 : 1);
  // Meta-SGD's learned α and MAML++'s per-step lrs are learned for exactly the trained number of steps (Li et al. adapt
  // in one step at test too); more steps of a learned α diverge (Meta-SGD on sinusoids: MSE 0.42 after 1 step, NaN after 5)
  const evalInnerSteps = c.evalInnerSteps ?? (m === 'reptile' ? 50 : m === 'meta-sgd' || m === 'maml++' ? innerSteps : sinusoid ? 10 : wide ? 5 : 3);
  const metaBatch = c.metaBatch ?? (sinusoid ? 25 : m === 'protonet' || m === 'matching' ? 1 : m === 'snail' || m === 'mann' ? 8 : m === 'reptile' ? 5 : m === 'maml++' ? 8 : wide ? 16 : 32);
  const trainWays = c.trainWays ?? (m === 'protonet' && c.dataset === 'omniglot' ? 60 : c.ways);
  const trainShots = c.trainShots ?? (m === 'reptile' && !sinusoid ? 10 : c.shots);
  const trainQueries = c.trainQueries ?? (m === 'protonet' && c.dataset === 'omniglot' ? 5 : c.queries);
  return { ...c, innerLr, innerSteps, evalInnerSteps, metaBatch, trainWays, trainShots, trainQueries };
}

/** The outer schedule of a method's paper: ProtoNets halve every 2000 episodes, Reptile anneals to 0, MAML++ cosine. */
export function defaultSchedule(method: string): OuterSchedule {
  if (method === 'protonet' || method === 'matching') return { kind: 'step', every: 2000, gamma: 0.5 };
  if (method === 'reptile') return { kind: 'linear' };
  if (method === 'maml++') return { kind: 'cosine', etaMin: 1e-5 };
  return 'constant';
}

const isRegression = (c: MetaConfig): boolean => c.dataset === 'sinusoid';

/**
 * A classification split as a ClassificationDataset, with the episode rotation it calls for; null for a
 * validation split the preset does not have (validation never falls back to test classes).
 * Omniglot's default preset is `snell`: Vinyals et al.'s characters with Snell et al.'s 172 validation characters.
 */
export function openSplit(c: MetaConfig, part: 'train' | 'val' | 'test'): { dataset: ClassificationDataset; rotate: 'none' | 'random90'; split: string; classes?: number[] } | null {
  const opts: OpenOptions = {};
  if (c.dataDir) opts.dataDir = c.dataDir;
  if (c.cacheDir !== undefined) opts.cacheDir = c.cacheDir;
  const ds = openDataset(c.dataset, opts);
  if (ds.format === 'omniglot') {
    const preset = c.split ?? 'snell';
    if (part === 'val' && (preset === 'vinyals' || preset === 'lake')) return null;
    return ds.split(`${preset}:${part}`);
  }
  // MNIST-like datasets: 10 classes; meta-training uses classes 0–4 (train images), validation and test 5–9
  // (validation on train images, test on test images)
  // (a dataset shipped as one split, like the embedded MNIST digits, is halved: even indices train, odd ones test)
  const halves = datasetTrainTest(ds);
  const dataset = part === 'test' ? halves.test : halves.train;
  const k = dataset.classes.length;
  const half = Math.floor(k / 2);
  const classes = part === 'train' ? Array.from({ length: half }, (_, i) => i) : Array.from({ length: k - half }, (_, i) => half + i);
  return { dataset, rotate: 'none', split: part === 'test' ? 'test' : 'train', classes };
}

function mustOpen(c: MetaConfig, part: 'train' | 'test'): NonNullable<ReturnType<typeof openSplit>> {
  const s = openSplit(c, part);
  if (!s) throw new ArgumentError('meta', `${c.dataset} has no ${part} split`);
  return s;
}

/** Tasks for meta-training: a meta-batch per step, drawn from the step's rng. */
export function trainTaskSource(c: MetaConfig): (rng: Rng) => Task[] {
  const d = withDefaults(c);
  if (isRegression(c)) {
    const fam = new SinusoidTasks();
    return (rng) => Array.from({ length: d.metaBatch }, () => fam.sampleEpisode(fam.sampleTask(rng), rng, { shots: d.trainShots, queries: d.trainQueries }));
  }
  const s = mustOpen(c, 'train');
  const sampler = new EpisodeSampler(s.dataset, { ways: d.trainWays, shots: d.trainShots, queries: d.trainQueries, rotate: s.rotate, ...(s.classes ? { classes: s.classes } : {}) });
  if (c.method === 'baseline' || c.method === 'baseline++' || c.method === 'finetune') {
    // supervised pre-training on all base classes: mini-batches of 16 examples with their base labels
    const n = s.dataset.length;
    const allowed = s.classes ? new Set(s.classes) : null;
    const pool = allowed ? Array.from({ length: n }, (_, i) => i).filter((i) => allowed.has(s.dataset.labels[i]!)) : null;
    return (rng) => Array.from({ length: d.metaBatch }, () => {
      const idx = pool ? rng.choice(pool.length, 16).map((j) => pool[j]!) : rng.choice(n, 16);
      return { support: collate(s.dataset, idx), query: collate(s.dataset, []) }; // base-class labels as they are
    });
  }
  return (rng) => Array.from({ length: d.metaBatch }, () => sampler.sample(rng));
}

/**
 * A fixed, seeded list of evaluation tasks (the same for every method on the same config and seed), or null
 * when the dataset has no such split (Omniglot's vinyals preset has no validation characters).
 */
export function evalTasks(c: MetaConfig, part: 'val' | 'test', count: number, seed: number): Iterable<Task> | null {
  if (isRegression(c)) {
    const fam = new SinusoidTasks();
    const salt = part === 'val' ? 'val' : 'test';
    return Array.from({ length: count }, (_, i) => {
      const rng = new Rng(seed).fork(`${salt}/${i}`);
      return fam.sampleEpisode(fam.sampleTask(rng), rng, { shots: c.shots, queries: c.queries });
    });
  }
  const s = openSplit(c, part);
  if (!s) return null;
  const sampler = new EpisodeSampler(s.dataset, { ways: c.ways, shots: c.shots, queries: c.queries, rotate: 'none', ...(s.classes ? { classes: s.classes } : {}) });
  return sampler.fixed(seed, count);
}

/** The number of base classes of the training split (the Baseline head's width). */
function numBaseClasses(c: MetaConfig): number {
  const s = mustOpen(c, 'train');
  return s.classes ? s.classes.length : s.dataset.classes.length;
}

/** Build the learner a config describes (model initialised from the config's seed). */
export function buildLearner(c: MetaConfig): MetaLearner {
  const d = withDefaults(c);
  const info = METHODS[c.method];
  if (!info) throw new ArgumentError('meta', `unknown method "${c.method}" (methods: ${Object.keys(METHODS).join(', ')})`);
  const problem = isRegression(c) ? 'regression' : 'classification';
  if (!info.problems.includes(problem)) throw new ArgumentError('meta', `${c.method} does not do ${problem} (dataset ${c.dataset})`);
  if (c.evalInnerSteps !== undefined && !EVAL_STEP_METHODS.includes(c.method)) {
    throw new ArgumentError('meta', `${c.method} does not adapt by a set number of gradient steps at test time: evalInnerSteps applies to ${EVAL_STEP_METHODS.join(', ')}`);
  }
  const rng = new Rng(c.seed).fork('init');
  const learnerRng = new Rng(c.seed).fork('learner');
  const inner = { innerLr: d.innerLr, innerSteps: d.innerSteps, evalInnerSteps: d.evalInnerSteps, problem } as const;
  if (problem === 'regression') {
    const mlp = (): MLP => new MLP([1, 40, 40, 1], { rng });
    switch (c.method) {
      case 'maml': return new MAML({ model: mlp(), ...inner, firstOrder: c.firstOrder ?? false });
      case 'fomaml': return new FOMAML({ model: mlp(), ...inner });
      case 'meta-sgd': return new MetaSGD({ model: mlp(), ...inner });
      case 'maml++': return new MAMLPlusPlus({ model: mlp(), innerLr: d.innerLr, innerSteps: d.innerSteps, problem, epochLength: 500, mslEpochs: 10 });
      case 'reptile': return new Reptile({ model: mlp(), problem, innerOptimizer: 'sgd', innerLr: d.innerLr, innerSteps: d.innerSteps, evalInnerSteps: d.evalInnerSteps, rng: learnerRng });
      case 'cnp': return new CNP({ rng, encoder: [128, 128, 128, 128], decoder: [128, 128] });
      case 'pretrain-all': return new PretrainAll({ model: mlp(), ...inner });
    }
  }
  const maxPool = ['protonet', 'matching', 'baseline', 'baseline++', 'finetune', 'reptile', 'snail', 'mann'].includes(c.method);
  const ways = d.trainWays;
  const conv4 = (numClasses: number, extra: { bnPerStepStatistics?: number } = {}): Conv4 =>
    new Conv4({ rng, hidden: 64, numClasses, pooling: maxPool ? 'max' : 'stride', ...extra });
  switch (c.method) {
    case 'maml': return new MAML({ model: conv4(ways), ...inner, firstOrder: c.firstOrder ?? false });
    case 'fomaml': return new FOMAML({ model: conv4(ways), ...inner });
    case 'anil': return new ANIL({ model: conv4(ways), ...inner, firstOrder: c.firstOrder ?? false });
    case 'meta-sgd': return new MetaSGD({ model: conv4(ways), ...inner, firstOrder: c.firstOrder ?? false });
    case 'maml++': return new MAMLPlusPlus({ model: conv4(ways, { bnPerStepStatistics: d.innerSteps }), innerLr: d.innerLr, innerSteps: d.innerSteps, epochLength: 500, mslEpochs: 10 });
    case 'reptile': return new Reptile({ model: conv4(ways), innerLr: d.innerLr, innerSteps: d.innerSteps, evalInnerSteps: d.evalInnerSteps, innerBatch: d.ways >= 20 ? 20 : 10, rng: learnerRng });
    case 'protonet': return new ProtoNet({ encoder: conv4(0) });
    case 'matching': return new MatchingNet({ encoder: conv4(0) });
    case 'baseline': case 'baseline++':
      return new Baseline({ backbone: conv4(0) as unknown as Backbone, numBaseClasses: numBaseClasses(c), head: c.method === 'baseline++' ? 'cosine' : 'linear', rng: learnerRng });
    case 'snail': case 'mann':
      if (d.trainWays !== c.ways || d.trainShots !== c.shots) throw new ArgumentError('meta', `${c.method} reads sequences of one length: train and test ways/shots must match`);
      return new BlackBox({ encoder: conv4(0), featureDim: 64, ways: c.ways, shots: c.shots, rng: learnerRng, core: c.method === 'mann' ? 'lstm' : 'attention' });
    case 'finetune': return new FineTune({ backbone: conv4(0) as unknown as Backbone, numBaseClasses: numBaseClasses(c), rng: learnerRng });
  }
  throw new ArgumentError('meta', `${c.method} is not available for ${c.dataset}`);
}
