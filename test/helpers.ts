// Test helpers: readable allclose assertions and float64 finite-difference gradient checks.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { backendInfo, grad, noGrad, Tensor, tensor, type NestedArray } from '../src/index.js';

type Numeric = Tensor | number | NestedArray | ArrayLike<number>;

function flat(x: Numeric): number[] {
  if (x instanceof Tensor) return Array.from(x.data);
  if (typeof x === 'number') return [x];
  if (ArrayBuffer.isView(x)) return Array.from(x as ArrayLike<number>);
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else out.push(typeof v === 'boolean' ? (v ? 1 : 0) : (v as number));
  };
  walk(x);
  return out;
}

/** Assert |a − e| ≤ atol + rtol·|e| elementwise (NaN equals NaN); shapes must match when both are tensors. */
export function assertClose(actual: Numeric, expected: Numeric, opts: { rtol?: number; atol?: number; msg?: string } = {}): void {
  const rtol = opts.rtol ?? 1e-5, atol = opts.atol ?? 1e-6;
  if (actual instanceof Tensor && expected instanceof Tensor) {
    assert.deepEqual(actual.shape, expected.shape, `${opts.msg ?? ''} shape mismatch [${actual.shape}] vs [${expected.shape}]`);
  }
  const a = flat(actual), e = flat(expected);
  assert.equal(a.length, e.length, `${opts.msg ?? ''} length ${a.length} vs ${e.length}`);
  let worst = -1, worstErr = 0;
  for (let i = 0; i < a.length; i++) {
    const ai = a[i]!, ei = e[i]!;
    if (Number.isNaN(ai) && Number.isNaN(ei)) continue;
    if (ai === ei) continue;
    const err = Math.abs(ai - ei) - (atol + rtol * Math.abs(ei));
    if (!(err <= 0) && (worst < 0 || err > worstErr)) { worst = i; worstErr = err; }
  }
  if (worst >= 0) {
    assert.fail(`${opts.msg ? `${opts.msg}: ` : ''}mismatch at flat index ${worst}: got ${a[worst]}, expected ${e[worst]} (rtol ${rtol}, atol ${atol}); ${a.length} elements`);
  }
}

/** Max relative error max|a−e| / max(|e|, floor). */
export function relErr(actual: Numeric, expected: Numeric, floor = 1e-6): number {
  const a = flat(actual), e = flat(expected);
  let num = 0, den = floor;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - e[i]!));
    den = Math.max(den, Math.abs(e[i]!));
  }
  return num / den;
}

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  name?: string;
}

/**
 * Compare the analytic vector–Jacobian product of fn at float64 inputs with central differences of
 * <v, fn(x)> for a fixed random cotangent v.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): void {
  const eps = opts.eps ?? 1e-6, atol = opts.atol ?? 1e-5, rtol = opts.rtol ?? 1e-3;
  const diff = inputs.filter((t) => t.requiresGrad);
  const out0 = fn(...inputs);
  const v = cotangent(out0.shape);
  const scalarFn = (): number => dot(fn(...inputs), v);
  const y = dotT(out0, v);
  const analytic = y.requiresGrad ? grad(y, diff, { allowUnused: true }) : diff.map(() => null);
  diff.forEach((x, k) => {
    const an = analytic[k];
    for (let i = 0; i < x.data.length; i++) {
      const orig = x.data[i]!;
      x.data[i] = orig + eps;
      const fp = scalarFn();
      x.data[i] = orig - eps;
      const fm = scalarFn();
      x.data[i] = orig;
      const num = (fp - fm) / (2 * eps);
      const a = an ? an.data[i]! : 0;
      if (!(Math.abs(a - num) <= atol + rtol * Math.abs(num))) {
        assert.fail(`${opts.name ?? 'gradcheck'}: input ${k} [${x.shape}] element ${i}: analytic ${a} vs numeric ${num}`);
      }
    }
  });
}

/**
 * Second order: check the gradient of h(x, v) = <u, ∂<v, fn(x)>/∂x> (a gradient–vector product) with respect
 * to the inputs and to v, against central differences of h computed with first-order gradients.
 */
export function gradgradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): void {
  const diff = inputs.filter((t) => t.requiresGrad);
  const out0 = noGrad(() => fn(...inputs));
  const v = cotangent(out0.shape, 7);
  v.requiresGrad = true;
  const us = diff.map((x, k) => cotangent(x.shape, 11 + k));
  const h = (...args: Tensor[]): Tensor => {
    const xs = args.slice(0, inputs.length);
    const vv = args[inputs.length]!;
    const y = dotT(fn(...xs), vv);
    const d = xs.filter((t) => t.requiresGrad);
    if (!y.requiresGrad) return tensor([0], { dtype: 'float64' }).sum();
    const gs = grad(y, d, { createGraph: true, allowUnused: true });
    let acc: Tensor | null = null;
    gs.forEach((g, k) => {
      if (!g) return;
      const term = g.mul(us[k]!).sum();
      acc = acc ? acc.add(term) : term;
    });
    return acc ?? tensor([0], { dtype: 'float64' }).sum();
  };
  gradcheck(h, [...inputs, v], { ...opts, name: `${opts.name ?? 'gradgradcheck'} (second order)` });
}

let seedCounter = 12345;
function cotangent(shape: readonly number[], salt = 3): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  const data = new Float64Array(n);
  let s = (seedCounter++ * 2654435761 + salt) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 4294967296) * 2 - 1;
  }
  return tensor(data, { shape: shape.slice() });
}

function dotT(y: Tensor, v: Tensor): Tensor {
  const yy = y.dtype === 'float64' ? y : y.double();
  return yy.mul(v).sum();
}

function dot(y: Tensor, v: Tensor): number {
  let s = 0;
  for (let i = 0; i < y.data.length; i++) s += y.data[i]! * v.data[i]!;
  return s;
}

/** ../shared/data (or ADAPTLAB_SHARED_DATA) when present, else null. */
export function sharedDataDir(): string | null {
  const dir = process.env['ADAPTLAB_SHARED_DATA'] ?? join(process.cwd(), '..', 'shared', 'data');
  return existsSync(dir) ? dir : null;
}

/** Root of the repository (tests run from it via npm test). */
export function repoPath(...parts: string[]): string {
  return join(process.cwd(), ...parts);
}

/** Backends to run parity tests on: ts always, native when the addon is built. */
export function availableBackends(): ('ts' | 'native')[] {
  return backendInfo().native.loaded ? ['ts', 'native'] : ['ts'];
}

/**
 * Output, first-order vector–Jacobian products and second-order gradient–vector products of fn at the
 * inputs (converted to `dtype`), for fixed cotangents. Used to compare backends and precisions.
 */
export function derivatives(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], dtype: 'float32' | 'float64'): { out: Tensor; first: (Tensor | null)[]; second: (Tensor | null)[] } {
  const xs = inputs.map((t) => {
    if (t.dtype !== 'float32' && t.dtype !== 'float64') return t;
    const c = tensor(t.dtype === dtype ? t.data.slice() : Float64Array.from(t.data), { shape: t.shape.slice(), dtype });
    if (t.requiresGrad) c.requiresGrad = true;
    return c;
  });
  const diff = xs.filter((t) => t.requiresGrad);
  const out = fn(...xs);
  if (!diff.length || !out.requiresGrad) return { out, first: [], second: [] };
  const v = fixedCotangent(out.shape, dtype, 5);
  const first = grad(out.mul(v).sum(), diff, { createGraph: true, allowUnused: true });
  let h: Tensor | null = null;
  first.forEach((g, k) => {
    if (!g || !g.requiresGrad) return;
    const term = g.mul(fixedCotangent(g.shape, dtype, 9 + k)).sum();
    h = h ? h.add(term) : term;
  });
  const second = h ? grad(h as Tensor, diff, { allowUnused: true }) : diff.map(() => null);
  return { out, first: first.map((g) => g && g.detach()), second };
}

function fixedCotangent(shape: readonly number[], dtype: 'float32' | 'float64', salt: number): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  const data = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(1.7 * i + salt) * 0.9;
  return tensor(data, { shape: shape.slice() });
}
