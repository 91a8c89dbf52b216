// Uniform weighting: the plain multi-task objective Σ_i L_i (every task weight 1).
import { add, mul } from '../../engine/ops/elementwise.js';
import type { Tensor } from '../../engine/tensor.js';
import { checkLosses, type Weighting, type WeightingStep } from './weighting.js';

/** Back-propagate Σ_i w_i L_i (fixed numbers w_i) into every parameter the losses depend on. */
export function backwardWeightedSum(losses: readonly Tensor[], weights: readonly number[]): void {
  let total: Tensor = weights[0] === 1 ? losses[0]! : mul(losses[0]!, weights[0]!);
  for (let i = 1; i < losses.length; i++) total = add(total, weights[i] === 1 ? losses[i]! : mul(losses[i]!, weights[i]!));
  total.backward();
}

/**
 * The objective of multi-task learning as the lecture states it, min_θ Σ_i L_i(θ, D_i): one backward pass through
 * the sum, so θ_sh gets Σ_i ∇L_i and each head its own task's gradient. The baseline every other method is compared
 * with, and, with one task, ordinary single-task training.
 * @example const w = new UniformWeighting(); w.backward({ losses, shared, taskSpecific, lastShared, rng }); opt.step();
 */
export class UniformWeighting implements Weighting {
  readonly name = 'uniform';

  parameters(): [string, Tensor][] {
    return [];
  }

  backward(step: WeightingStep): number[] {
    checkLosses('uniform', step);
    const w = step.losses.map(() => 1);
    backwardWeightedSum(step.losses, w);
    return w;
  }
}
