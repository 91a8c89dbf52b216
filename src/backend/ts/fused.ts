// Fused reference kernels: relu's gradient and training-mode batch norm forward and backward.
import type { FloatArray } from '../../engine/dtype.js';

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
