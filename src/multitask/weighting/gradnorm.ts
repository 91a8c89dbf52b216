// GradNorm (Chen et al. 2018): task weights learned so that each task's gradient norm on the last shared layer trains at a balanced rate.
import { ArgumentError } from '../../core/errors.js';
import { grad, noGrad } from '../../engine/autograd.js';
import { ones, tensor } from '../../engine/create.js';
import { abs, mul, sub } from '../../engine/ops/elementwise.js';
import { sum } from '../../engine/ops/reduce.js';
import type { Tensor } from '../../engine/tensor.js';
import { backwardWeightedSum } from './uniform.js';
import { checkLosses, type Weighting, type WeightingStep } from './weighting.js';

/**
 * GradNorm (Chen, Badrinarayanan, Lee & Rabinovich, "GradNorm: Gradient Normalization for Adaptive Loss Balancing in
 * Deep Multitask Networks", ICML 2018, Algorithm 1). Learned weights w_i(t), starting at 1; at every step:
 *
 *   G_i = ‖∇_W w_i L_i‖ = w_i ‖∇_W L_i‖          W: the last shared layer
 *   Ḡ = mean_i G_i,  L̃_i = L_i / L_i(0),  r_i = L̃_i / mean_j L̃_j
 *   L_grad = Σ_i |G_i − Ḡ · r_i^α|               Ḡ · r_i^α held constant
 *   ∇_w L_grad goes to the w_i only; the network gets ∇ Σ_i w_i L_i
 *   after the optimiser step: w_i ← T · w_i / Σ_j w_j
 *
 * α sets how strongly tasks that train slower (higher r_i) are pushed: 0.12 on the paper's toy problem, 1.5 on NYUv2
 * (LibMTL's default, the default here). L_i(0) are the losses of the first step. Weights are kept positive (at least
 * 1e-6) before the renormalisation.
 * @example const gn = new GradNorm(3, { alpha: 1.5 }); opt.addParamGroup({ params: gn.parameters() }); … gn.afterStep();
 */
export class GradNorm implements Weighting {
  readonly name: string;
  readonly alpha: number;
  /** w_i, a learned parameter, Σ w_i = T after every step */
  readonly taskWeights: Tensor;
  /** L_i(0), set on the first step */
  initialLosses: number[] | null = null;

  constructor(numTasks: number, opts: { alpha?: number } = {}) {
    if (!Number.isInteger(numTasks) || numTasks < 1) throw new ArgumentError('GradNorm', `needs a positive number of tasks, got ${numTasks}`);
    this.alpha = opts.alpha ?? 1.5;
    if (!(Number.isFinite(this.alpha) && this.alpha >= 0)) throw new ArgumentError('GradNorm', `alpha must be ≥ 0, got ${opts.alpha}`);
    this.name = `gradnorm:${this.alpha}`;
    this.taskWeights = ones([numTasks]);
    this.taskWeights.requiresGrad = true;
  }

  parameters(): [string, Tensor][] {
    return [['gradnorm.weights', this.taskWeights]];
  }

  backward(step: WeightingStep): number[] {
    checkLosses('GradNorm', step, this.taskWeights.numel());
    if (step.lastShared.length === 0) throw new ArgumentError('GradNorm', 'needs the last shared layer\'s parameters');
    const T = step.losses.length;
    const L = step.losses.map((l) => l.item());
    this.initialLosses ??= L.slice();
    const w = Array.from(this.taskWeights.data);
    // ‖∇_W L_i‖ on the last shared layer, one backward pass each (the forward graph kept for the network's pass)
    const gradNorms = step.losses.map((l) => {
      const gs = grad(l, step.lastShared, { retainGraph: true, allowUnused: true });
      return Math.sqrt(gs.reduce((a, g) => a + (g ? sum(mul(g, g)).item() : 0), 0));
    });
    const ratio = L.map((l, i) => l / this.initialLosses![i]!);
    const meanRatio = ratio.reduce((a, r) => a + r, 0) / T;
    const r = ratio.map((x) => x / meanRatio);
    const G = w.map((wi, i) => wi * gradNorms[i]!);
    const meanG = G.reduce((a, g) => a + g, 0) / T;
    const target = r.map((ri) => meanG * ri ** this.alpha);
    // L_grad as a function of w (the targets constant), so autograd gives ∇_w L_grad = sign(G_i − target_i)·‖∇_W L_i‖
    const Gw = mul(this.taskWeights, tensor(gradNorms, { dtype: this.taskWeights.dtype }));
    const lossGrad = sum(abs(sub(Gw, tensor(target, { dtype: this.taskWeights.dtype }))));
    const [dw] = grad(lossGrad, [this.taskWeights]);
    backwardWeightedSum(step.losses, w);
    this.taskWeights.grad = this.taskWeights.grad ? this.taskWeights.grad.add(dw!) : dw!;
    return w;
  }

  /** w_i ← T · max(w_i, 1e-6) / Σ_j max(w_j, 1e-6). */
  afterStep(): void {
    noGrad(() => {
      const d = this.taskWeights.data as Float32Array;
      const T = d.length;
      for (let i = 0; i < T; i++) d[i] = Math.max(d[i]!, 1e-6);
      const total = d.reduce((a, v) => a + v, 0);
      for (let i = 0; i < T; i++) d[i] = (T * d[i]!) / total;
      this.taskWeights._bumpVersion();
    });
  }
}
