// The one seeded random generator (xoshiro128**): uniform, normal, integers, permutations, independent streams.
import { ArgumentError } from '../core/errors.js';

function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h >>> 0);
}

/** Serializable generator state (for checkpoints). */
export interface RngState {
  s: [number, number, number, number];
  spare: number | null;
}

/**
 * A seedable pseudo-random generator (xoshiro128**, Blackman & Vigna 2018). Integer arithmetic only,
 * so the same seed gives the same numbers on any machine. Thread it explicitly through everything random.
 *
 * @example
 * const rng = new Rng(42);
 * rng.uniform(); rng.normal(); rng.integer(0, 10); rng.permutation(5);
 * const dataRng = rng.fork('data');   // independent stream named by a key
 */
export class Rng {
  private s = new Uint32Array(4);
  private spare: number | null = null;
  private seedKey: [number, number];

  constructor(seed: number | string = 0) {
    let lo: number, hi: number;
    if (typeof seed === 'string') {
      lo = hashString(seed);
      hi = hashString(`${seed}\u0001`);
    } else {
      if (!Number.isFinite(seed)) throw new ArgumentError('Rng', `seed must be finite, got ${seed}`);
      const v = Math.trunc(Math.abs(seed));
      lo = v >>> 0;
      hi = (Math.floor(v / 4294967296) >>> 0) ^ (seed < 0 ? 0x80000000 : 0);
    }
    this.seedKey = [lo, hi];
    this.seedFrom(lo, hi);
  }

  /** A generator seeded by a derived key: its own forks then derive from that key. */
  private static fromKey(lo: number, hi: number): Rng {
    const r = new Rng(0);
    r.seedKey = [lo >>> 0, hi >>> 0];
    r.seedFrom(lo >>> 0, hi >>> 0);
    return r;
  }

  private seedFrom(lo: number, hi: number): void {
    for (let i = 0; i < 4; i++) this.s[i] = mix32((lo + Math.imul(i + 1, 0x9e3779b9)) ^ mix32(hi + i * 0x632be5ab));
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
    this.spare = null;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return r;
  }

  /** A float64 in [0, 1) with 53 random bits. */
  uniform(): number;
  /** A float64 in [low, high). */
  uniform(low: number, high: number): number;
  uniform(low = 0, high = 1): number {
    const a = this.nextUint32() >>> 5, b = this.nextUint32() >>> 6;
    const u = (a * 67108864 + b) / 9007199254740992;
    return low + (high - low) * u;
  }

  /** A standard normal sample (Box–Muller), or N(mean, std²). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return mean + std * v;
    }
    let u1 = 0;
    while (u1 === 0) u1 = this.uniform();
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return mean + std * r * Math.cos(2 * Math.PI * u2);
  }

  /** An integer in [low, high), unbiased (Lemire's rejection). */
  integer(low: number, high: number): number {
    const range = high - low;
    if (!Number.isInteger(low) || !Number.isInteger(high) || range <= 0 || range > 4294967296) {
      throw new ArgumentError('Rng.integer', `need integers low < high with high - low ≤ 2^32, got [${low}, ${high})`);
    }
    if (range === 4294967296) return low + this.nextUint32();
    const limit = 4294967296 - (4294967296 % range);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return low + (x % range);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): number[] {
    const a = Array.from({ length: n }, (_, i) => i);
    this.shuffle(a);
    return a;
  }

  /** Shuffle an array in place and return it. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.integer(0, i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }

  /** k distinct indices from 0..n-1 (or with replacement), in sampled order. */
  choice(n: number, k: number, opts: { replace?: boolean } = {}): number[] {
    if (!opts.replace && k > n) throw new ArgumentError('Rng.choice', `cannot choose ${k} of ${n} without replacement`);
    if (opts.replace) return Array.from({ length: k }, () => this.integer(0, n));
    if (k * 4 < n) {
      const seen = new Set<number>();
      const out: number[] = [];
      while (out.length < k) {
        const v = this.integer(0, n);
        if (!seen.has(v)) { seen.add(v); out.push(v); }
      }
      return out;
    }
    const a = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = this.integer(i, n);
      const t = a[i]!; a[i] = a[j]!; a[j] = t;
    }
    return a.slice(0, k);
  }

  fillUniform(out: Float32Array | Float64Array, low = 0, high = 1): void {
    const span = high - low;
    if (out instanceof Float32Array) {
      for (let i = 0; i < out.length; i++) out[i] = low + span * ((this.nextUint32() >>> 8) / 16777216);
    } else {
      for (let i = 0; i < out.length; i++) out[i] = this.uniform(low, high);
    }
  }

  fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1): void {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
  }

  /** A new generator on an independent stream; advances this one. */
  split(): Rng {
    const lo = this.nextUint32() ^ 0x5bd1e995;
    return Rng.fromKey(lo, this.nextUint32());
  }

  /** A generator derived from this one's seed and `key`, without advancing this one. */
  fork(key: string | number): Rng {
    const k = typeof key === 'number' ? mix32(key >>> 0) ^ mix32(Math.floor(key / 4294967296)) : hashString(key);
    return Rng.fromKey(mix32(this.seedKey[0] ^ k), mix32(this.seedKey[1] + Math.imul(k, 0x27d4eb2d)));
  }

  getState(): RngState {
    return { s: [this.s[0]!, this.s[1]!, this.s[2]!, this.s[3]!], spare: this.spare };
  }

  setState(state: RngState): void {
    if (!Array.isArray(state.s) || state.s.length !== 4) throw new ArgumentError('Rng.setState', 'state.s must have 4 words');
    for (let i = 0; i < 4; i++) this.s[i] = state.s[i]! >>> 0;
    this.spare = state.spare;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
