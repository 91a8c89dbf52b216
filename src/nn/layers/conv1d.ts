// Conv1d layer: 1-d convolution (strided, dilated, grouped, optionally causal) composed from conv2d on [N, C, 1, L].
import { zeros } from '../../engine/create.js';
import { ArgumentError, ShapeError } from '../../core/errors.js';
import type { FloatDType } from '../../core/dtype.js';
import type { Rng } from '../../engine/rng.js';
import type { Tensor } from '../../engine/tensor.js';
import { conv2d } from '../../engine/ops/conv.js';
import { pad, reshape } from '../../engine/ops/shape.js';
import { defaultBiasInit_, defaultWeightInit_ } from '../init.js';
import { Module } from '../module.js';

export interface Conv1dLayerOptions {
  rng: Rng;
  stride?: number;
  /** zeros on both sides, or 'same' (output length = input length; an odd total puts the extra zero on the right) or 'valid' (none) */
  padding?: number | 'same' | 'valid';
  dilation?: number;
  groups?: number;
  bias?: boolean;
  /**
   * Causal convolution: (kernelSize − 1)·dilation zeros on the left only, so output t sees inputs ≤ t and the
   * length is kept at stride 1 (WaveNet, SNAIL's temporal convolutions). Excludes `padding`.
   */
  causal?: boolean;
  dtype?: FloatDType;
}

function intAtLeast(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new ArgumentError('Conv1d', `${name} must be an integer ≥ ${min}, got ${v}`);
  return v;
}

/**
 * 1-d convolution (cross-correlation) over [N, C, L], as torch.nn.Conv1d: weight [out, in/groups, k], bias [out],
 * PyTorch's default init, stride, padding (number | 'same' | 'valid'), dilation and groups. With `causal: true`
 * the input is padded on the left by (k − 1)·dilation, the temporal convolution of WaveNet (van den Oord et al.
 * 2016) and SNAIL (Mishra et al. 2018): stacking layers with dilations 1, 2, 4, … gives an exponentially growing
 * receptive field that never looks ahead. Runs as conv2d on [N, C, 1, L], so every order of derivative is
 * conv2d's.
 *
 * @example
 * const tc = new Conv1d(8, 16, 2, { rng: new Rng(0), dilation: 4, causal: true });
 * const y = tc.call(x);                        // x [N, 8, T] → y [N, 16, T]; y[..., t] depends on x[..., ≤ t]
 */
export class Conv1d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number | 'same' | 'valid';
  readonly dilation: number;
  readonly groups: number;
  readonly causal: boolean;

  constructor(inChannels: number, outChannels: number, kernelSize: number, opts: Conv1dLayerOptions) {
    super();
    this.inChannels = intAtLeast('inChannels', inChannels, 1);
    this.outChannels = intAtLeast('outChannels', outChannels, 1);
    this.kernelSize = intAtLeast('kernelSize', kernelSize, 1);
    this.stride = intAtLeast('stride', opts.stride ?? 1, 1);
    this.dilation = intAtLeast('dilation', opts.dilation ?? 1, 1);
    this.groups = intAtLeast('groups', opts.groups ?? 1, 1);
    this.causal = opts.causal ?? false;
    const padding = opts.padding ?? 0;
    if (typeof padding === 'number') intAtLeast('padding', padding, 0);
    else if (padding !== 'same' && padding !== 'valid') throw new ArgumentError('Conv1d', `padding must be a number, 'same' or 'valid', got ${JSON.stringify(padding)}`);
    if (padding === 'same' && this.stride !== 1) throw new ArgumentError('Conv1d', "padding 'same' needs stride 1 (as in PyTorch)");
    if (this.causal && padding !== 0 && padding !== 'valid') throw new ArgumentError('Conv1d', 'causal convolution sets its own padding; do not pass padding');
    this.padding = padding;
    if (inChannels % this.groups || outChannels % this.groups) {
      throw new ArgumentError('Conv1d', `in (${inChannels}) and out (${outChannels}) channels must be divisible by groups (${this.groups})`);
    }
    const dtype = opts.dtype ?? 'float32';
    const w = this.registerParameter('weight', zeros([outChannels, inChannels / this.groups, kernelSize], { dtype }))!;
    defaultWeightInit_(w, opts.rng);
    if (opts.bias ?? true) defaultBiasInit_(this.registerParameter('bias', zeros([outChannels], { dtype }))!, w, opts.rng);
    else this.registerParameter('bias', null);
  }

  get weight(): Tensor { return this.param('weight'); }
  get bias(): Tensor | null { return this.optionalParam('bias'); }

  /** Zeros added on the (left, right) of the sequence. */
  get paddingLR(): [number, number] {
    const extent = this.dilation * (this.kernelSize - 1);
    if (this.causal) return [extent, 0];
    if (this.padding === 'valid') return [0, 0];
    if (this.padding === 'same') return [Math.floor(extent / 2), extent - Math.floor(extent / 2)];
    return [this.padding, this.padding];
  }

  forward(x: Tensor): Tensor {
    const unbatched = x.ndim === 2;
    if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[x.ndim - 2] !== this.inChannels) {
      throw new ShapeError('Conv1d', `input must be [N, ${this.inChannels}, L] or unbatched [${this.inChannels}, L]`, [x.shape]);
    }
    const n = unbatched ? 1 : x.shape[0]!;
    const [left, right] = this.paddingLR;
    const both = Math.min(left, right);
    // asymmetric padding: the excess goes in with pad(), the symmetric part inside the convolution
    const xs = left !== right ? pad(x, [left - both, right - both]) : x;
    const len = xs.shape[xs.ndim - 1]!;
    const outLen = Math.floor((len + 2 * both - this.dilation * (this.kernelSize - 1) - 1) / this.stride) + 1;
    if (outLen <= 0) {
      throw new ShapeError('Conv1d', `length ${x.shape[x.ndim - 1]} is too short for kernel ${this.kernelSize} with dilation ${this.dilation} and padding (${left}, ${right})`, [x.shape]);
    }
    const w = this.weight;
    const y = conv2d(reshape(xs, [n, this.inChannels, 1, len]), reshape(w, [w.shape[0]!, w.shape[1]!, 1, this.kernelSize]), this.bias, {
      stride: [1, this.stride], padding: [0, both], dilation: [1, this.dilation], groups: this.groups,
    });
    return reshape(y, unbatched ? [this.outChannels, outLen] : [n, this.outChannels, outLen]);
  }

  override extraRepr(): string {
    const extra: string[] = [`kernel_size=(${this.kernelSize},)`, `stride=(${this.stride},)`];
    if (this.causal) extra.push('causal=True');
    else if (this.padding !== 0) extra.push(`padding=${typeof this.padding === 'number' ? `(${this.padding},)` : `'${this.padding}'`}`);
    if (this.dilation !== 1) extra.push(`dilation=(${this.dilation},)`);
    if (this.groups !== 1) extra.push(`groups=${this.groups}`);
    if (!this.bias) extra.push('bias=False');
    return `${this.inChannels}, ${this.outChannels}, ${extra.join(', ')}`;
  }
}
