// SGD with momentum, dampening, Nesterov momentum and weight decay (torch.optim.SGD semantics).
import { ArgumentError } from '../core/errors.js';
import type { Tensor } from '../engine/tensor.js';
import { Optimizer, stateTensor, type ParamGroup, type ParamsArg, type ParamState } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent (Nesterov momentum per Sutskever et al. 2013), as torch.optim.SGD:
 * d = g + λp; b = μb + (1 − τ)d (b = d at the first step); d = d + μb (Nesterov) or b; p ← p − η·d.
 * @example const opt = new SGD(model.namedParameters(), { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
 */
export class SGD extends Optimizer {
  constructor(params: ParamsArg, opts: SGDOptions) {
    super(params, { lr: opts.lr, momentum: opts.momentum ?? 0, dampening: opts.dampening ?? 0, weightDecay: opts.weightDecay ?? 0, nesterov: opts.nesterov ?? false });
  }
  protected override validate(h: ParamGroup): void {
    super.validate(h);
    if ((h['momentum'] as number) < 0) throw new ArgumentError('SGD', `momentum must be ≥ 0, got ${h['momentum']}`);
    if ((h['weightDecay'] as number) < 0) throw new ArgumentError('SGD', `weightDecay must be ≥ 0, got ${h['weightDecay']}`);
    if (h['nesterov'] && (!((h['momentum'] as number) > 0) || h['dampening'] !== 0)) {
      throw new ArgumentError('SGD', 'Nesterov momentum requires momentum > 0 and dampening 0');
    }
  }
  protected update(p: Tensor, g: Tensor, state: ParamState, h: ParamGroup): void {
    const lr = h.lr, mu = h['momentum'] as number, damp = h['dampening'] as number, wd = h['weightDecay'] as number;
    const nesterov = h['nesterov'] as boolean;
    const pd = p.data, gd = g.data;
    const n = pd.length;
    if (mu === 0) {
      for (let i = 0; i < n; i++) pd[i] -= lr * (gd[i]! + wd * pd[i]!);
      return;
    }
    const first = !(state['momentum_buffer'] !== undefined);
    const buf = stateTensor(state, 'momentum_buffer', p).data;
    for (let i = 0; i < n; i++) {
      const d = gd[i]! + wd * pd[i]!;
      const b = first ? d : mu * buf[i]! + (1 - damp) * d;
      buf[i] = b;
      pd[i] -= lr * (nesterov ? d + mu * b : b);
    }
  }
}
