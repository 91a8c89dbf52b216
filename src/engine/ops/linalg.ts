// Matrix products: the batched, broadcasting matmul primitive with transpose flags, and linear.
import { record } from '../autograd.js';
import { promote, type FloatArray } from '../../core/dtype.js';
import { ShapeError } from '../../core/errors.js';
import { broadcastShapes, numel, stridesOf } from '../../core/shape.js';
import type { Tensor } from '../tensor.js';
import { add, cast } from './elementwise.js';
import { empty, kernels, requireFloat } from './core.js';
import { reshape, squeeze, unsqueeze } from './shape.js';

/**
 * Primitive: op(a) · op(b) over broadcast batch dims, where op transposes the last two dims when the
 * flag is set. a: [..., m, k] (or [..., k, m]); b: [..., k, n] (or [..., n, k]).
 */
export function matmulPrim(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  requireFloat('matmul', a);
  requireFloat('matmul', b);
  const dtype = promote(a.dtype, b.dtype);
  if (a.dtype !== dtype) a = cast(a, dtype);
  if (b.dtype !== dtype) b = cast(b, dtype);
  if (a.ndim < 2 || b.ndim < 2) throw new ShapeError('matmul', 'primitive needs at least 2-d operands', [a.shape, b.shape]);
  const ar = a.shape[a.ndim - 2]!, ac = a.shape[a.ndim - 1]!;
  const br = b.shape[b.ndim - 2]!, bc = b.shape[b.ndim - 1]!;
  const m = transA ? ac : ar, k = transA ? ar : ac;
  const kb = transB ? bc : br, n = transB ? br : bc;
  if (k !== kb) throw new ShapeError('matmul', `inner dimensions differ (${k} vs ${kb})${transA || transB ? ` with transA=${transA}, transB=${transB}` : ''}`, [a.shape, b.shape]);
  const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
  const batch = broadcastShapes('matmul', batchA, batchB);
  const nb = numel(batch);
  const out = empty([...batch, m, n], dtype);
  const bBatch = numel(batchB);
  if (bBatch === 1 && !transA && numel(batchA) === nb) {
    // Fold a's batch into rows: one large GEMM.
    const one = new Int32Array(1);
    kernels().matmul(a.data as FloatArray, b.data as FloatArray, out.data as FloatArray, {
      batch: 1, m: m * nb, k, n, transA: false, transB, aOffsets: one, bOffsets: one,
    });
  } else {
    const aOff = new Int32Array(nb), bOff = new Int32Array(nb);
    const aSt = batchStrides(batchA, batch, m * k), bSt = batchStrides(batchB, batch, k * n);
    const idx = new Array<number>(batch.length).fill(0);
    for (let t = 0; t < nb; t++) {
      let oa = 0, ob = 0;
      for (let d = 0; d < batch.length; d++) { oa += idx[d]! * aSt[d]!; ob += idx[d]! * bSt[d]!; }
      aOff[t] = oa;
      bOff[t] = ob;
      for (let d = batch.length - 1; d >= 0; d--) {
        if (++idx[d]! < batch[d]!) break;
        idx[d] = 0;
      }
    }
    kernels().matmul(a.data as FloatArray, b.data as FloatArray, out.data as FloatArray, {
      batch: nb, m, k, n, transA, transB, aOffsets: aOff, bOffsets: bOff,
    });
  }
  return record('matmul', [a, b], { transA, transB }, out);
}

/** Element strides of each broadcast batch dim of an operand (0 where it broadcasts). */
function batchStrides(own: readonly number[], batch: readonly number[], matSize: number): number[] {
  const st = stridesOf(own).map((s) => s * matSize);
  const lead = batch.length - own.length;
  return batch.map((d, i) => (i < lead || (own[i - lead] === 1 && d !== 1) ? 0 : st[i - lead]!));
}

/**
 * Matrix product with NumPy/PyTorch semantics: 1-d operands are promoted and the added dim removed;
 * batch dims broadcast.
 * @example matmul(x, w.t())
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) throw new ShapeError('matmul', 'both operands need at least 1 dim', [a.shape, b.shape]);
  const a2 = a.ndim === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.ndim === 1 ? unsqueeze(b, 1) : b;
  let out = matmulPrim(a2, b2);
  if (a.ndim === 1) out = squeeze(out, out.ndim - 2);
  if (b.ndim === 1) out = squeeze(out, out.ndim - 1);
  return out;
}

/** y = x · wᵀ + b, with w of shape [out, in] as in torch.nn.functional.linear. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2) throw new ShapeError('linear', 'weight must be 2-d [out, in]', [x.shape, weight.shape]);
  if (x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new ShapeError('linear', `input features ${x.shape[x.ndim - 1]} do not match weight in_features ${weight.shape[1]}`, [x.shape, weight.shape]);
  }
  const x2 = x.ndim === 1 ? unsqueeze(x, 0) : x;
  let y = matmulPrim(x2, weight, false, true);
  if (bias) {
    if (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0]) throw new ShapeError('linear', 'bias must be 1-d [out]', [weight.shape, bias.shape]);
    y = add(y, bias);
  }
  return x.ndim === 1 ? reshape(y, [weight.shape[0]!]) : y;
}
