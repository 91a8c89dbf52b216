// The fine-tuning loop: a copy of a pre-trained model adapted to a target task under a Strategy.
import { ArgumentError } from '../core/errors.js';
import { enableGrad, grad, noGrad } from '../engine/autograd.js';
import { tensor } from '../engine/create.js';
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { add, div, mul, sub } from '../engine/ops/elementwise.js';
import { crossEntropy } from '../engine/ops/nn.js';
import { sum, variance, mean } from '../engine/ops/reduce.js';
import { concat, indexSelect, reshape } from '../engine/ops/shape.js';
import { withBatchNormPolicy } from '../nn/batchnorm-policy.js';
import { Dropout } from '../nn/layers/activation.js';
import { Linear } from '../nn/layers/linear.js';
import type { AnyModule } from '../nn/module.js';
import { Adam } from '../optim/adam.js';
import { applyLoRA } from './lora.js';
import { batchNormParamNames, blockPaths, inModules, type Strategy } from './strategies.js';

export interface LabeledData {
  x: Tensor;
  y: Tensor;
}

export interface FineTuneOptions {
  /** the pre-trained model (left unchanged: a clone is fine-tuned); must list blocks(), the last being the head */
  model: AnyModule;
  strategy: Strategy;
  train: LabeledData;
  /** classes of the target task; a new linear head is made when it differs from the source head (or newHead) */
  numClasses: number;
  newHead?: boolean;
  rng: Rng;
  epochs?: number;
  lr?: number;
  batchSize?: number;
  weightDecay?: number;
  /** BatchNorm during fine-tuning: 'eval' (running statistics, frozen: the surgical FT protocol) or 'train' */
  batchNorm?: 'eval' | 'train';
  /** called after every epoch with the fine-tuned model so far */
  onEpoch?: (epoch: number, model: AnyModule, info: { loss: number; stage: string }) => void;
}

export interface FineTuneResult {
  model: AnyModule;
  /** mean training loss per epoch (both stages for LP-FT) */
  losses: number[];
  /** per-tensor learning rates of the last epoch (Auto-RGN, layer-wise decay) */
  lrs: Map<string, number>;
}

/** The head block's module path and the Linear in it. */
function headOf(model: AnyModule): { path: string; layer: Linear } {
  const blocks = blockPaths(model);
  const last = blocks[blocks.length - 1]!;
  const path = last.modules[last.modules.length - 1]!;
  const layer = model.getSubmodule(path);
  if (!(layer instanceof Linear)) throw new ArgumentError('fineTune', `the head "${path}" is a ${layer.constructor.name}, not a Linear`);
  return { path, layer };
}

/**
 * RGN_i = ‖∂L/∂θ_i‖₂ / ‖θ_i‖₂ averaged over `batches`, normalised by the largest: Auto-RGN's per-tensor weights
 * (Lee et al. 2023, "Surgical Fine-Tuning Improves Adaptation to Distribution Shifts", ICLR 2023).
 */
export function autoRgnWeights(model: AnyModule, names: string[], batches: LabeledData[], forward: (x: Tensor) => Tensor): Map<string, number> {
  const params = names.map((n) => model.getParameter(n));
  const rgn = new Array<number>(names.length).fill(0);
  for (const b of batches) {
    const gs = enableGrad(() => grad(crossEntropy(forward(b.x), b.y), params, { allowUnused: true }));
    noGrad(() => gs.forEach((g, i) => {
      const p = params[i]!;
      const gn = g ? Math.sqrt(sum(mul(g, g)).item()) : 0, pn = Math.sqrt(sum(mul(p, p)).item());
      rgn[i]! += (pn > 0 ? gn / pn : 0) / batches.length;
    }));
  }
  const top = Math.max(...rgn, 0);
  return new Map(names.map((n, i) => [n, top > 0 ? rgn[i]! / top : 0]));
}

/**
 * Gradient signal-to-noise per tensor over the examples of a batch: mean over elements of E[g]² / (Var[g] + 1e-8),
 * with E and Var over per-example gradients (Auto-SNR, Lee et al. 2023).
 */
export function gradientSnr(model: AnyModule, names: string[], batch: LabeledData, forward: (x: Tensor) => Tensor): Map<string, number> {
  const params = names.map((n) => model.getParameter(n));
  const n = batch.x.shape[0]!;
  const rows: Tensor[][] = names.map(() => []);
  for (let i = 0; i < n; i++) {
    const idx = tensor(Int32Array.of(i), { shape: [1] });
    const gs = enableGrad(() => grad(crossEntropy(forward(indexSelect(batch.x, 0, idx)), indexSelect(batch.y, 0, idx)), params, { allowUnused: true }));
    noGrad(() => gs.forEach((g, k) => rows[k]!.push(reshape(g ?? mul(params[k]!, 0), [1, params[k]!.numel()]))));
  }
  return new Map(names.map((name, k) => noGrad(() => {
    const g = concat(rows[k]!, 0); // [examples, numel]
    const m = mean(g, 0), v = variance(g, 0, { correction: 0 });
    return [name, mean(div(mul(m, m), add(v, 1e-8))).item()] as [string, number];
  })));
}

/**
 * Fine-tune a copy of a pre-trained model on target data under a strategy: Adam (lr 1e-3, weight decay 1e-4),
 * batch 64, BatchNorm in eval mode by default (the surgical fine-tuning protocol). Parameters a strategy leaves
 * frozen never change, bit for bit. LP-FT runs `epochs` of linear probing, then `epochs` of full fine-tuning
 * starting from the probed head (Kumar et al., "Fine-Tuning can Distort Pretrained Features and Underperform
 * Out-of-Distribution", ICLR 2022).
 * @example const { model } = fineTune({ model: pretrained, strategy: parseStrategy('surgical:block1'), train, numClasses: 10, rng });
 */
export function fineTune(o: FineTuneOptions): FineTuneResult {
  const epochs = o.epochs ?? 10, baseLr = o.lr ?? 1e-3, batchSize = o.batchSize ?? 64, wd = o.weightDecay ?? 1e-4;
  const net = o.model.clone();
  const head = headOf(net);
  const replaceHead = o.newHead ?? head.layer.outFeatures !== o.numClasses;
  if (replaceHead) net.setSubmodule(head.path, new Linear(head.layer.inFeatures, o.numClasses, { rng: o.rng.fork('head'), dtype: net.dtype }));
  const s = o.strategy;
  if (s.kind === 'lora') {
    const targets = net.namedModules().filter(([n, m]) => n && n !== head.path && /^(Linear|Conv2d)$/.test(m.constructor.name)).map(([n]) => n);
    applyLoRA(net, targets, { rank: s.rank, rng: o.rng.fork('lora') });
    for (const p of net.getSubmodule(head.path).parameters()) p.requiresGrad = true;
  }
  const blocks = blockPaths(net);
  const headBlock = blocks[blocks.length - 1]!;
  const names = net.namedParameters().map(([n]) => n);
  const bn = batchNormParamNames(net);
  const isHead = (n: string): boolean => inModules(n, headBlock.modules);
  const blockIndex = (n: string): number => blocks.findIndex((b) => inModules(n, b.modules));
  // L2-SP's anchor: the pre-trained values of the shared tensors (no copy for other strategies)
  const theta0 = s.kind === 'l2-sp' ? new Map(net.namedParameters().filter(([n]) => !isHead(n)).map(([n, p]) => [n, p.detach().clone()])) : new Map<string, Tensor>();

  /** which parameters train in a given stage/epoch (the requires-grad switch) */
  const trainable = (n: string, stage: 'lp' | 'ft', epoch: number): boolean => {
    if (s.kind === 'lora') return n.endsWith('lora_A') || n.endsWith('lora_B') || isHead(n);
    if (stage === 'lp') return isHead(n);
    const newHeadParam = replaceHead && isHead(n);
    switch (s.kind) {
      case 'full': case 'lp-ft': case 'l2-sp': case 'layerwise-lr': return true;
      case 'linear-probe': return isHead(n);
      case 'auto-rgn': case 'auto-snr': return !bn.has(n);
      case 'surgical': return newHeadParam || s.blocks.some((b) => inModules(n, blocks.find((x) => x.name === b)!.modules));
      case 'bn-only': return newHeadParam || bn.has(n);
      case 'bias-only': return newHeadParam || n.endsWith('bias');
      case 'gradual-unfreeze': {
        const k = blockIndex(n), open = Math.min(blocks.length, epoch + 1);
        return s.direction === 'backward' ? k >= blocks.length - open : k < open;
      }
    }
  };

  // one group per tensor, so per-tensor rates (Auto-RGN, layer-wise decay) are plain group lrs
  const opt = new Adam(names.map((n) => ({ params: [[n, net.getParameter(n)] as [string, Tensor]], lr: baseLr, weightDecay: s.kind === 'l2-sp' && !isHead(n) ? 0 : wd })), { lr: baseLr });
  const lrs = new Map<string, number>();
  const setLr = (n: string, lr: number): void => {
    const g = opt.paramGroups.find((grp) => grp.names[0] === n)!;
    g.hyper.lr = lr;
    lrs.set(n, lr);
  };
  const policy = (o.batchNorm ?? 'eval') === 'eval' ? 'running' : 'update';
  const forward = (x: Tensor): Tensor => withBatchNormPolicy(policy, () => net.call(x) as Tensor);
  const n = o.train.x.shape[0]!;
  const batches = (rng: Rng): (LabeledData & { idx: Tensor })[] => {
    const order = rng.permutation(n);
    const out: (LabeledData & { idx: Tensor })[] = [];
    for (let i = 0; i < n; i += batchSize) {
      const idx = tensor(Int32Array.from(order.slice(i, i + batchSize)), { shape: [Math.min(batchSize, n - i)] });
      out.push({ x: indexSelect(o.train.x, 0, idx), y: indexSelect(o.train.y, 0, idx), idx });
    }
    return out;
  };
  // A frozen trunk with eval-mode BatchNorm and no dropout computes the same features every epoch: when only the
  // head trains (linear probing, LP-FT's first stage), the features are computed once and the head trains on them.
  const headLayer = net.getSubmodule(head.path);
  const deterministicTrunk = policy === 'running' && typeof (net as { features?: unknown }).features === 'function'
    && !net.namedModules().some(([, m]) => m instanceof Dropout);
  let cachedFeatures: Tensor | null = null;
  const trunkFeatures = (): Tensor => {
    cachedFeatures ??= noGrad(() => withBatchNormPolicy('running', () => {
      const parts: Tensor[] = [];
      for (let i = 0; i < n; i += 256) {
        const idx = tensor(Int32Array.from({ length: Math.min(256, n - i) }, (_, k) => i + k), { shape: [Math.min(256, n - i)] });
        parts.push((net as unknown as { features(x: Tensor): Tensor }).features(indexSelect(o.train.x, 0, idx)));
      }
      return concat(parts, 0);
    }));
    return cachedFeatures;
  };
  const losses: number[] = [];
  const stages: ('lp' | 'ft')[] = s.kind === 'lp-ft' ? ['lp', 'ft'] : ['ft'];
  let epochCounter = 0;
  for (const stage of stages) {
    for (let e = 0; e < epochs; e++) {
      const rng = o.rng.fork(`epoch/${epochCounter}`);
      for (const name of names) net.getParameter(name).requiresGrad = trainable(name, stage, e);
      const epochBatches = batches(rng);
      if (stage === 'ft' && s.kind === 'auto-rgn') {
        const active = names.filter((x) => !bn.has(x));
        for (const [name, w] of autoRgnWeights(net, active, epochBatches.slice(0, 5), forward)) setLr(name, w * baseLr);
      } else if (stage === 'ft' && s.kind === 'auto-snr') {
        const snr = gradientSnr(net, names.filter((x) => !bn.has(x)), epochBatches[0]!, forward);
        for (const [name, v] of snr) net.getParameter(name).requiresGrad = v >= s.threshold || (replaceHead && isHead(name));
      } else if (s.kind === 'layerwise-lr') {
        for (const name of names) setLr(name, baseLr * s.decay ** (blocks.length - 1 - Math.max(0, blockIndex(name))));
      }
      const headOnly = deterministicTrunk && s.kind !== 'l2-sp' && names.every((x) => isHead(x) || !net.getParameter(x).requiresGrad);
      let total = 0;
      for (const b of epochBatches) {
        opt.zeroGrad();
        const loss = enableGrad(() => {
          let l = crossEntropy(headOnly ? (headLayer.call(indexSelect(trunkFeatures(), 0, b.idx)) as Tensor) : forward(b.x), b.y);
          if (s.kind === 'l2-sp' && stage === 'ft') {
            for (const [name, p0] of theta0) {
              if (!net.getParameter(name).requiresGrad) continue;
              const d = sub(net.getParameter(name), p0);
              l = add(l, mul(sum(mul(d, d)), s.lambda / 2));
            }
          }
          return l;
        });
        loss.backward();
        opt.step();
        total += loss.item() * b.y.numel();
      }
      losses.push(total / n);
      o.onEpoch?.(epochCounter, net, { loss: total / n, stage: stage === 'lp' ? 'linear-probe' : 'fine-tune' });
      epochCounter++;
    }
  }
  for (const name of names) net.getParameter(name).requiresGrad = true;
  return { model: net, losses, lrs };
}

/** Accuracy of a model's arg-max prediction (eval mode, running BatchNorm statistics), in batches. */
export function accuracyOf(model: AnyModule, data: LabeledData, batchSize = 256): number {
  return noGrad(() => withBatchNormPolicy('running', () => {
    let hit = 0;
    const n = data.x.shape[0]!;
    for (let i = 0; i < n; i += batchSize) {
      const idx = tensor(Int32Array.from({ length: Math.min(batchSize, n - i) }, (_, k) => i + k), { shape: [Math.min(batchSize, n - i)] });
      const pred = (model.call(indexSelect(data.x, 0, idx)) as Tensor).argmax(-1);
      const y = indexSelect(data.y, 0, idx);
      for (let k = 0; k < y.data.length; k++) if (pred.data[k] === y.data[k]) hit++;
    }
    return n ? hit / n : 0;
  }));
}
