// The differentiable inner loop shared by the optimisation-based learners: k gradient steps on a support set.
import { enableGrad } from '../engine/autograd.js';
import type { Tensor } from '../engine/tensor.js';
import type { ParamMap } from '../nn/params.js';
import { gradMap, sgdStep } from '../optim/inner.js';
import type { LabeledSet } from './learner.js';
import { taskLoss, type Problem } from './losses.js';

/** The learning rate of an inner step: a number, or per-parameter numbers/tensors (Meta-SGD, MAML++). */
export type InnerLr = number | Map<string, number | Tensor>;

export interface InnerLoopOptions {
  problem: Problem;
  steps: number;
  /** step s's learning rate(s) */
  lr: (step: number) => InnerLr;
  /** keep the graph of each step (second-order meta-gradients); false treats ∂θ'/∂θ as I (first order) */
  createGraph: boolean;
  /** cut the adapted weights from θ after each step: adaptation at test time, where nothing is differentiated */
  detach?: boolean;
  /** called with the support loss of every step (MAML++'s per-step losses use the query instead) */
  onStep?: (step: number, fast: ParamMap) => void;
}

/**
 * θ'_0 = θ; θ'_{s+1} = θ'_s − α_s ∇ L(f_{θ'_s}; support) for s < steps (Finn et al. 2017, eq. 1, repeated).
 * `forward(params, x)` runs the model under a parameter map; `params` holds only the adapted tensors.
 */
export function innerLoop(forward: (params: ParamMap, x: Tensor) => Tensor, params: ParamMap, support: LabeledSet, opts: InnerLoopOptions): ParamMap {
  return enableGrad(() => {
    let fast = params;
    for (let s = 0; s < opts.steps; s++) {
      const loss = taskLoss(opts.problem, forward(fast, support.x), support.y);
      fast = sgdStep(fast, gradMap(loss, fast, { createGraph: opts.createGraph, allowUnused: true }), opts.lr(s));
      if (opts.detach) fast = new Map([...fast].map(([n, t]) => [n, t.detach().requiresGrad_()]));
      opts.onStep?.(s, fast);
    }
    return fast;
  });
}
