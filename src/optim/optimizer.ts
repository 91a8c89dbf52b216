// The Optimizer base: parameter groups with their own hyper-parameters, per-parameter state, state dicts.
import { ArgumentError, StateDictError } from '../core/errors.js';
import { isFloat } from '../core/dtype.js';
import { Tensor } from '../engine/tensor.js';

/** Hyper-parameters of a group (lr, weightDecay, momentum, betas, ...). */
export type Hyper = Record<string, number | boolean | [number, number] | null>;

export interface ParamGroup extends Hyper {
  lr: number;
}

/** A group as given by the user: tensors or (name, tensor) pairs plus overrides of the defaults. */
export interface ParamGroupSpec {
  params: Iterable<Tensor | readonly [string, Tensor]>;
  [hyper: string]: unknown;
}

export type ParamsArg = Iterable<Tensor | readonly [string, Tensor]> | ParamGroupSpec[];

/** Per-parameter optimiser state: tensors (moments) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;

export interface OptimizerStateDict {
  /** parameter index (in group order) → its state */
  state: Record<number, ParamState>;
  /** hyper-parameters per group, with the parameter indices each group owns */
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

function isGroupSpecs(p: ParamsArg): p is ParamGroupSpec[] {
  return Array.isArray(p) && p.length > 0 && typeof p[0] === 'object' && p[0] !== null && !(p[0] instanceof Tensor) && !Array.isArray(p[0]) && 'params' in (p[0] as object);
}

/**
 * Base class of optimisers (torch.optim.Optimizer): parameter groups with their own hyper-parameters,
 * state per parameter, zeroGrad/step and state dicts. Parameters may be given with their dotted names
 * (`model.namedParameters()`), which error messages then use.
 */
export abstract class Optimizer {
  readonly paramGroups: { params: Tensor[]; names: (string | null)[]; hyper: ParamGroup }[] = [];
  readonly state = new Map<Tensor, ParamState>();

  /** The hyper-parameters a group gets unless it overrides them. */
  readonly defaults: Readonly<ParamGroup>;

  constructor(params: ParamsArg, defaults: ParamGroup) {
    this.defaults = { ...defaults };
    const specs: ParamGroupSpec[] = isGroupSpecs(params) ? params : [{ params: params as Iterable<Tensor | readonly [string, Tensor]> }];
    for (const spec of specs) this.addParamGroup(spec);
  }

  /**
   * Add a group of parameters with its own hyper-parameters (torch's add_param_group): a new head during
   * fine-tuning, layers unfrozen by gradual unfreezing, LoRA factors swapped in. Unspecified options take
   * the optimiser's defaults; a parameter already in a group is an error.
   * @example opt.addParamGroup({ params: model.getSubmodule('features.3').namedParameters('features.3'), lr: 1e-4 });
   */
  addParamGroup(spec: ParamGroupSpec): void {
    const { params: ps, ...overrides } = spec;
    if (!ps || typeof (ps as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new ArgumentError(`${this.constructor.name}.addParamGroup`, 'the group needs `params`: tensors or (name, tensor) pairs');
    }
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    const tensors: Tensor[] = [];
    const names: (string | null)[] = [];
    for (const item of ps) {
      const [name, t] = item instanceof Tensor ? [null, item] : [item[0], item[1]];
      if (!(t instanceof Tensor)) throw new ArgumentError(this.constructor.name, `parameter ${name ?? tensors.length} is not a Tensor`);
      if (!isFloat(t.dtype)) throw new ArgumentError(this.constructor.name, `parameter ${name ?? tensors.length} has dtype ${t.dtype}; only float tensors can be optimised`);
      if (!t.isLeaf) throw new ArgumentError(this.constructor.name, `parameter ${name ?? tensors.length} is not a leaf tensor`);
      if (seen.has(t)) throw new ArgumentError(this.constructor.name, `parameter ${name ?? ''} appears in more than one group`);
      seen.add(t);
      tensors.push(t);
      names.push(name);
    }
    const hyper = { ...this.defaults } as ParamGroup;
    for (const [k, v] of Object.entries(overrides)) {
      if (!(k in this.defaults)) throw new ArgumentError(this.constructor.name, `unknown option "${k}" in a parameter group (known: ${Object.keys(this.defaults).join(', ')})`);
      hyper[k] = v as Hyper[string];
    }
    this.validate(hyper);
    this.paramGroups.push({ params: tensors, names, hyper });
  }

  /** Check a group's hyper-parameters; throws ArgumentError. */
  protected validate(h: ParamGroup): void {
    if (!(h.lr >= 0)) throw new ArgumentError(this.constructor.name, `lr must be ≥ 0, got ${h.lr}`);
  }

  /** Set every .grad to null (PyTorch's default set_to_none=True). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /** Apply one update to every parameter that has a gradient. */
  step(): void {
    for (const group of this.paramGroups) {
      group.params.forEach((p, i) => {
        if (!p.grad) return;
        if (p.grad.numel() !== p.numel()) {
          throw new ArgumentError(this.constructor.name, `gradient of ${group.names[i] ?? 'a parameter'} has shape [${p.grad.shape}] but the parameter has [${p.shape}]`);
        }
        let st = this.state.get(p);
        if (!st) {
          st = {};
          this.state.set(p, st);
        }
        this.update(p, p.grad, st, group.hyper);
        p._bumpVersion();
      });
    }
  }

  /** Update one parameter's data in place from its gradient. */
  protected abstract update(p: Tensor, g: Tensor, state: ParamState, h: ParamGroup): void;

  /** Learning rates of the groups. */
  get lrs(): number[] {
    return this.paramGroups.map((g) => g.hyper.lr);
  }

  /** Hyper-parameters and state, with parameters referred to by index as PyTorch does. */
  stateDict(): OptimizerStateDict {
    const state: Record<number, ParamState> = {};
    const paramGroups: OptimizerStateDict['paramGroups'] = [];
    let idx = 0;
    for (const g of this.paramGroups) {
      const ids: number[] = [];
      for (const p of g.params) {
        const st = this.state.get(p);
        if (st) {
          const copy: ParamState = {};
          for (const [k, v] of Object.entries(st)) copy[k] = v instanceof Tensor ? v.clone().detach() : v;
          state[idx] = copy;
        }
        ids.push(idx++);
      }
      paramGroups.push({ ...g.hyper, params: ids });
    }
    return { state, paramGroups };
  }

  /** Restore hyper-parameters and state saved by stateDict() from an optimiser over the same parameters. */
  loadStateDict(sd: OptimizerStateDict): void {
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new StateDictError(`optimizer state has ${sd.paramGroups.length} parameter groups, this optimizer has ${this.paramGroups.length}`);
    }
    const flat: Tensor[] = [];
    sd.paramGroups.forEach((sg, gi) => {
      const g = this.paramGroups[gi]!;
      if (sg.params.length !== g.params.length) {
        throw new StateDictError(`parameter group ${gi} has ${sg.params.length} parameters in the saved state but ${g.params.length} here`);
      }
      flat.push(...g.params);
    });
    this.state.clear();
    for (const [k, st] of Object.entries(sd.state)) {
      const p = flat[Number(k)];
      if (!p) throw new StateDictError(`optimizer state refers to parameter ${k}, which does not exist`, k);
      const copy: ParamState = {};
      for (const [name, v] of Object.entries(st)) {
        if (v instanceof Tensor && v.numel() !== p.numel()) {
          throw new StateDictError(`optimizer state "${name}" of parameter ${k} has shape [${v.shape}], parameter has [${p.shape}]`, `${k}.${name}`);
        }
        copy[name] = v instanceof Tensor ? v.clone().detach() : v;
      }
      this.state.set(p, copy);
    }
    sd.paramGroups.forEach((sg, gi) => {
      const { params: _ids, ...hyper } = sg;
      Object.assign(this.paramGroups[gi]!.hyper, hyper);
    });
  }
}

/** Float64 view helpers for updates: read a state tensor (created on first use) matching p. */
export function stateTensor(state: ParamState, key: string, p: Tensor): Tensor {
  let t = state[key];
  if (!(t instanceof Tensor)) {
    t = new Tensor(p.dtype === 'float64' ? new Float64Array(p.numel()) : new Float32Array(p.numel()), p.shape, p.dtype);
    state[key] = t;
  }
  return t;
}
