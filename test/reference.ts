// Naive reference implementations (plain loops over indices) that the op table checks forward values against.
import type { Tensor } from '../src/index.js';

export interface Arr {
  data: Float64Array;
  shape: number[];
}

export function arr(t: Tensor): Arr {
  return { data: Float64Array.from(t.data), shape: t.shape.slice() };
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

function at(a: Arr, idx: readonly number[]): number {
  // idx is aligned to the right (broadcasting): extra leading dims ignored, size-1 dims read index 0
  const lead = idx.length - a.shape.length;
  let off = 0;
  const st = strides(a.shape);
  for (let d = 0; d < a.shape.length; d++) off += (a.shape[d] === 1 ? 0 : idx[d + lead]!) * st[d]!;
  return a.data[off]!;
}

export function bshape(...shapes: number[][]): number[] {
  const n = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: n }, (_, i) => Math.max(...shapes.map((s) => (i < n - s.length ? 1 : s[i - (n - s.length)]!))));
}

export function map(f: (...v: number[]) => number, ...xs: Arr[]): Arr {
  const shape = bshape(...xs.map((x) => x.shape));
  const n = shape.reduce((a, d) => a * d, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    data[i] = f(...xs.map((x) => at(x, idx)));
  }
  return { data, shape };
}

export function reduceAxes(a: Arr, axes: number[], keepdims: boolean, f: (acc: number, v: number) => number, init: number): Arr {
  const ax = axes.map((x) => (x < 0 ? x + a.shape.length : x));
  const keepShape = a.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const n = keepShape.reduce((p, d) => p * d, 1);
  const data = new Float64Array(n).fill(init);
  const ks = strides(keepShape);
  for (let i = 0; i < a.data.length; i++) {
    const idx = unravel(i, a.shape);
    let o = 0;
    for (let d = 0; d < idx.length; d++) o += (ax.includes(d) ? 0 : idx[d]!) * ks[d]!;
    data[o] = f(data[o]!, a.data[i]!);
  }
  return { data, shape: keepdims ? keepShape : a.shape.filter((_, i) => !ax.includes(i)) };
}

export function permuteRef(a: Arr, perm: number[]): Arr {
  const shape = perm.map((p) => a.shape[p]!);
  const n = a.data.length;
  const data = new Float64Array(n);
  const st = strides(a.shape);
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    let off = 0;
    perm.forEach((p, k) => (off += idx[k]! * st[p]!));
    data[i] = a.data[off]!;
  }
  return { data, shape };
}

export function matmulRef(a: Arr, b: Arr): Arr {
  const m = a.shape[a.shape.length - 2]!, k = a.shape[a.shape.length - 1]!, n = b.shape[b.shape.length - 1]!;
  const batch = bshape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const nb = batch.reduce((p, d) => p * d, 1);
  const data = new Float64Array(nb * m * n);
  for (let t = 0; t < nb; t++) {
    const bidx = unravel(t, batch);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += at(a, [...bidx, i, p]) * at(b, [...bidx, p, j]);
      data[t * m * n + i * n + j] = s;
    }
  }
  return { data, shape: [...batch, m, n] };
}

export interface ConvRefOpts { stride: [number, number]; padding: [number, number]; dilation: [number, number]; groups: number }

export function conv2dRef(x: Arr, w: Arr, o: ConvRefOpts): Arr {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, Cg, KH, KW] = w.shape as [number, number, number, number];
  const OH = Math.floor((H + 2 * o.padding[0] - o.dilation[0] * (KH - 1) - 1) / o.stride[0]) + 1;
  const OW = Math.floor((W + 2 * o.padding[1] - o.dilation[1] * (KW - 1) - 1) / o.stride[1]) + 1;
  const Og = O / o.groups;
  const data = new Float64Array(N * O * OH * OW);
  for (let n = 0; n < N; n++) for (let oc = 0; oc < O; oc++) {
    const g = Math.floor(oc / Og);
    for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
      let s = 0;
      for (let c = 0; c < Cg; c++) for (let i = 0; i < KH; i++) for (let j = 0; j < KW; j++) {
        const iy = oy * o.stride[0] - o.padding[0] + i * o.dilation[0];
        const ix = ox * o.stride[1] - o.padding[1] + j * o.dilation[1];
        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
        s += x.data[((n * C + g * Cg + c) * H + iy) * W + ix]! * w.data[((oc * Cg + c) * KH + i) * KW + j]!;
      }
      data[((n * O + oc) * OH + oy) * OW + ox] = s;
    }
  }
  return { data, shape: [N, O, OH, OW] };
}

export function poolRef(x: Arr, k: [number, number], s: [number, number], p: [number, number], kind: 'max' | 'avg', countIncludePad = true): Arr {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const OH = Math.floor((H + 2 * p[0] - k[0]) / s[0]) + 1, OW = Math.floor((W + 2 * p[1] - k[1]) / s[1]) + 1;
  const data = new Float64Array(N * C * OH * OW);
  for (let nc = 0; nc < N * C; nc++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
    let best = -Infinity, sum = 0, cnt = 0, padCnt = 0;
    for (let i = 0; i < k[0]; i++) for (let j = 0; j < k[1]; j++) {
      const iy = oy * s[0] - p[0] + i, ix = ox * s[1] - p[1] + j;
      if (iy < H + p[0] && ix < W + p[1]) padCnt++;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      const v = x.data[(nc * H + iy) * W + ix]!;
      best = Math.max(best, v);
      sum += v;
      cnt++;
    }
    data[(nc * OH + oy) * OW + ox] = kind === 'max' ? best : sum / (countIncludePad ? padCnt : cnt);
  }
  return { data, shape: [N, C, OH, OW] };
}
