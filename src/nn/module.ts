// The Module base: ordered parameters, buffers and children under dotted names; state dicts; train/eval.
import { noGrad } from '../engine/autograd.js';
import { ArgumentError, StateDictError } from '../core/errors.js';
import { isFloat } from '../core/dtype.js';
import { fmt, shapeEq } from '../core/shape.js';
import type { Tensor } from "../engine/tensor.js";
import { cast } from '../engine/ops/elementwise.js';

/** Name → tensor, in registration order (what PyTorch calls an OrderedDict state dict). */
export type StateDict = Record<string, Tensor>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export type ForwardHook = (module: Module, inputs: Tensor[], output: Tensor) => Tensor | void;

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
export abstract class Module {
  /** Training mode (batch statistics, dropout active); switch with train()/eval(). */
  training = true;
  /** @internal */ readonly _parameters = new Map<string, Tensor | null>();
  /** @internal */ readonly _buffers = new Map<string, Tensor | null>();
  /** @internal */ readonly _nonPersistent = new Set<string>();
  /** @internal */ readonly _modules = new Map<string, Module>();
  private readonly forwardHooks: ForwardHook[] = [];

  abstract forward(...inputs: Tensor[]): Tensor;

  /** Run forward (and forward hooks), like calling a PyTorch module. */
  call(...inputs: Tensor[]): Tensor {
    let out = this.forward(...inputs);
    for (const h of this.forwardHooks) {
      const r = h(this, inputs, out);
      if (r) out = r;
    }
    return out;
  }

  /** Call `hook(module, inputs, output)` after every forward; returns a function that removes it. */
  registerForwardHook(hook: ForwardHook): () => void {
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

  registerModule<M extends Module>(name: string, m: M): M {
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

  child<M extends Module = Module>(name: string): M {
    const m = this._modules.get(name);
    if (!m) throw new ArgumentError(this.constructor.name, `no submodule "${name}"`);
    return m as M;
  }

  /** (dotted name, module) for this module and every descendant, depth first. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, m] of this._modules) out.push(...m.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  namedChildren(): [string, Module][] {
    return [...this._modules];
  }

  children(): Module[] {
    return [...this._modules.values()];
  }

  /** (dotted name, parameter) pairs in registration order; a tensor registered twice appears once. */
  namedParameters(prefix = '', recurse = true): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    const mods = recurse ? this.namedModules(prefix) : [[prefix, this] as [string, Module]];
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
    const mods = recurse ? this.namedModules(prefix) : [[prefix, this] as [string, Module]];
    for (const [mp, m] of mods) {
      for (const [n, b] of m._buffers) if (b) out.push([mp ? `${mp}.${n}` : n, b]);
    }
    return out;
  }

  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  /** The submodule at a dotted path ('' is this module). */
  getSubmodule(path: string): Module {
    if (!path) return this;
    let m: Module = this;
    for (const part of path.split('.')) {
      const next = m._modules.get(part);
      if (!next) throw new ArgumentError('getSubmodule', `${this.constructor.name} has no submodule "${path}" (failed at "${part}")`);
      m = next;
    }
    return m;
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

  /** Drop accumulated gradients. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  apply(fn: (m: Module) => void): this {
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
   * error naming the key. Values are cast to each tensor's dtype (float64 → float32, int64-as-int32 counters).
   * @example const { missingKeys } = model.loadStateDict(pretrained, { strict: false }); // new head
   */
  loadStateDict(sd: StateDict | Map<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const src = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !src.has(k));
    const unexpectedKeys = [...src.keys()].filter((k) => !(k in own));
    for (const [k, t] of Object.entries(own)) {
      const v = src.get(k);
      if (v && !shapeEq(v.shape, t.shape)) {
        throw new StateDictError(`size mismatch for ${k}: checkpoint has shape ${fmt(v.shape)}, this model has ${fmt(t.shape)}`, k);
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
        t._version++;
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

/**
 * Run `module` with some parameters and buffers replaced by the tensors in `params` (dotted names),
 * like torch.func.functional_call. The module's own tensors are restored afterwards, even on error.
 * This is how MAML, ANIL and Meta-SGD evaluate adapted weights without cloning modules.
 * @example const logits = functionalCall(model, fastWeights, x);
 */
export function functionalCall(module: Module, params: StateDict | Map<string, Tensor>, ...inputs: Tensor[]): Tensor {
  const entries = params instanceof Map ? [...params] : Object.entries(params);
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
    return module.call(...inputs);
  } finally {
    for (let k = restore.length - 1; k >= 0; k--) {
      const [map, leaf, old] = restore[k]!;
      map.set(leaf, old);
    }
  }
}

