// Differentiable inner-loop updates over parameter maps (MAML, ANIL, Meta-SGD), as plain functions.
import { grad } from '../engine/autograd.js';
import { ArgumentError } from '../core/errors.js';
import { Tensor } from '../engine/tensor.js';
import { mul, sub } from '../engine/ops/elementwise.js';
import type { AnyModule } from '../nn/module.js';
import { matchName, type NamePattern } from '../nn/names.js';

export type { ParamMap } from '../nn/params.js';
import type { ParamMap } from '../nn/params.js';

/** A module's trainable parameters as a map, optionally only those matching patterns. */
export function paramMap(module: AnyModule, only?: NamePattern | NamePattern[]): ParamMap {
  const pats = only === undefined ? null : Array.isArray(only) ? only : [only];
  return new Map(module.namedParameters().filter(([n, p]) => p.requiresGrad && (!pats || pats.some((q) => matchName(q, n)))));
}

/**
 * Gradients of a scalar loss for every entry of a parameter map. With `createGraph` the gradients stay
 * on the graph (second-order MAML); without, they are constants (first-order MAML: ∂θ'/∂θ treated as I).
 */
export function gradMap(loss: Tensor, params: ParamMap, opts: { createGraph?: boolean; allowUnused?: boolean } = {}): Map<string, Tensor | null> {
  const names = [...params.keys()];
  const gs = grad(loss, names.map((n) => params.get(n)!), { createGraph: opts.createGraph ?? false, allowUnused: opts.allowUnused ?? false });
  return new Map(names.map((n, i) => [n, gs[i] ?? null]));
}

/**
 * One differentiable gradient step θ' = θ − α∘g over a parameter map (Finn et al. 2017, eq. 1). `lr` is a
 * number, or per-name numbers/tensors (Meta-SGD's learned α, Li et al. 2017). Parameters without a
 * gradient are carried over unchanged.
 * @example const fast = sgdStep(params, gradMap(loss, params, { createGraph: true }), 0.4);
 */
export function sgdStep(params: ParamMap, grads: Map<string, Tensor | null>, lr: number | Map<string, number | Tensor>): ParamMap {
  const out: ParamMap = new Map();
  for (const [n, p] of params) {
    const g = grads.get(n);
    if (!g) {
      out.set(n, p);
      continue;
    }
    const a = typeof lr === 'number' ? lr : lr.get(n);
    if (a === undefined) throw new ArgumentError('sgdStep', `no learning rate for parameter "${n}"`);
    if (a instanceof Tensor && a.numel() !== 1 && a.numel() !== p.numel()) {
      throw new ArgumentError('sgdStep', `learning rate of "${n}" has shape [${a.shape}], parameter has [${p.shape}]`);
    }
    out.set(n, sub(p, mul(g, a)));
  }
  return out;
}
