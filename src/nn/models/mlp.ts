// MLP: Linear layers with activations in between, named like torch.nn.Sequential.
import { ArgumentError } from '../../core/errors.js';
import type { FloatDType } from '../../core/dtype.js';
import type { Rng } from '../../engine/rng.js';
import type { Tensor } from '../../engine/tensor.js';
import { ELU, GELU, LeakyReLU, ReLU, Sigmoid, Tanh } from '../layers/activation.js';
import { Sequential } from '../layers/container.js';
import { Linear } from '../layers/linear.js';
import type { Module } from '../module.js';
import type { Block, HasBlocks } from './blocks.js';

export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'gelu' | 'elu' | 'leaky_relu';

function activation(a: Activation): Module {
  switch (a) {
    case 'relu': return new ReLU();
    case 'tanh': return new Tanh();
    case 'sigmoid': return new Sigmoid();
    case 'gelu': return new GELU();
    case 'elu': return new ELU();
    case 'leaky_relu': return new LeakyReLU();
  }
}

/**
 * Multi-layer perceptron. `sizes` = [in, hidden..., out]. Parameter names equal
 * `torch.nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(), nn.Linear(40, 1))`:
 * `0.weight, 0.bias, 2.weight, ..., 4.bias`. MAML's sinusoid regressor is `new MLP([1, 40, 40, 1], { rng })`.
 */
export class MLP extends Sequential implements HasBlocks {
  readonly sizes: number[];
  constructor(sizes: number[], opts: { rng: Rng; activation?: Activation; bias?: boolean; dtype?: FloatDType }) {
    if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
      throw new ArgumentError('MLP', `sizes must list at least input and output widths, got [${sizes}]`);
    }
    const layers: Module[] = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      layers.push(new Linear(sizes[i]!, sizes[i + 1]!, { rng: opts.rng, bias: opts.bias ?? true, dtype: opts.dtype ?? 'float32' }));
      if (i + 2 < sizes.length) layers.push(activation(opts.activation ?? 'relu'));
    }
    super(...layers);
    this.sizes = sizes.slice();
  }
  /** Width of the last hidden layer (the input of the head). */
  get featureDim(): number {
    return this.sizes[this.sizes.length - 2]!;
  }

  /** Every layer but the head: the representation transfer learning reuses, [N, featureDim]. */
  features(x: Tensor): Tensor {
    const mods = [...this._modules.values()];
    let h = x.ndim > 2 ? x.flatten(1) : x;
    for (let i = 0; i < mods.length - 1; i++) h = mods[i]!.call(h);
    return h;
  }

  override forward(x: Tensor): Tensor {
    return super.forward(x.ndim > 2 && this.sizes[0] === x.numel() / x.shape[0]! ? x.flatten(1) : x);
  }

  /** layer1 … layerK for the hidden layers, then head. */
  blocks(): Block[] {
    const n = this.sizes.length - 1;
    return Array.from({ length: n }, (_, i) => ({ name: i === n - 1 ? 'head' : `layer${i + 1}`, modules: [String(2 * i)] }));
  }
}
