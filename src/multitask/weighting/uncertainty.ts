// Uncertainty weighting (Kendall, Gal & Cipolla 2018): learned log-variances s_i = log σ_i² weigh each task's loss.
import { ArgumentError } from '../../core/errors.js';
import { zeros } from '../../engine/create.js';
import { noGrad } from '../../engine/autograd.js';
import { add, exp, mul } from '../../engine/ops/elementwise.js';
import { sum } from '../../engine/ops/reduce.js';
import { stack } from '../../engine/ops/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { checkLosses, type Weighting, type WeightingStep } from './weighting.js';

/** Which of Kendall et al.'s two likelihoods: a softmax with temperature σ² (classification) or a Gaussian (regression). */
export type UncertaintyForm = 'classification' | 'regression';

/**
 * Homoscedastic uncertainty weighting (Kendall, Gal & Cipolla, "Multi-Task Learning Using Uncertainty to Weigh Losses
 * for Scene Geometry and Semantics", CVPR 2018). Each task has a learned s_i = log σ_i², trained with the network:
 *
 *   classification (eq. 10, a softmax over f/σ²):  L = Σ_i e^{−s_i} L_i + ½ s_i      optimum s_i* = log(2 L_i)
 *   regression (eq. 7, a Gaussian likelihood):     L = Σ_i ½ e^{−s_i} L_i + ½ s_i    optimum s_i* = log L_i
 *
 * The classification form is the default because every task here is a classification with cross-entropy, which is
 * the case the paper derives it for; LibMTL applies the regression form to every task (and starts at s = −0.5).
 * Both give task weights ∝ 1/L_i at the optimum and differ only by an overall factor 2. s starts at 0, so the
 * classification form starts as uniform weighting. Note that with one task this is not single-task training: θ's
 * gradient is e^{−s}∇L, a learning rate that the method tunes to ∝ 1/L (its minimiser in θ is the same).
 * @example const uw = new UncertaintyWeighting(3); opt.addParamGroup({ params: uw.parameters() });
 */
export class UncertaintyWeighting implements Weighting {
  readonly name: string;
  readonly form: UncertaintyForm;
  /** s = log σ², one per task, a learned parameter */
  readonly logVariance: Tensor;

  constructor(numTasks: number, opts: { form?: UncertaintyForm; initialLogVariance?: number } = {}) {
    if (!Number.isInteger(numTasks) || numTasks < 1) throw new ArgumentError('uncertainty weighting', `needs a positive number of tasks, got ${numTasks}`);
    this.form = opts.form ?? 'classification';
    this.name = this.form === 'classification' ? 'uncertainty' : 'uncertainty:regression';
    this.logVariance = zeros([numTasks]);
    if (opts.initialLogVariance) this.logVariance.data.fill(opts.initialLogVariance);
    this.logVariance.requiresGrad = true;
  }

  parameters(): [string, Tensor][] {
    return [['uncertainty.log_variance', this.logVariance]];
  }

  /** e^{−s_i} (classification) or ½e^{−s_i} (regression): the weight of L_i in the objective. */
  weights(): number[] {
    const half = this.form === 'regression' ? 0.5 : 1;
    return Array.from(this.logVariance.data, (s) => half * Math.exp(-s));
  }

  /** Σ_i c·e^{−s_i} L_i + ½ s_i, with c = 1 (classification) or ½ (regression). */
  objective(losses: readonly Tensor[]): Tensor {
    const s = this.logVariance;
    const L = stack(losses.map((l) => l.reshape([])), 0).to(s.dtype);
    const weighted = mul(exp(mul(s, -1)), L);
    return add(sum(this.form === 'regression' ? mul(weighted, 0.5) : weighted), mul(sum(s), 0.5));
  }

  backward(step: WeightingStep): number[] {
    checkLosses('uncertainty weighting', step, this.logVariance.numel());
    const w = noGrad(() => this.weights());
    this.objective(step.losses).backward();
    return w;
  }
}
