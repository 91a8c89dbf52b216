// Sequence layers: first- and second-order finite-difference checks, hand-computed cases, causality, shapes and names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  causalMask, concat, Conv1d, Embedding, functionalCall, grad, GRU, GRUCell, LayerNorm, LSTM, LSTMCell,
  MultiheadAttention, randn, reshape, Rng, stack, tensor, withBackend, zeros, type Module, type Tensor,
} from '../src/index.js';
import { assertClose, availableBackends, gradcheck, gradgradcheck } from './helpers.js';

/** A float64 leaf with the same values (a parameter turned into an input of the checked function). */
function leaf(p: Tensor): Tensor {
  return tensor(Float64Array.from(p.data), { shape: p.shape.slice(), dtype: 'float64', requiresGrad: true });
}

function rand64(shape: number[], rng: Rng, scale = 1): Tensor {
  const t = randn(shape, rng, { dtype: 'float64', std: scale });
  t.requiresGrad = true;
  return t;
}

/**
 * Finite-difference checks of a module as a function of its inputs and all its parameters (swapped in with
 * functionalCall): first order always, second order (gradient–vector products) when `second`. `run` calls the
 * module on the inputs through `call` and returns the output tensors to check.
 */
function checkModule<A extends unknown[], O>(
  name: string, m: Module<A, O>, inputs: Tensor[], run: (call: (...args: A) => O, xs: Tensor[]) => Tensor[], second = true,
): void {
  const named = m.namedParameters();
  const params = named.map(([, p]) => leaf(p));
  const fn = (...xs: Tensor[]): Tensor => {
    const map = new Map(named.map(([n], k) => [n, xs[inputs.length + k]!] as [string, Tensor]));
    const o = run((...args: A) => functionalCall(m, map, args), xs.slice(0, inputs.length));
    return concat(o.map((t) => reshape(t, [-1])));
  };
  gradcheck(fn, [...inputs, ...params], { name });
  if (second) gradgradcheck(fn, [...inputs, ...params], { name });
}

const sig = (v: number): number => 1 / (1 + Math.exp(-v));

describe('LSTM and GRU', () => {
  it('LSTMCell and GRUCell: first- and second-order finite differences in input, state and parameters', () => {
    const rng = new Rng(1);
    const lc = new LSTMCell(2, 3, { rng, dtype: 'float64' });
    checkModule('LSTMCell', lc, [rand64([2, 2], rng), rand64([2, 3], rng), rand64([2, 3], rng)], (f, [x, h, c]) => f(x!, [h!, c!]));
    const gc = new GRUCell(2, 3, { rng, dtype: 'float64' });
    checkModule('GRUCell', gc, [rand64([2, 2], rng), rand64([2, 3], rng)], (f, [x, h]) => [f(x!, h!)]);
  });

  it('LSTM (time-first, with state) and GRU (batch-first, no bias): first and second order', () => {
    const rng = new Rng(2);
    const lstm = new LSTM(2, 2, { rng, dtype: 'float64' });
    checkModule('LSTM', lstm, [rand64([3, 2, 2], rng), rand64([1, 2, 2], rng), rand64([1, 2, 2], rng)],
      (f, [x, h, c]) => { const [o, [hN, cN]] = f(x!, [h!, c!]); return [o, hN, cN]; });
    const gru = new GRU(2, 2, { rng, dtype: 'float64', batchFirst: true, bias: false });
    checkModule('GRU', gru, [rand64([2, 3, 2], rng)], (f, [x]) => { const [o, h] = f(x!); return [o, h]; });
  });

  it('2-layer bidirectional LSTM and GRU: first order in input, state and every parameter', () => {
    const rng = new Rng(3);
    const lstm = new LSTM(2, 2, { rng, dtype: 'float64', numLayers: 2, bidirectional: true, batchFirst: true });
    checkModule('LSTM 2-layer bidirectional', lstm, [rand64([2, 3, 2], rng), rand64([4, 2, 2], rng), rand64([4, 2, 2], rng)],
      (f, [x, h, c]) => { const [o, [hN, cN]] = f(x!, [h!, c!]); return [o, hN, cN]; }, false);
    const gru = new GRU(2, 2, { rng, dtype: 'float64', numLayers: 2, bidirectional: true });
    checkModule('GRU 2-layer bidirectional', gru, [rand64([3, 1, 2], rng), rand64([4, 1, 2], rng)], (f, [x, h]) => { const [o, hN] = f(x!, h!); return [o, hN]; }, false);
  });

  it('LSTMCell by hand: i, f, g, o in that order, c′ = σ(f)c + σ(i)tanh(g), h′ = σ(o)tanh(c′)', () => {
    const cell = new LSTMCell(1, 1, { rng: new Rng(0), dtype: 'float64' });
    const wi = [0.5, -0.3, 0.8, 0.1], wh = [-0.2, 0.4, 0.6, -0.7], bi = [0.1, 0.2, -0.1, 0.3], bh = [0.05, -0.15, 0.25, 0.0];
    const t64 = (v: number[], shape: number[]): Tensor => tensor(v, { shape, dtype: 'float64' });
    cell.loadStateDict({ weight_ih: t64(wi, [4, 1]), weight_hh: t64(wh, [4, 1]), bias_ih: t64(bi, [4]), bias_hh: t64(bh, [4]) });
    const x = 0.7, h = -0.4, c = 0.9;
    const pre = (k: number): number => wi[k]! * x + bi[k]! + wh[k]! * h + bh[k]!;
    const c1 = sig(pre(1)) * c + sig(pre(0)) * Math.tanh(pre(2));
    const h1 = sig(pre(3)) * Math.tanh(c1);
    const [hh, cc] = cell.call(t64([x], [1, 1]), [t64([h], [1, 1]), t64([c], [1, 1])]);
    assertClose(cc, [[c1]], { atol: 1e-15, rtol: 0 });
    assertClose(hh, [[h1]], { atol: 1e-15, rtol: 0 });
  });

  it('GRUCell by hand: r, z, n in that order, n = tanh(W_in x + b_in + r(W_hn h + b_hn)), h′ = (1 − z)n + zh', () => {
    const cell = new GRUCell(1, 1, { rng: new Rng(0), dtype: 'float64' });
    const wi = [0.5, -0.3, 0.8], wh = [-0.2, 0.4, 0.6], bi = [0.1, 0.2, -0.1], bh = [0.05, -0.15, 0.9];
    const t64 = (v: number[], shape: number[]): Tensor => tensor(v, { shape, dtype: 'float64' });
    cell.loadStateDict({ weight_ih: t64(wi, [3, 1]), weight_hh: t64(wh, [3, 1]), bias_ih: t64(bi, [3]), bias_hh: t64(bh, [3]) });
    const x = 0.7, h = -0.4;
    const r = sig(wi[0]! * x + bi[0]! + wh[0]! * h + bh[0]!);
    const z = sig(wi[1]! * x + bi[1]! + wh[1]! * h + bh[1]!);
    const n = Math.tanh(wi[2]! * x + bi[2]! + r * (wh[2]! * h + bh[2]!));
    const expected = (1 - z) * n + z * h;
    // the other placement of the reset gate (outside b_hn, as in Cho et al.'s paper) gives a different value
    const nAlt = Math.tanh(wi[2]! * x + bi[2]! + r * wh[2]! * h + bh[2]!);
    assert.ok(Math.abs((1 - z) * nAlt + z * h - expected) > 1e-2);
    assertClose(cell.call(t64([x], [1, 1]), t64([h], [1, 1])), [[expected]], { atol: 1e-15, rtol: 0 });
  });

  it('an LSTM layer is its cell unrolled; batchFirst is the transpose; unbatched is a batch of one', () => {
    const rng = new Rng(4);
    const lstm = new LSTM(3, 4, { rng, dtype: 'float64' });
    const cell = new LSTMCell(3, 4, { rng, dtype: 'float64' });
    const sd = lstm.stateDict();
    cell.loadStateDict({ weight_ih: sd['weight_ih_l0']!, weight_hh: sd['weight_hh_l0']!, bias_ih: sd['bias_ih_l0']!, bias_hh: sd['bias_hh_l0']! });
    const x = randn([5, 2, 3], rng, { dtype: 'float64' });
    const h0 = randn([1, 2, 4], rng, { dtype: 'float64' }), c0 = randn([1, 2, 4], rng, { dtype: 'float64' });
    const [out, [hN, cN]] = lstm.call(x, [h0, c0]);
    let h = h0.select(0, 0), c = c0.select(0, 0);
    const hs: Tensor[] = [];
    for (let t = 0; t < 5; t++) {
      [h, c] = cell.call(x.select(0, t), [h, c]);
      hs.push(h);
    }
    assertClose(out, stack(hs, 0), { atol: 1e-14 });
    assertClose(hN, h.unsqueeze(0), { atol: 1e-14 });
    assertClose(cN, c.unsqueeze(0), { atol: 1e-14 });

    const bf = new LSTM(3, 4, { rng, dtype: 'float64', batchFirst: true });
    bf.loadStateDict(sd);
    const [outBf, [hBf]] = bf.call(x.transpose(0, 1), [h0, c0]);
    assertClose(outBf, out.transpose(0, 1), { atol: 1e-15 });
    assertClose(hBf, hN, { atol: 1e-15 });

    const [out1, [h1, c1]] = lstm.call(x.select(1, 0), [h0.select(1, 0), c0.select(1, 0)]);
    assert.deepEqual(out1.shape, [5, 4]);
    assert.deepEqual(h1.shape, [1, 4]);
    assertClose(out1, out.select(1, 0), { atol: 1e-15 });
    assertClose(c1, cN.select(1, 0), { atol: 1e-15 });
  });

  it('a GRU layer is its cell unrolled; zero initial state by default', () => {
    const rng = new Rng(5);
    const gru = new GRU(3, 4, { rng, dtype: 'float64' });
    const cell = new GRUCell(3, 4, { rng, dtype: 'float64' });
    const sd = gru.stateDict();
    cell.loadStateDict({ weight_ih: sd['weight_ih_l0']!, weight_hh: sd['weight_hh_l0']!, bias_ih: sd['bias_ih_l0']!, bias_hh: sd['bias_hh_l0']! });
    const x = randn([4, 2, 3], rng, { dtype: 'float64' });
    const [out, hN] = gru.call(x);
    let h = zeros([2, 4], { dtype: 'float64' });
    const hs: Tensor[] = [];
    for (let t = 0; t < 4; t++) hs.push((h = cell.call(x.select(0, t), h)));
    assertClose(out, stack(hs, 0), { atol: 1e-14 });
    assertClose(hN, h.unsqueeze(0), { atol: 1e-14 });
    assertClose(cell.call(x.select(0, 0)), cell.call(x.select(0, 0), zeros([2, 4], { dtype: 'float64' })), { atol: 0, rtol: 0 });
  });

  it('bidirectional: hN holds the forward state at the last step and the backward state at the first; layer 2 reads both', () => {
    const rng = new Rng(6);
    const lstm = new LSTM(3, 4, { rng, dtype: 'float64', bidirectional: true, numLayers: 2 });
    const x = randn([5, 2, 3], rng, { dtype: 'float64' });
    const [out, [hN, cN]] = lstm.call(x);
    assert.deepEqual(out.shape, [5, 2, 8]);
    assert.deepEqual(hN.shape, [4, 2, 4]);
    assert.deepEqual(cN.shape, [4, 2, 4]);
    assertClose(hN.select(0, 2), out.select(0, 4).slice(1, 0, 4), { atol: 0, rtol: 0 }); // layer 1 forward
    assertClose(hN.select(0, 3), out.select(0, 0).slice(1, 4, 8), { atol: 0, rtol: 0 }); // layer 1 backward
    assert.deepEqual(lstm.parameters().map((p) => p.shape), [
      [16, 3], [16, 4], [16], [16], [16, 3], [16, 4], [16], [16],
      [16, 8], [16, 4], [16], [16], [16, 8], [16, 4], [16], [16],
    ]);
    // the backward direction at step 0 has seen the whole sequence: perturbing the last input changes it
    const xs = x.detach();
    xs.requiresGrad = true;
    const [o2] = lstm.call(xs);
    const [g] = grad(o2.select(0, 0).slice(1, 4, 8).sum(), [xs]);
    assert.ok(Math.abs(g!.select(0, 4).sum().item()) > 0);
  });

  it('PyTorch parameter names, registration order and U(−1/√H, 1/√H) initialisation', () => {
    const lstm = new LSTM(3, 5, { rng: new Rng(7), numLayers: 2, bidirectional: true });
    assert.deepEqual(lstm.namedParameters().map(([n]) => n), [
      'weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0',
      'weight_ih_l0_reverse', 'weight_hh_l0_reverse', 'bias_ih_l0_reverse', 'bias_hh_l0_reverse',
      'weight_ih_l1', 'weight_hh_l1', 'bias_ih_l1', 'bias_hh_l1',
      'weight_ih_l1_reverse', 'weight_hh_l1_reverse', 'bias_ih_l1_reverse', 'bias_hh_l1_reverse',
    ]);
    const bound = 1 / Math.sqrt(5);
    for (const p of lstm.parameters()) {
      assert.equal(p.dtype, 'float32');
      const d = Array.from(p.data);
      assert.ok(d.every((v) => Math.abs(v) <= bound), 'within the bound');
      assert.ok(Math.max(...d.map(Math.abs)) > 0.5 * bound, 'spread over it');
    }
    assert.deepEqual(new GRU(3, 5, { rng: new Rng(7), bias: false }).namedParameters().map(([n]) => n), ['weight_ih_l0', 'weight_hh_l0']);
    assert.deepEqual(Object.keys(new GRUCell(3, 5, { rng: new Rng(7), bias: false }).stateDict()), ['weight_ih', 'weight_hh']);
    assert.deepEqual(Object.keys(new LSTMCell(3, 5, { rng: new Rng(7) }).stateDict()), ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']);
    assert.equal(new GRU(3, 5, { rng: new Rng(7), dtype: 'float64' }).dtype, 'float64');
    assert.equal(new LSTM(3, 5, { rng: new Rng(1), numLayers: 2, batchFirst: true }).toString(), 'LSTM(3, 5, num_layers=2, batch_first=True)');
  });

  it('dropout between layers only in training mode, from its own stream; clone keeps outputs', () => {
    const rng = new Rng(8);
    const lstm = new LSTM(3, 4, { rng, numLayers: 2, dropout: 0.5 });
    const x = randn([4, 2, 3], rng);
    lstm.eval();
    const [e1] = lstm.call(x), [e2] = lstm.call(x);
    assertClose(e1, e2, { atol: 0, rtol: 0 });
    lstm.train();
    const [t1] = lstm.call(x);
    assert.ok(Math.max(...Array.from(t1.sub(e1).abs().data)) > 1e-3);
    const copy = lstm.clone().eval();
    assertClose(copy.call(x)[0], e1, { atol: 0, rtol: 0 });
  });

  it('shape errors name the expected layout', () => {
    const lstm = new LSTM(3, 4, { rng: new Rng(0), batchFirst: true });
    assert.throws(() => lstm.call(zeros([2, 5, 2])), /\[N, T, 3\]/);
    assert.throws(() => lstm.call(zeros([2, 5, 3]), [zeros([1, 3, 4]), zeros([1, 2, 4])]), /initial state 0 must be \[1,2,4\]/);
    assert.throws(() => new GRUCell(3, 4, { rng: new Rng(0) }).call(zeros([2, 3]), zeros([3, 4])), /state 0 must be \[2,4\]/);
    assert.throws(() => new LSTM(3, 0, { rng: new Rng(0) }), /hiddenSize/);
  });
});

describe('MultiheadAttention', () => {
  it('self-attention (batch-first, key padding) and cross-attention (kdim/vdim, per-head mask): first and second order', () => {
    const rng = new Rng(10);
    const self = new MultiheadAttention(4, 2, { rng, dtype: 'float64', batchFirst: true });
    const pad = tensor([[0, 0, 0], [0, 0, 1]], { dtype: 'bool' });
    checkModule('MHA self', self, [rand64([2, 3, 4], rng)], (f, [x]) => { const [o, w] = f(x!, x!, x!, { keyPaddingMask: pad, isCausal: true }); return [o, w!]; });
    const cross = new MultiheadAttention(4, 2, { rng, dtype: 'float64', kdim: 3, vdim: 2 });
    const mask = randn([2 * 2, 2, 3], rng, { dtype: 'float64' });
    checkModule('MHA cross', cross, [rand64([2, 2, 4], rng), rand64([3, 2, 3], rng), rand64([3, 2, 2], rng)],
      (f, [q, k, v]) => { const [o, w] = f(q!, k!, v!, { attnMask: mask, averageAttnWeights: false }); return [o, w!]; });
  });

  it('causalMask(n) is generate_square_subsequent_mask: 0 on and below the diagonal, −∞ above', () => {
    const m = causalMask(3);
    assert.equal(m.dtype, 'float32');
    assert.deepEqual(m.toArray(), [[0, -Infinity, -Infinity], [0, 0, -Infinity], [0, 0, 0]]);
    assert.equal(causalMask(2, { dtype: 'float64' }).dtype, 'float64');
  });

  it('causal attention: output t does not depend on inputs after t (zero gradient) and does on inputs up to t', () => {
    const rng = new Rng(11);
    const mha = new MultiheadAttention(8, 2, { rng, dtype: 'float64' });
    const x = rand64([5, 2, 8], rng);
    for (const opts of [{ isCausal: true }, { attnMask: causalMask(5) }, { attnMask: causalMask(5).gt(-1).logicalNot() }]) {
      const [y, w] = mha.call(x, x, x, opts);
      for (let t = 0; t < 5; t++) {
        const [g] = grad(y.select(0, t).sum(), [x], { retainGraph: true });
        for (let s = 0; s < 5; s++) {
          const mag = Math.max(...Array.from(g!.select(0, s).abs().data));
          if (s > t) assert.equal(mag, 0, `output ${t} must not see input ${s}`);
          else assert.ok(mag > 1e-6, `output ${t} sees input ${s}`);
        }
        for (let s = t + 1; s < 5; s++) assert.equal(w!.select(1, t).select(1, s).abs().sum().item(), 0);
      }
    }
    // the three spellings give the same result
    const [a] = mha.call(x, x, x, { isCausal: true }), [b] = mha.call(x, x, x, { attnMask: causalMask(5, { dtype: 'float64' }) });
    assertClose(a, b, { atol: 0, rtol: 0 });
  });

  it('key padding: padded keys get zero weight and zero gradient; rows sum to 1; averaged weights are the head mean', () => {
    const rng = new Rng(12);
    const mha = new MultiheadAttention(6, 3, { rng, dtype: 'float64', batchFirst: true });
    const q = rand64([2, 3, 6], rng), kv = rand64([2, 4, 6], rng);
    const pad = tensor([[0, 0, 0, 0], [0, 1, 0, 1]], { dtype: 'bool' });
    const [y, w] = mha.call(q, kv, kv, { keyPaddingMask: pad });
    assert.deepEqual(w!.shape, [2, 3, 4]);
    for (const s of [1, 3]) assert.equal(w!.select(0, 1).select(1, s).abs().sum().item(), 0);
    assertClose(w!.sum(-1), [[1, 1, 1], [1, 1, 1]], { atol: 1e-14 });
    const [g] = grad(y.sum(), [kv]);
    for (const s of [1, 3]) assert.equal(g!.select(0, 1).select(0, s).abs().sum().item(), 0);
    assert.ok(g!.select(0, 0).select(0, 1).abs().sum().item() > 0);
    const [, perHead] = mha.call(q, kv, kv, { keyPaddingMask: pad, averageAttnWeights: false });
    assert.deepEqual(perHead!.shape, [2, 3, 3, 4]);
    assertClose(perHead!.mean(1), w!, { atol: 1e-15 });
    // a float padding mask (−∞ / 0) is the same as the boolean one
    const fpad = tensor([[0, 0, 0, 0], [0, -Infinity, 0, -Infinity]], { dtype: 'float64' });
    assertClose(mha.call(q, kv, kv, { keyPaddingMask: fpad })[0], y, { atol: 0, rtol: 0 });
    assert.equal(mha.call(q, kv, kv, { needWeights: false })[1], null);
  });

  it('single head by hand: softmax(q·kᵀ/√d)·v through the projections', () => {
    const rng = new Rng(13);
    const mha = new MultiheadAttention(2, 1, { rng, dtype: 'float64' });
    const x = randn([3, 1, 2], rng, { dtype: 'float64' });
    const [y, w] = mha.call(x, x, x);
    const sd = mha.stateDict();
    const W = sd['in_proj_weight']!, b = sd['in_proj_bias']!, Wo = sd['out_proj.weight']!, bo = sd['out_proj.bias']!;
    const proj = (k: number, v: number[]): number[] => [0, 1].map((r) => W.data[(2 * k + r) * 2]! * v[0]! + W.data[(2 * k + r) * 2 + 1]! * v[1]! + b.data[2 * k + r]!);
    const xs = [0, 1, 2].map((t) => [x.data[2 * t]!, x.data[2 * t + 1]!]);
    const qs = xs.map((v) => proj(0, v)), ks = xs.map((v) => proj(1, v)), vs = xs.map((v) => proj(2, v));
    for (let i = 0; i < 3; i++) {
      const sc = ks.map((k) => (qs[i]![0]! * k[0]! + qs[i]![1]! * k[1]!) / Math.SQRT2);
      const mx = Math.max(...sc), ex = sc.map((s) => Math.exp(s - mx)), tot = ex.reduce((a, v) => a + v, 0);
      const p = ex.map((e) => e / tot);
      const ctx = [0, 1].map((c) => p.reduce((a, pj, j) => a + pj * vs[j]![c]!, 0));
      const out = [0, 1].map((r) => Wo.data[2 * r]! * ctx[0]! + Wo.data[2 * r + 1]! * ctx[1]! + bo.data[r]!);
      assertClose(y.select(0, i).select(0, 0), out, { atol: 1e-14, rtol: 0 });
      assertClose(w!.select(0, 0).select(0, i), p, { atol: 1e-15, rtol: 0 });
    }
  });

  it('unbatched input is a batch of one; names, init and shape errors', () => {
    const rng = new Rng(14);
    const mha = new MultiheadAttention(4, 2, { rng, dtype: 'float64' });
    const q = randn([3, 4], rng, { dtype: 'float64' }), kv = randn([5, 4], rng, { dtype: 'float64' });
    const pad = tensor([0, 0, 1, 0, 0], { dtype: 'bool' });
    const [y, w] = mha.call(q, kv, kv, { keyPaddingMask: pad });
    const [yb, wb] = mha.call(q.unsqueeze(1), kv.unsqueeze(1), kv.unsqueeze(1), { keyPaddingMask: pad.unsqueeze(0) });
    assert.deepEqual(y.shape, [3, 4]);
    assert.deepEqual(w!.shape, [3, 5]);
    assertClose(y, yb.select(1, 0), { atol: 1e-15 });
    assertClose(w!, wb!.select(0, 0), { atol: 1e-15 });
    assert.deepEqual(Object.keys(mha.stateDict()), ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
    assert.ok(Array.from(mha.stateDict()['in_proj_bias']!.data).every((v) => v === 0));
    assert.ok(Array.from(mha.stateDict()['out_proj.bias']!.data).every((v) => v === 0));
    const bound = Math.sqrt(6 / (4 + 12)); // xavier on [3E, E]
    assert.ok(Array.from(mha.stateDict()['in_proj_weight']!.data).every((v) => Math.abs(v) <= bound));
    assert.deepEqual(Object.keys(new MultiheadAttention(4, 2, { rng, bias: false, kdim: 3 }).stateDict()), ['q_proj_weight', 'k_proj_weight', 'v_proj_weight', 'out_proj.weight']);
    assert.throws(() => new MultiheadAttention(5, 2, { rng }), /divisible/);
    assert.throws(() => mha.call(q, kv, kv, { attnMask: zeros([3, 4]) }), /attnMask must be \[3,5\]/);
    assert.throws(() => mha.call(q, kv, kv, { keyPaddingMask: zeros([4], { dtype: 'bool' }) }), /keyPaddingMask must be \[5\]/);
  });
});

/** Direct 1-d cross-correlation with explicit (left, right) zero padding, stride, dilation and groups. */
function conv1dRef(x: Tensor, w: Tensor, b: Tensor | null, o: { stride: number; left: number; right: number; dilation: number; groups: number }): number[][][] {
  const [n, c, len] = x.shape as [number, number, number];
  const [oc, cg, k] = w.shape as [number, number, number];
  const outLen = Math.floor((len + o.left + o.right - o.dilation * (k - 1) - 1) / o.stride) + 1;
  const out: number[][][] = [];
  for (let i = 0; i < n; i++) {
    out.push([]);
    for (let f = 0; f < oc; f++) {
      const g = Math.floor(f / (oc / o.groups));
      const row: number[] = [];
      for (let t = 0; t < outLen; t++) {
        let s = b ? b.data[f]! : 0;
        for (let ci = 0; ci < cg; ci++) {
          for (let j = 0; j < k; j++) {
            const pos = t * o.stride + j * o.dilation - o.left;
            if (pos >= 0 && pos < len) s += w.data[(f * cg + ci) * k + j]! * x.data[(i * c + g * cg + ci) * len + pos]!;
          }
        }
        row.push(s);
      }
      out[i]!.push(row);
    }
  }
  return out;
}

describe('Conv1d', () => {
  it('matches a direct loop: stride, padding, dilation, groups, same (odd and even extents), valid, causal', () => {
    const rng = new Rng(20);
    const cases: [number, number, number, ConstructorParameters<typeof Conv1d>[3], [number, number]][] = [
      [4, 6, 3, { rng, stride: 2, padding: 1 }, [1, 1]],
      [4, 6, 3, { rng, dilation: 2, groups: 2 }, [0, 0]],
      [2, 3, 4, { rng, padding: 'same' }, [1, 2]],
      [2, 3, 4, { rng, padding: 'same', dilation: 3 }, [4, 5]],
      [2, 3, 3, { rng, padding: 'same', dilation: 2 }, [2, 2]],
      [2, 3, 3, { rng, padding: 'valid', bias: false }, [0, 0]],
      [2, 4, 2, { rng, causal: true, dilation: 4 }, [4, 0]],
      [2, 4, 3, { rng, causal: true, stride: 2, groups: 2 }, [2, 0]],
    ];
    for (const [cin, cout, k, opts, [left, right]] of cases) {
      const conv = new Conv1d(cin, cout, k, { ...opts, dtype: 'float64' });
      assert.deepEqual(conv.paddingLR, [left, right]);
      const x = randn([2, cin, 9], rng, { dtype: 'float64' });
      const want = conv1dRef(x, conv.weight, conv.bias, { stride: conv.stride, dilation: conv.dilation, groups: conv.groups, left, right });
      const y = conv.call(x);
      assertClose(y, want, { atol: 1e-14, msg: JSON.stringify({ cin, cout, k, ...opts, rng: undefined }) });
      if (opts.padding === 'same' || (opts.causal && !opts.stride)) assert.equal(y.shape[2], 9);
      assertClose(conv.call(x.select(0, 1)), y.select(0, 1), { atol: 0, rtol: 0 });
      // float32 on every backend (the native conv kernels included)
      const c32 = conv.clone().to('float32');
      for (const backend of availableBackends()) {
        assertClose(withBackend(backend, () => c32.call(x.float())), want, { atol: 1e-5, rtol: 1e-5, msg: `float32 on ${backend}` });
      }
    }
  });

  it('first- and second-order finite differences in input, weight and bias (dilated causal, strided grouped)', () => {
    const rng = new Rng(21);
    const causal = new Conv1d(2, 3, 2, { rng, dtype: 'float64', dilation: 2, causal: true });
    checkModule('Conv1d causal', causal, [rand64([2, 2, 5], rng)], (f, [x]) => [f(x!)]);
    const grouped = new Conv1d(4, 2, 3, { rng, dtype: 'float64', stride: 2, padding: 'valid', groups: 2 });
    checkModule('Conv1d grouped', grouped, [rand64([1, 4, 7], rng)], (f, [x]) => [f(x!)]);
    const same = new Conv1d(2, 2, 4, { rng, dtype: 'float64', padding: 'same' });
    checkModule('Conv1d same (asymmetric)', same, [rand64([1, 2, 5], rng)], (f, [x]) => [f(x!)]);
  });

  it('causal: output t has zero gradient with respect to inputs after t; a dilated stack sees exactly its receptive field', () => {
    const rng = new Rng(22);
    const layers = [1, 2, 4].map((d) => new Conv1d(2, 2, 2, { rng, dtype: 'float64', dilation: d, causal: true }));
    const x = rand64([1, 2, 12], rng);
    let h = x;
    for (const l of layers) h = l.call(h);
    assert.deepEqual(h.shape, [1, 2, 12]);
    const t = 9;
    const [g] = grad(h.select(2, t).sum(), [x]);
    for (let s = 0; s < 12; s++) {
      const mag = g!.select(2, s).abs().sum().item();
      // receptive field 1 + (1 + 2 + 4) = 8 steps: t − 7 … t
      if (s > t || s < t - 7) assert.equal(mag, 0, `step ${s}`);
      else assert.ok(mag > 0, `step ${s}`);
    }
  });

  it('names, default init bounds and argument errors', () => {
    const conv = new Conv1d(4, 6, 3, { rng: new Rng(0), groups: 2 });
    assert.deepEqual(conv.namedParameters().map(([n, p]) => [n, p.shape]), [['weight', [6, 2, 3]], ['bias', [6]]]);
    const bound = 1 / Math.sqrt(2 * 3);
    assert.ok(Array.from(conv.weight.data).every((v) => Math.abs(v) <= bound));
    assert.ok(Array.from(conv.bias!.data).every((v) => Math.abs(v) <= bound));
    assert.throws(() => new Conv1d(2, 2, 3, { rng: new Rng(0), padding: 'same', stride: 2 }), /stride 1/);
    assert.throws(() => new Conv1d(2, 2, 3, { rng: new Rng(0), causal: true, padding: 1 }), /causal/);
    assert.throws(() => new Conv1d(3, 2, 3, { rng: new Rng(0), groups: 2 }), /divisible/);
    assert.throws(() => conv.call(zeros([1, 4, 2])), /too short/);
    assert.throws(() => conv.call(zeros([1, 3, 8])), /\[N, 4, L\]/);
  });
});

describe('LayerNorm and Embedding', () => {
  it('LayerNorm: first- and second-order finite differences in input, weight and bias (1 and 2 normalised dims)', () => {
    const rng = new Rng(30);
    for (const shape of [[4], [2, 3]]) {
      const ln = new LayerNorm(shape, { dtype: 'float64' });
      const p = ln.namedParameters();
      // non-trivial affine parameters
      ln.loadStateDict(Object.fromEntries(p.map(([n, t]) => [n, randn(t.shape, rng, { dtype: 'float64' })])));
      checkModule(`LayerNorm ${shape}`, ln, [rand64([3, ...shape], rng)], (f, [x]) => [f(x!)]);
    }
  });

  it('Embedding: first- and second-order finite differences in the weight, repeated indices accumulate', () => {
    const rng = new Rng(31);
    const emb = new Embedding(5, 3, { rng, dtype: 'float64' });
    const idx = tensor([[0, 2, 2], [4, 0, 1]], { dtype: 'int32' });
    checkModule('Embedding', emb, [], (f) => { const y = f(idx); return [y.mul(y)]; });
    const [g] = grad(emb.call(idx).sum(), [emb.weight]);
    assertClose(g!.sum(1), [6, 3, 6, 0, 3]);
  });
});
