// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), with torch.optim semantics.
import { ArgumentError } from '../core/errors.js';
import type { Tensor } from '../engine/tensor.js';
import { Optimizer, stateTensor, type ParamGroup, type ParamsArg, type ParamState } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

abstract class AdamBase extends Optimizer {
  protected abstract readonly decoupled: boolean;
  constructor(params: ParamsArg, opts: AdamOptions, defaultWd: number) {
    super(params, { lr: opts.lr ?? 1e-3, betas: opts.betas ?? [0.9, 0.999], eps: opts.eps ?? 1e-8, weightDecay: opts.weightDecay ?? defaultWd, amsgrad: opts.amsgrad ?? false });
  }
  protected override validate(h: ParamGroup): void {
    super.validate(h);
    const [b1, b2] = h['betas'] as [number, number];
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new ArgumentError(this.constructor.name, `betas must be in [0, 1), got [${b1}, ${b2}]`);
    if (!((h['eps'] as number) >= 0)) throw new ArgumentError(this.constructor.name, `eps must be ≥ 0, got ${h['eps']}`);
    if (!((h['weightDecay'] as number) >= 0)) throw new ArgumentError(this.constructor.name, `weightDecay must be ≥ 0, got ${h['weightDecay']}`);
  }
  protected update(p: Tensor, g: Tensor, state: ParamState, h: ParamGroup): void {
    const lr = h.lr, [b1, b2] = h['betas'] as [number, number], eps = h['eps'] as number, wd = h['weightDecay'] as number;
    const step = ((state['step'] as number | undefined) ?? 0) + 1;
    state['step'] = step;
    const m = stateTensor(state, 'exp_avg', p).data, v = stateTensor(state, 'exp_avg_sq', p).data;
    const vmax = h['amsgrad'] ? stateTensor(state, 'max_exp_avg_sq', p).data : null;
    const bc1 = 1 - Math.pow(b1, step), bc2 = 1 - Math.pow(b2, step);
    const stepSize = lr / bc1, bc2Sqrt = Math.sqrt(bc2);
    const pd = p.data, gd = g.data, n = pd.length;
    for (let i = 0; i < n; i++) {
      let gi = gd[i]!;
      if (this.decoupled) pd[i] *= 1 - lr * wd;
      else if (wd !== 0) gi += wd * pd[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * gi;
      v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
      let vv = v[i]!;
      if (vmax) { if (vv > vmax[i]!) vmax[i] = vv; vv = vmax[i]!; }
      pd[i] -= (stepSize * m[i]!) / (Math.sqrt(vv) / bc2Sqrt + eps);
    }
  }
}

/**
 * Adam: m = β₁m + (1−β₁)g, v = β₂v + (1−β₂)g², p ← p − η·m̂/(√v̂ + ε); weight decay is L2 added to g.
 * @example const opt = new Adam(model.parameters(), { lr: 1e-3 });
 */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: ParamsArg, opts: AdamOptions = {}) {
    super(params, opts, 0);
  }
}

/** AdamW: Adam with decoupled weight decay p ← p(1 − ηλ) (default λ = 0.01, as PyTorch). */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: ParamsArg, opts: AdamOptions = {}) {
    super(params, opts, 0.01);
  }
}
