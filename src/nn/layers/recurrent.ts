// Recurrent layers: LSTMCell, LSTM, GRUCell and GRU with torch.nn's parameter names, gate order and initialisation.
import { zeros } from '../../engine/create.js';
import { ArgumentError, ShapeError } from '../../core/errors.js';
import type { FloatDType } from '../../core/dtype.js';
import { fmt } from '../../core/shape.js';
import type { Rng } from '../../engine/rng.js';
import type { Tensor } from '../../engine/tensor.js';
import { add, mul, sigmoid, sub, tanh } from '../../engine/ops/elementwise.js';
import { linear } from '../../engine/ops/linalg.js';
import { dropout as dropoutFn } from '../../engine/ops/nn.js';
import { concat, select, sliceAxis, split, squeeze, stack, unsqueeze } from '../../engine/ops/shape.js';
import { uniform_ } from '../init.js';
import { Module } from '../module.js';

/**
 * One LSTM step from the input projection `xp` = x·W_ihᵀ + b_ih ([N, 4H]); gates in torch's order i, f, g, o:
 * c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c').
 */
function lstmStep(xp: Tensor, [h, c]: Tensor[], wHh: Tensor, bHh: Tensor | null): Tensor[] {
  const gates = add(xp, linear(h!, wHh, bHh));
  const [i, f, g, o] = split(gates, h!.shape[h!.ndim - 1]!, -1) as [Tensor, Tensor, Tensor, Tensor];
  const c2 = add(mul(sigmoid(f), c!), mul(sigmoid(i), tanh(g)));
  return [mul(sigmoid(o), tanh(c2)), c2];
}

/**
 * One GRU step from the input projection `xp` = x·W_ihᵀ + b_ih ([N, 3H]); gates in torch's order r, z, n:
 * r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r·(W_hn·h + b_hn)), h' = n + z·(h − n) = (1 − z)·n + z·h.
 */
function gruStep(xp: Tensor, [h]: Tensor[], wHh: Tensor, bHh: Tensor | null): Tensor[] {
  const hp = linear(h!, wHh, bHh);
  const size = h!.shape[h!.ndim - 1]!;
  const [xr, xz, xn] = split(xp, size, -1) as [Tensor, Tensor, Tensor];
  const [hr, hz, hn] = split(hp, size, -1) as [Tensor, Tensor, Tensor];
  const r = sigmoid(add(xr, hr));
  const z = sigmoid(add(xz, hz));
  const n = tanh(add(xn, mul(r, hn)));
  return [add(n, mul(z, sub(h!, n)))];
}

type Step = typeof lstmStep;

/**
 * The slices of `x` along `axis` (torch.unbind), cut by repeated halving. A slice's gradient is a zero-padded
 * copy the size of what it was cut from, so taking T steps straight from the whole sequence would cost T
 * full-size tensors in the backward pass (O(T²)); halving costs O(T log T).
 */
function unbind(x: Tensor, axis: number): Tensor[] {
  const out = new Array<Tensor>(x.shape[axis]!);
  const cut = (t: Tensor, offset: number): void => {
    const len = t.shape[axis]!;
    if (len <= 4) {
      for (let i = 0; i < len; i++) out[offset + i] = select(t, axis, i);
      return;
    }
    const half = len >> 1;
    cut(sliceAxis(t, axis, 0, half), offset);
    cut(sliceAxis(t, axis, half, len), offset + half);
  };
  cut(x, 0);
  return out;
}

function checkSize(op: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new ArgumentError(op, `${name} must be an integer ≥ ${min}, got ${v}`);
}

/** Options of LSTMCell and GRUCell. */
export interface RNNCellOptions {
  rng: Rng;
  /** add b_ih and b_hh (default true) */
  bias?: boolean;
  dtype?: FloatDType;
}

/** Weights of one recurrent cell, initialised U(−1/√hidden, 1/√hidden) like every torch RNN parameter. */
abstract class RNNCellBase<Args extends unknown[], Out> extends Module<Args, Out> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  constructor(op: string, inputSize: number, hiddenSize: number, gates: number, opts: RNNCellOptions) {
    super();
    checkSize(op, 'inputSize', inputSize, 1);
    checkSize(op, 'hiddenSize', hiddenSize, 1);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.bias = opts.bias ?? true;
    const dtype = opts.dtype ?? 'float32';
    this.registerParameter('weight_ih', zeros([gates * hiddenSize, inputSize], { dtype }));
    this.registerParameter('weight_hh', zeros([gates * hiddenSize, hiddenSize], { dtype }));
    this.registerParameter('bias_ih', this.bias ? zeros([gates * hiddenSize], { dtype }) : null);
    this.registerParameter('bias_hh', this.bias ? zeros([gates * hiddenSize], { dtype }) : null);
    const k = 1 / Math.sqrt(hiddenSize);
    for (const p of this.parameters()) uniform_(p, -k, k, opts.rng);
  }

  /** Input as [N, I] (an unbatched [I] gets a batch dim) and the states as [N, H], zeros when absent. */
  protected prepare(op: string, x: Tensor, states: (Tensor | undefined)[]): { x: Tensor; states: Tensor[]; unbatched: boolean } {
    if ((x.ndim !== 1 && x.ndim !== 2) || x.shape[x.ndim - 1] !== this.inputSize) {
      throw new ShapeError(op, `input must be [N, ${this.inputSize}] or [${this.inputSize}]`, [x.shape]);
    }
    const unbatched = x.ndim === 1;
    const xb = unbatched ? unsqueeze(x, 0) : x;
    const n = xb.shape[0]!;
    const out = states.map((s, i) => {
      if (!s) return zeros([n, this.hiddenSize], { dtype: x.dtype });
      const want = unbatched ? [this.hiddenSize] : [n, this.hiddenSize];
      if (s.ndim !== want.length || s.shape.some((d, j) => d !== want[j])) {
        throw new ShapeError(op, `state ${i} must be ${fmt(want)} for input ${fmt(x.shape)}`, [x.shape, s.shape]);
      }
      return unbatched ? unsqueeze(s, 0) : s;
    });
    return { x: xb, states: out, unbatched };
  }

  protected run(op: string, step: Step, x: Tensor, states: (Tensor | undefined)[]): Tensor[] {
    const p = this.prepare(op, x, states);
    const xp = linear(p.x, this.param('weight_ih'), this.optionalParam('bias_ih'));
    const next = step(xp, p.states, this.param('weight_hh'), this.optionalParam('bias_hh'));
    return p.unbatched ? next.map((s) => squeeze(s, 0)) : next;
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? '' : ', bias=False'}`;
  }
}

/**
 * One step of a long short-term memory cell (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al.
 * 2000), as torch.nn.LSTMCell: weight_ih [4H, I], weight_hh [4H, H], bias_ih, bias_hh [4H], gates i, f, g, o.
 * `forward(x [N, I] or [I], [h, c]?)` returns `[h', c']` (zeros when no state is given).
 *
 * @example
 * const cell = new LSTMCell(3, 8, { rng: new Rng(0) });
 * let [h, c] = cell.call(x0);
 * [h, c] = cell.call(x1, [h, c]);
 */
export class LSTMCell extends RNNCellBase<[Tensor, [Tensor, Tensor]?], [Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, opts: RNNCellOptions) {
    super('LSTMCell', inputSize, hiddenSize, 4, opts);
  }
  forward(x: Tensor, hx?: [Tensor, Tensor]): [Tensor, Tensor] {
    const [h, c] = this.run('LSTMCell', lstmStep, x, hx ? [hx[0], hx[1]] : [undefined, undefined]);
    return [h!, c!];
  }
}

/**
 * One step of a gated recurrent unit (Cho et al. 2014), as torch.nn.GRUCell: weight_ih [3H, I], weight_hh [3H, H],
 * gates r, z, n with n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn)) and h' = (1 − z)·n + z·h.
 * `forward(x [N, I] or [I], h?)` returns h'.
 *
 * @example
 * const cell = new GRUCell(3, 8, { rng: new Rng(0) });
 * const h1 = cell.call(x0), h2 = cell.call(x1, h1);
 */
export class GRUCell extends RNNCellBase<[Tensor, Tensor?], Tensor> {
  constructor(inputSize: number, hiddenSize: number, opts: RNNCellOptions) {
    super('GRUCell', inputSize, hiddenSize, 3, opts);
  }
  forward(x: Tensor, h?: Tensor): Tensor {
    return this.run('GRUCell', gruStep, x, [h])[0]!;
  }
}

/** Options of LSTM and GRU (torch.nn.LSTM's keyword arguments). */
export interface RNNOptions extends RNNCellOptions {
  /** stacked layers (default 1) */
  numLayers?: number;
  /** input and output as [N, T, features] instead of [T, N, features] (default false, as in PyTorch) */
  batchFirst?: boolean;
  /** dropout probability on the outputs of every layer but the last, in training mode (default 0) */
  dropout?: number;
  /** a second pass from the end of the sequence, outputs concatenated (default false) */
  bidirectional?: boolean;
}

/**
 * A stack of recurrent layers, torch.nn.RNNBase's layout: per layer l and direction, weight_ih_l{l}[_reverse]
 * [G·H, I or D·H], weight_hh_l{l}[_reverse] [G·H, H], bias_ih_l{l}[_reverse] and bias_hh_l{l}[_reverse] [G·H].
 * The input projection of a whole sequence is one matrix product; the recurrence runs step by step.
 */
abstract class RNNBase<Args extends unknown[], Out> extends Module<Args, Out> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  private readonly dropoutRng: Rng | null;

  constructor(private readonly op: string, inputSize: number, hiddenSize: number, gates: number, opts: RNNOptions) {
    super();
    checkSize(op, 'inputSize', inputSize, 1);
    checkSize(op, 'hiddenSize', hiddenSize, 1);
    checkSize(op, 'numLayers', opts.numLayers ?? 1, 1);
    const p = opts.dropout ?? 0;
    if (!(p >= 0 && p <= 1)) throw new ArgumentError(op, `dropout must be in [0, 1], got ${p}`);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = opts.numLayers ?? 1;
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = p;
    this.bidirectional = opts.bidirectional ?? false;
    const dtype = opts.dtype ?? 'float32';
    const dirs = this.bidirectional ? 2 : 1;
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < dirs; d++) {
        const sfx = RNNBase.suffix(l, d);
        const inp = l === 0 ? inputSize : hiddenSize * dirs;
        this.registerParameter(`weight_ih${sfx}`, zeros([gates * hiddenSize, inp], { dtype }));
        this.registerParameter(`weight_hh${sfx}`, zeros([gates * hiddenSize, hiddenSize], { dtype }));
        if (this.bias) {
          this.registerParameter(`bias_ih${sfx}`, zeros([gates * hiddenSize], { dtype }));
          this.registerParameter(`bias_hh${sfx}`, zeros([gates * hiddenSize], { dtype }));
        }
      }
    }
    const k = 1 / Math.sqrt(hiddenSize);
    for (const w of this.parameters()) uniform_(w, -k, k, opts.rng);
    this.dropoutRng = p > 0 && this.numLayers > 1 ? opts.rng.split() : null;
  }

  private static suffix(layer: number, dir: number): string {
    return `_l${layer}${dir ? '_reverse' : ''}`;
  }

  /** Layers × directions: the leading dim of h0 and hN. */
  get numStates(): number {
    return this.numLayers * (this.bidirectional ? 2 : 1);
  }

  /**
   * Check shapes, add a batch dim to unbatched input ([T, I] with states [L·D, H]), run the stack and
   * return the output and the final states ([L·D, N, H] each).
   */
  protected runAll(x: Tensor, states: (Tensor | undefined)[], step: Step): [Tensor, Tensor[]] {
    const op = this.op;
    if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[x.ndim - 1] !== this.inputSize) {
      const layout = this.batchFirst ? 'N, T' : 'T, N';
      throw new ShapeError(op, `input must be [${layout}, ${this.inputSize}] or unbatched [T, ${this.inputSize}]`, [x.shape]);
    }
    const unbatched = x.ndim === 2;
    const bAxis = this.batchFirst ? 0 : 1, tAxis = 1 - bAxis;
    const xb = unbatched ? unsqueeze(x, bAxis) : x;
    const n = xb.shape[bAxis]!, steps = xb.shape[tAxis]!;
    if (steps === 0) throw new ShapeError(op, 'the sequence is empty', [x.shape]);
    const full = [this.numStates, n, this.hiddenSize];
    const init = states.map((s, i) => {
      if (!s) return zeros(full, { dtype: x.dtype });
      const want = unbatched ? [this.numStates, this.hiddenSize] : full;
      if (s.ndim !== want.length || s.shape.some((d, j) => d !== want[j])) {
        throw new ShapeError(op, `initial state ${i} must be ${fmt(want)} for input ${fmt(x.shape)}`, [x.shape, s.shape]);
      }
      return unbatched ? unsqueeze(s, 1) : s;
    });
    const dirs = this.bidirectional ? 2 : 1;
    const finals: Tensor[][] = states.map(() => []);
    let layerInput = xb;
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < dirs; d++) {
        const sfx = RNNBase.suffix(l, d);
        const xp = linear(layerInput, this.param(`weight_ih${sfx}`), this.optionalParam(`bias_ih${sfx}`));
        const wHh = this.param(`weight_hh${sfx}`), bHh = this.optionalParam(`bias_hh${sfx}`);
        const xs = unbind(xp, tAxis);
        let state = init.map((s) => select(s, 0, l * dirs + d));
        const hs = new Array<Tensor>(steps);
        for (let s = 0; s < steps; s++) {
          const t = d ? steps - 1 - s : s;
          state = step(xs[t]!, state, wHh, bHh);
          hs[t] = state[0]!;
        }
        outs.push(stack(hs, tAxis));
        state.forEach((s, j) => finals[j]!.push(s));
      }
      layerInput = outs.length === 1 ? outs[0]! : concat(outs, -1);
      if (this.dropoutRng && this.training && l < this.numLayers - 1) layerInput = dropoutFn(layerInput, this.dropout, this.dropoutRng, true);
    }
    const finalStates = finals.map((f) => stack(f, 0));
    if (!unbatched) return [layerInput, finalStates];
    return [squeeze(layerInput, bAxis), finalStates.map((s) => squeeze(s, 1))];
  }

  override extraRepr(): string {
    const extra: string[] = [];
    if (this.numLayers !== 1) extra.push(`num_layers=${this.numLayers}`);
    if (!this.bias) extra.push('bias=False');
    if (this.batchFirst) extra.push('batch_first=True');
    if (this.dropout) extra.push(`dropout=${this.dropout}`);
    if (this.bidirectional) extra.push('bidirectional=True');
    return [`${this.inputSize}, ${this.hiddenSize}`, ...extra].join(', ');
  }
}

/**
 * Multi-layer long short-term memory (Hochreiter & Schmidhuber 1997; forget gate: Gers et al. 2000), as
 * torch.nn.LSTM: same parameter names (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, …, `_reverse` for
 * the backward direction), gate order i, f, g, o, init U(−1/√H, 1/√H), batch_first false by default.
 * `forward(x, [h0, c0]?)` takes x [T, N, I] ([N, T, I] with batchFirst, or unbatched [T, I]) and states
 * [L·D, N, H], and returns `[output [T, N, D·H], [hN, cN]]`.
 *
 * @example
 * const lstm = new LSTM(3, 16, { rng: new Rng(0), numLayers: 2, batchFirst: true });
 * const [out, [hN, cN]] = lstm.call(x);           // x [N, T, 3] → out [N, T, 16], hN [2, N, 16]
 */
export class LSTM extends RNNBase<[Tensor, [Tensor, Tensor]?], [Tensor, [Tensor, Tensor]]> {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions) {
    super('LSTM', inputSize, hiddenSize, 4, opts);
  }
  forward(x: Tensor, hx?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    const [out, [h, c]] = this.runAll(x, hx ? [hx[0], hx[1]] : [undefined, undefined], lstmStep);
    return [out, [h!, c!]];
  }
}

/**
 * Multi-layer gated recurrent unit (Cho et al. 2014), as torch.nn.GRU: parameter names weight_ih_l0, …, gate
 * order r, z, n with n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn)), init U(−1/√H, 1/√H).
 * `forward(x, h0?)` takes x [T, N, I] ([N, T, I] with batchFirst, or unbatched [T, I]) and h0 [L·D, N, H],
 * and returns `[output [T, N, D·H], hN]`.
 *
 * @example
 * const gru = new GRU(3, 16, { rng: new Rng(0) });
 * const [out, hN] = gru.call(x);                   // x [T, N, 3] → out [T, N, 16], hN [1, N, 16]
 */
export class GRU extends RNNBase<[Tensor, Tensor?], [Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions) {
    super('GRU', inputSize, hiddenSize, 3, opts);
  }
  forward(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const [out, [h]] = this.runAll(x, [h0], gruStep);
    return [out, h!];
  }
}
