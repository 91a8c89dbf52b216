// Parameter initialisers (Kaiming, Xavier, uniform, normal, constants) drawing from an explicit Rng.
import { noGrad } from '../engine/autograd.js';
import { ArgumentError } from '../core/errors.js';
import type { FloatArray } from '../core/dtype.js';
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';

export type Nonlinearity = 'linear' | 'conv2d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** Recommended gain for an activation (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv2d': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': { const a = param ?? 0.01; return Math.sqrt(2 / (1 + a * a)); }
    case 'selu': return 3 / 4;
  }
}

/** (fan_in, fan_out) of a weight: [out, in] or [out, in, *kernel]. */
export function fanInOut(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new ArgumentError('init', `fan in/out need at least 2 dims, got shape [${t.shape}]`);
  const receptive = t.shape.slice(2).reduce((a, d) => a * d, 1);
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

function fill(t: Tensor, f: (i: number) => number): Tensor {
  noGrad(() => {
    const d = t.data as FloatArray;
    for (let i = 0; i < d.length; i++) d[i] = f(i);
    t._bumpVersion();
  });
  return t;
}

export function uniform_(t: Tensor, low: number, high: number, rng: Rng): Tensor {
  return fill(t, () => rng.uniform(low, high));
}

export function normal_(t: Tensor, mean: number, std: number, rng: Rng): Tensor {
  return fill(t, () => rng.normal(mean, std));
}

export function constant_(t: Tensor, v: number): Tensor {
  return fill(t, () => v);
}

export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

export interface KaimingOptions {
  a?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
}

/** He et al. 2015 uniform init: U(−b, b), b = gain·√(3/fan). */
export function kaimingUniform_(t: Tensor, rng: Rng, opts: KaimingOptions = {}): Tensor {
  const [fi, fo] = fanInOut(t);
  const fan = (opts.mode ?? 'fan_in') === 'fan_in' ? fi : fo;
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  const bound = gain * Math.sqrt(3 / fan);
  return uniform_(t, -bound, bound, rng);
}

/** He et al. 2015 normal init: N(0, (gain/√fan)²). */
export function kaimingNormal_(t: Tensor, rng: Rng, opts: KaimingOptions = {}): Tensor {
  const [fi, fo] = fanInOut(t);
  const fan = (opts.mode ?? 'fan_in') === 'fan_in' ? fi : fo;
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  return normal_(t, 0, gain / Math.sqrt(fan), rng);
}

/** Glorot & Bengio 2010 uniform init: U(−b, b), b = gain·√(6/(fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, rng: Rng, gain = 1): Tensor {
  const [fi, fo] = fanInOut(t);
  const bound = gain * Math.sqrt(6 / (fi + fo));
  return uniform_(t, -bound, bound, rng);
}

/** Glorot & Bengio 2010 normal init: N(0, gain²·2/(fan_in + fan_out)). */
export function xavierNormal_(t: Tensor, rng: Rng, gain = 1): Tensor {
  const [fi, fo] = fanInOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fi + fo)), rng);
}

/** PyTorch's default for Linear/Conv weights: kaiming_uniform(a=√5), i.e. U(−1/√fan_in, 1/√fan_in). */
export function defaultWeightInit_(w: Tensor, rng: Rng): Tensor {
  return kaimingUniform_(w, rng, { a: Math.sqrt(5) });
}

/** PyTorch's default for Linear/Conv biases: U(−1/√fan_in, 1/√fan_in) of the weight. */
export function defaultBiasInit_(b: Tensor, weight: Tensor, rng: Rng): Tensor {
  const [fi] = fanInOut(weight);
  const bound = fi > 0 ? 1 / Math.sqrt(fi) : 0;
  return uniform_(b, -bound, bound, rng);
}
