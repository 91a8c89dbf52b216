// Gradient clipping by global norm and by value (in place on .grad).
import { ArgumentError } from '../core/errors.js';
import type { Tensor } from '../engine/tensor.js';

/**
 * Scale all gradients so their global p-norm is at most maxNorm (torch.nn.utils.clip_grad_norm_);
 * returns the norm before clipping.
 * @example const norm = clipGradNorm_(model.parameters(), 1.0);
 */
export function clipGradNorm_(params: Iterable<Tensor>, maxNorm: number, normType = 2, opts: { errorIfNonfinite?: boolean } = {}): number {
  const grads = [...params].map((p) => p.grad).filter((g): g is Tensor => g !== null);
  let total = 0;
  if (normType === Infinity) {
    for (const g of grads) for (let i = 0; i < g.data.length; i++) total = Math.max(total, Math.abs(g.data[i]!));
  } else {
    if (!(normType > 0)) throw new ArgumentError('clipGradNorm_', `normType must be positive, got ${normType}`);
    for (const g of grads) for (let i = 0; i < g.data.length; i++) total += Math.pow(Math.abs(g.data[i]!), normType);
    total = Math.pow(total, 1 / normType);
  }
  if (!Number.isFinite(total) && opts.errorIfNonfinite) {
    throw new ArgumentError('clipGradNorm_', `the total norm of gradients is ${total}`);
  }
  const coef = Math.min(1, maxNorm / (total + 1e-6));
  if (coef < 1) {
    for (const g of grads) {
      for (let i = 0; i < g.data.length; i++) g.data[i] *= coef;
      g._bumpVersion();
    }
  }
  return total;
}

/** Clamp every gradient element into [−clipValue, clipValue] (MAML's miniImageNet recipe clips to ±10). */
export function clipGradValue_(params: Iterable<Tensor>, clipValue: number): void {
  for (const p of params) {
    const g = p.grad;
    if (!g) continue;
    for (let i = 0; i < g.data.length; i++) g.data[i] = Math.min(clipValue, Math.max(-clipValue, g.data[i]!));
    g._bumpVersion();
  }
}
