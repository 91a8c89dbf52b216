// Reptile (Nichol, Achiam & Schulman 2018): move the initialisation towards the weights each task trains to.
import { ArgumentError } from '../core/errors.js';
import { enableGrad, noGrad } from '../engine/autograd.js';
import { tensor } from '../engine/create.js';
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { div, sub } from '../engine/ops/elementwise.js';
import { indexSelect } from '../engine/ops/shape.js';
import type { BatchNormPolicy } from '../nn/batchnorm-policy.js';
import { functionalCall, type AnyModule } from '../nn/module.js';
import type { ParamMap } from '../nn/params.js';
import { Adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import type { LabeledSet, MetaLearner, MetaStepContext, MetaStepMetrics, Predictor, Task } from './learner.js';
import { accuracy, taskLoss, type Problem } from './losses.js';

export interface ReptileOptions {
  model: AnyModule;
  problem?: Problem;
  /** inner optimiser: Adam with β1 = 0 (the paper's) or plain SGD */
  innerOptimizer?: 'adam' | 'sgd';
  /** inner learning rate (1e-3 for Omniglot 5-way) */
  innerLr: number;
  /** inner iterations per task during meta-training (5 for Omniglot 5-way) */
  innerSteps?: number;
  /** inner iterations when adapting at test time (50 in the paper's Omniglot evaluation) */
  evalInnerSteps?: number;
  /** support examples per inner iteration (default: the whole support set) */
  innerBatch?: number;
  /** generator of the inner mini-batches at test time (meta-training uses the step's rng) */
  rng?: Rng;
  /** BatchNorm statistics during adaptation: 'batch' (transductive, default) or 'running' */
  batchNorm?: BatchNormPolicy;
  /** the outer step size ε at the start (it is annealed linearly to 0 by the outer schedule); default 1 */
  outerLr?: number;
}

/**
 * Reptile: for each task τ of a meta-batch, W̃_τ = U^k_τ(θ) (k steps of Adam with β1 = 0, or SGD, on the
 * task's examples starting from θ); then θ ← θ + ε (mean_τ W̃_τ − θ), with ε annealed from 1 to 0. Here
 * `metaBackward` writes the "gradient" θ − mean W̃ into θ.grad, and the outer optimiser is SGD with lr ε, so
 * the update is exactly the paper's. With one SGD inner step on the full support, θ − W̃ = α∇L(θ): a scaled
 * joint-training step. The inner optimiser's state starts fresh for every task.
 * Paper: Nichol, Achiam, Schulman, "On First-Order Meta-Learning Algorithms", 2018.
 * @example const reptile = new Reptile({ model: new Conv4({ rng }), innerLr: 1e-3, innerSteps: 5, innerBatch: 10, rng });
 */
export class Reptile implements MetaLearner {
  readonly method = 'reptile';
  readonly problem: Problem;
  readonly model: AnyModule;
  readonly innerOptimizer: 'adam' | 'sgd';
  readonly innerLr: number;
  readonly innerSteps: number;
  readonly evalInnerSteps: number;
  readonly innerBatch: number | null;
  readonly batchNorm: BatchNormPolicy;
  readonly outer: { optimizer: 'sgd'; lr: number };
  private readonly rng: Rng | null;

  constructor(opts: ReptileOptions) {
    this.model = opts.model;
    this.problem = opts.problem ?? 'classification';
    this.innerOptimizer = opts.innerOptimizer ?? 'adam';
    this.innerLr = opts.innerLr;
    this.innerSteps = opts.innerSteps ?? 5;
    this.evalInnerSteps = opts.evalInnerSteps ?? 50;
    this.innerBatch = opts.innerBatch ?? null;
    this.batchNorm = opts.batchNorm ?? 'batch';
    this.outer = { optimizer: 'sgd', lr: opts.outerLr ?? 1 };
    this.rng = opts.rng ?? null;
  }

  namedMetaParameters(): [string, Tensor][] {
    return this.model.namedParameters('model').filter(([, p]) => p.requiresGrad);
  }

  /** W̃ = U^k(θ): `steps` optimiser steps on mini-batches of `data`, from a detached copy of θ. */
  train(data: LabeledSet, steps: number, rng: Rng | null = this.rng): ParamMap {
    const w: ParamMap = new Map(this.model.namedParameters().filter(([, p]) => p.requiresGrad).map(([n, p]) => [n, p.detach().clone().requiresGrad_()]));
    const params = [...w.values()];
    const opt: Optimizer = this.innerOptimizer === 'adam' ? new Adam(params, { lr: this.innerLr, betas: [0, 0.999] }) : new SGD(params, { lr: this.innerLr });
    const n = data.x.shape[0]!;
    enableGrad(() => {
      for (let s = 0; s < steps; s++) {
        let x = data.x, y = data.y;
        if (this.innerBatch !== null && this.innerBatch < n) {
          if (!rng) throw new ArgumentError('Reptile', 'innerBatch needs an rng to draw the mini-batches');
          const idx = tensor(Int32Array.from(rng.choice(n, this.innerBatch)), { shape: [this.innerBatch] });
          x = indexSelect(x, 0, idx);
          y = indexSelect(y, 0, idx);
        }
        opt.zeroGrad();
        taskLoss(this.problem, functionalCall(this.model, w, x, { batchNorm: this.batchNorm }), y).backward();
        opt.step();
      }
    });
    return w;
  }

  metaBackward(tasks: readonly Task[], ctx: MetaStepContext): MetaStepMetrics {
    if (tasks.length === 0) throw new ArgumentError('Reptile', 'metaBackward needs at least one task');
    const sums = new Map<string, Tensor>();
    let loss = 0, acc = 0;
    for (const task of tasks) {
      const w = this.train(task.support, this.innerSteps, ctx.rng ?? this.rng);
      noGrad(() => {
        for (const [n, t] of w) sums.set(n, sums.has(n) ? sums.get(n)!.add(t) : t.detach());
        const out = functionalCall(this.model, w, task.query.x, { batchNorm: this.batchNorm });
        loss += taskLoss(this.problem, out, task.query.y).item() / tasks.length;
        if (this.problem === 'classification') acc += accuracy(out, task.query.y) / tasks.length;
      });
    }
    noGrad(() => {
      for (const [n, p] of this.model.namedParameters()) {
        const s = sums.get(n);
        if (!s) continue;
        const g = sub(p, div(s, tasks.length)); // θ − mean W̃
        p.grad = p.grad ? p.grad.add(g) : g;
      }
    });
    return this.problem === 'classification' ? { loss, accuracy: acc } : { loss };
  }

  adapt(support: LabeledSet): Predictor {
    const w = this.train(support, this.evalInnerSteps, this.rng ? this.rng.fork('adapt') : null);
    return (x) => noGrad(() => functionalCall(this.model, w, x, { batchNorm: this.batchNorm }));
  }
}
