// Black-box few-shot classifiers (MANN / SNAIL style): a sequence model reads the support (x, y) pairs, then a query.
import { noGrad } from '../engine/autograd.js';
import { tensor, zeros } from '../engine/create.js';
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { add, cast, div, mul, sigmoid, tanh } from '../engine/ops/elementwise.js';
import { matmul } from '../engine/ops/linalg.js';
import { crossEntropy } from '../engine/ops/nn.js';
import { softmax } from '../engine/ops/reduce.js';
import { concat, expand, oneHot, permute, reshape, sliceAxis, unsqueeze } from '../engine/ops/shape.js';
import { withBatchNormPolicy } from '../nn/batchnorm-policy.js';
import { causalMask } from '../nn/layers/attention.js';
import { Sequential } from '../nn/layers/container.js';
import { Conv1d } from '../nn/layers/conv1d.js';
import { Linear } from '../nn/layers/linear.js';
import { LSTM } from '../nn/layers/recurrent.js';
import { Module, type AnyModule } from '../nn/module.js';
import type { LabeledSet, MetaLearner, MetaStepContext, MetaStepMetrics, Predictor, Task } from './learner.js';
import { backwardOverTasks } from './losses.js';

/** SNAIL's causal attention block: read = softmax(QKᵀ/√dk + causal) V, output [x; read] (Mishra et al. 2018). */
export class CausalAttentionBlock extends Module {
  constructor(readonly inChannels: number, readonly keySize: number, readonly valueSize: number, opts: { rng: Rng }) {
    super();
    this.registerModule('query', new Linear(inChannels, keySize, opts));
    this.registerModule('key', new Linear(inChannels, keySize, opts));
    this.registerModule('value', new Linear(inChannels, valueSize, opts));
  }
  get outChannels(): number { return this.inChannels + this.valueSize; }
  /** x [N, T, C] → [N, T, C + valueSize] */
  forward(x: Tensor): Tensor {
    const t = x.shape[1]!;
    const q = this.child('query').call(x), k = this.child('key').call(x), v = this.child('value').call(x);
    const logits = add(div(matmul(q, permute(k, [0, 2, 1])), Math.sqrt(this.keySize)), cast(causalMask(t), x.dtype));
    return concat([x, matmul(softmax(logits, -1), v)], 2);
  }
}

/** SNAIL's dense block: causal conv (kernel 2, dilation d) as tanh ⊙ sigmoid gates, concatenated to the input. */
export class DenseBlock extends Module {
  constructor(readonly inChannels: number, readonly dilation: number, readonly filters: number, opts: { rng: Rng }) {
    super();
    this.registerModule('convf', new Conv1d(inChannels, filters, 2, { ...opts, dilation, causal: true }));
    this.registerModule('convg', new Conv1d(inChannels, filters, 2, { ...opts, dilation, causal: true }));
  }
  get outChannels(): number { return this.inChannels + this.filters; }
  /** x [N, T, C] → [N, T, C + filters] */
  forward(x: Tensor): Tensor {
    const xc = permute(x, [0, 2, 1]);
    const act = mul(tanh(this.child('convf').call(xc)), sigmoid(this.child('convg').call(xc)));
    return concat([x, permute(act, [0, 2, 1])], 2);
  }
}

/** SNAIL's temporal-convolution block: dense blocks with dilations 1, 2, 4, … up to the sequence length. */
export class TCBlock extends Sequential {
  readonly outChannels: number;
  constructor(inChannels: number, seqLength: number, filters: number, opts: { rng: Rng }) {
    super();
    let c = inChannels;
    const n = Math.max(1, Math.ceil(Math.log2(seqLength)));
    for (let i = 0; i < n; i++) {
      const b = new DenseBlock(c, 2 ** i, filters, opts);
      this.append(b);
      c = b.outChannels;
    }
    this.outChannels = c;
  }
}

export interface BlackBoxOptions {
  /** embeds one example: images → [n, d] (Conv4 with numClasses: 0), or vectors as they are */
  encoder: AnyModule;
  /** width of the encoder's output */
  featureDim: number;
  ways: number;
  shots: number;
  rng: Rng;
  /** 'attention': SNAIL's stack (attention and temporal-convolution blocks); 'lstm': an LSTM controller (MANN-style) */
  core?: 'attention' | 'lstm';
  /**
   * 'sameStep' (SNAIL): support steps carry their own label, the query step a zero label;
   * 'oneStepLate' (MANN, Santoro et al. 2016): step t carries the label of step t − 1, so the model must remember it.
   */
  labels?: 'sameStep' | 'oneStepLate';
  hidden?: number;
}

/** The sequence network: encoder, then core over [z_t; label_t], then a linear read-out per step. */
class BlackBoxNet extends Module<[Tensor, Tensor, Tensor], Tensor> {
  constructor(private readonly o: Required<Omit<BlackBoxOptions, 'encoder'>> & { encoder: AnyModule }) {
    super();
    this.registerModule('encoder', o.encoder);
    const t = o.ways * o.shots + 1, d = o.featureDim + o.ways;
    if (o.core === 'lstm') {
      this.registerModule('core', new LSTM(d, o.hidden, { rng: o.rng, batchFirst: true }));
      this.registerModule('readout', new Linear(o.hidden, o.ways, { rng: o.rng }));
    } else {
      const a1 = new CausalAttentionBlock(d, 64, 32, { rng: o.rng });
      const tc1 = new TCBlock(a1.outChannels, t, 128, { rng: o.rng });
      const a2 = new CausalAttentionBlock(tc1.outChannels, 256, 128, { rng: o.rng });
      const tc2 = new TCBlock(a2.outChannels, t, 128, { rng: o.rng });
      const a3 = new CausalAttentionBlock(tc2.outChannels, 512, 256, { rng: o.rng });
      const core = new Sequential(a1, tc1, a2, tc2, a3);
      this.registerModule('core', core);
      this.registerModule('readout', new Linear(a3.outChannels, o.ways, { rng: o.rng }));
    }
  }

  /**
   * Logits for every query, each read as the last step of its own sequence: support (xs, ys), then query q.
   * xs [S, ...], ys int32 [S], xq [Q, ...] → [Q, ways].
   */
  forward(xs: Tensor, ys: Tensor, xq: Tensor): Tensor {
    const s = xs.shape[0]!, q = xq.shape[0]!, ways = this.o.ways;
    const z = this.child('encoder').call(concat([xs, xq], 0)) as Tensor;
    const zf = z.ndim === 2 ? z : z.flatten(1);
    const d = zf.shape[1]!;
    const zs = sliceAxis(zf, 0, 0, s), zq = sliceAxis(zf, 0, s, s + q);
    const onehot = cast(oneHot(ys, ways), zf.dtype); // [S, ways]
    let supportLabels: Tensor, queryLabel: Tensor;
    if (this.o.labels === 'oneStepLate') {
      supportLabels = concat([zeros([1, ways], { dtype: zf.dtype }), sliceAxis(onehot, 0, 0, s - 1)], 0);
      queryLabel = sliceAxis(onehot, 0, s - 1, s);
    } else {
      supportLabels = onehot;
      queryLabel = zeros([1, ways], { dtype: zf.dtype });
    }
    const supportSteps = expand(unsqueeze(concat([zs, supportLabels], 1), 0), [q, s, d + ways]);
    const querySteps = unsqueeze(concat([zq, expand(queryLabel, [q, ways])], 1), 1); // [Q, 1, d + ways]
    const seq = concat([supportSteps, querySteps], 1); // [Q, S + 1, d + ways]
    const core = this.child('core');
    const h = this.o.core === 'lstm' ? (core.call(seq) as [Tensor, unknown])[0] : (core.call(seq) as Tensor);
    const last = reshape(sliceAxis(h, 1, s, s + 1), [q, h.shape[2]!]);
    return this.child('readout').call(last);
  }
}

/**
 * A black-box meta-learner for N-way K-shot classification: the learner is a sequence model that reads the
 * support set — (x, y) pairs in a random order — and then a query, and outputs the query's class. Nothing is
 * adapted by gradient steps; "learning" a task is the forward pass. Core: SNAIL's interleaved causal attention
 * and temporal convolutions (Mishra, Rohaninejad, Chen, Abbeel, "A Simple Neural Attentive Meta-Learner",
 * ICLR 2018), or an LSTM with labels one step late (Santoro et al., "Meta-Learning with Memory-Augmented Neural
 * Networks", ICML 2016, without the external memory).
 * @example const snail = new BlackBox({ encoder: new Conv4({ rng, numClasses: 0 }), featureDim: 64, ways: 5, shots: 1, rng });
 */
export class BlackBox implements MetaLearner {
  readonly method: string;
  readonly problem = 'classification' as const;
  readonly model: BlackBoxNet;
  private readonly rng: Rng;

  constructor(opts: BlackBoxOptions) {
    const core = opts.core ?? 'attention';
    this.method = core === 'lstm' ? 'mann' : 'snail';
    this.rng = opts.rng;
    this.model = new BlackBoxNet({ core, labels: opts.labels ?? (core === 'lstm' ? 'oneStepLate' : 'sameStep'), hidden: opts.hidden ?? 128, ...opts });
  }

  namedMetaParameters(): [string, Tensor][] {
    return this.model.namedParameters('model').filter(([, p]) => p.requiresGrad);
  }

  /** The support in a random order (the sequence must not reveal labels by position). */
  private shuffled(support: LabeledSet, rng: Rng): LabeledSet {
    const n = support.x.shape[0]!;
    const idx = tensor(Int32Array.from(rng.permutation(n)), { shape: [n] });
    return { x: support.x.indexSelect(0, idx), y: support.y.indexSelect(0, idx) };
  }

  metaBackward(tasks: readonly Task[], ctx: MetaStepContext): MetaStepMetrics {
    const rng = ctx.rng ?? this.rng.fork(`step/${ctx.step}`);
    return backwardOverTasks(this.method, 'classification', tasks, (task) => {
      const s = this.shuffled(task.support, rng);
      const out = withBatchNormPolicy('update', () => this.model.call(s.x, s.y, task.query.x));
      return { loss: crossEntropy(out, task.query.y), out, y: task.query.y };
    });
  }

  adapt(support: LabeledSet): Predictor {
    const s = this.shuffled(support, this.rng.fork('adapt'));
    return (x) => noGrad(() => withBatchNormPolicy('running', () => this.model.call(s.x, s.y, x)));
  }
}
