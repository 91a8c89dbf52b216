// Native vs ts parity for GEMM (transposes, batched, broadcast batch), conv2d fwd/bwd and pooling, on every ISA level.
import { describe, it, before, after } from 'node:test';
import type { ConvGeometry, PoolGeometry } from '../../src/backend/types.js';
import { addon, assertClose, assertEqualArrays, forceNative, isaLevels, nk, rand, randSpecial, skipNative, ts } from './helpers.js';

const outSize = (h: number, k: number, s: number, p: number, d: number): number => Math.floor((h + 2 * p - d * (k - 1) - 1) / s) + 1;

describe('native GEMM', { skip: skipNative }, () => {
  before(forceNative);
  after(() => addon.setIsa('avx512'));

  it('matches ts for transposes, odd sizes, batches and broadcast batches on each ISA', () => {
    const shapes: [number, number, number][] = [[1, 1, 1], [1, 7, 3], [5, 1, 9], [3, 5, 7], [17, 33, 65], [64, 100, 300], [130, 70, 513], [9, 64, 3000], [80, 5, 64], [257, 129, 31]];
    for (const isa of isaLevels()) {
      addon.setIsa(isa);
      for (const [m, n, k] of shapes) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            const a = rand(m * k * 3, m), b = rand(k * n * 2, n);
            // batch of 3 with b broadcast as [b0, b1, b0]
            const g = { batch: 3, m, k, n, transA, transB, aOffsets: Int32Array.of(0, m * k, 2 * m * k), bOffsets: Int32Array.of(0, k * n, 0) };
            const x = new Float32Array(3 * m * n), y = new Float32Array(3 * m * n);
            nk.matmul(a, b, x, g);
            ts.matmul(a, b, y, g);
            assertClose(x, y, `${isa} matmul ${m}x${n}x${k} tA=${transA} tB=${transB}`, 1e-5, 2e-6);
          }
        }
      }
    }
  });
});

describe('native conv2d', { skip: skipNative }, () => {
  before(forceNative);
  after(() => addon.setIsa('avx512'));
  // n, c, h, w, o, kh, kw, stride, pad, dilH, dilW, groups
  const cases: number[][] = [
    [2, 3, 7, 5, 4, 3, 3, 1, 1, 1, 1, 1], [1, 1, 5, 5, 1, 1, 1, 1, 0, 1, 1, 1], [3, 4, 9, 8, 6, 3, 2, 2, 1, 2, 1, 2],
    [2, 6, 11, 7, 4, 3, 3, 1, 2, 1, 2, 2], [4, 8, 8, 8, 8, 1, 1, 2, 0, 1, 1, 1], [2, 4, 6, 6, 8, 3, 3, 1, 1, 1, 1, 4],
    [5, 1, 28, 28, 64, 3, 3, 1, 1, 1, 1, 1], [6, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1], [3, 64, 3, 3, 64, 3, 3, 1, 1, 1, 1, 1],
    [3, 16, 32, 32, 32, 3, 3, 2, 1, 1, 1, 1], [3, 16, 32, 32, 32, 1, 1, 2, 0, 1, 1, 1], [2, 3, 5, 9, 2, 3, 5, 3, 2, 1, 3, 1],
    [1, 2, 1, 1, 3, 1, 1, 1, 0, 1, 1, 1], [2, 4, 4, 4, 4, 3, 3, 1, 1, 1, 1, 4],
    [2, 8, 9, 11, 8, 3, 3, 2, 2, 2, 1, 2], [2, 6, 10, 7, 40, 3, 3, 2, 1, 1, 1, 2], [3, 5, 6, 6, 17, 2, 2, 1, 0, 1, 1, 1],
    [2, 3, 9, 9, 70, 3, 3, 1, 1, 1, 1, 1], [2, 4, 8, 8, 12, 5, 5, 1, 2, 1, 1, 1], [1, 16, 8, 8, 32, 1, 1, 2, 0, 1, 1, 1],
    [2, 2, 9, 10, 6, 3, 3, 1, 2, 2, 2, 1], [2, 6, 8, 8, 9, 3, 3, 1, 1, 1, 1, 3], [3, 1, 5, 4, 7, 5, 5, 1, 2, 1, 1, 1],
    [2, 16, 10, 9, 16, 3, 3, 1, 1, 1, 1, 1], [2, 32, 6, 6, 32, 3, 3, 1, 1, 2, 2, 2],
    [2, 3, 70, 1, 8, 3, 1, 1, 0, 1, 1, 1], [1, 2, 50, 2, 5, 1, 1, 1, 0, 1, 1, 1], [2, 16, 40, 1, 16, 3, 1, 1, 0, 1, 1, 1],
  ];

  it('forward, backward-data and backward-filter match ts (stride, padding, dilation, groups) on each ISA', () => {
    for (const isa of isaLevels()) {
      addon.setIsa(isa);
      for (const [n, c, h, w, o, kh, kw, s, p, dh, dw, groups] of cases as [number, number, number, number, number, number, number, number, number, number, number, number][]) {
        const g: ConvGeometry = {
          n, c, h, w, o, kh, kw, oh: outSize(h, kh, s, p, dh), ow: outSize(w, kw, s, p, dw),
          strideH: s, strideW: s, padH: p, padW: p, dilH: dh, dilW: dw, groups,
        };
        const what = `${isa} conv ${JSON.stringify(g)}`;
        const x = rand(n * c * h * w, 1), wt = rand((o * c / groups) * kh * kw, 2), dy = rand(n * o * g.oh * g.ow, 3);
        const y1 = new Float32Array(dy.length), y2 = new Float32Array(dy.length);
        nk.conv2d(x, wt, y1, g);
        ts.conv2d(x, wt, y2, g);
        assertClose(y1, y2, `${what} fwd`, 1e-5, 2e-6);
        const dx1 = new Float32Array(x.length), dx2 = new Float32Array(x.length);
        nk.conv2dBackwardData(dy, wt, dx1, g);
        ts.conv2dBackwardData(dy, wt, dx2, g);
        assertClose(dx1, dx2, `${what} bwd-data`, 1e-5, 2e-6);
        const dw1 = new Float32Array(wt.length), dw2 = new Float32Array(wt.length);
        nk.conv2dBackwardFilter(x, dy, dw1, g);
        ts.conv2dBackwardFilter(x, dy, dw2, g);
        assertClose(dw1, dw2, `${what} bwd-filter`, 1e-5, 2e-6);
      }
    }
  });

  it('rejects inconsistent geometry and short arrays with a JS error', async () => {
    const { throws } = await import('node:assert/strict');
    const g = new Int32Array([1, 1, 4, 4, 1, 3, 3, 9, 2, 1, 1, 0, 0, 1, 1, 1]);
    throws(() => addon.conv2d(new Float32Array(16), new Float32Array(9), new Float32Array(4), g), /oh inconsistent/);
    g[7] = 2;
    throws(() => addon.conv2d(new Float32Array(3), new Float32Array(9), new Float32Array(4), g), /too short/);
    throws(() => addon.matmul(new Float32Array(4), new Float32Array(4), new Float32Array(4), Int32Array.of(1, 2, 2, 2, 0, 0), Int32Array.of(3), Int32Array.of(0)), /offset out of range/);
    throws(() => addon.gather(new Float32Array(4), 1, 4, 1, Int32Array.of(9), 1, new Float32Array(1)), /out of range/);
    throws(() => (addon.unary as unknown as (...a: unknown[]) => void)(0, [1, 2], new Float32Array(2)), /typed array/);
  });
});

describe('native pooling', { skip: skipNative }, () => {
  before(forceNative);
  // n, c, h, w, k, stride, pad
  const cases: number[][] = [[2, 3, 28, 28, 2, 2, 0], [1, 2, 7, 7, 2, 2, 0], [2, 2, 5, 6, 3, 2, 1], [1, 1, 4, 4, 3, 1, 1], [3, 4, 9, 9, 3, 3, 0], [1, 1, 1, 1, 1, 1, 0], [2, 2, 8, 5, 2, 1, 1]];

  it('max pooling values and argmax indices (ties, NaN, padding) match ts', () => {
    for (const [n, c, h, w, k, s, p] of cases as [number, number, number, number, number, number, number][]) {
      const g: PoolGeometry = { n, c, h, w, kh: k, kw: k, strideH: s, strideW: s, padH: p, padW: p, oh: Math.floor((h + 2 * p - k) / s) + 1, ow: Math.floor((w + 2 * p - k) / s) + 1, countIncludePad: false };
      const x = randSpecial(n * c * h * w, h).map((v) => Math.round(v * 3) / 3);
      const m = n * c * g.oh * g.ow;
      const y1 = new Float32Array(m), y2 = new Float32Array(m), i1 = new Int32Array(m), i2 = new Int32Array(m);
      nk.maxPool2d(x, y1, i1, g);
      ts.maxPool2d(x, y2, i2, g);
      assertEqualArrays(y1, y2, `maxPool ${[n, c, h, w, k, s, p]}`);
      assertEqualArrays(i1, i2, `maxPool idx ${[n, c, h, w, k, s, p]}`);
    }
  });

  it('average pooling and its backward (count_include_pad both ways) match ts', () => {
    for (const [n, c, h, w, k, s, p] of cases as [number, number, number, number, number, number, number][]) {
      for (const countIncludePad of [true, false]) {
        const g: PoolGeometry = { n, c, h, w, kh: k, kw: k, strideH: s, strideW: s, padH: p, padW: p, oh: Math.floor((h + 2 * p - k) / s) + 1, ow: Math.floor((w + 2 * p - k) / s) + 1, countIncludePad };
        const x = rand(n * c * h * w, 7), m = n * c * g.oh * g.ow, dy = rand(m, 8);
        const y1 = new Float32Array(m), y2 = new Float32Array(m);
        nk.avgPool2d(x, y1, g);
        ts.avgPool2d(x, y2, g);
        assertClose(y1, y2, `avgPool ${[n, c, h, w, k, s, p, countIncludePad]}`, 1e-6, 1e-7);
        const d1 = new Float32Array(x.length), d2 = new Float32Array(x.length);
        nk.avgPool2dBackward(dy, d1, g);
        ts.avgPool2dBackward(dy, d2, g);
        assertClose(d1, d2, `avgPoolBackward ${[n, c, h, w, k, s, p, countIncludePad]}`, 1e-6, 1e-7);
      }
    }
  });
});

describe('native conv2d with a fused bias', { skip: skipNative }, () => {
  it('adds bias[o] at store time on every route (pixel-vector, channel-vector, stride 2, GEMM fallback)', () => {
    // n, c, h, o, k, stride, pad
    for (const [n, c, h, o, k, s, p] of [[2, 1, 9, 8, 3, 1, 1], [2, 8, 7, 24, 3, 1, 1], [2, 8, 9, 24, 3, 2, 1], [2, 4, 9, 6, 3, 3, 1], [1, 16, 5, 16, 3, 1, 1]] as number[][]) {
      const oh = outSize(h!, k!, s!, p!, 1);
      const g: ConvGeometry = { n: n!, c: c!, h: h!, w: h!, o: o!, kh: k!, kw: k!, oh, ow: oh, strideH: s!, strideW: s!, padH: p!, padW: p!, dilH: 1, dilW: 1, groups: 1 };
      const x = rand(n! * c! * h! * h!, 1), w = rand(o! * c! * k! * k!, 2), b = rand(o!, 3);
      const y1 = new Float32Array(n! * o! * oh * oh), y2 = new Float32Array(y1.length);
      const geom = Int32Array.of(g.n, g.c, g.h, g.w, g.o, g.kh, g.kw, g.oh, g.ow, g.strideH, g.strideW, g.padH, g.padW, 1, 1, 1);
      addon.conv2d(x, w, y1, geom, b);
      ts.conv2d(x, w, y2, g);
      for (let i = 0; i < y2.length; i++) y2[i] = y2[i]! + b[Math.floor(i / (oh * oh)) % o!]!;
      assertClose(y1, y2, `conv+bias ${[n, c, h, o, k, s, p]}`, 1e-5, 2e-6);
    }
  });
});

describe('native conv2d on random geometries', { skip: skipNative }, () => {
  before(forceNative);

  it('matches ts on 60 seeded random geometries (all three directions)', () => {
    let s = 12345;
    const r = (lo: number, hi: number): number => { s = (s * 1103515245 + 12345) >>> 0; return lo + (s >>> 8) % (hi - lo + 1); };
    for (let t = 0; t < 60; t++) {
      const groups = [1, 1, 1, 2, 4][r(0, 4)]!;
      const cg = r(1, 9), og = [1, 3, 8, 16, 17, 33][r(0, 5)]!;
      const kh = r(1, 4), kw = r(1, 4), sh = r(1, 3), dh = r(1, 2), dw = r(1, 2);
      const sw = r(0, 3) === 0 ? r(1, 3) : sh;
      const ph = r(0, kh), pw = r(0, kw);
      const h = r(1, 12) + dh * (kh - 1), w = r(1, 12) + dw * (kw - 1);
      const oh = outSize(h, kh, sh, ph, dh), ow = outSize(w, kw, sw, pw, dw);
      if (oh < 1 || ow < 1) continue;
      const g: ConvGeometry = { n: r(1, 3), c: cg * groups, h, w, o: og * groups, kh, kw, oh, ow, strideH: sh, strideW: sw, padH: ph, padW: pw, dilH: dh, dilW: dw, groups };
      const x = rand(g.n * g.c * h * w, t + 1), wt = rand(g.o * cg * kh * kw, t + 2), dy = rand(g.n * g.o * oh * ow, t + 3);
      const what = `random conv ${JSON.stringify(g)}`;
      const y1 = new Float32Array(dy.length), y2 = new Float32Array(dy.length);
      nk.conv2d(x, wt, y1, g);
      ts.conv2d(x, wt, y2, g);
      assertClose(y1, y2, `${what} fwd`, 1e-5, 2e-6);
      const dx1 = new Float32Array(x.length), dx2 = new Float32Array(x.length);
      nk.conv2dBackwardData(dy, wt, dx1, g);
      ts.conv2dBackwardData(dy, wt, dx2, g);
      assertClose(dx1, dx2, `${what} bwd-data`, 1e-5, 2e-6);
      const dw1 = new Float32Array(wt.length), dw2 = new Float32Array(wt.length);
      nk.conv2dBackwardFilter(x, dy, dw1, g);
      ts.conv2dBackwardFilter(x, dy, dw2, g);
      assertClose(dw1, dw2, `${what} bwd-filter`, 1e-5, 2e-6);
    }
  });
});
