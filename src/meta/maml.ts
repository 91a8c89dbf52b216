// MAML (Finn, Abbeel & Levine 2017): learn an initialisation from which a few gradient steps fit a new task.
import { ArgumentError } from '../core/errors.js';
import { noGrad } from '../engine/autograd.js';
import type { Tensor } from '../engine/tensor.js';
import type { BatchNormPolicy } from '../nn/batchnorm-policy.js';
import { functionalCall, type AnyModule } from '../nn/module.js';
import { matchName, type NamePattern } from '../nn/names.js';
import type { ParamMap } from '../nn/params.js';
import { innerLoop, type InnerLr } from './inner-loop.js';
import type { LabeledSet, MetaLearner, MetaStepContext, MetaStepMetrics, Predictor, Task } from './learner.js';
import { backwardOverTasks, taskLoss, type Problem } from './losses.js';

export interface MAMLOptions {
  model: AnyModule;
  problem?: Problem;
  /** α, the inner-loop learning rate (0.4 for Omniglot 5-way, 0.01 for sinusoids) */
  innerLr: number;
  /** inner steps during meta-training (1 for Omniglot 5-way, 5 for 20-way) */
  innerSteps?: number;
  /** inner steps when adapting at test time (MAML's Omniglot: 3); default innerSteps */
  evalInnerSteps?: number;
  /** first-order MAML: ∂θ'/∂θ treated as I (no second derivatives) */
  firstOrder?: boolean;
  /**
   * BatchNorm statistics in the inner loop and on the query: default 'batch' (MAML's transductive setting,
   * running statistics never written); use `{ perStep }` through MAML++.
   */
  batchNorm?: BatchNormPolicy;
  /** which parameters the inner loop adapts (default: every trainable one); ANIL adapts the head only */
  innerParams?: NamePattern[];
}

/**
 * Model-Agnostic Meta-Learning. For each task T_i of a meta-batch:
 *   θ'_i = θ − α ∇_θ L(f_θ; D_i^tr)            (k times, on the same support set)
 * then θ ← θ − β ∇_θ Σ_i L(f_{θ'_i}; D_i^ts)   (the outer optimiser, Adam with β = 1e-3)
 * Second order by default: the outer gradient flows through the inner steps.
 * Paper: Finn, Abbeel, Levine, "Model-Agnostic Meta-Learning for Fast Adaptation of Deep Networks", ICML 2017.
 * @example
 * const maml = new MAML({ model: new Conv4({ rng, pooling: 'stride' }), innerLr: 0.4, evalInnerSteps: 3 });
 * const opt = new Adam(maml.namedMetaParameters(), { lr: 1e-3 });
 * opt.zeroGrad(); maml.metaBackward(tasks, { step, totalSteps }); opt.step();
 */
export class MAML implements MetaLearner {
  readonly method: string = 'maml';
  readonly problem: Problem;
  readonly model: AnyModule;
  readonly innerLr: number;
  readonly innerSteps: number;
  readonly evalInnerSteps: number;
  readonly firstOrder: boolean;
  readonly batchNorm: BatchNormPolicy;
  readonly innerParams: NamePattern[] | null;

  constructor(opts: MAMLOptions) {
    this.model = opts.model;
    this.problem = opts.problem ?? 'classification';
    this.innerLr = opts.innerLr;
    this.innerSteps = opts.innerSteps ?? 1;
    this.evalInnerSteps = opts.evalInnerSteps ?? this.innerSteps;
    this.firstOrder = opts.firstOrder ?? false;
    this.batchNorm = opts.batchNorm ?? 'batch';
    this.innerParams = opts.innerParams ?? null;
    for (const [k, v] of [['innerSteps', this.innerSteps], ['evalInnerSteps', this.evalInnerSteps]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new ArgumentError(this.constructor.name, `${k} must be a non-negative integer, got ${v}`);
    }
    if (!Number.isFinite(this.innerLr)) throw new ArgumentError(this.constructor.name, `innerLr must be a number, got ${opts.innerLr}`);
    if (this.fastWeights().size === 0) throw new ArgumentError(this.constructor.name, 'no trainable parameter matches the inner-loop parameters');
  }

  namedMetaParameters(): [string, Tensor][] {
    return this.model.namedParameters('model').filter(([, p]) => p.requiresGrad);
  }

  /** θ restricted to what the inner loop adapts. */
  protected fastWeights(): ParamMap {
    const pats = this.innerParams;
    return new Map(this.model.namedParameters().filter(([n, p]) => p.requiresGrad && (!pats || pats.some((q) => matchName(q, n)))));
  }

  /** The inner learning rate of step `step` (Meta-SGD and MAML++ learn it). */
  protected innerLrAt(_step: number): InnerLr {
    return this.innerLr;
  }

  /** The BatchNorm policy of inner step `step` (and of the query pass after `step` steps). */
  protected batchNormAt(_step: number): BatchNormPolicy {
    return this.batchNorm;
  }

  protected forward(params: ParamMap, x: Tensor, step = 0): Tensor {
    return functionalCall(this.model, params, x, { batchNorm: this.batchNormAt(step) });
  }

  /** Second order unless first-order was asked for (MAML++ anneals this). */
  protected secondOrderAt(_ctx: MetaStepContext): boolean {
    return !this.firstOrder;
  }

  /** θ' for one task: `steps` gradient steps on the support set. */
  adaptParams(support: LabeledSet, steps: number, createGraph: boolean, detach = false): ParamMap {
    let step = 0;
    return innerLoop((p, x) => this.forward(p, x, step), this.fastWeights(), support, {
      problem: this.problem, steps, lr: (s) => this.innerLrAt(s), createGraph, detach, onStep: (s) => { step = s + 1; },
    });
  }

  metaBackward(tasks: readonly Task[], ctx: MetaStepContext): MetaStepMetrics {
    const createGraph = this.secondOrderAt(ctx);
    return backwardOverTasks(this.constructor.name, this.problem, tasks, (task) => {
      const fast = this.adaptParams(task.support, this.innerSteps, createGraph);
      const out = this.forward(fast, task.query.x, this.innerSteps);
      return { loss: taskLoss(this.problem, out, task.query.y), out, y: task.query.y };
    });
  }

  adapt(support: LabeledSet): Predictor {
    const fast = this.adaptParams(support, this.evalInnerSteps, false, true);
    return (x) => noGrad(() => this.forward(fast, x, this.evalInnerSteps));
  }
}
