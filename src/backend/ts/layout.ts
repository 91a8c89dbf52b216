// Layout kernels: strided copies for permute/expand/slice, slice-scatter, gather and scatter-add.
import type { DataArray } from '../../core/dtype.js';
import type { Shape } from '../../core/shape.js';
import { numel, stridesOf } from '../../core/shape.js';

/** Merge adjacent loop dims whose strides are contiguous with each other. */
export function collapse(dims: readonly number[], strides: readonly number[]): { dims: number[]; strides: number[] } {
  const d: number[] = [];
  const s: number[] = [];
  for (let i = 0; i < dims.length; i++) {
    if (dims[i] === 1) continue;
    const last = d.length - 1;
    if (last >= 0 && s[last] === strides[i]! * dims[i]!) {
      d[last] = d[last]! * dims[i]!;
      s[last] = strides[i]!;
    } else {
      d.push(dims[i]!);
      s.push(strides[i]!);
    }
  }
  if (d.length === 0) { d.push(1); s.push(1); }
  return { dims: d, strides: s };
}

/** out (contiguous, dims) = x[offset + Σ idx_i · strides_i]. */
export function stridedRead(x: DataArray, offset: number, dims: readonly number[], strides: readonly number[], out: DataArray): void {
  const n = numel(dims);
  if (n === 0) return;
  const c = collapse(dims, strides);
  const nd = c.dims.length;
  const inner = c.dims[nd - 1]!, s1 = c.strides[nd - 1]!;
  if (nd === 1) {
    if (s1 === 1) { out.set(x.subarray(offset, offset + inner)); return; }
    for (let j = 0, p = offset; j < inner; j++, p += s1) out[j] = x[p]!;
    return;
  }
  const idx = new Array<number>(nd).fill(0);
  let base = offset, o = 0;
  const rows = n / inner;
  for (let r = 0; r < rows; r++) {
    if (s1 === 1) { out.set(x.subarray(base, base + inner), o); o += inner; }
    else for (let j = 0, p = base; j < inner; j++, p += s1) out[o++] = x[p]!;
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++; base += c.strides[d]!;
      if (idx[d]! < c.dims[d]!) break;
      base -= c.strides[d]! * c.dims[d]!; idx[d] = 0;
    }
  }
}

/** out[offset + Σ idx_i · strides_i] = src (contiguous, dims). */
export function stridedWrite(src: DataArray, dims: readonly number[], out: DataArray, offset: number, strides: readonly number[]): void {
  const n = numel(dims);
  if (n === 0) return;
  const c = collapse(dims, strides);
  const nd = c.dims.length;
  const inner = c.dims[nd - 1]!, s1 = c.strides[nd - 1]!;
  const idx = new Array<number>(nd).fill(0);
  let base = offset, o = 0;
  const rows = n / inner;
  for (let r = 0; r < rows; r++) {
    if (s1 === 1) { out.set(src.subarray(o, o + inner), base); o += inner; }
    else for (let j = 0, p = base; j < inner; j++, p += s1) out[p] = src[o++]!;
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++; base += c.strides[d]!;
      if (idx[d]! < c.dims[d]!) break;
      base -= c.strides[d]! * c.dims[d]!; idx[d] = 0;
    }
  }
}

export function permute(x: DataArray, shape: Shape, perm: readonly number[], out: DataArray): void {
  const st = stridesOf(shape);
  stridedRead(x, 0, perm.map((p) => shape[p]!), perm.map((p) => st[p]!), out);
}

export function expand(x: DataArray, shape: Shape, outShape: Shape, out: DataArray): void {
  const st = stridesOf(shape);
  stridedRead(x, 0, outShape, outShape.map((d, i) => (shape[i] === 1 && d !== 1 ? 0 : st[i]!)), out);
}

export function slice(x: DataArray, shape: Shape, starts: readonly number[], steps: readonly number[], outShape: Shape, out: DataArray): void {
  const st = stridesOf(shape);
  let off = 0;
  for (let i = 0; i < shape.length; i++) off += starts[i]! * st[i]!;
  stridedRead(x, off, outShape, st.map((s, i) => s * steps[i]!), out);
}

export function sliceScatter(src: DataArray, srcShape: Shape, starts: readonly number[], steps: readonly number[], outShape: Shape, out: DataArray): void {
  const st = stridesOf(outShape);
  let off = 0;
  for (let i = 0; i < outShape.length; i++) off += starts[i]! * st[i]!;
  stridedWrite(src, srcShape, out, off, st.map((s, i) => s * steps[i]!));
}

function axisView(shape: Shape, axis: number): [number, number, number] {
  let outer = 1, inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[axis]!, inner];
}

export function gather(x: DataArray, shape: Shape, axis: number, idx: Int32Array, idxShape: Shape, out: DataArray): void {
  const [outer, size, inner] = axisView(shape, axis);
  const isize = idxShape[axis]!;
  for (let o = 0; o < outer; o++) {
    const xBase = o * size * inner;
    const iBase = o * isize * inner;
    for (let j = 0; j < isize; j++) {
      const row = iBase + j * inner;
      for (let i = 0; i < inner; i++) out[row + i] = x[xBase + idx[row + i]! * inner + i]!;
    }
  }
}

export function scatterAdd(out: DataArray, shape: Shape, axis: number, idx: Int32Array, idxShape: Shape, src: DataArray): void {
  const [outer, size, inner] = axisView(shape, axis);
  const isize = idxShape[axis]!;
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    const iBase = o * isize * inner;
    for (let j = 0; j < isize; j++) {
      const row = iBase + j * inner;
      for (let i = 0; i < inner; i++) out[base + idx[row + i]! * inner + i] += src[row + i]!;
    }
  }
}
