// Task sampling: how a step's batch is shared among tasks (proportional to size, uniform, or temperature-scaled).
import { ArgumentError } from '../core/errors.js';

/**
 * Mixing rates of tasks of sizes n_i (Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a Unified
 * Text-to-Text Transformer", JMLR, §3.5.2): `proportional` p_i ∝ n_i, `uniform` p_i = 1/T, `temperature` p_i ∝
 * n_i^{1/τ} (τ = 1 is proportional, τ → ∞ uniform).
 */
export type TaskSampling = { kind: 'proportional' } | { kind: 'uniform' } | { kind: 'temperature'; temperature: number };

export const SAMPLING_SYNTAX = 'proportional|uniform|temperature:T';

export function parseSampling(spec: string): TaskSampling {
  if (spec === 'proportional' || spec === 'uniform') return { kind: spec };
  const m = /^temperature:(.+)$/.exec(spec);
  if (m) {
    const t = Number(m[1]);
    if (!(m[1]!.trim() !== '' && Number.isFinite(t) && t > 0)) throw new ArgumentError('sampling', `temperature must be a positive number, got "${m[1]}"`);
    return { kind: 'temperature', temperature: t };
  }
  throw new ArgumentError('sampling', `unknown sampling "${spec}" (${SAMPLING_SYNTAX})`);
}

export function formatSampling(s: TaskSampling): string {
  return s.kind === 'temperature' ? `temperature:${s.temperature}` : s.kind;
}

/** p_i for tasks of sizes n_i. */
export function samplingProbabilities(sizes: readonly number[], s: TaskSampling): number[] {
  if (sizes.length === 0) throw new ArgumentError('sampling', 'no tasks');
  for (const n of sizes) if (!(Number.isInteger(n) && n > 0)) throw new ArgumentError('sampling', `task sizes must be positive integers, got [${sizes.join(', ')}]`);
  const raw = sizes.map((n) => (s.kind === 'uniform' ? 1 : s.kind === 'proportional' ? n : n ** (1 / s.temperature)));
  const total = raw.reduce((a, v) => a + v, 0);
  return raw.map((v) => v / total);
}

/**
 * How many of a step's `batchSize` examples come from each task: B·p_i rounded by largest remainder (ties to the
 * lower task index), then every task given at least one example (taken from the largest shares), so every task has a
 * loss on every step — gradient surgery needs all T gradients at once. Counts sum to `batchSize` (≥ T).
 * @example batchAllocation([5000, 500], { kind: 'proportional' }, 64)   // [58, 6]
 */
export function batchAllocation(sizes: readonly number[], s: TaskSampling, batchSize: number): number[] {
  const T = sizes.length;
  if (!(Number.isInteger(batchSize) && batchSize >= T)) throw new ArgumentError('sampling', `the batch size (${batchSize}) must be an integer ≥ the number of tasks (${T})`);
  const p = samplingProbabilities(sizes, s);
  const exact = p.map((pi) => pi * batchSize);
  const counts = exact.map(Math.floor);
  let left = batchSize - counts.reduce((a, c) => a + c, 0);
  const byRemainder = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    counts[i]!++;
    left--;
  }
  for (let i = 0; i < T; i++) {
    while (counts[i]! < 1) {
      const donor = counts.reduce((best, c, j) => (c > counts[best]! ? j : best), 0);
      counts[donor]!--;
      counts[i]!++;
    }
  }
  return counts;
}
