// The one interface of loss weighting and gradient surgery, and the per-task gradient vectors surgery works on.
import { ArgumentError } from '../../core/errors.js';
import { grad } from '../../engine/autograd.js';
import { tensor } from '../../engine/create.js';
import type { Rng } from '../../engine/rng.js';
import type { Tensor } from '../../engine/tensor.js';

/** What a weighting method sees at one training step. */
export interface WeightingStep {
  /** L_i of every task on this step's batch: scalars still on the graph */
  losses: readonly Tensor[];
  /** the shared parameters θ_sh (the trunk) */
  shared: readonly Tensor[];
  /** each task's own parameters θ_i (its head) */
  taskSpecific: readonly (readonly Tensor[])[];
  /** the last shared layer's parameters (GradNorm's W) */
  lastShared: readonly Tensor[];
  /** this step's random stream (PCGrad's order) */
  rng: Rng;
}

/**
 * A multi-task weighting method. `backward` plays the part of `loss.backward()` in single-task training: it leaves in
 * `.grad` of the shared and task-specific parameters the update direction the method asks for (and in `.grad` of its
 * own learned parameters theirs), and returns the weight it gave each task this step (for logs). Loss-weighting
 * methods back-propagate Σ_i w_i L_i; gradient-surgery methods take each task's gradient g_i = ∇_θsh L_i, combine
 * them into one direction d for θ_sh, and give each head its own task's gradient.
 */
export interface Weighting {
  /** the CLI spelling (`uniform`, `static:1,2`, `gradnorm:1.5`, …) */
  readonly name: string;
  /** learned parameters of the method (uncertainty's s_i, GradNorm's w_i): the trainer adds them to its optimiser */
  parameters(): [string, Tensor][];
  backward(step: WeightingStep): number[];
  /** called after the optimiser step (GradNorm renormalises its weights here) */
  afterStep?(): void;
}

/** Check that there is one loss per task and that every loss is a scalar. */
export function checkLosses(where: string, step: WeightingStep, numTasks?: number): void {
  if (step.losses.length === 0) throw new ArgumentError(where, 'no task losses');
  if (numTasks !== undefined && step.losses.length !== numTasks) throw new ArgumentError(where, `configured for ${numTasks} tasks, got ${step.losses.length} losses`);
  if (step.taskSpecific.length !== step.losses.length) throw new ArgumentError(where, `${step.losses.length} losses but ${step.taskSpecific.length} task parameter lists`);
  for (const [i, l] of step.losses.entries()) if (l.numel() !== 1) throw new ArgumentError(where, `loss of task ${i} is not a scalar (shape [${l.shape.join(', ')}])`);
}

/** Total length of a list of tensors viewed as one vector. */
export function flatSize(params: readonly Tensor[]): number {
  return params.reduce((a, p) => a + p.numel(), 0);
}

/**
 * g_i = ∇_θsh L_i for every task, each flattened into one float64 vector (the shared parameters in order), and the
 * task-specific gradients ∇_θi L_i (`own[i]`, one entry per parameter of task i, null where unused): one backward
 * pass per task, the forward graph retained until the last. Nothing is written to `.grad`.
 */
export function taskGradients(step: WeightingStep): { shared: Float64Array[]; own: (Tensor | null)[][] } {
  const size = flatSize(step.shared);
  const own: (Tensor | null)[][] = [];
  const shared = step.losses.map((loss, i) => {
    const mine = step.taskSpecific[i]!;
    const gs = grad(loss, [...step.shared, ...mine], { retainGraph: i < step.losses.length - 1, allowUnused: true });
    const g = new Float64Array(size);
    let off = 0;
    step.shared.forEach((p, k) => {
      const gk = gs[k];
      if (gk) g.set(gk.data as ArrayLike<number>, off);
      off += p.numel();
    });
    own.push(gs.slice(step.shared.length));
    return g;
  });
  return { shared, own };
}

/** Write each task's own gradient, times `scale[i]` (1 when omitted), to `.grad` of its parameters. */
export function setTaskGradients(step: WeightingStep, own: readonly (readonly (Tensor | null)[])[], scale?: readonly number[]): void {
  own.forEach((gs, i) => {
    const c = scale ? scale[i]! : 1;
    gs.forEach((g, k) => {
      if (!g) return;
      const p = step.taskSpecific[i]![k]!;
      const v = c === 1 ? g : g.mul(c);
      p.grad = p.grad ? p.grad.add(v) : v;
    });
  });
}

/** Write the combined direction d into `.grad` of the shared parameters (in their dtype). */
export function setSharedGradient(shared: readonly Tensor[], d: Float64Array): void {
  if (d.length !== flatSize(shared)) throw new ArgumentError('setSharedGradient', `direction has ${d.length} entries, the shared parameters ${flatSize(shared)}`);
  let off = 0;
  for (const p of shared) {
    const n = p.numel();
    p.grad = tensor(d.slice(off, off + n), { shape: p.shape, dtype: p.dtype });
    off += n;
  }
}

/** u · v of two gradient vectors. */
export function vdot(u: Float64Array, v: Float64Array): number {
  let s = 0;
  for (let k = 0; k < u.length; k++) s += u[k]! * v[k]!;
  return s;
}

/** a · b of two small arrays (weights, rows of a Gram matrix). */
export function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}

/** The T×T Gram matrix G Gᵀ of the task gradients (G's rows are the g_i). */
export function gram(grads: readonly Float64Array[]): number[][] {
  const T = grads.length;
  const m = Array.from({ length: T }, () => new Array<number>(T).fill(0));
  for (let i = 0; i < T; i++) {
    for (let j = i; j < T; j++) m[i]![j] = m[j]![i] = vdot(grads[i]!, grads[j]!);
  }
  return m;
}

/** Σ_i c_i g_i. */
export function combine(grads: readonly Float64Array[], coefficients: readonly number[]): Float64Array {
  const d = new Float64Array(grads[0]?.length ?? 0);
  grads.forEach((g, i) => {
    const c = coefficients[i]!;
    if (c !== 0) for (let k = 0; k < d.length; k++) d[k]! += c * g[k]!;
  });
  return d;
}

/** Solve M x = r by Gaussian elimination with partial pivoting; null when M is (numerically) singular. */
export function solveLinear(M: readonly (readonly number[])[], r: readonly number[]): number[] | null {
  const n = r.length;
  const a = M.map((row, i) => [...row, r[i]!]);
  const size = Math.max(...M.map((row) => Math.max(...row.map(Math.abs))), 0);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let i = col + 1; i < n; i++) if (Math.abs(a[i]![col]!) > Math.abs(a[pivot]![col]!)) pivot = i;
    if (!(Math.abs(a[pivot]![col]!) > 1e-12 * size)) return null;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    for (let i = col + 1; i < n; i++) {
      const f = a[i]![col]! / a[col]![col]!;
      for (let j = col; j <= n; j++) a[i]![j]! -= f * a[col]![j]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let v = a[i]![n]!;
    for (let j = i + 1; j < n; j++) v -= a[i]![j]! * x[j]!;
    x[i] = v / a[i]![i]!;
  }
  return x;
}
