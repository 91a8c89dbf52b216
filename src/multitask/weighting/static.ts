// Static weighting: Σ_i w_i L_i with fixed, hand-chosen weights, rescaled to sum to the number of tasks.
import { ArgumentError } from '../../core/errors.js';
import type { Tensor } from '../../engine/tensor.js';
import { backwardWeightedSum } from './uniform.js';
import { checkLosses, type Weighting, type WeightingStep } from './weighting.js';

/**
 * Linear scalarisation with fixed weights, the method Xin et al. (2022, "Do Current Multi-Task Optimization Methods
 * in Deep Learning Even Help?", NeurIPS) find the specialised optimisers do not beat once the weights are tuned.
 * The given weights are rescaled to sum to T, so only their ratios matter and the overall step size stays that of
 * uniform weighting (`static:1,1,1` is uniform; `static:2,1` on two tasks gives w = [4/3, 2/3]).
 * @example new StaticWeighting([2, 1, 1])   // task 0 counts twice as much as each of the others
 */
export class StaticWeighting implements Weighting {
  readonly name: string;
  /** the weights applied, Σ w_i = T */
  readonly weights: readonly number[];

  constructor(weights: readonly number[]) {
    if (weights.length === 0) throw new ArgumentError('static weighting', 'needs one weight per task');
    for (const w of weights) if (!(Number.isFinite(w) && w >= 0)) throw new ArgumentError('static weighting', `weights must be finite and ≥ 0, got [${weights.join(', ')}]`);
    const total = weights.reduce((a, w) => a + w, 0);
    if (!(total > 0)) throw new ArgumentError('static weighting', 'at least one weight must be positive');
    this.weights = weights.map((w) => (w * weights.length) / total);
    this.name = `static:${weights.join(',')}`;
  }

  parameters(): [string, Tensor][] {
    return [];
  }

  backward(step: WeightingStep): number[] {
    checkLosses('static weighting', step, this.weights.length);
    backwardWeightedSum(step.losses, this.weights);
    return this.weights.slice();
  }
}
