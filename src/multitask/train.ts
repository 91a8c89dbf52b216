// The multi-task training loop (one batch per task per step through the shared trunk, a weighting method's update) and per-task metrics.
import { ArgumentError } from '../core/errors.js';
import { enableGrad, noGrad } from '../engine/autograd.js';
import { tensor } from '../engine/create.js';
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { crossEntropy } from '../engine/ops/nn.js';
import { concat, indexSelect, sliceAxis } from '../engine/ops/shape.js';
import { Adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import type { MultiTaskModel } from './model.js';
import { batchAllocation, type TaskSampling } from './sampling.js';
import type { LabeledTensors } from './tasks.js';
import type { Weighting } from './weighting/weighting.js';

/** A task as the trainer needs it: a name and its training tensors. */
export interface TrainingTask {
  name: string;
  train: LabeledTensors;
}

export interface MultitaskTrainOptions {
  /** one head per task, in the order of `tasks` */
  model: MultiTaskModel;
  tasks: readonly TrainingTask[];
  weighting: Weighting;
  rng: Rng;
  /** passes over the union of the tasks' training sets: ⌈Σ n_i / batchSize⌉ steps each */
  epochs?: number;
  /** or stop after this many seconds (checked between steps) */
  timeBudget?: number;
  /** examples per step, all tasks together (default 64), shared by `sampling` */
  batchSize?: number;
  sampling?: TaskSampling;
  optimizer?: 'adam' | 'sgd';
  /** default 1e-3 (Adam) or 0.01 (SGD) */
  lr?: number;
  weightDecay?: number;
  /** learning rate of the weighting method's own parameters (default: lr) */
  weightingLr?: number;
  onStep?: (info: StepInfo) => void;
  now?: () => number;
}

export interface StepInfo {
  step: number;
  /** fractional epochs done */
  epoch: number;
  losses: number[];
  weights: number[];
  seconds: number;
}

export interface MultitaskTrainResult {
  steps: number;
  epochs: number;
  seconds: number;
  /** examples of each task per step */
  allocation: number[];
  /** mean training loss of each task over each epoch */
  lossHistory: number[][];
  /** the task weights of the last step */
  finalWeights: number[];
}

/**
 * Endless seeded passes over one task's examples: each pass is a fresh permutation from `rng.fork('pass/<k>')`; a
 * draw that crosses the end of a pass continues into the next.
 */
class ExampleStream {
  private order: number[] = [];
  private pos = 0;
  private pass = 0;
  constructor(private readonly n: number, private readonly rng: Rng) {}
  next(k: number): Int32Array {
    const out = new Int32Array(k);
    for (let i = 0; i < k; i++) {
      if (this.pos >= this.order.length) {
        this.order = this.rng.fork(`pass/${this.pass++}`).permutation(this.n);
        this.pos = 0;
      }
      out[i] = this.order[this.pos++]!;
    }
    return out;
  }
}

/** Σ n_i / batchSize, rounded up: the steps of one epoch. */
export function stepsPerEpoch(sizes: readonly number[], batchSize: number): number {
  return Math.ceil(sizes.reduce((a, n) => a + n, 0) / batchSize);
}

/**
 * Train a shared trunk with per-task heads on several tasks at once, min_θ Σ_i L_i(θ, D_i) as the weighting method
 * shapes it. Every step takes `allocation[i]` examples of task i (`batchAllocation`: the step's batch shared by the
 * sampling rule), puts all of them through the trunk in one batch (BatchNorm sees the mixture), gives each task's rows
 * to its head, computes each task's mean cross-entropy L_i, and lets the weighting method leave the update direction
 * in `.grad` before one optimiser step (Adam, lr 1e-3, no weight decay by default). The method's own parameters
 * (uncertainty's s, GradNorm's w) are a second parameter group. All randomness comes from `rng`: the model is built by
 * the caller, the example order of task i from `rng.fork('order/<i>')`, the method's from `rng.fork('weighting/<step>')`.
 * With one task and uniform weighting this is ordinary single-task training.
 * @example trainMultitask({ model, tasks, weighting: parseWeighting('pcgrad', 3), rng: new Rng(0).fork('train'), epochs: 5 });
 */
export function trainMultitask(o: MultitaskTrainOptions): MultitaskTrainResult {
  const T = o.tasks.length;
  if (T === 0) throw new ArgumentError('trainMultitask', 'no tasks');
  if (o.model.numTasks !== T) throw new ArgumentError('trainMultitask', `the model has ${o.model.numTasks} heads for ${T} tasks`);
  if (o.epochs === undefined && o.timeBudget === undefined) throw new ArgumentError('trainMultitask', 'give epochs or a time budget');
  const inputShape = o.tasks[0]!.train.x.shape.slice(1);
  for (const t of o.tasks) {
    const shape = t.train.x.shape.slice(1);
    if (shape.join() !== inputShape.join()) throw new ArgumentError('trainMultitask', `tasks share one trunk, so their inputs must have one shape: ${o.tasks[0]!.name} has [${inputShape.join(', ')}], ${t.name} [${shape.join(', ')}]`);
    if (t.train.x.shape[0]! === 0) throw new ArgumentError('trainMultitask', `task ${t.name} has no training examples`);
  }
  const now = o.now ?? (() => performance.now() / 1000);
  const sizes = o.tasks.map((t) => t.train.x.shape[0]!);
  const batchSize = o.batchSize ?? 64;
  const allocation = batchAllocation(sizes, o.sampling ?? { kind: 'proportional' }, batchSize);
  const perEpoch = stepsPerEpoch(sizes, batchSize);
  const totalSteps = o.epochs !== undefined ? Math.round(o.epochs * perEpoch) : Infinity;
  const model = o.model;
  const shared = model.sharedParameters().filter(([, p]) => p.requiresGrad);
  const taskSpecific = o.tasks.map((_, i) => model.taskParameters(i).filter(([, p]) => p.requiresGrad));
  const lastShared = model.lastSharedParameters().filter(([, p]) => p.requiresGrad).map(([, p]) => p);
  const useSgd = o.optimizer === 'sgd';
  const lr = o.lr ?? (useSgd ? 0.01 : 1e-3);
  const wd = o.weightDecay ?? 0;
  const groups = [{ params: [...shared, ...taskSpecific.flat()], lr, weightDecay: wd }];
  const own = o.weighting.parameters();
  if (own.length) groups.push({ params: own, lr: o.weightingLr ?? lr, weightDecay: 0 });
  const opt: Optimizer = useSgd ? new SGD(groups, { lr }) : new Adam(groups, { lr });
  const streams = sizes.map((n, i) => new ExampleStream(n, o.rng.fork(`order/${i}`)));
  const offsets = allocation.map((_, i) => allocation.slice(0, i).reduce((a, c) => a + c, 0));
  const lossHistory: number[][] = [];
  let epochSums = new Array<number>(T).fill(0), epochSteps = 0;
  let finalWeights = new Array<number>(T).fill(1);
  const start = now();
  const out = (): boolean => o.timeBudget !== undefined && now() - start >= o.timeBudget;
  model.train();
  let step = 0;
  while (step < totalSteps && !out()) {
    const batches = o.tasks.map((t, i) => {
      const idx = tensor(streams[i]!.next(allocation[i]!), { shape: [allocation[i]!] });
      return { x: indexSelect(t.train.x, 0, idx), y: indexSelect(t.train.y, 0, idx) };
    });
    opt.zeroGrad();
    const losses = enableGrad(() => {
      const features = model.features(T === 1 ? batches[0]!.x : concat(batches.map((b) => b.x), 0));
      return batches.map((b, i) => {
        const rows = T === 1 ? features : sliceAxis(features, 0, offsets[i]!, offsets[i]! + allocation[i]!);
        return crossEntropy(model.head(i).call(rows), b.y);
      });
    });
    const lossValues = losses.map((l) => l.item());
    finalWeights = enableGrad(() => o.weighting.backward({
      losses, shared: shared.map(([, p]) => p), taskSpecific: taskSpecific.map((ps) => ps.map(([, p]) => p)), lastShared,
      rng: o.rng.fork(`weighting/${step}`),
    }));
    opt.step();
    o.weighting.afterStep?.();
    step++;
    lossValues.forEach((l, i) => (epochSums[i]! += l));
    epochSteps++;
    if (step % perEpoch === 0) {
      lossHistory.push(epochSums.map((s) => s / epochSteps));
      epochSums = new Array<number>(T).fill(0);
      epochSteps = 0;
    }
    o.onStep?.({ step, epoch: step / perEpoch, losses: lossValues, weights: finalWeights, seconds: now() - start });
  }
  if (epochSteps > 0) lossHistory.push(epochSums.map((s) => s / epochSteps));
  return { steps: step, epochs: step / perEpoch, seconds: now() - start, allocation, lossHistory, finalWeights };
}

/** Accuracy and mean cross-entropy of one task's head on labelled examples (eval mode, in batches, no graph). */
export function evaluateTask(model: MultiTaskModel, task: number, data: LabeledTensors, batchSize = 512): { accuracy: number; loss: number } {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      const n = data.x.shape[0]!;
      let hit = 0, loss = 0;
      for (let i = 0; i < n; i += batchSize) {
        const m = Math.min(batchSize, n - i);
        const idx = tensor(Int32Array.from({ length: m }, (_, k) => i + k), { shape: [m] });
        const logits: Tensor = model.call(indexSelect(data.x, 0, idx), task);
        const y = indexSelect(data.y, 0, idx);
        loss += crossEntropy(logits, y).item() * m;
        const pred = logits.argmax(-1);
        for (let k = 0; k < m; k++) if (pred.data[k] === y.data[k]) hit++;
      }
      return { accuracy: n ? hit / n : 0, loss: n ? loss / n : 0 };
    });
  } finally {
    model.train(wasTraining);
  }
}
