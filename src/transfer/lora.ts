// LoRA (Hu et al. 2021) for Linear and Conv2d layers: a frozen base weight plus a trainable low-rank update, mergeable.
import { ArgumentError } from '../core/errors.js';
import { noGrad } from '../engine/autograd.js';
import { zeros } from '../engine/create.js';
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { add, mul, sub } from '../engine/ops/elementwise.js';
import { conv2d } from '../engine/ops/conv.js';
import { linear, matmul } from '../engine/ops/linalg.js';
import { reshape } from '../engine/ops/shape.js';
import { kaimingUniform_ } from '../nn/init.js';
import { Conv2d } from '../nn/layers/conv.js';
import { Linear } from '../nn/layers/linear.js';
import { Module, type AnyModule } from '../nn/module.js';
import { matchName, type NamePattern } from '../nn/names.js';

export interface LoRAOptions {
  /** the rank r of the update */
  rank: number;
  /** the scale numerator: the update is (alpha / r)·B·A (default alpha = r, i.e. scale 1) */
  alpha?: number;
  rng: Rng;
}

/** Shared state of the LoRA wrappers: the base layer's tensors under their own names, lora_A, lora_B, merging. */
abstract class LoRABase extends Module {
  readonly rank: number;
  readonly scaling: number;
  /** whether (alpha/r)·B·A is currently added into `weight` */
  merged = false;
  constructor(base: Linear | Conv2d, opts: LoRAOptions) {
    super();
    if (!Number.isInteger(opts.rank) || opts.rank < 1) throw new ArgumentError('LoRA', `rank must be a positive integer, got ${opts.rank}`);
    this.rank = opts.rank;
    this.scaling = (opts.alpha ?? opts.rank) / opts.rank;
    // the base tensors keep their names (`weight`, `bias`), so a pre-trained state dict loads unchanged; frozen
    this.registerParameter('weight', base.weight);
    this.registerParameter('bias', base.bias);
    base.weight.requiresGrad = false;
    if (base.bias) base.bias.requiresGrad = false;
  }
  get weight(): Tensor { return this.param('weight'); }
  get bias(): Tensor | null { return this.optionalParam('bias'); }
  /** ΔW = (alpha/r)·B·A in the weight's shape. */
  abstract delta(): Tensor;

  /** W ← W₀ + ΔW: inference then costs nothing extra (loralib merges on eval()). */
  merge(): this {
    if (this.merged) return this;
    noGrad(() => this.weight.copy_(add(this.weight, this.delta())));
    this.merged = true;
    return this;
  }

  /** W ← W − ΔW: back to the frozen base weight, to keep training A and B. */
  unmerge(): this {
    if (!this.merged) return this;
    noGrad(() => this.weight.copy_(sub(this.weight, this.delta())));
    this.merged = false;
    return this;
  }

  override extraRepr(): string {
    return `rank=${this.rank}, scaling=${this.scaling}${this.merged ? ', merged' : ''}`;
  }
}

/**
 * h = W₀x + b + (alpha/r)·B·A·x with W₀ and b frozen, A [r, in] Kaiming-uniform (a = √5, as loralib and PEFT) and
 * B [out, r] zero, so the wrapped layer starts out equal to the base layer. Names: `weight`, `bias`, `lora_A`, `lora_B`.
 * Paper: Hu, Shen, Wallis, Allen-Zhu, Li, Wang, Wang, Chen, "LoRA: Low-Rank Adaptation of Large Language Models", ICLR 2022.
 * @example model.setSubmodule('classifier', new LoRALinear(model.getSubmodule('classifier'), { rank: 4, rng }));
 */
export class LoRALinear extends LoRABase {
  constructor(base: Linear, opts: LoRAOptions) {
    super(base, opts);
    const dtype = base.weight.dtype;
    kaimingUniform_(this.registerParameter('lora_A', zeros([opts.rank, base.inFeatures], { dtype }))!, opts.rng, { a: Math.sqrt(5) });
    this.registerParameter('lora_B', zeros([base.outFeatures, opts.rank], { dtype }));
  }
  delta(): Tensor {
    return mul(matmul(this.param('lora_B'), this.param('lora_A')), this.scaling);
  }
  forward(x: Tensor): Tensor {
    const y = linear(x, this.weight, this.bias);
    if (this.merged) return y;
    return add(y, mul(linear(linear(x, this.param('lora_A')), this.param('lora_B')), this.scaling));
  }
}

/**
 * LoRA for Conv2d in the PEFT / LoCon form: A is a k×k convolution C_in → r with the base layer's stride, padding
 * and dilation, B a 1×1 convolution r → C_out (zero at start); y = base(x) + (alpha/r)·B(A(x)). The merged update is
 * ΔW[o, i, :, :] = (alpha/r) Σ_j B[o, j] A[j, i, :, :]. Groups > 1 are not supported.
 */
export class LoRAConv2d extends LoRABase {
  private readonly conv: { stride: Conv2d['stride']; padding: Conv2d['padding']; dilation: Conv2d['dilation'] };
  constructor(base: Conv2d, opts: LoRAOptions) {
    super(base, opts);
    if (base.groups !== 1) throw new ArgumentError('LoRAConv2d', `grouped convolutions (groups=${base.groups}) are not supported`);
    const dtype = base.weight.dtype;
    this.conv = { stride: base.stride, padding: base.padding, dilation: base.dilation };
    kaimingUniform_(this.registerParameter('lora_A', zeros([opts.rank, base.inChannels, ...base.kernelSize], { dtype }))!, opts.rng, { a: Math.sqrt(5) });
    this.registerParameter('lora_B', zeros([base.outChannels, opts.rank, 1, 1], { dtype }));
  }
  delta(): Tensor {
    const a = this.param('lora_A'), b = this.param('lora_B');
    const [r, cin, kh, kw] = a.shape as [number, number, number, number];
    const flat = matmul(reshape(b, [b.shape[0]!, r]), reshape(a, [r, cin * kh * kw]));
    return mul(reshape(flat, [b.shape[0]!, cin, kh, kw]), this.scaling);
  }
  forward(x: Tensor): Tensor {
    const y = conv2d(x, this.weight, this.bias, { ...this.conv, groups: 1 });
    if (this.merged) return y;
    const low = conv2d(x, this.param('lora_A'), null, { ...this.conv, groups: 1 });
    return add(y, mul(conv2d(low, this.param('lora_B'), null, { stride: 1, padding: 0 }), this.scaling));
  }
}

/**
 * Wrap every Linear and Conv2d whose dotted module path matches a pattern with LoRA (PEFT's `target_modules`),
 * freeze everything else, and return the wrapped paths. A pattern that matches no such layer is an error.
 * @example applyLoRA(model, ['features.*.0', 'classifier'], { rank: 4, rng }); // then train model.parameters() that require grad
 */
export function applyLoRA(model: AnyModule, targets: NamePattern | NamePattern[], opts: LoRAOptions): string[] {
  const pats = Array.isArray(targets) ? targets : [targets];
  const layers = model.namedModules().filter(([n, m]) => n !== '' && (m instanceof Linear || m instanceof Conv2d));
  for (const p of pats) {
    if (!layers.some(([n]) => matchName(p, n))) {
      throw new ArgumentError('applyLoRA', `pattern ${String(p)} matches no Linear or Conv2d (layers: ${layers.map(([n]) => n).slice(0, 8).join(', ')}${layers.length > 8 ? ', …' : ''})`);
    }
  }
  for (const p of model.parameters()) p.requiresGrad = false;
  const wrapped: string[] = [];
  for (const [n, m] of layers) {
    if (!pats.some((p) => matchName(p, n))) continue;
    model.setSubmodule(n, m instanceof Linear ? new LoRALinear(m, opts) : new LoRAConv2d(m as Conv2d, opts));
    wrapped.push(n);
  }
  return wrapped;
}

/** Merge every LoRA layer of a model (for inference); `unmergeLoRA` undoes it. */
export function mergeLoRA(model: AnyModule): void {
  for (const m of model.modules()) if (m instanceof LoRABase) m.merge();
}

export function unmergeLoRA(model: AnyModule): void {
  for (const m of model.modules()) if (m instanceof LoRABase) m.unmerge();
}
