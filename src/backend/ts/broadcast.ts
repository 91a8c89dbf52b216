// Broadcast iteration plans: collapse an N-d broadcast into the fewest strided loops.
import type { Shape } from '../../core/shape.js';

/** Loop extents (outer to inner) and, per operand, the element stride of each loop. */
export interface BroadcastPlan {
  dims: number[];
  strides: number[][];
}

/** Plan iterating outShape row-major while reading each operand (broadcast to outShape). */
export function broadcastPlan(outShape: Shape, inShapes: readonly Shape[]): BroadcastPlan {
  const nd = outShape.length;
  const full: number[][] = inShapes.map((s) => {
    const st = new Array<number>(nd).fill(0);
    let acc = 1;
    for (let i = s.length - 1; i >= 0; i--) {
      const oi = nd - s.length + i;
      st[oi] = s[i] === 1 && outShape[oi] !== 1 ? 0 : acc;
      acc *= s[i]!;
    }
    return st;
  });
  const dims: number[] = [];
  const strides: number[][] = inShapes.map(() => []);
  for (let i = 0; i < nd; i++) {
    const d = outShape[i]!;
    if (d === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && full.every((st, k) => strides[k]![last] === st[i]! * d)) {
      dims[last] = dims[last]! * d;
      for (let k = 0; k < full.length; k++) strides[k]![last] = full[k]![i]!;
    } else {
      dims.push(d);
      for (let k = 0; k < full.length; k++) strides[k]!.push(full[k]![i]!);
    }
  }
  if (dims.length === 0) {
    dims.push(1);
    for (const s of strides) s.push(0);
  }
  return { dims, strides };
}
