// Golden parity with PyTorch for the sequence layers (seq_*.safetensors from scripts/golden.py): LSTM, GRU, cells, attention.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import {
  grad, GRU, GRUCell, loadSafetensors, LSTM, LSTMCell, MultiheadAttention, Rng, tensor, withBackend,
  type AnyModule, type Tensor,
} from '../src/index.js';
import { availableBackends, repoPath } from './helpers.js';

type Cfg = Record<string, number | boolean | undefined>;
type Dt = 'float32' | 'float64';
type Case = {
  file: string;
  name: string;
  build: (cfg: Cfg, dtype: Dt) => AnyModule;
  run: (m: AnyModule, x: Record<string, Tensor>) => Record<string, Tensor>;
};

function fixture(name: string): { t: Record<string, Tensor>; meta: Record<string, Cfg> } {
  const f = loadSafetensors(repoPath('test', 'fixtures', `${name}.safetensors`));
  const meta: Record<string, Cfg> = {};
  for (const [k, v] of Object.entries(f.metadata)) meta[k] = JSON.parse(v) as Cfg;
  return { t: f.tensors, meta };
}

function part(t: Record<string, Tensor>, prefix: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(t)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/** Float fixtures as fresh leaves of `dtype`; bool/int masks unchanged. */
function leaf(x: Tensor, dtype: Dt, requiresGrad: boolean): Tensor {
  if (x.dtype !== 'float32' && x.dtype !== 'float64') return x;
  const data = dtype === 'float64' ? Float64Array.from(x.data) : Float32Array.from(x.data);
  return tensor(data, { shape: x.shape.slice(), dtype, requiresGrad });
}

/** max |a − e| over all elements, and max |e| (for relative errors). */
function errors(a: Tensor, e: Tensor): [number, number] {
  assert.deepEqual(a.shape, e.shape);
  let err = 0, mag = 0;
  for (let i = 0; i < e.data.length; i++) {
    err = Math.max(err, Math.abs(a.data[i]! - e.data[i]!));
    mag = Math.max(mag, Math.abs(e.data[i]!));
  }
  return [err, mag];
}

const rng = (): Rng => new Rng(0);
const lstmRun = (m: AnyModule, i: Record<string, Tensor>): Record<string, Tensor> => {
  const [output, [hN, cN]] = (m as LSTM).call(i['x']!, i['h0'] ? [i['h0'], i['c0']!] : undefined);
  return { output, hN, cN };
};
const gruRun = (m: AnyModule, i: Record<string, Tensor>): Record<string, Tensor> => {
  const [output, hN] = (m as GRU).call(i['x']!, i['h0']);
  return { output, hN };
};
const rnnOpts = (c: Cfg, dtype: Dt) => ({
  rng: rng(), dtype, numLayers: c['numLayers'] as number | undefined, batchFirst: c['batchFirst'] as boolean | undefined,
  bidirectional: c['bidirectional'] as boolean | undefined, bias: c['bias'] as boolean | undefined,
});

const CASES: Case[] = [
  { file: 'seq_lstm', name: 'lstm', build: (c, d) => new LSTM(c['inputSize'] as number, c['hiddenSize'] as number, rnnOpts(c, d)), run: lstmRun },
  { file: 'seq_lstm', name: 'lstm_nobias', build: (c, d) => new LSTM(c['inputSize'] as number, c['hiddenSize'] as number, rnnOpts(c, d)), run: lstmRun },
  {
    file: 'seq_lstm', name: 'cell', build: (c, d) => new LSTMCell(c['inputSize'] as number, c['hiddenSize'] as number, { rng: rng(), dtype: d }),
    run: (m, i) => { const [h1, c1] = (m as LSTMCell).call(i['x']!, [i['h']!, i['c']!]); return { h1, c1 }; },
  },
  { file: 'seq_gru', name: 'gru', build: (c, d) => new GRU(c['inputSize'] as number, c['hiddenSize'] as number, rnnOpts(c, d)), run: gruRun },
  { file: 'seq_gru', name: 'gru_bi', build: (c, d) => new GRU(c['inputSize'] as number, c['hiddenSize'] as number, rnnOpts(c, d)), run: gruRun },
  {
    file: 'seq_gru', name: 'cell', build: (c, d) => new GRUCell(c['inputSize'] as number, c['hiddenSize'] as number, { rng: rng(), dtype: d }),
    run: (m, i) => ({ h1: (m as GRUCell).call(i['x']!, i['h']!) }),
  },
  {
    file: 'seq_mha', name: 'self',
    build: (c, d) => new MultiheadAttention(c['embedDim'] as number, c['numHeads'] as number, { rng: rng(), dtype: d, batchFirst: c['batchFirst'] as boolean }),
    run: (m, i) => {
      // the same tensor as query, key and value: the packed self-attention path
      const [output, weights] = (m as MultiheadAttention).call(i['x']!, i['x']!, i['x']!, { keyPaddingMask: i['key_padding_mask']!, attnMask: i['attn_mask']! });
      return { output, weights: weights! };
    },
  },
  {
    file: 'seq_mha', name: 'cross',
    build: (c, d) => new MultiheadAttention(c['embedDim'] as number, c['numHeads'] as number, { rng: rng(), dtype: d, kdim: c['kdim'] as number, vdim: c['vdim'] as number }),
    run: (m, i) => {
      const [output, weights] = (m as MultiheadAttention).call(i['q']!, i['k']!, i['v']!, { attnMask: i['attn_mask']!, averageAttnWeights: false });
      return { output, weights: weights! };
    },
  },
];

/**
 * Load the torch state dict (strict names), run the case, compare every output and the gradients of the
 * fixture's loss Σ output·r with respect to every float input and parameter. Returns the worst absolute
 * error of values and of gradients, and the worst error relative to each tensor's largest magnitude.
 */
function check(c: Case, dtype: Dt): { value: number; grad: number; rel: number } {
  const { t, meta } = fixture(c.file);
  const cfg = meta[c.name];
  assert.ok(cfg, `${c.file} has case ${c.name}`);
  const m = c.build(cfg, dtype);
  const weights = part(t, `${c.name}.weights.`);
  // exact PyTorch names: strict loading fails on any missing or unexpected key
  m.loadStateDict(weights, { strict: true, castDTypes: dtype !== 'float64' });
  const inputs: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(part(t, `${c.name}.in.`))) inputs[k] = leaf(v, dtype, true);
  const outs = c.run(m, inputs);
  const expOut = part(t, `${c.name}.out.`), r = part(t, `${c.name}.r.`);
  assert.deepEqual(Object.keys(outs).sort(), Object.keys(expOut).sort(), 'outputs');
  let value = 0, gradErr = 0, rel = 0;
  let loss: Tensor | null = null;
  for (const [k, o] of Object.entries(outs)) {
    const [err, mag] = errors(o, expOut[k]!);
    value = Math.max(value, err);
    rel = Math.max(rel, err / Math.max(mag, 1e-12));
    const term = o.mul(leaf(r[k]!, dtype, false)).sum();
    loss = loss ? loss.add(term) : term;
  }
  const diff: [string, Tensor][] = [
    ...Object.entries(inputs).filter(([, v]) => v.requiresGrad),
    ...m.namedParameters(),
  ];
  const expGrad = part(t, `${c.name}.grad.`);
  assert.deepEqual(diff.map(([k]) => k).sort(), Object.keys(expGrad).sort(), 'a PyTorch gradient for every input and parameter');
  const gs = grad(loss!, diff.map(([, v]) => v));
  diff.forEach(([k], i) => {
    const [err, mag] = errors(gs[i]!, expGrad[k]!);
    gradErr = Math.max(gradErr, err);
    rel = Math.max(rel, err / Math.max(mag, 1e-12));
  });
  return { value, grad: gradErr, rel };
}

for (const backend of availableBackends()) describe(`PyTorch golden parity, sequence layers (${backend} backend)`, () => {
  for (const c of CASES) {
    it(`${c.file} ${c.name}: float64 values and gradients to 1e-10, strict state-dict names`, (ctx: TestContext) => {
      const e = withBackend(backend, () => check(c, 'float64'));
      ctx.diagnostic(`float64 max abs error: values ${e.value.toExponential(2)}, gradients ${e.grad.toExponential(2)}`);
      assert.ok(e.value < 1e-10 && e.grad < 1e-10, `${c.name}: value error ${e.value}, gradient error ${e.grad}`);
    });
    it(`${c.file} ${c.name}: float32 (weights cast on load) within 1e-5 relative`, (ctx: TestContext) => {
      const e = withBackend(backend, () => check(c, 'float32'));
      ctx.diagnostic(`float32 max relative error ${e.rel.toExponential(2)}`);
      assert.ok(e.rel < 1e-5, `${c.name}: relative error ${e.rel}`);
    });
  }

  it('the fixtures are what the checks think: PyTorch names with _reverse, separate q/k/v weights', () => {
    const { t } = fixture('seq_lstm');
    assert.deepEqual(Object.keys(part(t, 'lstm.weights.')).sort(), new LSTM(2, 3, { rng: rng(), numLayers: 2, bidirectional: true }).namedParameters().map(([n]) => n).sort());
    assert.ok('lstm.weights.weight_hh_l1_reverse' in t);
    const mha = fixture('seq_mha').t;
    assert.deepEqual(Object.keys(part(mha, 'cross.weights.')).sort(), ['in_proj_bias', 'k_proj_weight', 'out_proj.bias', 'out_proj.weight', 'q_proj_weight', 'v_proj_weight']);
    assert.deepEqual(Object.keys(part(mha, 'self.weights.')).sort(), ['in_proj_bias', 'in_proj_weight', 'out_proj.bias', 'out_proj.weight']);
  });
});
