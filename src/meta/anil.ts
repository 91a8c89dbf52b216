// ANIL (Raghu et al. 2020): MAML whose inner loop adapts only the head; the body is learned by the outer loop.
import { ArgumentError } from '../core/errors.js';
import { noGrad } from '../engine/autograd.js';
import type { Tensor } from '../engine/tensor.js';
import { withBatchNormPolicy } from '../nn/batchnorm-policy.js';
import { functionalCall } from '../nn/module.js';
import { subParams, type ParamMap } from '../nn/params.js';
import { innerLoop } from './inner-loop.js';
import type { LabeledSet, MetaStepContext, MetaStepMetrics, Predictor, Task } from './learner.js';
import { backwardOverTasks, taskLoss } from './losses.js';
import { MAML, type MAMLOptions } from './maml.js';

export interface ANILOptions extends Omit<MAMLOptions, 'innerParams'> {
  /** the head's module path (default `classifier`, Conv4's head); the model must have `features(x)` */
  head?: string;
}

type WithFeatures = { features(x: Tensor): Tensor };

/**
 * Almost No Inner Loop: the body's features z = f(x) are computed once per task; the inner loop adapts only
 * the head, φ' = φ − α ∇_φ L(h_φ(z_support)), and the outer loop differentiates L(h_φ'(z_query)) into head and
 * body. Same accuracy as MAML, faster per iteration (Raghu, Raghu, Bengio, Vinyals, "Rapid Learning or
 * Feature Reuse? Towards Understanding the Effectiveness of MAML", ICLR 2020).
 * @example const anil = new ANIL({ model: new Conv4({ rng }), innerLr: 0.4, innerSteps: 5 });
 */
export class ANIL extends MAML {
  override readonly method = 'anil';
  readonly head: string;

  constructor(opts: ANILOptions) {
    const head = opts.head ?? 'classifier';
    super({ ...opts, innerParams: [head] });
    this.head = head;
    this.model.getSubmodule(head); // throws with the path when there is no such head
    if (typeof (this.model as unknown as Partial<WithFeatures>).features !== 'function') {
      throw new ArgumentError('ANIL', `${this.model.constructor.name} has no features(x) method to compute the body once per task`);
    }
  }

  /** z = f_body(x) with the meta-weights (BatchNorm under the learner's policy). */
  private body(x: Tensor): Tensor {
    return withBatchNormPolicy(this.batchNorm, () => (this.model as unknown as WithFeatures).features(x));
  }

  private headForward(params: ParamMap, z: Tensor): Tensor {
    return functionalCall(this.model.getSubmodule(this.head), subParams(params, this.head), z);
  }

  private adaptHead(zSupport: Tensor, y: Tensor, steps: number, createGraph: boolean, detach: boolean): ParamMap {
    return innerLoop((p, z) => this.headForward(p, z), this.fastWeights(), { x: zSupport, y }, {
      problem: this.problem, steps, lr: (s) => this.innerLrAt(s), createGraph, detach,
    });
  }

  override metaBackward(tasks: readonly Task[], ctx: MetaStepContext): MetaStepMetrics {
    const createGraph = this.secondOrderAt(ctx);
    return backwardOverTasks('ANIL', this.problem, tasks, (task) => {
      const fast = this.adaptHead(this.body(task.support.x), task.support.y, this.innerSteps, createGraph, false);
      const out = this.headForward(fast, this.body(task.query.x));
      return { loss: taskLoss(this.problem, out, task.query.y), out, y: task.query.y };
    });
  }

  override adapt(support: LabeledSet): Predictor {
    const z = noGrad(() => this.body(support.x));
    const fast = this.adaptHead(z, support.y, this.evalInnerSteps, false, true);
    return (x) => noGrad(() => this.headForward(fast, this.body(x)));
  }
}
