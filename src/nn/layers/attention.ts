// Multi-head attention (torch.nn.MultiheadAttention's names and semantics) and the causal mask helper.
import { zeros } from '../../engine/create.js';
import { allocate, isFloat, type FloatArray, type FloatDType } from '../../core/dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../../core/errors.js';
import { fmt } from '../../core/shape.js';
import type { Rng } from '../../engine/rng.js';
import { Tensor } from '../../engine/tensor.js';
import { add, cast, div } from '../../engine/ops/elementwise.js';
import { linear, matmulPrim } from '../../engine/ops/linalg.js';
import { dropout as dropoutFn } from '../../engine/ops/nn.js';
import { mean, softmax } from '../../engine/ops/reduce.js';
import { permute, reshape, split, squeeze, unsqueeze } from '../../engine/ops/shape.js';
import { xavierUniform_, zeros_ } from '../init.js';
import { Module } from '../module.js';
import { Linear } from './linear.js';

/** An additive mask of `rows` × `cols`: 0 where column j ≤ row i, −∞ above the diagonal (top-left aligned). */
function causalRect(rows: number, cols: number, dtype: FloatDType): Tensor {
  const d = allocate(dtype, rows * cols) as FloatArray;
  for (let i = 0; i < rows; i++) for (let j = i + 1; j < cols; j++) d[i * cols + j] = -Infinity;
  return new Tensor(d, [rows, cols], dtype);
}

/**
 * The square causal mask of torch.nn.Transformer.generate_square_subsequent_mask: [n, n] with 0 on and below
 * the diagonal and −∞ above, so position i attends to positions ≤ i when added to attention scores.
 * @example mha.call(x, x, x, { attnMask: causalMask(x.shape[0]) })
 */
export function causalMask(n: number, opts: { dtype?: FloatDType } = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError('causalMask', `size must be a non-negative integer, got ${n}`);
  return causalRect(n, n, opts.dtype ?? 'float32');
}

/** A boolean mask (true = may not attend) as 0/−∞, or a float mask as is, in `dtype`. */
function additiveMask(name: string, m: Tensor, dtype: FloatDType): Tensor {
  if (m.dtype === 'bool' || m.dtype === 'uint8') {
    const d = allocate(dtype, m.numel()) as FloatArray;
    for (let i = 0; i < d.length; i++) d[i] = m.data[i] ? -Infinity : 0;
    return new Tensor(d, m.shape.slice(), dtype);
  }
  if (!isFloat(m.dtype)) throw new DTypeError('MultiheadAttention', `${name} must be bool (true = masked out) or float (added to the scores), got ${m.dtype}`);
  return m.dtype === dtype ? m : cast(m, dtype);
}

/** Options of MultiheadAttention (torch.nn.MultiheadAttention's keyword arguments). */
export interface MultiheadAttentionOptions {
  rng: Rng;
  /** biases of the input and output projections (default true) */
  bias?: boolean;
  /** inputs and output as [N, L, E] instead of [L, N, E] (default false, as in PyTorch) */
  batchFirst?: boolean;
  /** dropout probability on the attention weights, in training mode (default 0) */
  dropout?: number;
  /** features of the keys (default embedDim; otherwise separate q/k/v projection weights) */
  kdim?: number;
  /** features of the values (default embedDim) */
  vdim?: number;
  dtype?: FloatDType;
}

/** Options of one MultiheadAttention call (torch's forward keyword arguments). */
export interface MultiheadAttentionCallOptions {
  /**
   * [L, S] or [N·numHeads, L, S] ([numHeads, L, S] unbatched): bool (true = may not attend) or float (added
   * to the scores before the softmax).
   */
  attnMask?: Tensor | null;
  /** [N, S] ([S] unbatched): bool (true = padding, ignored) or float (added to the scores). */
  keyPaddingMask?: Tensor | null;
  /** return the attention weights (default true) */
  needWeights?: boolean;
  /** average the returned weights over heads ([N, L, S]) or return them per head ([N, H, L, S]); default true */
  averageAttnWeights?: boolean;
  /**
   * Causal attention: position i attends to positions ≤ i. Without attnMask the causal mask is built here
   * (PyTorch requires the mask and treats the flag as a hint); with attnMask the mask is used as given.
   */
  isCausal?: boolean;
}

/**
 * Multi-head scaled dot-product attention (Vaswani et al. 2017), as torch.nn.MultiheadAttention:
 * softmax(Q·Kᵀ/√d_head + mask)·V per head, heads concatenated and projected by `out_proj`. Parameters
 * in_proj_weight [3E, E] (or q_proj_weight, k_proj_weight, v_proj_weight when kdim/vdim differ from E),
 * in_proj_bias [3E], out_proj.weight [E, E], out_proj.bias [E]; xavier-uniform in-projection, zero biases.
 * `forward(query, key, value, opts?)` takes [L, N, E], [S, N, kdim], [S, N, vdim] ([N, ·, ·] with batchFirst;
 * unbatched [L, E], …) and returns `[output [L, N, E], weights [N, L, S] | null]`, the weights averaged over
 * heads unless `averageAttnWeights: false`. Not supported: add_bias_kv, add_zero_attn.
 *
 * @example
 * const mha = new MultiheadAttention(16, 4, { rng: new Rng(0), batchFirst: true });
 * const [y, w] = mha.call(x, x, x, { isCausal: true });   // x [N, T, 16] → y [N, T, 16], w [N, T, T]
 */
export class MultiheadAttention extends Module<[Tensor, Tensor, Tensor, MultiheadAttentionCallOptions?], [Tensor, Tensor | null]> {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly batchFirst: boolean;
  readonly dropout: number;
  private readonly dropoutRng: Rng | null;

  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions) {
    super();
    if (!Number.isInteger(embedDim) || embedDim < 1) throw new ArgumentError('MultiheadAttention', `embedDim must be a positive integer, got ${embedDim}`);
    if (!Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads) {
      throw new ArgumentError('MultiheadAttention', `embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    }
    const p = opts.dropout ?? 0;
    if (!(p >= 0 && p <= 1)) throw new ArgumentError('MultiheadAttention', `dropout must be in [0, 1], got ${p}`);
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = p;
    const dtype = opts.dtype ?? 'float32', bias = opts.bias ?? true;
    if (this.packed) {
      xavierUniform_(this.registerParameter('in_proj_weight', zeros([3 * embedDim, embedDim], { dtype }))!, opts.rng);
      for (const n of ['q_proj_weight', 'k_proj_weight', 'v_proj_weight']) this.registerParameter(n, null);
    } else {
      for (const [n, d] of [['q_proj_weight', embedDim], ['k_proj_weight', this.kdim], ['v_proj_weight', this.vdim]] as const) {
        xavierUniform_(this.registerParameter(n, zeros([embedDim, d], { dtype }))!, opts.rng);
      }
      this.registerParameter('in_proj_weight', null);
    }
    this.registerParameter('in_proj_bias', bias ? zeros([3 * embedDim], { dtype }) : null);
    const out = this.registerModule('out_proj', new Linear(embedDim, embedDim, { rng: opts.rng, bias, dtype }));
    if (out.bias) zeros_(out.bias);
    this.dropoutRng = p > 0 ? opts.rng.split() : null;
  }

  /** One [3E, E] in-projection (kdim = vdim = E), as torch's _qkv_same_embed_dim. */
  get packed(): boolean {
    return this.kdim === this.embedDim && this.vdim === this.embedDim;
  }

  get outProj(): Linear {
    return this.child<Linear>('out_proj');
  }

  forward(query: Tensor, key: Tensor, value: Tensor, opts: MultiheadAttentionCallOptions = {}): [Tensor, Tensor | null] {
    const op = 'MultiheadAttention';
    const batched = query.ndim === 3;
    if (!batched && query.ndim !== 2) throw new ShapeError(op, 'query must be 3-d (batched) or 2-d (unbatched)', [query.shape]);
    if (key.ndim !== query.ndim || value.ndim !== query.ndim) throw new ShapeError(op, 'query, key and value must all be batched (3-d) or all unbatched (2-d)', [query.shape, key.shape, value.shape]);
    const selfAttention = query === key && key === value;
    const bAxis = this.batchFirst ? 0 : 1, sAxis = 1 - bAxis;
    const [q, k, v] = batched ? [query, key, value] : [unsqueeze(query, bAxis), unsqueeze(key, bAxis), unsqueeze(value, bAxis)];
    const n = q.shape[bAxis]!, l = q.shape[sAxis]!, s = k.shape[sAxis]!;
    const e = this.embedDim, h = this.numHeads, hd = this.headDim;
    if (q.shape[2] !== e || k.shape[2] !== this.kdim || v.shape[2] !== this.vdim) {
      throw new ShapeError(op, `features must be query ${e}, key ${this.kdim}, value ${this.vdim}`, [query.shape, key.shape, value.shape]);
    }
    if (k.shape[bAxis] !== n || v.shape[bAxis] !== n || v.shape[sAxis] !== s) {
      throw new ShapeError(op, `key and value must have the query's batch size ${n} and the same length`, [query.shape, key.shape, value.shape]);
    }

    // input projections
    const b = this.optionalParam('in_proj_bias');
    const [bq, bk, bv] = b ? split(b, e, 0) : [null, null, null];
    let qp: Tensor, kp: Tensor, vp: Tensor;
    if (this.packed && selfAttention) {
      [qp, kp, vp] = split(linear(q, this.param('in_proj_weight'), b), e, -1) as [Tensor, Tensor, Tensor];
    } else {
      const [wq, wk, wv] = this.packed
        ? split(this.param('in_proj_weight'), e, 0)
        : [this.param('q_proj_weight'), this.param('k_proj_weight'), this.param('v_proj_weight')];
      qp = linear(q, wq!, bq);
      kp = linear(k, wk!, bk);
      vp = linear(v, wv!, bv);
    }

    // heads: [N, H, len, hd]
    const heads = (t: Tensor, len: number): Tensor => this.batchFirst
      ? permute(reshape(t, [n, len, h, hd]), [0, 2, 1, 3])
      : permute(reshape(t, [len, n, h, hd]), [1, 2, 0, 3]);
    let scores = matmulPrim(div(heads(qp, l), Math.sqrt(hd)), heads(kp, s), false, true);
    const mask = this.mask(opts, batched, n, l, s, scores.dtype as FloatDType);
    if (mask) scores = add(scores, mask);
    let attn = softmax(scores, -1);
    if (this.dropoutRng && this.training) attn = dropoutFn(attn, this.dropout, this.dropoutRng, true);
    const ctx = matmulPrim(attn, heads(vp, s)); // [N, H, L, hd]
    const merged = this.batchFirst
      ? reshape(permute(ctx, [0, 2, 1, 3]), [n, l, e])
      : reshape(permute(ctx, [2, 0, 1, 3]), [l, n, e]);
    const out = this.outProj.call(merged);

    let weights: Tensor | null = null;
    if (opts.needWeights ?? true) weights = (opts.averageAttnWeights ?? true) ? mean(attn, 1) : attn;
    if (batched) return [out, weights];
    return [squeeze(out, bAxis), weights && squeeze(weights, 0)];
  }

  /** attnMask and keyPaddingMask merged into one additive mask broadcastable to [N, H, L, S] (or null). */
  private mask(opts: MultiheadAttentionCallOptions, batched: boolean, n: number, l: number, s: number, dtype: FloatDType): Tensor | null {
    const op = 'MultiheadAttention', h = this.numHeads;
    let m: Tensor | null = null;
    if (opts.attnMask) {
      const a = additiveMask('attnMask', opts.attnMask, dtype);
      const three = batched ? [n * h, l, s] : [h, l, s];
      if (a.ndim === 2 && a.shape[0] === l && a.shape[1] === s) m = a;
      else if (a.ndim === 3 && a.shape.every((d, i) => d === three[i])) m = reshape(a, [n, h, l, s]);
      else throw new ShapeError(op, `attnMask must be ${fmt([l, s])} or ${fmt(three)}`, [opts.attnMask.shape]);
    } else if (opts.isCausal) {
      m = causalRect(l, s, dtype);
    }
    if (opts.keyPaddingMask) {
      const want = batched ? [n, s] : [s];
      const kp = opts.keyPaddingMask;
      if (kp.ndim !== want.length || kp.shape.some((d, i) => d !== want[i])) {
        throw new ShapeError(op, `keyPaddingMask must be ${fmt(want)}`, [kp.shape]);
      }
      const f = reshape(additiveMask('keyPaddingMask', kp, dtype), [n, 1, 1, s]);
      m = m ? add(m, f) : f;
    }
    return m;
  }

  override extraRepr(): string {
    return `embed_dim=${this.embedDim}, num_heads=${this.numHeads}${this.batchFirst ? ', batch_first=True' : ''}${this.dropout ? `, dropout=${this.dropout}` : ''}`;
  }
}
