// CAGrad (Liu et al. 2021): the update that most improves the worst task within a ball around the average gradient.
import { ArgumentError } from '../../core/errors.js';
import type { Tensor } from '../../engine/tensor.js';
import { checkLosses, combine, dot, gram, vdot, setSharedGradient, setTaskGradients, solveLinear, taskGradients, type Weighting, type WeightingStep } from './weighting.js';

/** Euclidean projection onto the probability simplex {w ≥ 0, Σ w = 1} (sort-based; Held, Wolfe & Crowder 1974). */
export function projectSimplex(v: readonly number[]): number[] {
  const u = [...v].sort((a, b) => b - a);
  let cumulative = 0, theta = 0;
  for (let j = 0; j < u.length; j++) {
    cumulative += u[j]!;
    const t = (cumulative - 1) / (j + 1);
    if (u[j]! - t > 0) theta = t;
  }
  return v.map((x) => Math.max(x - theta, 0));
}

/** Projected gradient descent with Armijo backtracking on the simplex, from w = 1/T: the fallback solver. */
function projectedGradient(F: (w: readonly number[]) => number, gradF: (w: readonly number[]) => number[], T: number): number[] {
  let w = new Array<number>(T).fill(1 / T);
  let eta = 1;
  for (let it = 0; it < 20000; it++) {
    const g = gradF(w), f = F(w);
    let next = w;
    for (let tries = 0; tries < 60; tries++) {
      next = projectSimplex(w.map((wi, i) => wi - eta * g[i]!));
      const step = next.map((v, i) => v - w[i]!);
      if (F(next) <= f + dot(g, step) + dot(step, step) / (2 * eta) + 1e-15) break;
      eta /= 2;
    }
    const moved = Math.max(...next.map((v, i) => Math.abs(v - w[i]!)));
    w = next;
    if (moved < 1e-13) break;
    eta *= 2;
  }
  return w;
}

/**
 * CAGrad's inner problem: w* = argmin_{w ∈ Δ} g_wᵀg₀ + c‖g₀‖‖g_w‖ with g_w = Σ w_i g_i and g₀ the mean gradient,
 * written with the Gram matrix A = G Gᵀ only: F(w) = wᵀb + φ√(wᵀAw), b = A1/T, φ = c‖g₀‖ = c√(1ᵀA1)/T. F is convex,
 * so a point that satisfies the KKT conditions is the minimum. The official code uses SciPy's SLSQP; here the KKT
 * system is solved exactly on every face of the simplex (support S, A_S its block): on S, b_S + φ A_S w_S/‖g_w‖ = μ1,
 * so with u = w_S/‖g_w‖, u = A_S⁻¹(μ1 − b_S)/φ and uᵀA_S u = 1, a quadratic in μ,
 *
 *   (1ᵀA_S⁻¹1) μ² − 2 (1ᵀA_S⁻¹b_S) μ + b_Sᵀ A_S⁻¹ b_S − φ² = 0,
 *
 * and w_S = u/1ᵀu; a root is kept when w_S > 0 and every task j off S has ∂F/∂w_j ≥ μ. Of the points kept the one
 * with the least F is returned. For T > 12 (4095 faces), or when no face qualifies (a singular A_S, or g_w = 0 at the
 * optimum), projected gradient descent with backtracking solves it instead. A is scaled by its largest diagonal entry
 * first, which leaves w* unchanged.
 */
export function cagradWeights(A: readonly (readonly number[])[], c: number): number[] {
  const T = A.length;
  const scale = Math.max(...A.map((row, i) => row[i]!), 0);
  if (!(scale > 0)) return new Array<number>(T).fill(1 / T);
  const M = A.map((row) => row.map((v) => v / scale));
  const b = M.map((row) => row.reduce((a, v) => a + v, 0) / T);
  const phi = c * Math.sqrt(Math.max(b.reduce((a, v) => a + v, 0) / T, 0));
  const Mw = (w: readonly number[]): number[] => M.map((row) => row.reduce((a, v, j) => a + v * w[j]!, 0));
  const F = (w: readonly number[]): number => dot(w, b) + phi * Math.sqrt(Math.max(dot(w, Mw(w)), 0));
  const gradF = (w: readonly number[]): number[] => {
    const mw = Mw(w);
    const norm = Math.sqrt(Math.max(dot(w, mw), 0));
    return b.map((bi, i) => bi + (norm > 1e-15 ? (phi * mw[i]!) / norm : 0));
  };
  if (phi === 0) {
    // a linear objective: the vertex of the smallest b_i
    const i = b.reduce((best, v, k) => (v < b[best]! ? k : best), 0);
    return b.map((_, k) => (k === i ? 1 : 0));
  }
  if (T > 12) return projectedGradient(F, gradF, T);
  let best: number[] | null = null, bestF = Infinity;
  for (let mask = 1; mask < 1 << T; mask++) {
    const S = Array.from({ length: T }, (_, i) => i).filter((i) => mask & (1 << i));
    const AS = S.map((i) => S.map((j) => M[i]![j]!));
    const bS = S.map((i) => b[i]!);
    const p = solveLinear(AS, S.map(() => 1)), q = solveLinear(AS, bS);
    if (!p || !q) continue;
    const a2 = p.reduce((x, v) => x + v, 0), a1 = q.reduce((x, v) => x + v, 0), a0 = dot(bS, q) - phi * phi;
    const disc = a1 * a1 - a2 * a0;
    if (!(a2 > 0) || disc < 0) continue;
    for (const mu of [(a1 + Math.sqrt(disc)) / a2, (a1 - Math.sqrt(disc)) / a2]) {
      const u = p.map((pi, k) => (mu * pi - q[k]!) / phi);
      const total = u.reduce((x, v) => x + v, 0);
      if (!(total > 0) || u.some((v) => v / total < -1e-12)) continue;
      const w = new Array<number>(T).fill(0);
      S.forEach((i, k) => (w[i] = Math.max(u[k]! / total, 0)));
      const g = gradF(w);
      if (g.some((gj, j) => !(mask & (1 << j)) && gj < mu - 1e-9)) continue;
      const f = F(w);
      if (f < bestF) [best, bestF] = [w, f];
    }
  }
  return best ?? projectedGradient(F, gradF, T);
}

/**
 * Conflict-Averse Gradient descent (Liu, Liu, Jin, Stone & Liu, "Conflict-Averse Gradient Descent for Multi-task
 * Learning", NeurIPS 2021, Algorithm 1): with g₀ the average gradient and w* from `cagradWeights`,
 *
 *   d = g₀ + (c‖g₀‖ / ‖g_w*‖) g_w*
 *
 * c ∈ [0, 1) is the radius of the ball around g₀ (0.4 on NYUv2 and Cityscapes, the default; c = 0 gives the average
 * gradient). The official NYUv2 code then divides by 1 + c² (none for Cityscapes); here d is scaled by T/(1 + c), so
 * that when every task gradient is the same g the update is T·g = Σ_i g_i, uniform weighting's, and one task is
 * single-task training. Returns d and the coefficient of each g_i in it.
 * @example cagradDirection([g1, g2], 0.4).direction
 */
export function cagradDirection(grads: readonly Float64Array[], c: number): { direction: Float64Array; coefficients: number[]; w: number[] } {
  const T = grads.length;
  const w = cagradWeights(gram(grads), c);
  const g0 = combine(grads, grads.map(() => 1 / T));
  const gw = combine(grads, w);
  const g0Norm = Math.sqrt(vdot(g0, g0)), gwNorm = Math.sqrt(vdot(gw, gw));
  const lambda = gwNorm > 1e-12 * Math.max(g0Norm, 1e-300) ? (c * g0Norm) / gwNorm : 0;
  const coefficients = w.map((wi) => (T * (1 / T + lambda * wi)) / (1 + c));
  return { direction: combine(grads, coefficients), coefficients, w };
}

/** CAGrad on the shared parameters; each head gets its own task's gradient. Reports each task's coefficient in d. */
export class CAGrad implements Weighting {
  readonly name: string;
  readonly c: number;

  constructor(opts: { c?: number } = {}) {
    this.c = opts.c ?? 0.4;
    if (!(Number.isFinite(this.c) && this.c >= 0)) throw new ArgumentError('CAGrad', `c must be ≥ 0, got ${opts.c}`);
    this.name = `cagrad:${this.c}`;
  }

  parameters(): [string, Tensor][] {
    return [];
  }

  backward(step: WeightingStep): number[] {
    checkLosses('CAGrad', step);
    const grads = taskGradients(step);
    const { direction, coefficients } = cagradDirection(grads.shared, this.c);
    setSharedGradient(step.shared, direction);
    setTaskGradients(step, grads.own);
    return coefficients;
  }
}
