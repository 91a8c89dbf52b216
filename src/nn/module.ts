// The Module base: ordered parameters, buffers and children under dotted names; state dicts; train/eval; clone; dtype.
import { noGrad } from '../engine/autograd.js';
import { ArgumentError, DTypeError, StateDictError } from '../core/errors.js';
import { isFloat, type DType, type FloatDType } from '../core/dtype.js';
import { fmt, shapeEq } from '../core/shape.js';
import { Rng } from '../engine/rng.js';
import { Tensor } from '../engine/tensor.js';
import { cast } from '../engine/ops/elementwise.js';
import { withBatchNormPolicy, type BatchNormPolicy } from './batchnorm-policy.js';

/** Name → tensor, in registration order (what PyTorch calls an OrderedDict state dict). */
export type StateDict = Record<string, Tensor>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export interface LoadStateDictOptions {
  /** Throw on missing or unexpected keys (default true); non-strict returns them. */
  strict?: boolean;
  /**
   * Convert values whose dtype differs from the module's tensor (a float64 checkpoint into a float32 model).
   * Default false: a dtype mismatch is a StateDictError naming the tensor, never a silent cast.
   */
  castDTypes?: boolean;
}

/** A module of any signature (containers hold these). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = Module<any, any>;

export type ForwardHook<Args extends unknown[] = Tensor[], Out = Tensor> = (module: AnyModule, inputs: Args, output: Out) => Out | void;

/**
 * Base class of layers and models, after torch.nn.Module. Parameters, buffers and submodules are
 * registered under names; their dotted paths (`features.0.weight`) key state dicts, safetensors files,
 * freezing patterns, optimiser groups and surgical blocks.
 *
 * @example
 * class Affine extends Module {
 *   constructor(rng: Rng) { super(); this.registerParameter('w', randn([3], rng, { requiresGrad: true })); }
 *   forward(x: Tensor) { return x.mul(this.param('w')); }
 * }
 */
export abstract class Module<Args extends unknown[] = Tensor[], Out = Tensor> {
  /** Training mode (batch statistics, dropout active); switch with train()/eval(). */
  training = true;
  /** @internal */ readonly _parameters = new Map<string, Tensor | null>();
  /** @internal */ readonly _buffers = new Map<string, Tensor | null>();
  /** @internal */ readonly _nonPersistent = new Set<string>();
  /** @internal */ readonly _modules = new Map<string, AnyModule>();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly forwardHooks: ForwardHook<any, any>[] = [];

  abstract forward(...inputs: Args): Out;

  /** Run forward (and forward hooks), like calling a PyTorch module. */
  call(...inputs: Args): Out {
    let out = this.forward(...inputs);
    for (const h of this.forwardHooks) {
      const r = h(this, inputs, out);
      if (r) out = r;
    }
    return out;
  }

  /** Call `hook(module, inputs, output)` after every forward; returns a function that removes it. */
  registerForwardHook(hook: ForwardHook<Args, Out>): () => void {
    this.forwardHooks.push(hook);
    return () => {
      const i = this.forwardHooks.indexOf(hook);
      if (i >= 0) this.forwardHooks.splice(i, 1);
    };
  }

  private checkName(kind: string, name: string): void {
    if (!name || name.includes('.')) throw new ArgumentError(`register ${kind}`, `name "${name}" must be non-empty and contain no dots`);
    if ((kind !== 'parameter' && this._parameters.has(name)) || (kind !== 'buffer' && this._buffers.has(name)) || (kind !== 'module' && this._modules.has(name))) {
      throw new ArgumentError(`register ${kind}`, `"${name}" is already registered as something else`);
    }
  }

  /** Register a trainable tensor (requiresGrad is switched on for float tensors). */
  registerParameter(name: string, t: Tensor | null): Tensor | null {
    this.checkName('parameter', name);
    if (t) {
      if (!t.isLeaf) throw new ArgumentError('registerParameter', `parameter "${name}" must be a leaf tensor`);
      if (isFloat(t.dtype) && !t.requiresGrad) t.requiresGrad = true;
    }
    this._parameters.set(name, t);
    return t;
  }

  /** Register state that is not trained (BatchNorm running statistics); persistent buffers go in state dicts. */
  registerBuffer(name: string, t: Tensor | null, persistent = true): Tensor | null {
    this.checkName('buffer', name);
    this._buffers.set(name, t);
    if (persistent) this._nonPersistent.delete(name);
    else this._nonPersistent.add(name);
    return t;
  }

  registerModule<M extends AnyModule>(name: string, m: M): M {
    this.checkName('module', name);
    this._modules.set(name, m);
    return m;
  }

  /** The current value of a parameter (honours functionalCall substitutions). */
  param(name: string): Tensor {
    const t = this._parameters.get(name);
    if (!t) throw new ArgumentError(this.constructor.name, `no parameter "${name}"`);
    return t;
  }

  /** The parameter or null when registered as null (an absent bias). */
  optionalParam(name: string): Tensor | null {
    return this._parameters.get(name) ?? null;
  }

  buffer(name: string): Tensor | null {
    return this._buffers.get(name) ?? null;
  }

  child<M extends AnyModule = AnyModule>(name: string): M {
    const m = this._modules.get(name);
    if (!m) throw new ArgumentError(this.constructor.name, `no submodule "${name}"`);
    return m as M;
  }

  /** (dotted name, module) for this module and every descendant, depth first. */
  namedModules(prefix = ''): [string, AnyModule][] {
    const out: [string, AnyModule][] = [[prefix, this]];
    for (const [n, m] of this._modules) out.push(...m.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  modules(): AnyModule[] {
    return this.namedModules().map(([, m]) => m);
  }

  namedChildren(): [string, AnyModule][] {
    return [...this._modules];
  }

  children(): AnyModule[] {
    return [...this._modules.values()];
  }

  /** (dotted name, parameter) pairs in registration order; a tensor registered twice appears once. */
  namedParameters(prefix = '', recurse = true): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    const mods = recurse ? this.namedModules(prefix) : [[prefix, this] as [string, AnyModule]];
    for (const [mp, m] of mods) {
      for (const [n, p] of m._parameters) {
        if (!p || seen.has(p)) continue;
        seen.add(p);
        out.push([mp ? `${mp}.${n}` : n, p]);
      }
    }
    return out;
  }

  parameters(recurse = true): Tensor[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }

  namedBuffers(prefix = '', recurse = true): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const mods = recurse ? this.namedModules(prefix) : [[prefix, this] as [string, AnyModule]];
    for (const [mp, m] of mods) {
      for (const [n, b] of m._buffers) if (b) out.push([mp ? `${mp}.${n}` : n, b]);
    }
    return out;
  }

  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  /** The submodule at a dotted path ('' is this module). */
  getSubmodule<M extends AnyModule = AnyModule>(path: string): M {
    if (!path) return this as unknown as M;
    let m: AnyModule = this;
    for (const part of path.split('.')) {
      const next = m._modules.get(part);
      if (!next) throw new ArgumentError('getSubmodule', `${this.constructor.name} has no submodule "${path}" (failed at "${part}")`);
      m = next;
    }
    return m as M;
  }

  /**
   * Replace the submodule at a dotted path (torch's set_submodule), e.g. to swap a Linear for a LoRA wrapper.
   * The new module takes the old one's name, so parameter names below it follow; instance fields of the parent
   * that pointed at the old module point at the new one. The path must exist.
   * @example model.setSubmodule('features.0.0', new LoRAConv2d(model.getSubmodule('features.0.0'), { rank: 4, rng }));
   */
  setSubmodule(path: string, m: AnyModule): void {
    if (!path) throw new ArgumentError('setSubmodule', 'the path is empty (cannot replace the module itself)');
    const i = path.lastIndexOf('.');
    const parent = this.getSubmodule(i < 0 ? '' : path.slice(0, i));
    const leaf = path.slice(i + 1);
    const old = parent._modules.get(leaf);
    if (!old) throw new ArgumentError('setSubmodule', `${this.constructor.name} has no submodule "${path}"`);
    parent._modules.set(leaf, m);
    for (const key of Object.keys(parent)) {
      if ((parent as unknown as Record<string, unknown>)[key] === old) (parent as unknown as Record<string, unknown>)[key] = m;
    }
  }

  /** The parameter at a dotted path, e.g. `features.0.weight`. */
  getParameter(path: string): Tensor {
    const i = path.lastIndexOf('.');
    const m = this.getSubmodule(i < 0 ? '' : path.slice(0, i));
    const p = m._parameters.get(path.slice(i + 1));
    if (!p) throw new ArgumentError('getParameter', `no parameter "${path}"`);
    return p;
  }

  /** Set train (true) or eval (false) mode on this module and all descendants. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Freeze (false) or unfreeze (true) every parameter. */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad = flag;
    return this;
  }

  /**
   * A deep copy (copy.deepcopy of a torch module): new parameter and buffer tensors with the same values,
   * names and requires-grad flags (gradients copied too), new submodules, shared weights still shared, and
   * every Rng the module holds (dropout) replaced by a fork, so the copy's random stream is its own and the
   * original's does not move. Hooks (functions) are shared.
   * @example const learner = model.clone(); // adapt the copy, keep the meta-parameters
   */
  clone(): this {
    return deepCopy(this, new Map()) as this;
  }

  /** The dtype of the first float parameter or buffer (float32 for a module without any). */
  get dtype(): FloatDType {
    for (const [, t] of this.namedParameters()) if (isFloat(t.dtype)) return t.dtype;
    for (const [, t] of this.namedBuffers()) if (isFloat(t.dtype)) return t.dtype;
    return 'float32';
  }

  /**
   * Convert every float parameter and buffer to `dtype` (module.to(torch.float64)). Integer buffers
   * (num_batches_tracked) keep theirs. Tensors are replaced by converted leaves with the same names and
   * requires-grad flags (tied weights stay tied), so build optimisers after converting, as in PyTorch.
   */
  to(dtype: DType): this {
    if (!isFloat(dtype)) throw new DTypeError('Module.to', `modules convert between float dtypes only, got ${dtype}`);
    const done = new Map<Tensor, Tensor>();
    const conv = (t: Tensor | null): Tensor | null => {
      if (!t || !isFloat(t.dtype) || t.dtype === dtype) return t;
      let c = done.get(t);
      if (!c) {
        c = noGrad(() => cast(t, dtype)); // a fresh tensor: t's dtype differs
        c.name = t.name;
        if (t.requiresGrad) c.requiresGrad = true;
        done.set(t, c);
      }
      return c;
    };
    for (const m of this.modules()) {
      for (const [n, t] of m._parameters) m._parameters.set(n, conv(t));
      for (const [n, t] of m._buffers) m._buffers.set(n, conv(t));
    }
    return this;
  }

  double(): this {
    return this.to('float64');
  }

  float(): this {
    return this.to('float32');
  }

  /** Drop accumulated gradients. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  apply(fn: (m: AnyModule) => void): this {
    for (const m of this.modules()) fn(m);
    return this;
  }

  /** Parameters and persistent buffers by dotted name, in registration order (tensors are shared, not copied). */
  stateDict(prefix = ''): StateDict {
    const out: StateDict = {};
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [n, p] of m._parameters) if (p) out[mp ? `${mp}.${n}` : n] = p;
      for (const [n, b] of m._buffers) if (b && !m._nonPersistent.has(n)) out[mp ? `${mp}.${n}` : n] = b;
    }
    return out;
  }

  /**
   * Copy values from a state dict into this module's tensors in place. Strict (default) throws a
   * StateDictError on missing or unexpected keys; non-strict returns them. A shape mismatch is always an
   * error naming the key, and so is a dtype mismatch unless `castDTypes` asks for conversion.
   * @example const { missingKeys } = model.loadStateDict(pretrained, { strict: false }); // new head
   */
  loadStateDict(sd: StateDict | Map<string, Tensor>, opts: LoadStateDictOptions = {}): LoadResult {
    const strict = opts.strict ?? true;
    const src = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !src.has(k));
    const unexpectedKeys = [...src.keys()].filter((k) => !Object.hasOwn(own, k));
    for (const [k, t] of Object.entries(own)) {
      const v = src.get(k);
      if (v && !shapeEq(v.shape, t.shape)) {
        throw new StateDictError(`size mismatch for ${k}: checkpoint has shape ${fmt(v.shape)}, this model has ${fmt(t.shape)}`, k);
      }
      if (v && v.dtype !== t.dtype && !opts.castDTypes) {
        throw new StateDictError(`dtype mismatch for ${k}: checkpoint has ${v.dtype}, this model has ${t.dtype}; pass { castDTypes: true } to convert, or convert the model with .to('${v.dtype}')`, k);
      }
    }
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      const parts: string[] = [];
      if (missingKeys.length) parts.push(`missing keys: ${missingKeys.join(', ')}`);
      if (unexpectedKeys.length) parts.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
      throw new StateDictError(`error loading state dict into ${this.constructor.name}: ${parts.join('; ')}`, missingKeys[0] ?? unexpectedKeys[0]);
    }
    noGrad(() => {
      for (const [k, t] of Object.entries(own)) {
        const v = src.get(k);
        if (!v) continue;
        const val = v.dtype === t.dtype ? v : cast(v, t.dtype);
        t.data.set(val.data);
        t._bumpVersion();
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Extra text shown in the module tree (e.g. `in_features=3, out_features=4`). */
  extraRepr(): string {
    return '';
  }

  /** A PyTorch-style printout of the module tree. */
  toString(): string {
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (this._modules.size === 0) return `${head})`;
    const lines = [...this._modules].map(([n, m]) => `  (${n}): ${m.toString().split('\n').join('\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}

/** Options of functionalCall. */
export interface FunctionalCallOptions {
  /** How BatchNorm layers inside the call treat statistics (see BatchNormPolicy); default: by train/eval mode. */
  batchNorm?: BatchNormPolicy;
  /** Throw unless `params` names every parameter of the module (torch's strict=True). Default false. */
  strict?: boolean;
}

/**
 * Run `module` with some parameters and buffers replaced by the tensors in `params` (dotted names relative
 * to `module`), like torch.func.functional_call. Works on any submodule: pass `model.getSubmodule('features')`
 * with `subParams(fast, 'features')`. `args` is the input tensor or the tuple of inputs. The module's own
 * tensors are restored afterwards, even on error. This is how MAML, ANIL and Meta-SGD evaluate adapted
 * weights without cloning modules.
 * @example
 * const logits = functionalCall(model, fastWeights, x, { batchNorm: 'batch' }); // running stats untouched
 */
export function functionalCall<Args extends unknown[], Out>(
  module: Module<Args, Out>,
  params: StateDict | Map<string, Tensor>,
  args: Args | Args[0],
  opts: FunctionalCallOptions = {},
): Out {
  const entries = params instanceof Map ? [...params] : Object.entries(params);
  const inputs = (args instanceof Tensor ? [args] : args) as Args;
  if (opts.strict) {
    const given = new Set(entries.map(([n]) => n));
    const missing = module.namedParameters().map(([n]) => n).filter((n) => !given.has(n));
    if (missing.length) throw new StateDictError(`functionalCall (strict): no tensor given for ${missing.join(', ')}`, missing[0]);
  }
  const restore: [Map<string, Tensor | null>, string, Tensor | null][] = [];
  try {
    for (const [path, t] of entries) {
      const i = path.lastIndexOf('.');
      const owner = module.getSubmodule(i < 0 ? '' : path.slice(0, i));
      const leaf = path.slice(i + 1);
      const map = owner._parameters.has(leaf) ? owner._parameters : owner._buffers.has(leaf) ? owner._buffers : null;
      if (!map) throw new StateDictError(`functionalCall: ${module.constructor.name} has no parameter or buffer "${path}"`, path);
      const old = map.get(leaf) ?? null;
      if (old && !shapeEq(old.shape, t.shape)) {
        throw new StateDictError(`functionalCall: "${path}" has shape ${fmt(old.shape)} but the replacement has ${fmt(t.shape)}`, path);
      }
      restore.push([map, leaf, old]);
      map.set(leaf, t);
    }
    return withBatchNormPolicy(opts.batchNorm, () => module.call(...inputs));
  } finally {
    for (let k = restore.length - 1; k >= 0; k--) {
      const [map, leaf, old] = restore[k]!;
      map.set(leaf, old);
    }
  }
}

// Clones of Rngs made by Module.clone(), per source generator: the n-th clone forks key `clone:n`.
const rngClones = new WeakMap<Rng, number>();

/** copy.deepcopy for module graphs: memoised (shared objects stay shared), tensors copied, Rngs forked. */
function deepCopy(v: unknown, memo: Map<unknown, unknown>): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (memo.has(v)) return memo.get(v);
  if (v instanceof Tensor) {
    const c = new Tensor(v.data.slice(), v.shape, v.dtype);
    memo.set(v, c);
    c.name = v.name;
    if (v.requiresGrad && v.isLeaf) c.requiresGrad = true;
    if (v.grad) c.grad = deepCopy(v.grad.detach(), memo) as Tensor;
    return c;
  }
  if (v instanceof Rng) {
    const n = rngClones.get(v) ?? 0;
    rngClones.set(v, n + 1);
    const c = v.fork(`clone:${n}`);
    memo.set(v, c);
    return c;
  }
  if (ArrayBuffer.isView(v)) {
    const c = (v as unknown as { slice(): unknown }).slice();
    memo.set(v, c);
    return c;
  }
  if (v instanceof Map) {
    const c = new Map();
    memo.set(v, c);
    for (const [k, x] of v) c.set(deepCopy(k, memo), deepCopy(x, memo));
    return c;
  }
  if (v instanceof Set) {
    const c = new Set();
    memo.set(v, c);
    for (const x of v) c.add(deepCopy(x, memo));
    return c;
  }
  if (Array.isArray(v)) {
    const c: unknown[] = [];
    memo.set(v, c);
    for (const x of v) c.push(deepCopy(x, memo));
    return c;
  }
  const proto = Object.getPrototypeOf(v) as object | null;
  if (!(v instanceof Module) && proto !== Object.prototype && proto !== null) return v; // other class instances are shared
  const c = Object.create(proto) as Record<PropertyKey, unknown>;
  memo.set(v, c);
  for (const key of Reflect.ownKeys(v)) {
    const d = Object.getOwnPropertyDescriptor(v, key)!;
    if ('value' in d) d.value = deepCopy(d.value, memo);
    Object.defineProperty(c, key, d);
  }
  return c;
}
