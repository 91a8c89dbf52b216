// Native vs ts parity: unary, broadcasting binary, compare, where, reductions, layout, gather/scatter-add.
import { describe, it, before } from 'node:test';
import { numel } from '../../src/core/shape.js';
import { BINARY_OPS, COMPARE_OPS, REDUCE_OPS, UNARY_OPS } from '../../src/backend/types.js';
import { assertClose, assertEqualArrays, forceNative, nk, rand, randSpecial, skipNative, ts } from './helpers.js';

const UNARY = UNARY_OPS;
const BINARY = BINARY_OPS;
const COMPARE = COMPARE_OPS;
const EXACT = new Set(['neg', 'abs', 'sqrt', 'relu', 'sign', 'floor', 'ceil', 'round', 'not', 'add', 'sub', 'mul', 'div', 'maximum', 'minimum']);

/** [a shape, b shape, out shape]: same, scalar, row/column broadcast, size-1 dims, odd sizes, rank mismatch. */
const BROADCASTS: [number[], number[], number[]][] = [
  [[7], [7], [7]],
  [[5000], [5000], [5000]],
  [[3, 5], [], [3, 5]],
  [[], [4, 3], [4, 3]],
  [[3, 5], [1, 5], [3, 5]],
  [[3, 5], [3, 1], [3, 5]],
  [[2, 1, 5], [1, 3, 1], [2, 3, 5]],
  [[80, 64, 7, 7], [1, 64, 1, 1], [80, 64, 7, 7]],
  [[1, 64, 1, 1], [9, 64, 3, 3], [9, 64, 3, 3]],
  [[6, 1, 4, 1, 3], [5, 1, 2, 1], [6, 5, 4, 2, 3]],
  [[1], [13, 1], [13, 1]],
  [[17, 1, 33], [17, 29, 1], [17, 29, 33]],
];

describe('native element-wise kernels', { skip: skipNative }, () => {
  before(forceNative);

  it('unary ops match ts (NaN, ±Inf, ±0, halves included)', () => {
    for (const n of [1, 9, 1000, 70001]) {
      const x = randSpecial(n, n);
      for (let i = 0; i < n; i += 11) x[i] = x[i]! * 40;
      for (const op of UNARY) {
        const a = new Float32Array(n), b = new Float32Array(n);
        nk.unary(op, x, a);
        ts.unary(op, x, b);
        if (EXACT.has(op)) assertEqualArrays(a, b, `${op} n=${n}`);
        else assertClose(a, b, `${op} n=${n}`, 1e-6, 1e-7);
      }
    }
  });

  it('binary ops broadcast like ts', () => {
    for (const [as, bs, os] of BROADCASTS) {
      const a = randSpecial(numel(as), 3), b = rand(numel(bs), 4);
      for (let i = 0; i < b.length; i += 5) b[i] = 0;
      for (const op of BINARY) {
        const x = new Float32Array(numel(os)), y = new Float32Array(numel(os));
        nk.binary(op, a, as, b, bs, x, os);
        ts.binary(op, a, as, b, bs, y, os);
        if (EXACT.has(op)) assertEqualArrays(x, y, `${op} ${JSON.stringify([as, bs])}`);
        else assertClose(x, y, `${op} ${JSON.stringify([as, bs])}`, 1e-6, 1e-7);
      }
      for (const op of COMPARE) {
        const x = new Uint8Array(numel(os)), y = new Uint8Array(numel(os));
        nk.compare(op, a, as, b, bs, x, os);
        ts.compare(op, a, as, b, bs, y, os);
        assertEqualArrays(x, y, `${op} ${JSON.stringify([as, bs])}`);
      }
    }
  });

  it('where broadcasts condition and both branches', () => {
    for (const [as, bs, os] of BROADCASTS) {
      const cs = os.map((d, i) => (i % 2 ? 1 : d));
      const c = new Uint8Array(numel(cs)).map((_, i) => (i * 7) % 3 === 0 ? 1 : 0);
      const a = rand(numel(as), 5), b = rand(numel(bs), 6);
      const x = new Float32Array(numel(os)), y = new Float32Array(numel(os));
      nk.where(c, cs, a, as, b, bs, x, os);
      ts.where(c, cs, a, as, b, bs, y, os);
      assertEqualArrays(x, y, `where ${JSON.stringify([cs, as, bs])}`);
    }
  });
});

describe('native reductions', { skip: skipNative }, () => {
  before(forceNative);
  const SHAPES: [number, number, number][] = [[1, 1, 1], [1, 7, 1], [3, 1, 4], [5, 13, 1], [1, 100000, 1], [64, 62720 / 64, 1], [1, 80, 64], [7, 9, 1100], [2, 3, 5000]];

  it('sum/max/min over [outer, size, inner] match ts', () => {
    for (const [o, s, i] of SHAPES) {
      const x = rand(o * s * i, o + s + i);
      for (const op of REDUCE_OPS) {
        const a = new Float32Array(o * i), b = new Float32Array(o * i);
        nk.reduce(op, x, o, s, i, a);
        ts.reduce(op, x, o, s, i, b);
        assertClose(a, b, `${op} ${[o, s, i]}`, 1e-5, 1e-6);
      }
    }
  });

  it('max/min propagate NaN; argmax/argmin take the first tie and the first NaN', () => {
    for (const [o, s, i] of [[2, 9, 1], [3, 14, 5], [1, 3000, 1]] as [number, number, number][]) {
      const x = randSpecial(o * s * i, 9).map((v) => Math.round(v * 2) / 2);
      for (const op of ['max', 'min'] as const) {
        const a = new Float32Array(o * i), b = new Float32Array(o * i);
        nk.reduce(op, x, o, s, i, a);
        ts.reduce(op, x, o, s, i, b);
        assertEqualArrays(a, b, `${op} ${[o, s, i]}`);
      }
      const y = x.map((v) => (Number.isNaN(v) ? 0 : v));
      for (const src of [x, y]) {
        for (const op of ['argmax', 'argmin'] as const) {
          const a = new Int32Array(o * i), b = new Int32Array(o * i);
          nk.argReduce(op, src, o, s, i, a);
          ts.argReduce(op, src, o, s, i, b);
          assertEqualArrays(a, b, `${op} ${[o, s, i]}`);
        }
      }
    }
  });
});

describe('native layout kernels', { skip: skipNative }, () => {
  before(forceNative);

  it('permute, expand, slice and sliceScatter match ts (float32 and int32)', () => {
    const cases: [number[], number[]][] = [[[80, 64, 7, 7], [1, 0, 2, 3]], [[2, 3, 4], [2, 0, 1]], [[5, 1, 7], [2, 1, 0]], [[3, 4, 5, 6], [3, 1, 0, 2]], [[1], [0]]];
    for (const [shape, perm] of cases) {
      for (const x of [rand(numel(shape), 2), Int32Array.from(rand(numel(shape), 2), (v) => Math.round(v * 100))]) {
        const a = x.slice().fill(0), b = x.slice().fill(0);
        nk.permute(x, shape, perm, a);
        ts.permute(x, shape, perm, b);
        assertEqualArrays(a, b, `permute ${shape} ${perm}`);
      }
    }
    const ex: [number[], number[]][] = [[[1, 64, 1, 1], [80, 64, 7, 7]], [[3, 1], [3, 5]], [[1, 1], [4, 6]], [[2, 1, 3], [2, 5, 3]]];
    for (const [shape, out] of ex) {
      const x = rand(numel(shape), 3);
      const a = new Float32Array(numel(out)), b = new Float32Array(numel(out));
      nk.expand(x, shape, out, a);
      ts.expand(x, shape, out, b);
      assertEqualArrays(a, b, `expand ${shape}→${out}`);
    }
    const sl: [number[], number[], number[], number[]][] = [
      [[10, 8], [2, 1], [3, 2], [3, 4]], [[600, 64], [0, 0], [1, 1], [300, 64]], [[4, 5, 6], [1, 0, 5], [1, 2, 1], [3, 3, 1]], [[9], [8], [1], [1]],
    ];
    for (const [shape, starts, steps, out] of sl) {
      const x = rand(numel(shape), 4);
      const a = new Float32Array(numel(out)), b = new Float32Array(numel(out));
      nk.slice(x, shape, starts, steps, out, a);
      ts.slice(x, shape, starts, steps, out, b);
      assertEqualArrays(a, b, `slice ${shape}`);
      const s1 = new Float32Array(numel(shape)), s2 = new Float32Array(numel(shape));
      nk.sliceScatter(a, out, starts, steps, shape, s1);
      ts.sliceScatter(b, out, starts, steps, shape, s2);
      assertEqualArrays(s1, s2, `sliceScatter ${shape}`);
    }
  });

  it('gather and scatterAdd along any axis match ts', () => {
    const cases: [number[], number, number][] = [[[6400, 196], 1, 49], [[5, 7], 0, 3], [[4, 9, 3], 1, 5], [[300, 60], 1, 1], [[2, 3, 4], 2, 6]];
    for (const [shape, axis, isz] of cases) {
      const idxShape = shape.map((d, i) => (i === axis ? isz : d));
      const idx = new Int32Array(numel(idxShape)).map((_, i) => (i * 7919) % shape[axis]!);
      const x = rand(numel(shape), 5);
      const a = new Float32Array(idx.length), b = new Float32Array(idx.length);
      nk.gather(x, shape, axis, idx, idxShape, a);
      ts.gather(x, shape, axis, idx, idxShape, b);
      assertEqualArrays(a, b, `gather ${shape} axis ${axis}`);
      const o1 = rand(numel(shape), 6), o2 = o1.slice();
      nk.scatterAdd(o1, shape, axis, idx, idxShape, a);
      ts.scatterAdd(o2, shape, axis, idx, idxShape, b);
      assertClose(o1, o2, `scatterAdd ${shape} axis ${axis}`, 1e-6, 1e-7);
    }
  });
});
