// Reduction kernels over the middle axis of an [outer, size, inner] view.
import type { DataArray } from '../../core/dtype.js';
import type { ArgReduceOp, ReduceOp } from '../types.js';

export function reduce(op: ReduceOp, x: DataArray, outer: number, size: number, inner: number, out: DataArray): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * size;
      let acc: number;
      if (op === 'sum') { acc = 0; for (let k = 0; k < size; k++) acc += x[base + k]!; }
      else if (op === 'max') {
        acc = -Infinity;
        for (let k = 0; k < size; k++) { const v = x[base + k]!; if (v > acc || v !== v) { acc = v; if (v !== v) break; } }
      } else {
        acc = Infinity;
        for (let k = 0; k < size; k++) { const v = x[base + k]!; if (v < acc || v !== v) { acc = v; if (v !== v) break; } }
      }
      out[o] = acc;
    }
    return;
  }
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    acc.fill(op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity);
    for (let k = 0; k < size; k++) {
      const row = base + k * inner;
      if (op === 'sum') for (let i = 0; i < inner; i++) acc[i] += x[row + i]!;
      else if (op === 'max') for (let i = 0; i < inner; i++) { const v = x[row + i]!; if (v > acc[i]! || v !== v) acc[i] = v; }
      else for (let i = 0; i < inner; i++) { const v = x[row + i]!; if (v < acc[i]! || v !== v) acc[i] = v; }
    }
    if (op !== 'sum') {
      // A NaN seen anywhere must survive later comparisons.
      for (let k = 0; k < size; k++) {
        const row = base + k * inner;
        for (let i = 0; i < inner; i++) if (x[row + i] !== x[row + i]) acc[i] = NaN;
      }
    }
    for (let i = 0; i < inner; i++) out[o * inner + i] = acc[i]!;
  }
}

export function argReduce(op: ArgReduceOp, x: DataArray, outer: number, size: number, inner: number, out: Int32Array): void {
  const isMax = op === 'argmax';
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let best = x[base]!, bi = 0;
      if (best === best) {
        for (let k = 1; k < size; k++) {
          const v = x[base + k * inner]!;
          if (v !== v) { bi = k; break; }
          if (isMax ? v > best : v < best) { best = v; bi = k; }
        }
      }
      out[o * inner + i] = bi;
    }
  }
}
