// The multi-task study: weighting methods against single-task baselines on the same tasks, seeds and budget, and against transfer (pre-train on one task, fine-tune on another).
import { ArgumentError } from '../core/errors.js';
import type { OpenOptions } from '../data/registry.js';
import { Rng } from '../engine/rng.js';
import { MultiTaskModel, type TrunkKind } from '../multitask/model.js';
import { deltaMtl } from '../multitask/metrics.js';
import { formatSampling, type TaskSampling } from '../multitask/sampling.js';
import { loadTask, parseTaskSpec, type ClassificationTask } from '../multitask/tasks.js';
import { evaluateTask, stepsPerEpoch, trainMultitask, type StepInfo } from '../multitask/train.js';
import { parseWeighting } from '../multitask/weighting/index.js';
import { buildSourceModel } from '../transfer/checkpoint.js';
import { accuracyOf, fineTune } from '../transfer/finetune.js';
import { pretrain } from '../transfer/pretrain.js';
import { seedInterval } from '../transfer/protocol.js';
import { blockPaths, formatStrategy, parseStrategy } from '../transfer/strategies.js';

/** mean ± 95% CI (Student's t over seeds; null with one seed) and the per-seed values. */
export interface SeedSummary {
  mean: number;
  ci95: number | null;
  perSeed: number[];
}

function summarise(values: number[]): SeedSummary {
  const { mean, ci95 } = seedInterval(values);
  return { mean, ci95: Number.isFinite(ci95) ? ci95 : null, perSeed: values };
}

export interface MultitaskStudyOptions {
  /** task specs (`multitask/tasks.ts`); for transfer the first is the source and the others the targets */
  tasks: string[];
  /** weighting specs (`parseWeighting`), each trained on all tasks jointly */
  weightings: string[];
  /** fine-tuning strategies (`parseStrategy`) for the transfer comparison; none: no transfer runs */
  transfer?: string[];
  seeds: number[];
  model?: { kind: TrunkKind; hidden?: number };
  /** the budget of every training run: epochs over its own training data, or seconds */
  epochs?: number;
  timeBudget?: number;
  batchSize?: number;
  sampling?: TaskSampling;
  lr?: number;
  optimizer?: 'adam' | 'sgd';
  /** training examples per task (one number for all, or one per task; undefined = all) */
  trainSizes?: (number | undefined)[];
  testSize?: number;
  data?: OpenOptions;
  /** a training run starts (`stl:<task>`, `mtl:<weighting>`, `pretrain:<task>`, `finetune:<strategy>:<task>`) */
  onRunStart?: (info: { seed: number; run: string; totalSteps: number | null }) => void;
  onStep?: (info: StepInfo & { seed: number; run: string }) => void;
  /** a run's test accuracies */
  onRunEnd?: (info: { seed: number; run: string; accuracy: Record<string, number>; seconds: number; steps: number }) => void;
}

export interface TaskReport {
  task: string;
  accuracy: SeedSummary;
  /** relative change over the single-task baseline, (M_m − M_b)/M_b (accuracy: positive = better) */
  relativeChange: SeedSummary;
}

export interface MethodReport {
  weighting: string;
  perTask: TaskReport[];
  /** mean accuracy over tasks */
  average: SeedSummary;
  /** Δ_MTL over the single-task baselines (a fraction; positive = better), per seed and mean ± CI */
  deltaMtl: SeedSummary;
  seconds: SeedSummary;
  steps: number[];
  finalWeights: number[][];
}

export interface TransferReport {
  strategy: string;
  source: string;
  perTarget: { task: string; accuracy: SeedSummary; relativeChange: SeedSummary; sourceAccuracyAfter: SeedSummary }[];
  /** pre-training plus fine-tuning on every target */
  seconds: SeedSummary;
}

export interface MultitaskStudyReport {
  tasks: { name: string; classes: number; trainSize: number; testSize: number }[];
  seeds: number[];
  budget: { epochs: number } | { timeBudget: number };
  batchSize: number;
  sampling: string;
  model: { kind: TrunkKind; hidden: number };
  lr: number;
  optimizer: 'adam' | 'sgd';
  baselines: { perTask: { task: string; accuracy: SeedSummary; seconds: SeedSummary }[]; average: SeedSummary };
  methods: MethodReport[];
  /** the source task's single-task accuracy before any fine-tuning, with the transfer runs */
  transfer: { source: string; sourceAccuracyBefore: SeedSummary; strategies: TransferReport[] } | null;
  seconds: number;
}

/**
 * Run the study the lecture contrasts, per seed on the same data draw and the same trunk initialisation
 * (`Rng(seed).fork('init')` for every joint and single-task model):
 * - single-task baselines: each task alone (the trunk with one head, uniform weighting), with the same budget —
 *   `epochs` passes over the task's own training set, or `timeBudget` seconds;
 * - each weighting method: all tasks jointly with that budget (epochs over the union of the training sets);
 * - with `transfer`: pre-train the same architecture on task 0 (supervised, same budget), then for each other task
 *   fine-tune a copy with each strategy (`epochs` epochs, same lr and batch size, a new head); also reported is the
 *   source task's accuracy after fine-tuning with its old head on the adapted trunk (what transfer gives up).
 * Test accuracy is measured once at the end of each run (no model selection on the test set). Results are mean ±
 * 95% CI over seeds (Student's t), Δ_MTL per seed against that seed's baselines.
 */
export function runMultitaskStudy(o: MultitaskStudyOptions): MultitaskStudyReport {
  const start = performance.now();
  if (o.tasks.length === 0) throw new ArgumentError('multitask study', 'no tasks');
  if (o.weightings.length === 0 && !o.transfer?.length) throw new ArgumentError('multitask study', 'no weighting method and no transfer strategy to run');
  if (o.seeds.length === 0) throw new ArgumentError('multitask study', 'no seeds');
  if ((o.epochs === undefined) === (o.timeBudget === undefined)) throw new ArgumentError('multitask study', 'give epochs or a time budget (one of them)');
  if (o.transfer?.length && o.epochs === undefined) throw new ArgumentError('multitask study', 'the transfer comparison counts epochs (fine-tuning has no time budget): give epochs');
  if (o.transfer?.length && o.tasks.length < 2) throw new ArgumentError('multitask study', 'the transfer comparison needs a source task and at least one target');
  const specs = o.tasks.map(parseTaskSpec);
  const T = specs.length;
  const trainSizes = o.trainSizes ?? [];
  if (trainSizes.length > 1 && trainSizes.length !== T) throw new ArgumentError('multitask study', `${trainSizes.length} training sizes for ${T} tasks`);
  const sizeOf = (i: number): number | undefined => (trainSizes.length === 1 ? trainSizes[0] : trainSizes[i]);
  const modelSpec = { kind: o.model?.kind ?? 'mlp', hidden: o.model?.hidden ?? (o.model?.kind === 'conv4' ? 64 : 256) } as const;
  const batchSize = o.batchSize ?? 64;
  const sampling = o.sampling ?? { kind: 'proportional' };
  const optimizer = o.optimizer ?? 'adam';
  const lr = o.lr ?? (optimizer === 'sgd' ? 0.01 : 1e-3);
  // weighting and strategy specs are checked before any training
  for (const w of o.weightings) parseWeighting(w, T);
  for (const s of o.transfer ?? []) parseStrategy(s);
  const budget = o.epochs !== undefined ? { epochs: o.epochs } : { timeBudget: o.timeBudget! };

  const stl: { acc: number[]; seconds: number[] }[] = specs.map(() => ({ acc: [], seconds: [] }));
  const mtl = o.weightings.map(() => ({ acc: specs.map(() => [] as number[]), seconds: [] as number[], steps: [] as number[], weights: [] as number[][], delta: [] as number[] }));
  const tl = (o.transfer ?? []).map(() => ({ acc: specs.map(() => [] as number[]), sourceAfter: specs.map(() => [] as number[]), seconds: [] as number[] }));
  const sourceBefore: number[] = [];
  let taskInfo: MultitaskStudyReport['tasks'] = [];

  for (const seed of o.seeds) {
    const tasks: ClassificationTask[] = specs.map((t, i) => loadTask(t, { ...o.data, seed, testSeed: o.seeds[0]!, ...(sizeOf(i) !== undefined ? { trainSize: sizeOf(i)! } : {}), ...(o.testSize !== undefined ? { testSize: o.testSize } : {}) }));
    taskInfo = tasks.map((t) => ({ name: t.name, classes: t.classes.length, trainSize: t.train.x.shape[0]!, testSize: t.test.x.shape[0]! }));
    const inputShape = tasks[0]!.train.x.shape.slice(1) as [number, number, number];
    const train = (run: string, which: ClassificationTask[], weighting: string): { model: MultiTaskModel; result: ReturnType<typeof trainMultitask> } => {
      const model = new MultiTaskModel({ kind: modelSpec.kind, hidden: modelSpec.hidden, inputShape }, which.map((t) => t.classes.length), new Rng(seed).fork('init'));
      const total = o.epochs !== undefined ? Math.round(o.epochs * stepsPerEpoch(which.map((t) => t.train.x.shape[0]!), batchSize)) : null;
      o.onRunStart?.({ seed, run, totalSteps: total });
      const result = trainMultitask({
        model, tasks: which, weighting: parseWeighting(weighting, which.length), rng: new Rng(seed).fork(`train/${run}`), batchSize, sampling, lr, optimizer,
        ...budget, ...(o.onStep ? { onStep: (s: StepInfo) => o.onStep!({ ...s, seed, run }) } : {}),
      });
      return { model, result };
    };
    // single-task baselines: the same trunk and head, one task, uniform weighting
    const stlAcc = tasks.map((t, i) => {
      const run = `stl:${t.name}`;
      const { model, result } = train(run, [t], 'uniform');
      const acc = evaluateTask(model, 0, t.test).accuracy;
      stl[i]!.acc.push(acc);
      stl[i]!.seconds.push(result.seconds);
      o.onRunEnd?.({ seed, run, accuracy: { [t.name]: acc }, seconds: result.seconds, steps: result.steps });
      return acc;
    });
    o.weightings.forEach((w, k) => {
      const run = `mtl:${w}`;
      const { model, result } = train(run, tasks, w);
      const acc = tasks.map((t, i) => evaluateTask(model, i, t.test).accuracy);
      acc.forEach((a, i) => mtl[k]!.acc[i]!.push(a));
      mtl[k]!.seconds.push(result.seconds);
      mtl[k]!.steps.push(result.steps);
      mtl[k]!.weights.push(result.finalWeights);
      mtl[k]!.delta.push(deltaMtl(acc, stlAcc));
      o.onRunEnd?.({ seed, run, accuracy: Object.fromEntries(tasks.map((t, i) => [t.name, acc[i]!])), seconds: result.seconds, steps: result.steps });
    });
    if (o.transfer?.length) {
      const source = tasks[0]!;
      const spec = { kind: modelSpec.kind, inChannels: inputShape[0], imageSize: inputShape[1], numClasses: source.classes.length, hidden: modelSpec.hidden };
      const pretrained = buildSourceModel(spec, seed);
      const run = `pretrain:${source.name}`;
      o.onRunStart?.({ seed, run, totalSteps: Math.ceil(source.train.x.shape[0]! / batchSize) * o.epochs! });
      const p = pretrain({
        model: pretrained, objective: 'supervised', data: source.trainSet, rng: new Rng(seed).fork('pretrain'), epochs: o.epochs!, batchSize, lr,
        ...(o.onStep ? { onStep: (s: { step: number; epoch: number; loss: number; seconds: number }) => o.onStep!({ step: s.step, epoch: s.epoch, losses: [s.loss], weights: [1], seconds: s.seconds, seed, run }) } : {}),
      });
      const before = accuracyOf(pretrained, source.test);
      sourceBefore.push(before);
      o.onRunEnd?.({ seed, run, accuracy: { [source.name]: before }, seconds: p.seconds, steps: p.steps });
      const blocks = blockPaths(pretrained);
      const head = blocks[blocks.length - 1]!.modules.at(-1)!;
      (o.transfer ?? []).forEach((s, k) => {
        const strategy = parseStrategy(s, pretrained);
        let seconds = p.seconds;
        tasks.forEach((target, i) => {
          if (i === 0) return;
          const ftRun = `finetune:${formatStrategy(strategy)}:${target.name}`;
          o.onRunStart?.({ seed, run: ftRun, totalSteps: null });
          const t0 = performance.now();
          const ft = fineTune({
            model: pretrained, strategy, train: target.train, numClasses: target.classes.length, newHead: true, rng: new Rng(seed).fork(`finetune/${target.name}`),
            epochs: o.epochs!, lr, batchSize, weightDecay: 0,
          });
          const acc = accuracyOf(ft.model, target.test);
          // the source task through the adapted trunk with its own pre-trained head
          const withSourceHead = ft.model.clone();
          withSourceHead.setSubmodule(head, pretrained.getSubmodule(head).clone());
          const after = accuracyOf(withSourceHead, source.test);
          const sec = (performance.now() - t0) / 1000;
          seconds += sec;
          tl[k]!.acc[i]!.push(acc);
          tl[k]!.sourceAfter[i]!.push(after);
          o.onRunEnd?.({ seed, run: ftRun, accuracy: { [target.name]: acc, [`${source.name} (source, after)`]: after }, seconds: sec, steps: ft.losses.length });
        });
        tl[k]!.seconds.push(seconds);
      });
    }
  }

  const relative = (acc: number[], i: number): SeedSummary => summarise(acc.map((a, s) => (a - stl[i]!.acc[s]!) / stl[i]!.acc[s]!));
  const averageOf = (perTask: number[][]): SeedSummary => summarise(o.seeds.map((_, s) => perTask.reduce((a, accs) => a + accs[s]!, 0) / perTask.length));
  const names = taskInfo.map((t) => t.name);
  return {
    tasks: taskInfo, seeds: o.seeds, budget, batchSize, sampling: formatSampling(sampling), model: modelSpec, lr, optimizer,
    baselines: {
      perTask: stl.map((b, i) => ({ task: names[i]!, accuracy: summarise(b.acc), seconds: summarise(b.seconds) })),
      average: averageOf(stl.map((b) => b.acc)),
    },
    methods: o.weightings.map((w, k) => ({
      weighting: parseWeighting(w, T).name,
      perTask: mtl[k]!.acc.map((acc, i) => ({ task: names[i]!, accuracy: summarise(acc), relativeChange: relative(acc, i) })),
      average: averageOf(mtl[k]!.acc),
      deltaMtl: summarise(mtl[k]!.delta),
      seconds: summarise(mtl[k]!.seconds),
      steps: mtl[k]!.steps,
      finalWeights: mtl[k]!.weights,
    })),
    transfer: o.transfer?.length ? {
      source: names[0]!,
      sourceAccuracyBefore: summarise(sourceBefore),
      strategies: o.transfer.map((s, k) => ({
        strategy: formatStrategy(parseStrategy(s)), source: names[0]!,
        perTarget: names.slice(1).map((task, j) => ({ task, accuracy: summarise(tl[k]!.acc[j + 1]!), relativeChange: relative(tl[k]!.acc[j + 1]!, j + 1), sourceAccuracyAfter: summarise(tl[k]!.sourceAfter[j + 1]!) })),
        seconds: summarise(tl[k]!.seconds),
      })),
    } : null,
    seconds: (performance.now() - start) / 1000,
  };
}
