// Runs benchmark workloads: median wall-clock ms per iteration after warm-up, and memory growth.
import { Rng } from '../engine/rng.js';
import type { Workload } from './workloads.js';

export interface WorkloadResult {
  ms: number;
  /** all timed iterations, ms */
  samples: number[];
  /** resident set size after the run, MB */
  rssMB: number;
  /** RSS change between the end of warm-up and the end of the run, MB (only with extra iterations) */
  rssGrowthMB?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Time one workload: `warmup` untimed iterations, then `reps` timed ones (median reported). With
 * `iterations`, also run that many iterations and report the RSS growth over them.
 */
export function runWorkload(w: Workload, opts: { seed?: number; iterations?: number; onIteration?: (i: number, n: number) => void } = {}): WorkloadResult {
  const step = w.setup(new Rng(opts.seed ?? 0));
  const total = w.warmup + w.reps;
  for (let i = 0; i < w.warmup; i++) {
    step();
    opts.onIteration?.(i + 1, total);
  }
  const samples: number[] = [];
  for (let i = 0; i < w.reps; i++) {
    const t = performance.now();
    step();
    samples.push(performance.now() - t);
    opts.onIteration?.(w.warmup + i + 1, total);
  }
  const result: WorkloadResult = { ms: median(samples), samples, rssMB: process.memoryUsage().rss / 2 ** 20 };
  if (opts.iterations) {
    gc();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < opts.iterations; i++) {
      step();
      opts.onIteration?.(i + 1, opts.iterations);
    }
    gc();
    const after = process.memoryUsage().rss;
    result.rssMB = after / 2 ** 20;
    result.rssGrowthMB = (after - before) / 2 ** 20;
  }
  return result;
}
