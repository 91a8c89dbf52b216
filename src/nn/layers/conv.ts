// Conv2d layer.
import { zeros } from '../../engine/create.js';
import { ArgumentError } from '../../core/errors.js';
import type { FloatDType } from '../../core/dtype.js';
import type { Rng } from '../../engine/rng.js';
import type { Tensor } from '../../engine/tensor.js';
import { conv2d, pair, type Pair } from '../../engine/ops/conv.js';
import { defaultBiasInit_, defaultWeightInit_ } from '../init.js';
import { Module } from '../module.js';

export interface Conv2dLayerOptions {
  rng: Rng;
  stride?: Pair;
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  dtype?: FloatDType;
}

/** 2-d convolution (torch.nn.Conv2d): weight [out, in/groups, kh, kw], PyTorch's default init. */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: Pair;
  readonly padding: Pair | 'same' | 'valid';
  readonly dilation: Pair;
  readonly groups: number;
  constructor(inChannels: number, outChannels: number, kernelSize: Pair, opts: Conv2dLayerOptions) {
    super();
    const groups = opts.groups ?? 1;
    if (inChannels % groups || outChannels % groups) {
      throw new ArgumentError('Conv2d', `in (${inChannels}) and out (${outChannels}) channels must be divisible by groups (${groups})`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair('Conv2d', kernelSize, 'kernel size', 1);
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.groups = groups;
    const dtype = opts.dtype ?? 'float32';
    const w = this.registerParameter('weight', zeros([outChannels, inChannels / groups, ...this.kernelSize], { dtype }))!;
    defaultWeightInit_(w, opts.rng);
    if (opts.bias ?? true) defaultBiasInit_(this.registerParameter('bias', zeros([outChannels], { dtype }))!, w, opts.rng);
    else this.registerParameter('bias', null);
  }
  get weight(): Tensor { return this.param('weight'); }
  get bias(): Tensor | null { return this.optionalParam('bias'); }
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize}), stride=${JSON.stringify(this.stride)}, padding=${JSON.stringify(this.padding)}${this.groups > 1 ? `, groups=${this.groups}` : ''}${this.bias ? '' : ', bias=False'}`;
  }
}
