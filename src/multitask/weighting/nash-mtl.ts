// Nash-MTL (Navon et al. 2022): the update is the Nash bargaining solution among tasks, Σ α_i g_i with (GᵀG α)_i = 1/α_i.
import { ArgumentError } from '../../core/errors.js';
import type { Tensor } from '../../engine/tensor.js';
import { checkLosses, combine, dot, gram, vdot, setSharedGradient, setTaskGradients, solveLinear, taskGradients, type Weighting, type WeightingStep } from './weighting.js';

/**
 * The Nash-MTL weights: α > 0 with (A α)_i = 1/α_i, A = GGᵀ the Gram matrix of the task gradients (the paper's
 * eq. 2; the official solver's constraints α_i (Aα)_i ≥ 1 are tight there). That equation is the stationarity
 * condition of the strictly convex f(α) = ½ αᵀAα − Σ_i log α_i, so α is its unique minimiser; it is found by Newton's
 * method (Hessian A + diag(1/α²)) with a step that keeps α > 0 and backtracking on f, from α = 1, until
 * ‖Aα − 1/α‖∞ < 1e-10 (≤ 200 steps). The official code instead runs ≤ 20 convex-concave steps of a cvxpy program.
 * As there, A is first divided by its Frobenius norm s for conditioning (the solution for A is then α/√s); a ridge of
 * 1e-8·I on the scaled matrix keeps f bounded when the gradients are linearly dependent.
 */
export function nashWeights(A: readonly (readonly number[])[]): number[] {
  const T = A.length;
  const frob = Math.sqrt(A.reduce((s, row) => s + row.reduce((t, v) => t + v * v, 0), 0));
  if (!(frob > 0)) return new Array<number>(T).fill(1);
  const M = A.map((row, i) => row.map((v, j) => v / frob + (i === j ? 1e-8 : 0)));
  const Mx = (x: readonly number[]): number[] => M.map((row) => row.reduce((a, v, j) => a + v * x[j]!, 0));
  const f = (x: readonly number[]): number => 0.5 * dot(x, Mx(x)) - x.reduce((a, v) => a + Math.log(v), 0);
  let alpha = new Array<number>(T).fill(1);
  for (let it = 0; it < 200; it++) {
    const mx = Mx(alpha);
    const r = mx.map((v, i) => v - 1 / alpha[i]!);
    if (Math.max(...r.map(Math.abs)) < 1e-10) break;
    const H = M.map((row, i) => row.map((v, j) => v + (i === j ? 1 / alpha[i]! ** 2 : 0)));
    const delta = solveLinear(H, r);
    if (!delta) break; // H = M + diag(1/α²) is positive definite; a singular solve means α has degenerated
    let t = 1;
    while (alpha.some((a, i) => a - t * delta[i]! <= 0)) t /= 2;
    const f0 = f(alpha), decrease = dot(r, delta);
    while (t > 1e-12 && f(alpha.map((a, i) => a - t * delta[i]!)) > f0 - 0.25 * t * decrease) t /= 2;
    alpha = alpha.map((a, i) => a - t * delta[i]!);
  }
  return alpha.map((a) => a / Math.sqrt(frob));
}

/**
 * Nash-MTL (Navon, Shamsian, Achituve, Maron, Kawaguchi, Chechik & Fetaya, "Multi-Task Learning as a Bargaining
 * Game", ICML 2022): d = Σ_i α_i g_i with α from `nashWeights`, recomputed every step. As in the official code the
 * heads get α_i ∇_θi L_i (the weighted loss Σ α_i L_i is what it back-propagates). The official training also clips
 * the shared gradient's norm to 1; `maxNorm` does that, off by default so that no method here clips. The solution is
 * scale-free (α ∝ 1/‖g‖): with one task α = 1/‖g‖ and this is normalised gradient descent, d = g/‖g‖, not plain
 * single-task training.
 */
export class NashMTL implements Weighting {
  readonly name = 'nash-mtl';
  readonly maxNorm: number;

  constructor(opts: { maxNorm?: number } = {}) {
    this.maxNorm = opts.maxNorm ?? 0;
    if (!(this.maxNorm >= 0)) throw new ArgumentError('Nash-MTL', `maxNorm must be ≥ 0, got ${opts.maxNorm}`);
  }

  parameters(): [string, Tensor][] {
    return [];
  }

  backward(step: WeightingStep): number[] {
    checkLosses('Nash-MTL', step);
    const grads = taskGradients(step);
    const alpha = nashWeights(gram(grads.shared));
    const d = combine(grads.shared, alpha);
    const norm = Math.sqrt(vdot(d, d));
    if (this.maxNorm > 0 && norm > this.maxNorm) for (let k = 0; k < d.length; k++) d[k]! *= this.maxNorm / norm;
    setSharedGradient(step.shared, d);
    setTaskGradients(step, grads.own, alpha);
    return alpha;
  }
}
