// The standard benchmark workloads (../shared/bench/WORKLOADS.md) plus two per-op overhead probes.
import { add, crossEntropy, matmul, mseLoss, pairwiseSquaredDistance, randint, randn, tensor } from '../engine/ops/index.js';
import { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { Conv4 } from '../nn/models/conv4.js';
import { MLP } from '../nn/models/mlp.js';
import { ResNet } from '../nn/models/resnet.js';
import { functionalCall } from '../nn/module.js';
import { Adam } from '../optim/adam.js';
import { gradMap, sgdStep } from '../optim/inner.js';
import { SGD } from '../optim/sgd.js';
import { SinusoidTasks } from '../data/tasks.js';

export interface Workload {
  name: string;
  description: string;
  /** warm-up and timed repetitions (as torch_anchor.py uses) */
  warmup: number;
  reps: number;
  /** build the state and return one iteration */
  setup(rng: Rng): () => void;
}

function conv4Step(rng: Rng): () => void {
  const model = new Conv4({ rng, hidden: 64, numClasses: 5 });
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const x = randn([80, 1, 28, 28], rng), y = randint(0, 5, [80], rng);
  return () => {
    opt.zeroGrad();
    crossEntropy(model.call(x), y).backward();
    opt.step();
  };
}

function mamlSinusoidStep(rng: Rng): () => void {
  const model = new MLP([1, 40, 40, 1], { rng });
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const tasks = new SinusoidTasks();
  return () => {
    opt.zeroGrad();
    const params = new Map(model.namedParameters());
    let total: Tensor | null = null;
    for (let t = 0; t < 25; t++) {
      const { support: s, query: q } = tasks.sampleEpisode(tasks.sampleTask(rng), rng, { shots: 10, queries: 10 });
      const fast = sgdStep(params, gradMap(mseLoss(functionalCall(model, params, s.x), s.y), params, { createGraph: true }), 0.01);
      const l = mseLoss(functionalCall(model, fast, q.x), q.y);
      total = total ? add(total, l) : l;
    }
    total!.div(25).backward();
    opt.step();
  };
}

function mamlOmniglotStep(rng: Rng): () => void {
  const model = new Conv4({ rng, hidden: 64, numClasses: 5, trackRunningStats: false });
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const xs = Array.from({ length: 4 }, () => randn([5, 1, 28, 28], rng));
  const xq = Array.from({ length: 4 }, () => randn([75, 1, 28, 28], rng));
  const ys = tensor([0, 1, 2, 3, 4], { dtype: 'int32' });
  const yq = tensor(Array.from({ length: 75 }, (_, i) => Math.floor(i / 15)), { dtype: 'int32' });
  return () => {
    opt.zeroGrad();
    const params = new Map(model.namedParameters());
    let total: Tensor | null = null;
    for (let t = 0; t < 4; t++) {
      const fast = sgdStep(params, gradMap(crossEntropy(functionalCall(model, params, xs[t]!), ys), params, { createGraph: true }), 0.4);
      const l = crossEntropy(functionalCall(model, fast, xq[t]!), yq);
      total = total ? add(total, l) : l;
    }
    total!.div(4).backward();
    opt.step();
  };
}

function protonetEpisode(rng: Rng): () => void {
  const model = new Conv4({ rng, hidden: 64, numClasses: 0 });
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const x = randn([600, 1, 28, 28], rng);
  const yq = tensor(Array.from({ length: 300 }, (_, i) => Math.floor(i / 5)), { dtype: 'int32' });
  return () => {
    opt.zeroGrad();
    const z = model.call(x).reshape(60, 10, -1);
    const protos = z.slice(1, 0, 5).mean(1);
    const q = z.slice(1, 5, 10).reshape(300, -1);
    crossEntropy(pairwiseSquaredDistance(q, protos).neg(), yq).backward();
    opt.step();
  };
}

function resnetStep(rng: Rng): () => void {
  const model = new ResNet({ rng, blocksPerStage: [1, 1, 1], widths: [16, 32, 64], numClasses: 10 });
  const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const x = randn([64, 3, 32, 32], rng), y = randint(0, 10, [64], rng);
  return () => {
    opt.zeroGrad();
    crossEntropy(model.call(x), y).backward();
    opt.step();
  };
}

function matmul512(rng: Rng): () => void {
  const a = randn([512, 512], rng), b = randn([512, 512], rng);
  return () => void matmul(a, b);
}

function smallAdds(rng: Rng): () => void {
  const a = randn([4, 4], rng), b = randn([4, 4], rng);
  return () => {
    for (let i = 0; i < 10000; i++) add(a, b);
  };
}

function tinyMlpStep(rng: Rng): () => void {
  const model = new MLP([8, 16, 16, 4], { rng });
  const opt = new SGD(model.parameters(), { lr: 0.01 });
  const x = randn([16, 8], rng), y = randint(0, 4, [16], rng);
  return () => {
    opt.zeroGrad();
    crossEntropy(model.call(x), y).backward();
    opt.step();
  };
}

/** The standard workloads, named and defined as in WORKLOADS.md and torch_anchor.py. */
export const WORKLOADS: Workload[] = [
  { name: 'conv4_step', description: 'Conv-4 on 80 images 1×28×28, linear 64→5, cross-entropy, Adam step', warmup: 2, reps: 7, setup: conv4Step },
  { name: 'maml_sinusoid_step', description: 'MLP 1-40-40-1, 25 tasks K=10, one inner step with create-graph, second-order meta-gradient, Adam', warmup: 2, reps: 7, setup: mamlSinusoidStep },
  { name: 'maml_omniglot_step', description: 'functional Conv-4 + linear, 4 tasks 5-way 1-shot 15 queries, one inner step α=0.4, second order, Adam', warmup: 1, reps: 5, setup: mamlOmniglotStep },
  { name: 'protonet_episode', description: 'Conv-4 embedding of 600 images (60-way 5+5), prototypes, −squared distance, cross-entropy, Adam', warmup: 1, reps: 5, setup: protonetEpisode },
  { name: 'resnet_step', description: 'CIFAR ResNet 16/32/64 (1 basic block per stage), batch 64 of 3×32×32, SGD momentum step', warmup: 2, reps: 7, setup: resnetStep },
  { name: 'matmul512', description: 'one 512×512 by 512×512 float32 product', warmup: 2, reps: 15, setup: matmul512 },
];

/** Per-op overhead probes (not in WORKLOADS.md; measured against scripts/torch_overhead.py). */
export const OVERHEAD_WORKLOADS: Workload[] = [
  { name: 'small_adds_10k', description: 'a loop of 10,000 adds of two 4×4 tensors', warmup: 2, reps: 7, setup: smallAdds },
  { name: 'tiny_mlp_step', description: 'MLP 8-16-16-4 on 16 samples, cross-entropy, SGD step', warmup: 20, reps: 51, setup: tinyMlpStep },
];

export function findWorkload(name: string): Workload | undefined {
  return [...WORKLOADS, ...OVERHEAD_WORKLOADS].find((w) => w.name === name);
}
