// The meta-training loop: outer optimiser and schedule, validation on fixed tasks, checkpoints, resume, budgets.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError } from '../core/errors.js';
import { Rng } from '../engine/rng.js';
import { Adam } from '../optim/adam.js';
import { clipGradValue_ } from '../optim/clip.js';
import type { Optimizer } from '../optim/optimizer.js';
import { CosineAnnealingLR, LambdaLR, StepLR, type LRScheduler } from '../optim/schedulers.js';
import { SGD } from '../optim/sgd.js';
import { checkpointDirFor, listCheckpoints, pruneCheckpoints, readCheckpointDir, writeCheckpointDir, type TrainerState } from './checkpoint.js';
import { evaluate, type EvaluationResult } from './evaluate.js';
import type { MetaLearner, MetaStepMetrics, Task } from './learner.js';

/** The outer learning-rate schedule, by step: constant, halve every N (ProtoNets), cosine (MAML++), linear to 0 (Reptile). */
export type OuterSchedule = 'constant' | { kind: 'step'; every: number; gamma: number } | { kind: 'cosine'; etaMin?: number } | { kind: 'linear' };

export interface MetaTrainOptions {
  learner: MetaLearner;
  /** the meta-batch of a step, drawn from `rng` (a fork of the seed per step, so a resumed run draws the same tasks) */
  tasks: (rng: Rng, step: number) => Task[];
  seed: number;
  /** meta-iterations; with a time budget, the most that may run */
  steps?: number;
  /** stop after this many seconds of training (checked between steps) */
  timeBudget?: number;
  /** outer optimiser (default: the learner's preference, else Adam) and learning rate (default 1e-3) */
  optimizer?: 'adam' | 'sgd';
  lr?: number;
  schedule?: OuterSchedule;
  /** clamp meta-gradients to ±value (MAML's miniImageNet recipe uses 10) */
  clipGradValue?: number;
  /** validation on fixed tasks every `every` steps (and at the end); the best is kept in `dir/best` */
  validation?: { tasks: () => Iterable<Task>; every: number };
  /** where checkpoints go (`dir/checkpoints/step-N`, `dir/best`); null: no checkpoints */
  dir?: string | null;
  checkpointEvery?: number;
  /** continue from the newest checkpoint in `dir` */
  resume?: boolean;
  /** a flag the caller sets (SIGINT/SIGTERM): the loop checkpoints and stops after the current step */
  stop?: { requested: boolean };
  onStep?: (info: { step: number; metrics: MetaStepMetrics; lr: number; elapsed: number }) => void;
  onValidation?: (info: { step: number; result: EvaluationResult; best: boolean }) => void;
  /** clock in seconds (tests pass a fake one) */
  now?: () => number;
}

export interface MetaTrainResult {
  steps: number;
  elapsedSeconds: number;
  stoppedBy: 'steps' | 'time' | 'signal';
  best: TrainerState['best'];
  resumedFrom: number | null;
}

function makeOptimizer(o: MetaTrainOptions): Optimizer {
  const params = o.learner.namedMetaParameters();
  const kind = o.optimizer ?? o.learner.outer?.optimizer ?? 'adam';
  const lr = o.lr ?? o.learner.outer?.lr ?? 1e-3;
  return kind === 'sgd' ? new SGD(params, { lr }) : new Adam(params, { lr });
}

/**
 * The outer learning-rate schedule. Linear-to-zero anneals over the steps, or, with only a time budget, over the
 * fraction of the budget used (`progress`), so Reptile's annealed outer step also works under --time-budget.
 */
function makeSchedule(o: MetaTrainOptions, opt: Optimizer, progress: () => number): LRScheduler | null {
  const s = o.schedule ?? (o.learner.method === 'reptile' ? { kind: 'linear' } : 'constant');
  if (s === 'constant') return null;
  const total = o.steps;
  switch (s.kind) {
    case 'step': return new StepLR(opt, s.every, s.gamma);
    case 'cosine': {
      if (total) return new CosineAnnealingLR(opt, total, s.etaMin ?? 0);
      if (!o.timeBudget) throw new ArgumentError('metaTrain', 'a cosine schedule needs steps or a time budget');
      // the same curve over the elapsed fraction of the budget: lr = ηmin + (lr0 − ηmin)·(1 + cos πp)/2
      const base = opt.paramGroups[0]?.hyper.lr ?? 1;
      const floor = (s.etaMin ?? 0) / (base || 1);
      return new LambdaLR(opt, () => floor + (1 - floor) * (1 + Math.cos(Math.PI * Math.min(1, progress()))) / 2);
    }
    case 'linear':
      if (total) return new LambdaLR(opt, (e) => Math.max(0, 1 - e / total));
      if (!o.timeBudget) throw new ArgumentError('metaTrain', 'a linear-to-zero schedule needs steps or a time budget');
      return new LambdaLR(opt, () => Math.max(0, 1 - progress()));
  }
}

/**
 * Whether a validation score beats the best so far: higher accuracy or lower MSE. A non-finite score (an inner loop
 * that diverged) never becomes best, and any finite score beats a non-finite best (null once read back from JSON).
 */
export function improves(metric: 'accuracy' | 'mse', score: number, best: number | null | undefined): boolean {
  if (!Number.isFinite(score)) return false;
  if (best === undefined || best === null || !Number.isFinite(best)) return true;
  return metric === 'accuracy' ? score > best : score < best;
}

/**
 * Meta-train a learner: per step, draw a meta-batch, `learner.metaBackward`, clip, outer step, schedule; validate
 * on fixed tasks; checkpoint atomically (a kill -9 loses at most `checkpointEvery` steps, and a resumed run
 * ends bit-identical to an uninterrupted one: every step's randomness is a fork of the seed by step number).
 * @example metaTrain({ learner: new ProtoNet({ encoder }), tasks: (rng) => [sampler.sample(rng)], seed: 0, steps: 20000 });
 */
export function metaTrain(o: MetaTrainOptions): MetaTrainResult {
  const run = trainLoop(o);
  for (;;) {
    const r = run.next();
    if (r.done) return r.value;
  }
}

/**
 * metaTrain that yields to the event loop between steps, so signal handlers (SIGINT/SIGTERM setting
 * `stop.requested`) and timers run while it trains. Same results as metaTrain.
 */
export async function metaTrainAsync(o: MetaTrainOptions): Promise<MetaTrainResult> {
  const run = trainLoop(o);
  for (;;) {
    const r = run.next();
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function* trainLoop(o: MetaTrainOptions): Generator<void, MetaTrainResult> {
  if (o.steps === undefined && o.timeBudget === undefined) throw new ArgumentError('metaTrain', 'give steps or a time budget');
  const now = o.now ?? (() => performance.now() / 1000);
  const opt = makeOptimizer(o);
  let state: TrainerState = { step: 0, elapsedSeconds: 0, best: null };
  const sched = makeSchedule(o, opt, () => state.elapsedSeconds / o.timeBudget!);
  const root = new Rng(o.seed);
  const dir = o.dir ?? null;
  if (dir) mkdirSync(dir, { recursive: true });
  let resumedFrom: number | null = null;
  if (o.resume) {
    if (!dir) throw new ArgumentError('metaTrain', 'resume needs a directory');
    const last = listCheckpoints(dir).pop();
    if (last) {
      state = readCheckpointDir(last.dir, o.learner, opt);
      resumedFrom = state.step;
      sched?.setEpoch(state.step);
    }
  }
  const checkpoint = (): void => {
    if (!dir) return;
    writeCheckpointDir(checkpointDirFor(dir, state.step), o.learner, opt, state);
    pruneCheckpoints(dir, 2);
  };
  const validate = (): void => {
    if (!o.validation) return;
    const result = evaluate(o.learner, o.validation.tasks());
    const better = improves(result.metric, result.mean, state.best?.mean);
    if (better) {
      state.best = { step: state.step, mean: result.mean, ci95: result.ci95 };
      if (dir) writeCheckpointDir(join(dir, 'best'), o.learner, null, state);
    }
    o.onValidation?.({ step: state.step, result, best: better });
  };
  const start = now() - state.elapsedSeconds;
  const params = o.learner.namedMetaParameters().map(([, p]) => p);
  let stoppedBy: MetaTrainResult['stoppedBy'] = 'steps';
  while (o.steps === undefined || state.step < o.steps) {
    if (o.timeBudget !== undefined && now() - start >= o.timeBudget) { stoppedBy = 'time'; break; }
    if (o.stop?.requested) { stoppedBy = 'signal'; break; }
    const rng = root.fork(`step/${state.step}`);
    const tasks = o.tasks(rng.fork('tasks'), state.step);
    opt.zeroGrad();
    const metrics = o.learner.metaBackward(tasks, { step: state.step, totalSteps: o.steps ?? null, rng: rng.fork('learner') });
    if (o.clipGradValue !== undefined) clipGradValue_(params, o.clipGradValue);
    opt.step();
    state.step++;
    state.elapsedSeconds = now() - start;
    sched?.step();
    o.onStep?.({ step: state.step, metrics, lr: opt.lrs[0]!, elapsed: state.elapsedSeconds });
    if (o.validation && state.step % o.validation.every === 0) validate();
    if (o.checkpointEvery && state.step % o.checkpointEvery === 0) checkpoint();
    yield;
  }
  if (o.validation && (state.best === null || state.best.step !== state.step) && state.step % o.validation.every !== 0) validate();
  checkpoint();
  return { steps: state.step, elapsedSeconds: state.elapsedSeconds, stoppedBy, best: state.best, resumedFrom };
}

/** The newest checkpoint directory of a run, or null. */
export function latestCheckpoint(dir: string): string | null {
  if (!existsSync(dir)) return null;
  return listCheckpoints(dir).pop()?.dir ?? null;
}
