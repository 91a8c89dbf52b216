// PCGrad (Yu et al. 2020): project each task gradient off the gradients it conflicts with, then sum.
import type { Rng } from '../../engine/rng.js';
import type { Tensor } from '../../engine/tensor.js';
import { checkLosses, vdot, setSharedGradient, setTaskGradients, taskGradients, type Weighting, type WeightingStep } from './weighting.js';

/**
 * Projecting Conflicting Gradients (Yu, Kumar, Gupta, Levine, Hausman & Finn, "Gradient Surgery for Multi-Task
 * Learning", NeurIPS 2020, Algorithm 1):
 *
 *   for each task i:  g_i^PC ← g_i
 *     for each other task j, in random order:
 *       if g_i^PC · g_j < 0:  g_i^PC ← g_i^PC − (g_i^PC · g_j / ‖g_j‖²) g_j
 *   d = Σ_i g_i^PC
 *
 * The g_j projected off are the original gradients. Gradients that do not conflict are left as they are, so without
 * conflicts d = Σ_i g_i, uniform weighting's direction. The order is drawn from `rng` (a fresh order for every i).
 * @example pcgradDirection([Float64Array.of(1, 0), Float64Array.of(-1, 1)], rng)   // [1, 0] → [0.5, 0.5]; [-1, 1] → [0, 1]; d = [0.5, 1.5]
 */
export function pcgradDirection(grads: readonly Float64Array[], rng: Rng): { direction: Float64Array; projected: Float64Array[] } {
  const T = grads.length;
  const norms2 = grads.map((g) => vdot(g, g));
  const projected = grads.map((gi, i) => {
    const pc = gi.slice();
    for (const j of rng.permutation(T)) {
      if (j === i) continue;
      const gj = grads[j]!;
      const conflict = vdot(pc, gj);
      if (conflict < 0) {
        const c = conflict / norms2[j]!;
        for (let k = 0; k < pc.length; k++) pc[k]! -= c * gj[k]!;
      }
    }
    return pc;
  });
  const direction = new Float64Array(grads[0]?.length ?? 0);
  for (const pc of projected) for (let k = 0; k < direction.length; k++) direction[k]! += pc[k]!;
  return { direction, projected };
}

/** PCGrad on the shared parameters; each head gets its own task's gradient. Weights reported are 1. */
export class PCGrad implements Weighting {
  readonly name = 'pcgrad';

  parameters(): [string, Tensor][] {
    return [];
  }

  backward(step: WeightingStep): number[] {
    checkLosses('PCGrad', step);
    const grads = taskGradients(step);
    setSharedGradient(step.shared, pcgradDirection(grads.shared, step.rng).direction);
    setTaskGradients(step, grads.own);
    return step.losses.map(() => 1);
  }
}
