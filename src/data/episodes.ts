// N-way K-shot Q-query episodes: a seeded sampler over any classification dataset, fixed evaluation sets, batches.
import { createHash } from 'node:crypto';
import { tensor } from '../engine/create.js';
import { ArgumentError } from '../core/errors.js';
import { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { collate, type Batch, type BatchOptions, type ClassificationDataset } from './dataset.js';
import { rotate90 } from './transforms.js';

/** Which examples make an episode, before any pixel is touched (cheap to store, hash and compare). */
export interface EpisodeIndices {
  /** Dataset class ids; episode label k stands for `classes[k]`. */
  classes: Int32Array;
  /** Dataset example indices of the support set, class-major (`k * shots + s`). */
  support: Int32Array;
  /** Dataset example indices of the query set, class-major (`k * queries + q`). */
  query: Int32Array;
  /** Per episode class, the counter-clockwise rotation in quarter turns (MAML's task augmentation), or null. */
  rotations: Uint8Array | null;
}

/**
 * A few-shot episode (task): `support` {x, y} and `query` {x, y} with episode labels 0..ways−1 (int32),
 * images float32 [n, C, H, W]; `classes` maps episode labels to dataset classes.
 */
export interface Episode {
  support: Batch;
  query: Batch;
  classes: Int32Array;
  ways: number;
  shots: number;
  queries: number;
  /** The dataset indices behind the episode; null for generated tasks (e.g. `GaussianClassTasks`). */
  indices: EpisodeIndices | null;
}

/** An episode drawn from a dataset: its indices are always known. */
export type DatasetEpisode = Episode & { indices: EpisodeIndices };

/** Options of the episode sampler. */
export interface EpisodeOptions extends BatchOptions {
  ways: number;
  shots: number;
  queries: number;
  /** Restrict sampling to these dataset classes (default: all). */
  classes?: readonly number[];
  /** `random90`: rotate every class of a task by its own random multiple of 90° (Finn et al. 2017's Omniglot). */
  rotate?: 'none' | 'random90';
  /** Leave out classes with fewer than shots + queries examples instead of failing. */
  skipSmallClasses?: boolean;
}

function positiveInt(where: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new ArgumentError(where, `${name} must be an integer ≥ ${min}, got ${v}`);
}

/**
 * Samples N-way K-shot Q-query episodes from a classification dataset (the episodic protocol of Vinyals et al. 2016).
 * All randomness comes from the `Rng` passed in; integer-only draws make episodes identical on every machine.
 * Support and query examples of an episode are always distinct.
 * @example
 * const sampler = new EpisodeSampler(splits.test, { ways: 5, shots: 1, queries: 15 });
 * const ep = sampler.sample(new Rng(0));     // ep.support.x: [5, 1, 28, 28], ep.query.y: [75]
 * const evalSet = sampler.fixed(42, 600);    // the same 600 episodes for seed 42, anywhere
 */
export class EpisodeSampler {
  readonly ways: number;
  readonly shots: number;
  readonly queries: number;
  /** Dataset classes episodes are drawn from (sorted). */
  readonly eligible: Int32Array;
  private readonly byClass: Int32Array[];
  private readonly opts: EpisodeOptions;

  constructor(readonly dataset: ClassificationDataset, opts: EpisodeOptions) {
    const where = 'EpisodeSampler';
    positiveInt(where, 'ways', opts.ways, 1);
    positiveInt(where, 'shots', opts.shots, 1);
    positiveInt(where, 'queries', opts.queries, 0);
    this.ways = opts.ways;
    this.shots = opts.shots;
    this.queries = opts.queries;
    this.opts = opts;
    const nc = dataset.classes.length;
    const lists: number[][] = Array.from({ length: nc }, () => []);
    for (let i = 0; i < dataset.labels.length; i++) lists[dataset.labels[i]!]!.push(i);
    this.byClass = lists.map((l) => Int32Array.from(l));
    const wanted = opts.classes ? [...new Set(opts.classes)].sort((a, b) => a - b) : Array.from({ length: nc }, (_, k) => k);
    const need = opts.shots + opts.queries;
    const eligible: number[] = [];
    for (const c of wanted) {
      if (!Number.isInteger(c) || c < 0 || c >= nc) throw new ArgumentError(where, `class id ${c} outside [0, ${nc})`);
      const have = this.byClass[c]!.length;
      if (have < need) {
        if (opts.skipSmallClasses) continue;
        throw new ArgumentError(where, `class ${c} ("${dataset.classes[c]}") has ${have} examples, ${opts.shots} shots + ${opts.queries} queries need ${need}`);
      }
      eligible.push(c);
    }
    if (eligible.length < opts.ways) {
      throw new ArgumentError(where, `the split has ${eligible.length} usable classes, a ${opts.ways}-way episode needs ${opts.ways}`);
    }
    this.eligible = Int32Array.from(eligible);
  }

  /** Draw the indices of one episode from `rng`. */
  sampleIndices(rng: Rng): EpisodeIndices {
    const { ways, shots, queries } = this;
    const picked = rng.choice(this.eligible.length, ways);
    const classes = Int32Array.from(picked, (p) => this.eligible[p]!);
    const support = new Int32Array(ways * shots), query = new Int32Array(ways * queries);
    for (let k = 0; k < ways; k++) {
      const members = this.byClass[classes[k]!]!;
      const chosen = rng.choice(members.length, shots + queries);
      for (let s = 0; s < shots; s++) support[k * shots + s] = members[chosen[s]!]!;
      for (let q = 0; q < queries; q++) query[k * queries + q] = members[chosen[shots + q]!]!;
    }
    let rotations: Uint8Array | null = null;
    if (this.opts.rotate === 'random90') {
      rotations = new Uint8Array(ways);
      for (let k = 0; k < ways; k++) rotations[k] = rng.integer(0, 4);
    }
    return { classes, support, query, rotations };
  }

  /** Turn indices into tensors. */
  materialize(ix: EpisodeIndices): DatasetEpisode {
    const { ways, shots, queries } = this;
    const part = (idx: Int32Array, per: number): Batch => {
      const labels = Int32Array.from(idx, (_, j) => Math.floor(j / per));
      const rot = ix.rotations;
      return collate(this.dataset, idx, {
        normalize: this.opts.normalize,
        layout: this.opts.layout ?? 'NCHW',
        labels,
        images: rot ? (img, j) => rotate90(img, rot[labels[j]!]!) : undefined,
      });
    };
    return { support: part(ix.support, shots), query: part(ix.query, queries), classes: ix.classes, ways, shots, queries, indices: ix };
  }

  /** One episode drawn from `rng`. */
  sample(rng: Rng): DatasetEpisode {
    return this.materialize(this.sampleIndices(rng));
  }

  /** `n` episodes drawn one after another from `rng` (a meta-batch). */
  batch(rng: Rng, n: number): DatasetEpisode[] {
    positiveInt('EpisodeSampler.batch', 'n', n, 1);
    return Array.from({ length: n }, () => this.sample(rng));
  }

  /**
   * A fixed set of `count` evaluation episodes for `seed`: episode i is drawn from its own stream
   * `new Rng(seed).fork('episode/' + i)`, so it does not depend on `count` or on the order episodes are read.
   */
  fixed(seed: number, count: number): FixedEpisodeSet {
    positiveInt('EpisodeSampler.fixed', 'count', count, 1);
    return new FixedEpisodeSet(this, seed, count);
  }
}

/** A reproducible list of evaluation episodes (indices computed up front, tensors on demand). */
export class FixedEpisodeSet {
  readonly length: number;
  readonly all: readonly EpisodeIndices[];
  constructor(readonly sampler: EpisodeSampler, readonly seed: number, count: number) {
    // one fork of the seeded root per episode: independent of count and of read order
    const root = new Rng(seed);
    this.all = Array.from({ length: count }, (_, i) => sampler.sampleIndices(root.fork(`episode/${i}`)));
    this.length = count;
  }

  get(i: number): DatasetEpisode {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new ArgumentError('FixedEpisodeSet.get', `index ${i} out of range [0, ${this.length})`);
    return this.sampler.materialize(this.all[i]!);
  }

  *[Symbol.iterator](): Generator<DatasetEpisode> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }

  /** sha256 of every episode's indices: equal hashes mean identical evaluation sets. */
  hash(): string {
    return hashEpisodes(this.all);
  }
}

/** sha256 (hex) of episode indices (classes, support, query, rotations; little-endian int32). */
export function hashEpisodes(list: readonly EpisodeIndices[]): string {
  const h = createHash('sha256');
  const put = (a: Int32Array): void => {
    const b = Buffer.alloc(4 * (a.length + 1));
    b.writeInt32LE(a.length, 0);
    for (let i = 0; i < a.length; i++) b.writeInt32LE(a[i]!, 4 * (i + 1));
    h.update(b);
  };
  for (const e of list) {
    put(e.classes);
    put(e.support);
    put(e.query);
    put(e.rotations ? Int32Array.from(e.rotations) : new Int32Array(0));
  }
  return h.digest('hex');
}

/** Episodes stacked along a new leading dim: support.x [B, N·K, C, H, W], support.y [B, N·K], and the same for query. */
export interface EpisodeBatch {
  support: { x: Tensor; y: Tensor };
  query: { x: Tensor; y: Tensor };
  ways: number;
  shots: number;
  queries: number;
}

/** Stack episodes of equal shape into batch tensors (a meta-batch for MAML-style training). */
export function stackEpisodes(eps: readonly Episode[]): EpisodeBatch {
  if (eps.length === 0) throw new ArgumentError('stackEpisodes', 'no episodes');
  const first = eps[0]!;
  const stack = (pick: (e: Episode) => Tensor, name: string): Tensor => {
    const shape = pick(first).shape;
    for (const e of eps) {
      const s = pick(e).shape;
      if (s.length !== shape.length || s.some((d, i) => d !== shape[i])) throw new ArgumentError('stackEpisodes', `${name} shapes differ: [${shape.join(',')}] vs [${s.join(',')}]`);
    }
    const n = pick(first).data.length;
    const isInt = pick(first).dtype === 'int32';
    const out = isInt ? new Int32Array(n * eps.length) : new Float32Array(n * eps.length);
    eps.forEach((e, b) => out.set(pick(e).data as Float32Array & Int32Array, b * n));
    return tensor(out, { shape: [eps.length, ...shape] });
  };
  return {
    support: { x: stack((e) => e.support.x, 'support.x'), y: stack((e) => e.support.y, 'support.y') },
    query: { x: stack((e) => e.query.x, 'query.x'), y: stack((e) => e.query.y, 'query.y') },
    ways: first.ways, shots: first.shots, queries: first.queries,
  };
}
