// Reverse-mode autograd: graph recording, grad() and backward(); higher order by recording the backward pass.
import { GradError, InPlaceError } from '../core/errors.js';
import type { Prim, PrimParams } from './prims.js';
import { fmt, shapeEq } from '../core/shape.js';
import type { Tensor } from './tensor.js';
import { rules, saved } from './rules.js';
import * as ops from './ops/index.js';

/** A recorded application of a primitive: what produced a non-leaf tensor. */
export interface GradNode {
  readonly prim: Prim;
  readonly inputs: readonly Tensor[];
  readonly params: unknown;
  /** storage versions of the inputs when recorded; an in-place write since then makes a saved value stale */
  readonly versions: readonly number[];
  /** storage version of the output when recorded (rules of exp, softmax, … read the output) */
  readonly outputVersion: number;
  output: Tensor | null;
  released: boolean;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Run `fn` without recording operations, like `torch.no_grad()`.
 * @example const y = noGrad(() => model.call(x));
 */
export function noGrad<T>(fn: () => T): T {
  return withGrad(false, fn);
}

/** Run `fn` with recording on (inside a noGrad region, for example). */
export function enableGrad<T>(fn: () => T): T {
  return withGrad(true, fn);
}

function withGrad<T>(on: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = on;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** @internal Attach a node to `out` when recording is on and an input requires grad. */
export function record<P extends Prim>(prim: P, inputs: readonly Tensor[], params: PrimParams[P], out: Tensor): Tensor {
  if (!gradEnabled) return out;
  let any = false;
  for (let i = 0; i < inputs.length; i++) if (inputs[i]!.requiresGrad) { any = true; break; }
  if (!any) return out;
  const node: GradNode = { prim, inputs, params, versions: inputs.map((t) => t._version), outputVersion: out._version, output: out, released: false };
  out._setRequiresGradNonLeaf(node);
  return out;
}

export interface GradOptions {
  /** Gradients of the outputs (required for non-scalar outputs). */
  gradOutputs?: (Tensor | null)[] | Tensor | null;
  /** Record the backward pass so the returned gradients can be differentiated again. */
  createGraph?: boolean;
  /** Keep the graph usable for another backward pass (default: createGraph). */
  retainGraph?: boolean;
  /** Return null for inputs the outputs do not depend on instead of throwing. */
  allowUnused?: boolean;
}

function topoOrder(roots: readonly Tensor[]): GradNode[] {
  const order: GradNode[] = [];
  const seen = new Set<GradNode>();
  const stack: [GradNode, number][] = [];
  for (const r of roots) {
    if (!r.gradFn || seen.has(r.gradFn)) continue;
    seen.add(r.gradFn);
    stack.push([r.gradFn, 0]);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [node, i] = top;
      if (i < node.inputs.length) {
        top[1] = i + 1;
        const child = node.inputs[i]!.gradFn;
        if (child && !seen.has(child)) {
          seen.add(child);
          stack.push([child, 0]);
        }
      } else {
        stack.pop();
        order.push(node);
      }
    }
  }
  return order; // inputs before outputs
}

function initialGrads(outputs: readonly Tensor[], gradOutputs: GradOptions['gradOutputs']): Map<Tensor, Tensor> {
  const gos = gradOutputs === undefined || gradOutputs === null ? [] : Array.isArray(gradOutputs) ? gradOutputs : [gradOutputs];
  if (gos.length && gos.length !== outputs.length) {
    throw new GradError(`grad: ${outputs.length} outputs but ${gos.length} gradOutputs`);
  }
  const grads = new Map<Tensor, Tensor>();
  outputs.forEach((o, i) => {
    if (!o.requiresGrad) {
      throw new GradError(`grad: output ${i} (shape ${fmt(o.shape)}) does not require grad and has no gradFn`);
    }
    let g = gos[i] ?? null;
    if (g === null) {
      if (o.numel() !== 1) {
        throw new GradError(`grad can be implicitly created only for scalar outputs; output ${i} has shape ${fmt(o.shape)}: pass gradOutputs`);
      }
      g = ops.onesLike(o);
    } else if (!shapeEq(g.shape, o.shape)) {
      throw new GradError(`grad: gradOutputs[${i}] has shape ${fmt(g.shape)} but output ${i} has shape ${fmt(o.shape)}`);
    }
    const prev = grads.get(o);
    grads.set(o, prev ? ops.add(prev, g) : g);
  });
  return grads;
}

/**
 * Run the backward pass. `targets` limits work to paths that reach them (grad()); null means all
 * leaves (backward()). Returns the map of accumulated gradients.
 */
function runBackward(outputs: readonly Tensor[], grads: Map<Tensor, Tensor>, targets: Set<Tensor> | null, createGraph: boolean, retainGraph: boolean): Map<Tensor, Tensor> {
  const order = topoOrder(outputs);
  const needed = new Set<GradNode>();
  for (const node of order) {
    for (const t of node.inputs) {
      if (!t.requiresGrad) continue;
      if (targets ? targets.has(t) || (t.gradFn !== null && needed.has(t.gradFn)) : true) {
        needed.add(node);
        break;
      }
    }
  }
  const wantsGrad = (t: Tensor): boolean =>
    t.requiresGrad && (targets ? targets.has(t) || (t.gradFn !== null && needed.has(t.gradFn)) : true);

  // Without a recorded backward pass, an intermediate gradient is dead once its node has consumed it and no
  // other entry of `grads` shares its buffer: its storage goes back to the allocator pool for the next
  // outputs (no fresh pages). `users` counts grads entries per buffer; user-given gradients are never reused.
  const users = new Map<ArrayBufferLike, number>();
  const keep = new Set<ArrayBufferLike>();
  for (const v of grads.values()) {
    keep.add(v.data.buffer);
    if (!createGraph) users.set(v.data.buffer, (users.get(v.data.buffer) ?? 0) + 1);
  }
  const tracked = (v: Tensor): boolean => !createGraph && v.data.byteLength >= ops.POOLED_MIN_BYTES;
  const setGrad = (t: Tensor, v: Tensor): void => {
    const prev = grads.get(t);
    grads.set(t, v);
    if (tracked(v)) users.set(v.data.buffer, (users.get(v.data.buffer) ?? 0) + 1);
    if (prev) dropGrad(prev);
  };
  const dropGrad = (v: Tensor): void => {
    if (!tracked(v)) return;
    const n = (users.get(v.data.buffer) ?? 1) - 1;
    if (n > 0) {
      users.set(v.data.buffer, n);
      return;
    }
    users.delete(v.data.buffer);
    if (!keep.has(v.data.buffer)) ops.recycle(v);
  };

  withGrad(createGraph, () => {
    for (let k = order.length - 1; k >= 0; k--) {
      const node = order[k]!;
      if (!needed.has(node)) continue;
      const out = node.output!;
      const g = grads.get(out);
      if (!g) continue;
      if (node.released) {
        throw new GradError(`trying to backward through the graph a second time (at ${node.prim}); pass retainGraph: true the first time`);
      }
      checkSaved(node, out);
      const needs = node.inputs.map(wantsGrad);
      const rule = rules[node.prim] as (g: Tensor, ctx: RuleContext) => (Tensor | null)[];
      const gins = rule(g, { inputs: node.inputs, params: node.params, output: out, needs });
      for (let i = 0; i < node.inputs.length; i++) {
        const gi = gins[i];
        if (!needs[i] || !gi) continue;
        const t = node.inputs[i]!;
        if (!shapeEq(gi.shape, t.shape)) {
          throw new GradError(`internal: rule of ${node.prim} returned a gradient of shape ${fmt(gi.shape)} for an input of shape ${fmt(t.shape)}`);
        }
        const prev = grads.get(t);
        setGrad(t, prev ? ops.add(prev, gi) : gi);
      }
      if (!(targets && targets.has(out)) && !out._retainsGrad) {
        grads.delete(out);
        dropGrad(g);
      }
    }
  });
  if (!retainGraph) for (const node of order) if (needed.has(node)) node.released = true;
  return grads;
}

/**
 * Throw when a tensor whose values the node's rule reads was written in place (through any alias: a view,
 * a detach, the tensor itself) after the node was recorded, like PyTorch's saved-tensor version check.
 */
function checkSaved(node: GradNode, out: Tensor): void {
  const s = saved[node.prim];
  for (const i of s.inputs) {
    const t = node.inputs[i];
    if (!t) continue; // an optional input the call did not pass (batch-norm without weight)
    if (t._version !== node.versions[i]) throw inPlace(node.prim, `input ${i}`, t, node.versions[i]!);
  }
  if (s.output && out._version !== node.outputVersion) throw inPlace(node.prim, 'output', out, node.outputVersion);
}

function inPlace(op: Prim, which: string, t: Tensor, savedVersion: number): InPlaceError {
  return new InPlaceError(op, `its ${which}: shape ${fmt(t.shape)}, ${t.dtype}${t.name ? `, ${t.name}` : ''}`, t._version, savedVersion);
}

/** @internal what a derivative rule sees */
export interface RuleContext {
  inputs: readonly Tensor[];
  params: unknown;
  output: Tensor;
  /** which inputs need a gradient (rules skip the others) */
  needs: boolean[];
}

/**
 * Gradients of `outputs` with respect to `inputs`, like `torch.autograd.grad`.
 * With `createGraph` the result is itself differentiable (MAML's second order, Hessian-vector products).
 *
 * @example
 * const x = tensor([3], { requiresGrad: true });
 * const [g] = grad(x.pow(3).sum(), [x], { createGraph: true }); // 3x² = 27
 * const [h] = grad(g!.sum(), [x]);                               // 6x = 18
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? (outputs as Tensor[]) : [outputs as Tensor];
  const ins = Array.isArray(inputs) ? (inputs as Tensor[]) : [inputs as Tensor];
  const createGraph = opts.createGraph ?? false;
  const retainGraph = opts.retainGraph ?? createGraph;
  ins.forEach((t, i) => {
    if (!t.requiresGrad) throw new GradError(`grad: input ${i} (shape ${fmt(t.shape)}${t.name ? `, ${t.name}` : ''}) does not require grad`);
  });
  const grads = runBackward(outs, initialGrads(outs, opts.gradOutputs), new Set(ins), createGraph, retainGraph);
  return ins.map((t, i) => {
    const g = grads.get(t);
    if (g) return createGraph ? g : g.requiresGrad ? g.detach() : g;
    if (opts.allowUnused) return null;
    throw new GradError(`grad: input ${i} (shape ${fmt(t.shape)}${t.name ? `, ${t.name}` : ''}) was not used to compute the outputs; pass allowUnused: true`);
  });
}

/**
 * Accumulate gradients into `.grad` of every leaf that requires grad (and of tensors that called retainGrad()).
 * @example loss.backward(); optimizer.step();
 */
export function backward(output: Tensor, gradient?: Tensor, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
  const createGraph = opts.createGraph ?? false;
  const retainGraph = opts.retainGraph ?? createGraph;
  const grads = runBackward([output], initialGrads([output], gradient ?? null), null, createGraph, retainGraph);
  // Gradients may share storage (add passes g to both inputs, reshape shares data); each .grad gets
  // its own storage so in-place edits (clipping, optimiser hooks) never touch another tensor's gradient.
  const taken = new Set<unknown>();
  if (gradient) taken.add(gradient.data);
  withGrad(createGraph, () => {
    for (const [t, g] of grads) {
      if (!(t.isLeaf || t._retainsGrad) || !t.requiresGrad) continue;
      let gd = createGraph ? g : g.requiresGrad ? g.detach() : g;
      if (!t.grad && taken.has(gd.data)) gd = ops.clone(gd);
      taken.add(gd.data);
      t.grad = t.grad ? ops.add(t.grad, gd) : gd;
    }
  });
}
