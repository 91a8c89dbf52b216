// Conditional Neural Processes (Garnelo et al. 2018): a black-box regressor that outputs a distribution over y.
import { ArgumentError } from '../core/errors.js';
import { noGrad } from '../engine/autograd.js';
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { add, mul, square, sub } from '../engine/ops/elementwise.js';
import { softplus } from '../engine/ops/nn.js';
import { mean } from '../engine/ops/reduce.js';
import { concat, expand, sliceAxis } from '../engine/ops/shape.js';
import type { FloatDType } from '../core/dtype.js';
import { Module } from '../nn/module.js';
import { MLP } from '../nn/models/mlp.js';
import { gaussianNll } from './losses.js';
import type { LabeledSet, MetaLearner, MetaStepContext, MetaStepMetrics, Predictor, Task } from './learner.js';

export interface CNPOptions {
  rng: Rng;
  xDim?: number;
  yDim?: number;
  /** encoder widths after the input (default [128, 128, 128, 128], the paper's 1-D setting) */
  encoder?: number[];
  /** decoder hidden widths (default [128, 128]) */
  decoder?: number[];
  dtype?: FloatDType;
}

/** The CNP network: encoder h([x; y]) → r_i, decoder g([r; x_T]) → (μ, raw σ). Names `encoder.*`, `decoder.*`. */
export class CNPModel extends Module<[Tensor, Tensor, Tensor], [Tensor, Tensor]> {
  readonly yDim: number;
  constructor(opts: CNPOptions) {
    super();
    const xDim = opts.xDim ?? 1, yDim = opts.yDim ?? 1;
    const enc = opts.encoder ?? [128, 128, 128, 128], dec = opts.decoder ?? [128, 128];
    this.yDim = yDim;
    this.registerModule('encoder', new MLP([xDim + yDim, ...enc], { rng: opts.rng, dtype: opts.dtype }));
    this.registerModule('decoder', new MLP([enc[enc.length - 1]! + xDim, ...dec, 2 * yDim], { rng: opts.rng, dtype: opts.dtype }));
  }

  /** (μ, σ) at target inputs xT [m, xDim] given context (xC [n, xDim], yC [n, yDim]); σ = 0.1 + 0.9·softplus(raw). */
  forward(xC: Tensor, yC: Tensor, xT: Tensor): [Tensor, Tensor] {
    const r = mean(this.child('encoder').call(concat([xC, yC], 1)), 0, true); // [1, d]: the mean of r_i
    const h = this.child('decoder').call(concat([expand(r, [xT.shape[0]!, r.shape[1]!]), xT], 1));
    const mu = sliceAxis(h, 1, 0, this.yDim);
    const sigma = add(mul(softplus(sliceAxis(h, 1, this.yDim, 2 * this.yDim)), 0.9), 0.1);
    return [mu, sigma];
  }
}

/**
 * Conditional Neural Process: r = mean_i h([x_i; y_i]) over the context (support); the decoder maps [r; x_T]
 * to a Gaussian N(μ, σ²) per target, σ = 0.1 + 0.9·softplus(·); trained on −log-likelihood with the context
 * points included among the targets. This is the lecture's probabilistic view: the learner outputs a
 * distribution over y, not a point. The predictor returns μ; `predictDistribution` returns (μ, σ).
 * Paper: Garnelo, Rosenbaum, Maddison, Ramalho, Saxton, Shanahan, Teh, Rezende, Eslami, "Conditional Neural
 * Processes", ICML 2018.
 * @example const cnp = new CNP({ rng, encoder: [128, 128, 128], decoder: [128, 128] }); // sinusoid regression
 */
export class CNP implements MetaLearner {
  readonly method = 'cnp';
  readonly problem = 'regression' as const;
  readonly model: CNPModel;

  constructor(opts: CNPOptions) {
    this.model = new CNPModel(opts);
  }

  namedMetaParameters(): [string, Tensor][] {
    return this.model.namedParameters('model').filter(([, p]) => p.requiresGrad);
  }

  metaBackward(tasks: readonly Task[], _ctx: MetaStepContext): MetaStepMetrics {
    if (tasks.length === 0) throw new ArgumentError('CNP', 'metaBackward needs at least one task');
    let loss = 0, mse = 0;
    for (const task of tasks) {
      const xT = concat([task.support.x, task.query.x], 0), yT = concat([task.support.y, task.query.y], 0);
      const [mu, sigma] = this.model.call(task.support.x, task.support.y, xT);
      const nll = gaussianNll(yT, mu, sigma);
      mul(nll, 1 / tasks.length).backward();
      loss += nll.item() / tasks.length;
      mse += noGrad(() => mean(square(sub(sliceAxis(mu, 0, task.support.x.shape[0]!), task.query.y))).item()) / tasks.length;
    }
    return { loss, mse };
  }

  /** (μ, σ) at x given the support set as context. */
  predictDistribution(support: LabeledSet, x: Tensor): { mean: Tensor; std: Tensor } {
    const [mu, sigma] = noGrad(() => this.model.call(support.x, support.y, x));
    return { mean: mu, std: sigma };
  }

  adapt(support: LabeledSet): Predictor {
    return (x) => this.predictDistribution(support, x).mean;
  }
}
