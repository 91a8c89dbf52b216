// The Tensor: a contiguous typed array with a shape, a dtype and its place in the autograd graph.
import type { DataArray, DType } from '../core/dtype.js';
import { arrayMatchesDType, isFloat } from '../core/dtype.js';
import { ArgumentError, DTypeError, GradError } from '../core/errors.js';
import type { GradNode } from './autograd.js';
import { numel, type Shape } from '../core/shape.js';
import * as ops from './ops/index.js';
import * as autograd from './autograd.js';

export type Scalar = number;
/** @internal The version counter shared by all tensors over one storage. */
export interface StorageVersion {
  version: number;
}
export type TensorLike = Tensor | number;
export type NestedArray = number | boolean | readonly NestedArray[];

/**
 * An n-dimensional array. Data is always contiguous and row-major; views (reshape) share storage.
 * Float tensors can require grad; autograd records the primitive that created each non-leaf tensor.
 *
 * @example
 * const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * const y = x.mul(x).sum();
 * y.backward();           // x.grad = 2x
 */
export class Tensor {
  readonly data: DataArray;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Accumulated gradient (leaves and tensors that called retainGrad()). */
  grad: Tensor | null = null;
  /** The recorded operation that produced this tensor; null for leaves. */
  gradFn: GradNode | null = null;
  /** Optional human-readable name (parameters carry their dotted name). */
  name: string | undefined;
  private _requiresGrad = false;
  /**
   * @internal The version counter of the storage, shared by every tensor that aliases this one's data
   * (reshape, view, detach). Made on first use: a tensor nobody aliases or writes in place never needs one.
   */
  _storage: StorageVersion | null = null;
  /** @internal */
  _retainsGrad = false;

  /**
   * @param aliasOf a tensor whose storage `data` is (a view or detach of it): the two then share one
   * version counter, so an in-place write through either is seen by autograd wherever the other was saved.
   */
  constructor(data: DataArray, shape: Shape, dtype: DType, aliasOf?: Tensor) {
    if (!arrayMatchesDType(data, dtype)) throw new DTypeError('Tensor', `array type does not hold dtype ${dtype}`);
    const n = numel(shape);
    if (data.length !== n) {
      throw new ArgumentError('Tensor', `data has ${data.length} elements but shape [${shape.join(',')}] needs ${n}`);
    }
    this.data = data;
    this.shape = shape.slice();
    this.dtype = dtype;
    if (aliasOf) {
      if (aliasOf.data !== data) throw new ArgumentError('Tensor', 'aliasOf must hold the same data array');
      this._storage = aliasOf._storage ??= { version: 0 };
    }
  }

  /** @internal How many in-place writes the storage has seen; autograd compares it with the value it saved. */
  get _version(): number {
    return this._storage === null ? 0 : this._storage.version;
  }

  /** @internal Record an in-place write to the storage (every alias sees it). */
  _bumpVersion(): void {
    (this._storage ??= { version: 0 }).version++;
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  set requiresGrad(v: boolean) {
    if (v && !isFloat(this.dtype)) throw new GradError(`only float tensors can require grad (got ${this.dtype})`);
    if (!v && this.gradFn) {
      throw new GradError('requiresGrad can only be switched off on leaf tensors; use detach() for non-leaf tensors');
    }
    this._requiresGrad = v;
  }

  /** @internal used by autograd when recording a node */
  _setRequiresGradNonLeaf(node: GradNode): void {
    this._requiresGrad = true;
    this.gradFn = node;
  }

  /** In-place requires-grad switch, like PyTorch's requires_grad_(); returns this. */
  requiresGrad_(v = true): this {
    this.requiresGrad = v;
    return this;
  }

  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  get ndim(): number {
    return this.shape.length;
  }

  dim(): number {
    return this.shape.length;
  }

  numel(): number {
    return this.data.length;
  }

  /** Size of one dim (negative counts from the end), or the whole shape. */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number | number[] {
    if (dim === undefined) return this.shape.slice();
    const d = dim < 0 ? dim + this.shape.length : dim;
    if (d < 0 || d >= this.shape.length) throw new ArgumentError('size', `dim ${dim} out of range for ${this.shape.length} dims`);
    return this.shape[d]!;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) throw new ArgumentError('item', `tensor has ${this.data.length} elements, not 1 (shape [${this.shape.join(',')}])`);
    return this.data[0]!;
  }

  /** Nested JS arrays (numbers; bool as true/false). */
  toArray(): NestedArray {
    const bool = this.dtype === 'bool';
    const build = (dim: number, off: number): NestedArray => {
      if (dim === this.shape.length) return bool ? this.data[off] !== 0 : this.data[off]!;
      const out: NestedArray[] = [];
      let stride = 1;
      for (let i = dim + 1; i < this.shape.length; i++) stride *= this.shape[i]!;
      for (let i = 0; i < this.shape[dim]!; i++) out.push(build(dim + 1, off + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** A flat JS array copy of the data. */
  toList(): number[] {
    return Array.from(this.data);
  }

  toString(): string {
    const grad = this.gradFn ? `, gradFn=${this.gradFn.prim}` : this.requiresGrad ? ', requiresGrad=true' : '';
    return `Tensor(shape=[${this.shape.join(',')}], dtype=${this.dtype}${grad})`;
  }

  // ---- autograd ----
  /** Accumulate d(this)/d(leaves) into each leaf's .grad (see autograd.backward). */
  backward(gradient?: Tensor, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    autograd.backward(this, gradient, opts);
  }

  /** Keep .grad on this non-leaf tensor during backward(). */
  retainGrad(): this {
    if (!this.requiresGrad) throw new GradError('retainGrad() on a tensor that does not require grad');
    this._retainsGrad = true;
    return this;
  }

  /** A tensor sharing this one's data, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, this.dtype, this);
  }

  /** A deep copy (differentiable). */
  clone(): Tensor {
    return ops.clone(this);
  }

  // ---- in-place (no-grad) ----
  /** Overwrite data from `src` (broadcast); only on tensors outside a recorded graph, like optimiser updates. */
  copy_(src: TensorLike): this {
    ops.copyInto(this, src);
    return this;
  }

  zero_(): this {
    ops.fillInto(this, 0);
    return this;
  }

  fill_(v: number): this {
    ops.fillInto(this, v);
    return this;
  }

  // ---- conversion ----
  to(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
  float(): Tensor { return ops.cast(this, 'float32'); }
  double(): Tensor { return ops.cast(this, 'float64'); }
  int(): Tensor { return ops.cast(this, 'int32'); }
  bool(): Tensor { return ops.cast(this, 'bool'); }

  // ---- element-wise ----
  add(o: TensorLike, alpha?: number): Tensor { return ops.add(this, alpha === undefined ? o : ops.mul(o, alpha)); }
  sub(o: TensorLike, alpha?: number): Tensor { return ops.sub(this, alpha === undefined ? o : ops.mul(o, alpha)); }
  mul(o: TensorLike): Tensor { return ops.mul(this, o); }
  div(o: TensorLike): Tensor { return ops.div(this, o); }
  pow(o: TensorLike): Tensor { return ops.pow(this, o); }
  rsub(o: TensorLike): Tensor { return ops.sub(o, this); }
  maximum(o: TensorLike): Tensor { return ops.maximum(this, o); }
  minimum(o: TensorLike): Tensor { return ops.minimum(this, o); }
  neg(): Tensor { return ops.neg(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  rsqrt(): Tensor { return ops.rsqrt(this); }
  abs(): Tensor { return ops.abs(this); }
  square(): Tensor { return ops.square(this); }
  reciprocal(): Tensor { return ops.reciprocal(this); }
  sin(): Tensor { return ops.sin(this); }
  cos(): Tensor { return ops.cos(this); }
  tanh(): Tensor { return ops.tanh(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  relu(): Tensor { return ops.relu(this); }
  sign(): Tensor { return ops.sign(this); }
  clamp(min?: number | null, max?: number | null): Tensor { return ops.clamp(this, min, max); }
  eq(o: TensorLike): Tensor { return ops.eq(this, o); }
  ne(o: TensorLike): Tensor { return ops.ne(this, o); }
  lt(o: TensorLike): Tensor { return ops.lt(this, o); }
  le(o: TensorLike): Tensor { return ops.le(this, o); }
  gt(o: TensorLike): Tensor { return ops.gt(this, o); }
  ge(o: TensorLike): Tensor { return ops.ge(this, o); }
  logicalNot(): Tensor { return ops.logicalNot(this); }

  // ---- reductions ----
  sum(axes?: number | number[], keepdims = false): Tensor { return ops.sum(this, axes, keepdims); }
  mean(axes?: number | number[], keepdims = false): Tensor { return ops.mean(this, axes, keepdims); }
  /** Maximum over axes (like torch.amax); see argmax for indices. */
  max(axes?: number | number[], keepdims = false): Tensor { return ops.max(this, axes, keepdims); }
  min(axes?: number | number[], keepdims = false): Tensor { return ops.min(this, axes, keepdims); }
  var(axes?: number | number[], opts: { correction?: number; keepdims?: boolean } = {}): Tensor { return ops.variance(this, axes, opts); }
  std(axes?: number | number[], opts: { correction?: number; keepdims?: boolean } = {}): Tensor { return ops.std(this, axes, opts); }
  logsumexp(axes?: number | number[], keepdims = false): Tensor { return ops.logsumexp(this, axes, keepdims); }
  argmax(axis?: number, keepdims = false): Tensor { return ops.argmax(this, axis, keepdims); }
  argmin(axis?: number, keepdims = false): Tensor { return ops.argmin(this, axis, keepdims); }
  norm(p = 2, axes?: number | number[], keepdims = false): Tensor { return ops.norm(this, p, axes, keepdims); }
  softmax(axis = -1): Tensor { return ops.softmax(this, axis); }
  logSoftmax(axis = -1): Tensor { return ops.logSoftmax(this, axis); }

  // ---- linear algebra ----
  matmul(o: Tensor): Tensor { return ops.matmul(this, o); }

  // ---- shape ----
  reshape(...shape: number[] | [readonly number[]]): Tensor { return ops.reshape(this, flatArgs(shape)); }
  view(...shape: number[] | [readonly number[]]): Tensor { return ops.reshape(this, flatArgs(shape)); }
  flatten(startDim = 0, endDim = -1): Tensor { return ops.flatten(this, startDim, endDim); }
  permute(...perm: number[] | [readonly number[]]): Tensor { return ops.permute(this, flatArgs(perm)); }
  transpose(dim0: number, dim1: number): Tensor { return ops.transpose(this, dim0, dim1); }
  /** Matrix transpose of a 2-d tensor (swap of the last two dims otherwise). */
  t(): Tensor { return ops.transpose(this, -2, -1); }
  get T(): Tensor { return ops.transpose(this, -2, -1); }
  expand(...shape: number[] | [readonly number[]]): Tensor { return ops.expand(this, flatArgs(shape)); }
  expandAs(o: Tensor): Tensor { return ops.expand(this, o.shape); }
  squeeze(axes?: number | number[]): Tensor { return ops.squeeze(this, axes); }
  unsqueeze(axis: number): Tensor { return ops.unsqueeze(this, axis); }
  /** Elements start..end (exclusive) with step along one axis (negative indices count from the end). */
  slice(axis: number, start?: number, end?: number, step?: number): Tensor { return ops.sliceAxis(this, axis, start, end, step); }
  narrow(axis: number, start: number, length: number): Tensor { return ops.sliceAxis(this, axis, start, start + length); }
  select(axis: number, index: number): Tensor { return ops.select(this, axis, index); }
  gather(axis: number, index: Tensor): Tensor { return ops.gather(this, axis, index); }
  indexSelect(axis: number, index: Tensor): Tensor { return ops.indexSelect(this, axis, index); }
  repeat(...times: number[]): Tensor { return ops.repeat(this, times); }
  chunk(chunks: number, axis = 0): Tensor[] { return ops.chunk(this, chunks, axis); }
  split(size: number | number[], axis = 0): Tensor[] { return ops.split(this, size, axis); }
}

function flatArgs(a: number[] | [readonly number[]]): number[] {
  return (a.length === 1 && Array.isArray(a[0]) ? (a[0] as number[]).slice() : (a as number[]));
}
