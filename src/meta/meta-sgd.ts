// Meta-SGD (Li et al. 2017): MAML with a learned learning rate for every parameter element.
import { full } from '../engine/create.js';
import type { Tensor } from '../engine/tensor.js';
import { MAML, type MAMLOptions } from './maml.js';
import type { InnerLr } from './inner-loop.js';

export interface MetaSGDOptions extends MAMLOptions {
  /** initial value of every learned α (default innerLr; learn2learn uses 1.0, the paper draws U[0.005, 0.1]) */
  initLr?: number;
}

/**
 * Meta-SGD: θ' = θ − α ∘ ∇_θ L(f_θ; D^tr), where α has θ's shape and is meta-learned with θ (it may turn
 * negative: it is not clamped). One inner step in the paper; with α fixed at a constant it is exactly MAML.
 * Paper: Li, Zhou, Chen, Li, "Meta-SGD: Learning to Learn Quickly for Few-Shot Learning", 2017.
 * @example const msgd = new MetaSGD({ model, innerLr: 0.01 }); new Adam(msgd.namedMetaParameters(), { lr: 1e-3 });
 */
export class MetaSGD extends MAML {
  override readonly method = 'meta-sgd';
  /** the learned per-element learning rates, by parameter name */
  readonly lrs: Map<string, Tensor>;

  constructor(opts: MetaSGDOptions) {
    super(opts);
    const init = opts.initLr ?? opts.innerLr;
    this.lrs = new Map([...this.fastWeights()].map(([n, p]) => {
      const a = full(p.shape, init, { dtype: p.dtype, requiresGrad: true });
      a.name = `lrs.${n}`;
      return [n, a];
    }));
  }

  override namedMetaParameters(): [string, Tensor][] {
    return [...super.namedMetaParameters(), ...[...this.lrs].map(([n, a]) => [`lrs.${n}`, a] as [string, Tensor])];
  }

  protected override innerLrAt(_step: number): InnerLr {
    return this.lrs;
  }
}
