// Reading the PyTorch golden fixtures of test/fixtures/ (written by scripts/golden.py) and comparing gradients.
import { loadSafetensors, type Tensor } from '../src/index.js';
import { relErr, repoPath } from './helpers.js';

/**
 * Gradient error against PyTorch: relative to the tensor's own magnitude. Gradients that are exactly zero
 * in theory (a conv bias feeding a training-mode BatchNorm) are rounding noise on both sides; for those
 * both must be below 1e-5 of the model's largest gradient.
 */
export function gradErr(actual: Tensor, expected: Tensor, all: Record<string, Tensor>): number {
  let big = 0, own = 0, mine = 0;
  for (const g of Object.values(all)) for (let i = 0; i < g.data.length; i++) big = Math.max(big, Math.abs(g.data[i]!));
  for (let i = 0; i < expected.data.length; i++) own = Math.max(own, Math.abs(expected.data[i]!));
  for (let i = 0; i < actual.data.length; i++) mine = Math.max(mine, Math.abs(actual.data[i]!));
  if (own <= 1e-5 * big) return mine <= 1e-5 * big ? 0 : Infinity;
  return relErr(actual, expected);
}

export function fixture(name: string): { t: Record<string, Tensor>; meta: Record<string, unknown> } {
  const f = loadSafetensors(repoPath('test', 'fixtures', `${name}.safetensors`));
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f.metadata)) meta[k] = JSON.parse(v);
  return { t: f.tensors, meta };
}

export function prefixed(t: Record<string, Tensor>, prefix: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(t)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

