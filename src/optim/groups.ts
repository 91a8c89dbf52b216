// Parameter groups by dotted-name patterns (per-layer learning rates, no decay on norms and biases).
import { ArgumentError } from '../core/errors.js';
import type { Tensor } from '../engine/tensor.js';
import { matchName, type NamePattern } from '../nn/names.js';
import type { ParamGroupSpec } from './optimizer.js';

export interface GroupRule {
  /** parameters whose dotted name matches go into this group (the first matching rule wins) */
  match: NamePattern | NamePattern[];
  [hyper: string]: unknown;
}

/**
 * Split named parameters into optimiser groups by name. Parameters no rule matches form a last group
 * with the optimiser's defaults; frozen parameters (requiresGrad false) are left out unless includeFrozen.
 * @example
 * new SGD(groupsByName(model.namedParameters(), [{ match: 'classifier', lr: 1e-2 }]), { lr: 1e-3 });
 */
export function groupsByName(named: Iterable<[string, Tensor]>, rules: GroupRule[], opts: { includeFrozen?: boolean } = {}): ParamGroupSpec[] {
  const buckets: [string, Tensor][][] = rules.map(() => []);
  const rest: [string, Tensor][] = [];
  for (const [n, p] of named) {
    if (!p.requiresGrad && !opts.includeFrozen) continue;
    const k = rules.findIndex((r) => (Array.isArray(r.match) ? r.match : [r.match]).some((m) => matchName(m, n)));
    (k >= 0 ? buckets[k]! : rest).push([n, p]);
  }
  const groups: ParamGroupSpec[] = [];
  rules.forEach((r, k) => {
    const { match: _m, ...hyper } = r;
    if (buckets[k]!.length) groups.push({ params: buckets[k]!, ...hyper });
  });
  if (rest.length) groups.push({ params: rest });
  if (!groups.length) throw new ArgumentError('groupsByName', 'no trainable parameters to optimise');
  return groups;
}

/** Two groups: weights with decay, and biases plus normalisation parameters (1-d tensors) without. */
export function decayGroups(named: Iterable<[string, Tensor]>, weightDecay: number): ParamGroupSpec[] {
  const decay: [string, Tensor][] = [], noDecay: [string, Tensor][] = [];
  for (const [n, p] of named) {
    if (!p.requiresGrad) continue;
    (p.ndim <= 1 ? noDecay : decay).push([n, p]);
  }
  return [{ params: decay, weightDecay }, { params: noDecay, weightDecay: 0 }].filter((g) => (g.params as unknown[]).length);
}
