// Task families without image files: MAML's sinusoid regression and a small synthetic Gaussian classification family.
import { tensor } from '../engine/create.js';
import { ArgumentError } from '../core/errors.js';
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import type { Episode } from './episodes.js';

/** One sinusoid task y = A·sin(x − φ). */
export interface SinusoidTask {
  amplitude: number;
  phase: number;
}

/**
 * The sinusoid regression family of Finn et al. (2017): amplitude A ~ U[0.1, 5], phase φ ~ U[0, π],
 * inputs x ~ U[−5, 5], y = A·sin(x − φ). Ranges can be overridden.
 * @example
 * const fam = new SinusoidTasks();
 * const task = fam.sampleTask(rng);
 * const { support, query } = fam.sampleEpisode(task, rng, { shots: 10, queries: 10 });  // x, y: [10, 1]
 */
export class SinusoidTasks {
  readonly amplitude: readonly [number, number];
  readonly phase: readonly [number, number];
  readonly input: readonly [number, number];

  constructor(opts: { amplitude?: [number, number]; phase?: [number, number]; input?: [number, number] } = {}) {
    this.amplitude = opts.amplitude ?? [0.1, 5];
    this.phase = opts.phase ?? [0, Math.PI];
    this.input = opts.input ?? [-5, 5];
  }

  sampleTask(rng: Rng): SinusoidTask {
    return { amplitude: rng.uniform(this.amplitude[0], this.amplitude[1]), phase: rng.uniform(this.phase[0], this.phase[1]) };
  }

  /** `k` points of a task: x [k, 1] and y [k, 1], float32. */
  sample(task: SinusoidTask, k: number, rng: Rng): { x: Tensor; y: Tensor } {
    if (!Number.isInteger(k) || k < 1) throw new ArgumentError('SinusoidTasks.sample', `k must be a positive integer, got ${k}`);
    const x = new Float32Array(k), y = new Float32Array(k);
    for (let i = 0; i < k; i++) {
      x[i] = rng.uniform(this.input[0], this.input[1]);
      y[i] = task.amplitude * Math.sin(x[i]! - task.phase);
    }
    return { x: tensor(x, { shape: [k, 1] }), y: tensor(y, { shape: [k, 1] }) };
  }

  /** Support (`shots` points) and query (`queries` points) of one task, drawn independently. */
  sampleEpisode(task: SinusoidTask, rng: Rng, opts: { shots: number; queries: number }): { task: SinusoidTask; support: { x: Tensor; y: Tensor }; query: { x: Tensor; y: Tensor } } {
    return { task, support: this.sample(task, opts.shots, rng), query: this.sample(task, opts.queries, rng) };
  }

  /** y of a task on given x values (for plotting and exact evaluation). */
  evaluate(task: SinusoidTask, xs: ArrayLike<number>): Float32Array {
    return Float32Array.from(xs, (x) => task.amplitude * Math.sin(x - task.phase));
  }
}

/**
 * A small synthetic classification family for fast tests of meta-learners: each task draws `ways` class centres
 * from N(0, spread²·I) in `dim` dimensions; an example is its centre plus N(0, noise²·I). Episodes have the same
 * shape as image episodes, with x [N·K, dim].
 * @example
 * const fam = new GaussianClassTasks({ dim: 8, ways: 5 });
 * const ep = fam.sampleEpisode(rng, { shots: 1, queries: 5 });   // ep.support.x: [5, 8]
 */
export class GaussianClassTasks {
  readonly dim: number;
  readonly ways: number;
  readonly spread: number;
  readonly noise: number;

  constructor(opts: { dim?: number; ways?: number; spread?: number; noise?: number } = {}) {
    this.dim = opts.dim ?? 8;
    this.ways = opts.ways ?? 5;
    this.spread = opts.spread ?? 2;
    this.noise = opts.noise ?? 1;
    for (const [k, v] of [['dim', this.dim], ['ways', this.ways]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ArgumentError('GaussianClassTasks', `${k} must be a positive integer, got ${v}`);
    }
  }

  sampleEpisode(rng: Rng, opts: { shots: number; queries: number }): Episode {
    const { dim, ways } = this;
    const { shots, queries } = opts;
    if (!Number.isInteger(shots) || shots < 1 || !Number.isInteger(queries) || queries < 0) {
      throw new ArgumentError('GaussianClassTasks.sampleEpisode', `need shots ≥ 1 and queries ≥ 0 integers, got ${shots}, ${queries}`);
    }
    const centres = new Float64Array(ways * dim);
    for (let i = 0; i < centres.length; i++) centres[i] = rng.normal(0, this.spread);
    const make = (per: number): { x: Tensor; y: Tensor } => {
      const x = new Float32Array(ways * per * dim), y = new Int32Array(ways * per);
      for (let k = 0; k < ways; k++) {
        for (let j = 0; j < per; j++) {
          const r = k * per + j;
          y[r] = k;
          for (let d = 0; d < dim; d++) x[r * dim + d] = centres[k * dim + d]! + rng.normal(0, this.noise);
        }
      }
      return { x: tensor(x, { shape: [ways * per, dim] }), y: tensor(y, { shape: [ways * per] }) };
    };
    const support = make(shots), query = make(queries);
    const classes = Int32Array.from({ length: ways }, (_, k) => k);
    return { support, query, classes, ways, shots, queries, indices: null };
  }
}
