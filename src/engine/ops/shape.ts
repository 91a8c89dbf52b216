// Layout ops: reshape, permute, expand, slicing, concatenation, gather/scatter and their compositions.
import { record } from '../autograd.js';
import { isFloat } from '../../core/dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../../core/errors.js';
import { fmt, normAxes, normAxis, numel, shapeEq, type Shape } from '../../core/shape.js';
import { Tensor } from '../tensor.js';
import { empty, kernels, zerosOf } from './core.js';
import { add, cast } from './elementwise.js';
import { sum } from './reduce.js';

/** Same data, new shape (one dim may be -1). Shares storage with x. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = shape.slice();
  const neg = s.indexOf(-1);
  if (neg >= 0) {
    if (s.indexOf(-1, neg + 1) >= 0) throw new ShapeError('reshape', 'only one dim may be -1', [x.shape, s]);
    const rest = s.reduce((a, d, i) => (i === neg ? a : a * d), 1);
    if (rest === 0 || x.numel() % rest !== 0) throw new ShapeError('reshape', `cannot infer -1 for ${x.numel()} elements`, [x.shape, s]);
    s[neg] = x.numel() / rest;
  }
  if (s.some((d) => !Number.isInteger(d) || d < 0) || numel(s) !== x.numel()) {
    throw new ShapeError('reshape', `cannot reshape ${x.numel()} elements into ${fmt(s)}`, [x.shape]);
  }
  if (shapeEq(s, x.shape)) return x;
  const out = new Tensor(x.data, s, x.dtype, x);
  return record('reshape', [x], { shape: s }, out);
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normAxis('flatten', startDim, x.ndim), e = normAxis('flatten', endDim, x.ndim);
  if (s > e) throw new ArgumentError('flatten', `startDim ${startDim} is after endDim ${endDim}`);
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

export function permute(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.ndim) throw new ShapeError('permute', `permutation ${fmt(perm)} has ${perm.length} dims, tensor has ${x.ndim}`, [x.shape]);
  const p = perm.map((a) => normAxis('permute', a, x.ndim));
  if (new Set(p).size !== p.length) throw new ArgumentError('permute', `repeated dims in ${fmt(perm)}`);
  if (p.every((a, i) => a === i)) return x;
  const shape = p.map((a) => x.shape[a]!);
  const out = empty(shape, x.dtype);
  kernels().permute(x.data, x.shape, p, out.data);
  return record('permute', [x], { perm: p }, out);
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  if (x.ndim < 2) return x;
  const a = normAxis('transpose', dim0, x.ndim), b = normAxis('transpose', dim1, x.ndim);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Broadcast to `shape` (new leading dims allowed; -1 keeps a dim), materialised. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.ndim) throw new ShapeError('expand', `target has fewer dims than the tensor`, [x.shape, shape]);
  const lead = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 ? (i < lead ? -1 : x.shape[i - lead]!) : d));
  target.forEach((d, i) => {
    const src = i < lead ? 1 : x.shape[i - lead]!;
    if (d < 0 || (src !== 1 && src !== d)) throw new ShapeError('expand', `dim ${i} of size ${src} cannot expand to ${shape[i]}`, [x.shape, shape]);
  });
  if (shapeEq(target, x.shape)) return x;
  const src = lead ? reshape(x, [...new Array<number>(lead).fill(1), ...x.shape]) : x;
  if (shapeEq(target, src.shape)) return src;
  const out = empty(target, x.dtype);
  kernels().expand(src.data, src.shape, target, out.data);
  return record('expand', [src], { shape: target }, out);
}

/** Reduce a broadcast gradient back to `shape` by summing the broadcast dims. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (shapeEq(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length ? sum(g, axes, false) : g;
  return reshape(s, shape);
}

export function squeeze(x: Tensor, axes?: number | number[]): Tensor {
  const drop = axes === undefined ? x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0) : normAxes('squeeze', axes, x.ndim).filter((a) => x.shape[a] === 1);
  return reshape(x, x.shape.filter((_, i) => !drop.includes(i)));
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis('unsqueeze', axis, x.ndim + 1);
  const s = x.shape.slice();
  s.splice(a, 0, 1);
  return reshape(x, s);
}

/** Primitive strided slice: per-dim start and step, with the output extents in `shape`. */
export function slicePrim(x: Tensor, starts: number[], steps: number[], shape: number[]): Tensor {
  if (shapeEq(shape, x.shape) && steps.every((s) => s === 1)) return x;
  const out = empty(shape, x.dtype);
  kernels().slice(x.data, x.shape, starts, steps, shape, out.data);
  return record('slice', [x], { starts, steps, shape }, out);
}

/** Primitive: zeros of `shape` with `src` written at the strided positions a slice would read. */
export function sliceScatterPrim(src: Tensor, starts: number[], steps: number[], shape: number[]): Tensor {
  const out = zerosOf(shape, src.dtype);
  kernels().sliceScatter(src.data, src.shape, starts, steps, shape, out.data);
  return record('sliceScatter', [src], { starts, steps, shape }, out);
}

/** x[start:end:step] along one axis, Python-style (negative indices count from the end, bounds clip). */
export function sliceAxis(x: Tensor, axis: number, start?: number, end?: number, step = 1): Tensor {
  const a = normAxis('slice', axis, x.ndim);
  if (!Number.isInteger(step) || step <= 0) throw new ArgumentError('slice', `step must be a positive integer, got ${step}`);
  const n = x.shape[a]!;
  const norm = (v: number | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    const r = v < 0 ? v + n : v;
    return Math.min(Math.max(r, 0), n);
  };
  const s = norm(start, 0), e = norm(end, n);
  const len = Math.max(0, Math.ceil((e - s) / step));
  const starts = x.shape.map(() => 0), steps = x.shape.map(() => 1), shape = x.shape.slice();
  starts[a] = len ? s : 0;
  steps[a] = step;
  shape[a] = len;
  return slicePrim(x, starts, steps, shape);
}

/** Index one position along an axis, dropping that axis. */
export function select(x: Tensor, axis: number, index: number): Tensor {
  const a = normAxis('select', axis, x.ndim);
  const n = x.shape[a]!;
  const i = index < 0 ? index + n : index;
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new ArgumentError('select', `index ${index} out of range for dim ${a} of size ${n}`);
  return squeeze(sliceAxis(x, a, i, i + 1), a);
}

/** Join tensors along an existing axis (torch.cat). */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ArgumentError('concat', 'needs at least one tensor');
  const first = xs[0]!;
  const a = normAxis('concat', axis, first.ndim);
  const dtype = xs.reduce((d, t) => (isFloat(t.dtype) && !isFloat(d) ? t.dtype : t.dtype === 'float64' ? 'float64' : d), first.dtype);
  const parts = xs.map((t) => {
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new ShapeError('concat', `tensors must match except along axis ${a}`, xs.map((u) => u.shape));
    }
    return t.dtype === dtype ? t : (cast(t, dtype));
  });
  if (parts.length === 1) return parts[0]!;
  const shape = first.shape.slice();
  shape[a] = parts.reduce((s, t) => s + t.shape[a]!, 0);
  const out = empty(shape, dtype);
  const starts = shape.map(() => 0), steps = shape.map(() => 1);
  for (const t of parts) {
    kernels().sliceScatter(t.data, t.shape, starts, steps, shape, out.data);
    starts[a] += t.shape[a]!;
  }
  return record('concat', parts, { axis: a }, out);
}
export const cat = concat;

/** Join tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ArgumentError('stack', 'needs at least one tensor');
  const a = normAxis('stack', axis, xs[0]!.ndim + 1);
  return concat(xs.map((t) => unsqueeze(t, a)), a);
}

export function split(x: Tensor, size: number | number[], axis = 0): Tensor[] {
  const a = normAxis('split', axis, x.ndim);
  const n = x.shape[a]!;
  const sizes = typeof size === 'number' ? Array.from({ length: Math.ceil(n / size) }, (_, i) => Math.min(size, n - i * size)) : size;
  if (sizes.reduce((s, v) => s + v, 0) !== n) throw new ArgumentError('split', `sizes ${fmt(sizes)} do not add up to ${n}`);
  const out: Tensor[] = [];
  let off = 0;
  for (const s of sizes) {
    out.push(sliceAxis(x, a, off, off + s));
    off += s;
  }
  return out;
}

export function chunk(x: Tensor, chunks: number, axis = 0): Tensor[] {
  const a = normAxis('chunk', axis, x.ndim);
  return split(x, Math.ceil(x.shape[a]! / chunks), a);
}

/** Index tensors the engine computed itself and knows to be in range (user indices are always checked). */
const checkedIndices = new WeakMap<Tensor, { version: number; bound: number }>();

/** @internal mark an index tensor the engine produced itself (e.g. max-pool arg-max positions) as in range. */
export function trustIndex(index: Tensor, bound: number): Tensor {
  checkedIndices.set(index, { version: index._version, bound });
  return index;
}

function checkIndex(op: string, x: { shape: readonly number[] }, axis: number, index: Tensor): void {
  if (index.dtype !== 'int32') throw new DTypeError(op, `index must be int32, got ${index.dtype} of shape ${fmt(index.shape)}`);
  const n = x.shape[axis]!;
  const known = checkedIndices.get(index);
  if (known && known.version === index._version && known.bound <= n) return;
  const d = index.data;
  for (let i = 0; i < d.length; i++) {
    if (d[i]! < 0 || d[i]! >= n) throw new ArgumentError(op, `index ${d[i]} out of range for dim ${axis} of size ${n} (input shape ${fmt(x.shape)})`);
  }
}

/**
 * torch.gather: out[i][j] = x[i][index[i][j]] along `axis`. `index` must match x's shape except along axis.
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normAxis('gather', axis, x.ndim);
  if (index.ndim !== x.ndim || index.shape.some((d, i) => i !== a && d !== x.shape[i])) {
    throw new ShapeError('gather', `index must have the input's shape except along axis ${a}`, [x.shape, index.shape]);
  }
  checkIndex('gather', x, a, index);
  const out = empty(index.shape, x.dtype);
  kernels().gather(x.data, x.shape, a, index.data as Int32Array, index.shape, out.data);
  return record('gather', [x, index], { axis: a }, out);
}

/** Primitive: zeros of `shape` with src added at `index` positions along `axis` (the transpose of gather). */
export function scatterAddPrim(shape: number[], axis: number, index: Tensor, src: Tensor): Tensor {
  const a = normAxis('scatterAdd', axis, shape.length);
  if (!shapeEq(index.shape, src.shape) || index.ndim !== shape.length || index.shape.some((d, i) => i !== a && d !== shape[i])) {
    throw new ShapeError('scatterAdd', `index and src must have the same shape, matching the output except along axis ${a}`, [shape, index.shape, src.shape]);
  }
  checkIndex('scatterAdd', { shape }, a, index);
  const out = zerosOf(shape, src.dtype);
  kernels().scatterAdd(out.data, shape, a, index.data as Int32Array, index.shape, src.data);
  return record('scatterAdd', [index, src], { axis: a, shape }, out);
}

/** base with src added at `index` positions along `axis` (torch.scatter_add, not in place). */
export function scatterAdd(base: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  const s = src.dtype === base.dtype ? src : cast(src, base.dtype);
  return add(base, scatterAddPrim(base.shape.slice(), axis, index, s));
}

/** Rows (or slices along `axis`) picked by a 1-d int32 index (torch.index_select). */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normAxis('indexSelect', axis, x.ndim);
  if (index.ndim !== 1) throw new ShapeError('indexSelect', 'index must be 1-d', [x.shape, index.shape]);
  const shapeIdx = x.shape.map((d, i) => (i === a ? index.shape[0]! : d));
  const viewShape = x.shape.map((_, i) => (i === a ? index.shape[0]! : 1));
  const idx = empty(shapeIdx, 'int32');
  kernels().expand(index.data, viewShape, shapeIdx, idx.data);
  return gather(x, a, idx);
}

/** Tile along each dim (torch.Tensor.repeat). */
export function repeat(x: Tensor, times: readonly number[]): Tensor {
  if (times.length < x.ndim) throw new ArgumentError('repeat', `need at least ${x.ndim} repeat counts, got ${times.length}`);
  const lead = times.length - x.ndim;
  const src = [...new Array<number>(lead).fill(1), ...x.shape];
  const inter: number[] = [];
  const target: number[] = [];
  src.forEach((d, i) => {
    inter.push(1, d);
    target.push(times[i]!, d);
  });
  const e = expand(reshape(x, inter), target);
  return reshape(e, src.map((d, i) => d * times[i]!));
}

/**
 * Constant padding, `pad` lists (before, after) pairs starting from the LAST dim, like torch.nn.functional.pad.
 * @example pad(x, [1, 1, 2, 2]) // W by 1 on each side, H by 2
 */
export function pad(x: Tensor, padding: readonly number[], value = 0): Tensor {
  if (padding.length % 2 !== 0 || padding.length / 2 > x.ndim) throw new ArgumentError('pad', `padding ${fmt(padding)} must hold (before, after) pairs for at most ${x.ndim} dims`);
  const shape = x.shape.slice(), starts = x.shape.map(() => 0), steps = x.shape.map(() => 1);
  let cropped = x;
  for (let k = 0; k < padding.length / 2; k++) {
    const d = x.ndim - 1 - k;
    const before = padding[2 * k]!, after = padding[2 * k + 1]!;
    // negative padding crops
    if (before < 0 || after < 0) cropped = sliceAxis(cropped, d, Math.max(0, -before), cropped.shape[d]! - Math.max(0, -after));
    shape[d] = x.shape[d]! + before + after;
    starts[d] = Math.max(0, before);
  }
  const out = sliceScatterPrim(cropped, starts, steps, shape);
  if (value === 0) return out;
  const mask = sliceScatterPrim(new Tensor(new Uint8Array(cropped.numel()).fill(1), cropped.shape, 'uint8'), starts, steps, shape);
  const border = new Tensor(new Float32Array(mask.numel()), shape, 'float32');
  for (let i = 0; i < border.data.length; i++) border.data[i] = mask.data[i] ? 0 : value;
  return add(out, cast(border, out.dtype));
}

/** One-hot encoding of int32 labels into float32 [..., numClasses]. */
export function oneHot(labels: Tensor, numClasses: number): Tensor {
  if (labels.dtype !== 'int32') throw new DTypeError('oneHot', `labels must be int32, got ${labels.dtype}`);
  const out = zerosOf([...labels.shape, numClasses], 'float32');
  for (let i = 0; i < labels.data.length; i++) {
    const c = labels.data[i]!;
    if (c < 0 || c >= numClasses) throw new ArgumentError('oneHot', `label ${c} at position ${i} is outside [0, ${numClasses})`);
    out.data[i * numClasses + c] = 1;
  }
  return out;
}
