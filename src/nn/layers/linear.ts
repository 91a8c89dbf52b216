// Linear, Identity, Flatten and Embedding layers.
import { zeros } from '../../engine/create.js';
import type { FloatDType } from '../../core/dtype.js';
import type { Rng } from '../../engine/rng.js';
import type { Tensor } from '../../engine/tensor.js';
import { embedding, linear } from '../../engine/ops/index.js';
import { flatten } from '../../engine/ops/shape.js';
import { defaultBiasInit_, defaultWeightInit_, normal_ } from '../init.js';
import { Module } from '../module.js';

/** y = x·Wᵀ + b (torch.nn.Linear); weight [out, in], PyTorch's default init. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  constructor(inFeatures: number, outFeatures: number, opts: { rng: Rng; bias?: boolean; dtype?: FloatDType }) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const dtype = opts.dtype ?? 'float32';
    const w = this.registerParameter('weight', zeros([outFeatures, inFeatures], { dtype }))!;
    defaultWeightInit_(w, opts.rng);
    if (opts.bias ?? true) defaultBiasInit_(this.registerParameter('bias', zeros([outFeatures], { dtype }))!, w, opts.rng);
    else this.registerParameter('bias', null);
  }
  get weight(): Tensor { return this.param('weight'); }
  get bias(): Tensor | null { return this.optionalParam('bias'); }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** Passes its input through (handy to remove a head). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flatten dims startDim..endDim (default: all but the batch dim). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}

/** A lookup table of `numEmbeddings` vectors of size `embeddingDim`, initialised N(0, 1). */
export class Embedding extends Module {
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: { rng: Rng; dtype?: FloatDType }) {
    super();
    normal_(this.registerParameter('weight', zeros([numEmbeddings, embeddingDim], { dtype: opts.dtype ?? 'float32' }))!, 0, 1, opts.rng);
  }
  get weight(): Tensor { return this.param('weight'); }
  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight);
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}
