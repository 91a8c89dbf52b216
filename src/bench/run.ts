// Runs benchmark workloads: median wall-clock ms per iteration after warm-up, and memory growth.
import { Rng } from '../engine/rng.js';
import type { Workload } from './workloads.js';

export interface WorkloadResult {
  ms: number;
  /** all timed iterations, ms */
  samples: number[];
  /** resident set size after the run, MB */
  rssMB: number;
  /** RSS change over the extra iterations after their first 10% (allocator warm-up), MB */
  rssGrowthMB?: number;
  /** change of live memory (V8 heap + array buffers, after a full GC when --expose-gc) over the same span, MB */
  liveGrowthMB?: number;
}

export function median(xs: number[]): number {
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
    const settle = Math.max(1, Math.floor(opts.iterations / 10));
    const live = (m: NodeJS.MemoryUsage): number => m.heapUsed + m.arrayBuffers;
    let before: NodeJS.MemoryUsage | null = null;
    for (let i = 0; i < opts.iterations; i++) {
      if (i === settle) {
        gc();
        before = process.memoryUsage();
      }
      step();
      opts.onIteration?.(i + 1, opts.iterations);
    }
    gc();
    const after = process.memoryUsage();
    result.rssMB = after.rss / 2 ** 20;
    if (before) {
      result.rssGrowthMB = (after.rss - before.rss) / 2 ** 20;
      result.liveGrowthMB = (live(after) - live(before)) / 2 ** 20;
    }
  }
  return result;
}
