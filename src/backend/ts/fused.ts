// Fused reference kernels: relu's gradient and training-mode batch norm forward and backward.
import type { FloatArray } from '../../core/dtype.js';

export function reluBackward(g: FloatArray, x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < out.length; i++) out[i] = x[i]! > 0 ? g[i]! : 0;
}

export function batchNormTrainForward(
  x: FloatArray, weight: FloatArray | null, bias: FloatArray | null, n: number, c: number, hw: number, eps: number,
  out: FloatArray, mean: FloatArray, invstd: FloatArray,
): void {
  const count = n * hw;
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let b = 0; b < n; b++) {
      const base = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) s += x[base + i]!;
    }
    const m = s / count;
    let v = 0;
    for (let b = 0; b < n; b++) {
      const base = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) { const d = x[base + i]! - m; v += d * d; }
    }
    const inv = 1 / Math.sqrt(v / count + eps);
    mean[ch] = m;
    invstd[ch] = inv;
    const scale = weight ? weight[ch]! * inv : inv, shift = bias ? bias[ch]! : 0;
    for (let b = 0; b < n; b++) {
      const base = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) out[base + i] = (x[base + i]! - m) * scale + shift;
    }
  }
}

export function batchNormBackward(
  x: FloatArray, dy: FloatArray, mean: FloatArray, invstd: FloatArray, weight: FloatArray | null, n: number, c: number, hw: number,
  dx: FloatArray, dweight: FloatArray | null, dbias: FloatArray | null,
): void {
  const count = n * hw;
  for (let ch = 0; ch < c; ch++) {
    const m = mean[ch]!, inv = invstd[ch]!;
    let sdy = 0, sdyx = 0;
    for (let b = 0; b < n; b++) {
      const base = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) { const g = dy[base + i]!; sdy += g; sdyx += g * (x[base + i]! - m) * inv; }
    }
    if (dweight) dweight[ch] = sdyx;
    if (dbias) dbias[ch] = sdy;
    const k = (weight ? weight[ch]! : 1) * inv;
    const a = sdy / count, bcoef = sdyx / count;
    for (let b = 0; b < n; b++) {
      const base = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) dx[base + i] = k * (dy[base + i]! - a - (x[base + i]! - m) * inv * bcoef);
    }
  }
}

/** Max of a strided row (NaN-sticky), or 0 when it is not finite: the shift used by softmax. */
function rowShift(x: FloatArray, base: number, size: number, stride: number): number {
  let m = -Infinity;
  for (let k = 0; k < size; k++) {
    const v = x[base + k * stride]!;
    if (v !== v || v > m) m = v;
    if (m !== m) break;
  }
  return Number.isFinite(m) ? m : 0;
}

function softmaxRows(x: FloatArray, outer: number, size: number, inner: number, out: FloatArray, log: boolean): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      const m = rowShift(x, base, size, inner);
      let s = 0;
      for (let k = 0; k < size; k++) s += Math.exp(x[base + k * inner]! - m);
      if (log) {
        const lse = Math.log(s) + m;
        for (let k = 0; k < size; k++) out[base + k * inner] = x[base + k * inner]! - lse;
      } else {
        for (let k = 0; k < size; k++) out[base + k * inner] = Math.exp(x[base + k * inner]! - m) / s;
      }
    }
  }
}

export function softmax(x: FloatArray, outer: number, size: number, inner: number, out: FloatArray): void {
  softmaxRows(x, outer, size, inner, out, false);
}

export function logSoftmax(x: FloatArray, outer: number, size: number, inner: number, out: FloatArray): void {
  softmaxRows(x, outer, size, inner, out, true);
}

export function softmaxCrossEntropy(logits: FloatArray, targets: Int32Array, n: number, c: number, ignoreIndex: number, loss: FloatArray, prob: FloatArray): void {
  softmaxRows(logits, n, c, 1, prob, true);
  for (let i = 0; i < n; i++) loss[i] = targets[i] === ignoreIndex ? 0 : -prob[i * c + targets[i]!]!;
  for (let i = 0; i < n * c; i++) prob[i] = Math.exp(prob[i]!);
}

export function softmaxCrossEntropyBackward(prob: FloatArray, targets: Int32Array, n: number, c: number, ignoreIndex: number, gradLoss: FloatArray, dlogits: FloatArray): void {
  for (let i = 0; i < n; i++) {
    const skip = targets[i] === ignoreIndex;
    const g = skip ? 0 : gradLoss[i]!;
    for (let j = 0; j < c; j++) dlogits[i * c + j] = prob[i * c + j]! * g;
    if (!skip) dlogits[i * c + targets[i]!] -= g;
  }
}

export function pairwiseSquaredDistance(a: FloatArray, b: FloatArray, batch: number, n: number, m: number, d: number, out: FloatArray): void {
  for (let t = 0; t < batch; t++) {
    const ao = t * n * d, bo = t * m * d, oo = t * n * m;
    const bn = new Float64Array(m);
    for (let j = 0; j < m; j++) { let s = 0; for (let k = 0; k < d; k++) { const v = b[bo + j * d + k]!; s += v * v; } bn[j] = s; }
    for (let i = 0; i < n; i++) {
      let an = 0;
      for (let k = 0; k < d; k++) { const v = a[ao + i * d + k]!; an += v * v; }
      for (let j = 0; j < m; j++) {
        let dot = 0;
        for (let k = 0; k < d; k++) dot += a[ao + i * d + k]! * b[bo + j * d + k]!;
        const v = an - 2 * dot + bn[j]!;
        out[oo + i * m + j] = v !== v || v > 0 ? v : 0;
      }
    }
  }
}
