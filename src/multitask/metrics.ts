// Δ_MTL: the average relative gain of a multi-task model over single-task baselines, per metric, with the sign made "positive = better".
import { ArgumentError } from '../core/errors.js';

/**
 * Δ_MTL (Maninis, Radosavovic & Kokkinos 2019; Vandenhende et al. 2021, "Multi-Task Learning for Dense Prediction
 * Tasks: A Survey", TPAMI):
 *
 *   Δ_MTL = (1/T) Σ_i (−1)^{l_i} (M_m,i − M_b,i) / M_b,i
 *
 * over the T metrics, M_m,i of the multi-task model and M_b,i of the single-task baseline, l_i = 1 where lower is
 * better (errors, losses) and 0 where higher is better (accuracy). Positive means the multi-task model is better.
 * Returned as a fraction (×100 for percent). The Nash-MTL and CAGrad code report Δm% with the opposite sign (lower
 * is better there) — compare signs before comparing numbers.
 * @example deltaMtl([0.90, 0.80], [0.88, 0.82])   // ((0.90−0.88)/0.88 + (0.80−0.82)/0.82)/2 ≈ −0.00083
 */
export function deltaMtl(multitask: readonly number[], baseline: readonly number[], lowerIsBetter: readonly boolean[] = []): number {
  if (multitask.length === 0 || multitask.length !== baseline.length) throw new ArgumentError('deltaMtl', `needs one baseline per metric, got ${multitask.length} and ${baseline.length}`);
  let total = 0;
  multitask.forEach((m, i) => {
    const b = baseline[i]!;
    if (b === 0) throw new ArgumentError('deltaMtl', `baseline metric ${i} is 0: the relative change is undefined`);
    total += ((lowerIsBetter[i] ? -1 : 1) * (m - b)) / b;
  });
  return total / multitask.length;
}
