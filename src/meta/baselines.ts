// Transfer baselines in the few-shot protocol (Chen et al. 2019): pre-train on base classes, fit a new head on the support.
import { enableGrad, noGrad } from '../engine/autograd.js';
import { tensor, zeros } from '../engine/create.js';
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { add, div, mul, sqrt } from '../engine/ops/elementwise.js';
import { matmul } from '../engine/ops/linalg.js';
import { crossEntropy } from '../engine/ops/nn.js';
import { sum } from '../engine/ops/reduce.js';
import { indexSelect } from '../engine/ops/shape.js';
import type { FloatDType } from '../core/dtype.js';
import { ArgumentError } from '../core/errors.js';
import { withBatchNormPolicy, type BatchNormPolicy } from '../nn/batchnorm-policy.js';
import { Linear } from '../nn/layers/linear.js';
import { Module, type AnyModule } from '../nn/module.js';
import { defaultWeightInit_ } from '../nn/init.js';
import { SGD } from '../optim/sgd.js';
import { Adam } from '../optim/adam.js';
import type { LabeledSet, MetaLearner, MetaStepContext, MetaStepMetrics, Predictor, Task } from './learner.js';
import { backwardOverTasks } from './losses.js';

/**
 * Baseline++'s classifier (CloserLookFewShot's distLinear): s_j = τ · g_j · cos(f(x), v_j), a bias-free linear
 * layer under weight normalisation (`weight_g` [C, 1], `weight_v` [C, d], torch's weight_norm names) applied to
 * ℓ2-normalised features; τ = 2 for up to 200 classes, 10 above.
 */
export class CosineClassifier extends Module {
  readonly scale: number;
  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: { rng: Rng; scale?: number; dtype?: FloatDType }) {
    super();
    const dtype = opts.dtype ?? 'float32';
    const v = this.registerParameter('weight_v', zeros([outFeatures, inFeatures], { dtype }))!;
    defaultWeightInit_(v, opts.rng);
    const g = noGrad(() => sqrt(sum(mul(v, v), 1, true)));
    this.registerParameter('weight_g', tensor(g.data.slice(), { shape: [outFeatures, 1], dtype }));
    this.scale = opts.scale ?? (outFeatures <= 200 ? 2 : 10);
  }
  forward(x: Tensor): Tensor {
    const xn = div(x, add(sqrt(sum(mul(x, x), 1, true)), 1e-5));
    const v = this.param('weight_v');
    const w = mul(this.param('weight_g'), div(v, sqrt(sum(mul(v, v), 1, true))));
    return mul(matmul(xn, w.t()), this.scale);
  }
}

/** A backbone with `features(x)` → [n, d] (Conv4 or ResNet built with numClasses: 0 work) and its width. */
export interface Backbone extends AnyModule {
  readonly featureDim: number;
  features(x: Tensor): Tensor;
}

export interface BaselineOptions {
  backbone: Backbone;
  /** number of base classes the backbone is pre-trained on */
  numBaseClasses: number;
  /** 'linear' (Baseline) or 'cosine' (Baseline++) */
  head?: 'linear' | 'cosine';
  rng: Rng;
  /** fitting the new head on the support: SGD lr 0.01, momentum 0.9, weight decay 1e-3, batch 4, 100 epochs */
  headLr?: number;
  headEpochs?: number;
  headBatch?: number;
  /** BatchNorm while extracting support/query features (default 'running', the pre-trained statistics) */
  batchNorm?: BatchNormPolicy;
}

/** The pre-training network: `backbone.*` and a base-class head `head.*`. */
class BaselineNet extends Module {
  constructor(backbone: Backbone, head: AnyModule) {
    super();
    this.registerModule('backbone', backbone);
    this.registerModule('head', head);
  }
  forward(x: Tensor): Tensor {
    return this.child('head').call(this.child<Backbone>('backbone').features(x));
  }
}

/**
 * Baseline and Baseline++ (Chen, Liu, Kira, Wang, Huang, "A Closer Look at Few-shot Classification", ICLR 2019):
 * pre-train backbone + classifier on all base classes as ordinary supervised learning; for a new task, freeze
 * the backbone and train a fresh linear (Baseline) or cosine (Baseline++) head on the support features.
 * Training is not episodic: `metaBackward` takes tasks whose `support` is a mini-batch of base-class examples
 * with their base-class labels (the query is ignored); the trainer builds them from the dataset.
 * @example const b = new Baseline({ backbone: new Conv4({ rng, numClasses: 0 }), numBaseClasses: 4112, head: 'cosine', rng });
 */
export class Baseline implements MetaLearner {
  readonly method: string;
  readonly problem = 'classification' as const;
  readonly model: BaselineNet;
  readonly training = 'supervised' as const;
  readonly headKind: 'linear' | 'cosine';
  private readonly rng: Rng;
  private readonly headLr: number;
  private readonly headEpochs: number;
  private readonly headBatch: number;
  private readonly batchNorm: BatchNormPolicy;

  constructor(opts: BaselineOptions) {
    this.headKind = opts.head ?? 'linear';
    this.method = this.headKind === 'cosine' ? 'baseline++' : 'baseline';
    this.rng = opts.rng;
    this.model = new BaselineNet(opts.backbone, this.newHead(opts.backbone.featureDim, opts.numBaseClasses, opts.rng, opts.backbone.dtype));
    this.headLr = opts.headLr ?? 0.01;
    this.headEpochs = opts.headEpochs ?? 100;
    this.headBatch = opts.headBatch ?? 4;
    this.batchNorm = opts.batchNorm ?? 'running';
  }

  private newHead(d: number, classes: number, rng: Rng, dtype: FloatDType): AnyModule {
    return this.headKind === 'cosine' ? new CosineClassifier(d, classes, { rng, dtype }) : new Linear(d, classes, { rng, dtype });
  }

  namedMetaParameters(): [string, Tensor][] {
    return this.model.namedParameters('model').filter(([, p]) => p.requiresGrad);
  }

  metaBackward(tasks: readonly Task[], _ctx: MetaStepContext): MetaStepMetrics {
    return backwardOverTasks(this.method, 'classification', tasks, ({ support }) => {
      const out = withBatchNormPolicy('update', () => this.model.call(support.x));
      return { loss: crossEntropy(out, support.y), out, y: support.y };
    });
  }

  private features(x: Tensor): Tensor {
    return noGrad(() => withBatchNormPolicy(this.batchNorm, () => this.model.child<Backbone>('backbone').features(x)));
  }

  adapt(support: LabeledSet): Predictor {
    const z = this.features(support.x);
    const ways = Math.max(...Array.from(support.y.data as Int32Array)) + 1;
    const rng = this.rng.fork('adapt'); // the same draws for every task: results do not depend on evaluation order
    const head = this.newHead(z.shape[1]!, ways, rng, this.model.dtype);
    const opt = new SGD(head.parameters(), { lr: this.headLr, momentum: 0.9, weightDecay: 1e-3 });
    const n = z.shape[0]!;
    enableGrad(() => {
      for (let e = 0; e < this.headEpochs; e++) {
        const order = rng.permutation(n);
        for (let i = 0; i < n; i += this.headBatch) {
          const idx = tensor(Int32Array.from(order.slice(i, i + this.headBatch)), { shape: [Math.min(this.headBatch, n - i)] });
          opt.zeroGrad();
          crossEntropy(head.call(indexSelect(z, 0, idx)), indexSelect(support.y, 0, idx)).backward();
          opt.step();
        }
      }
    });
    return (x) => noGrad(() => head.call(this.features(x)));
  }
}

export interface FineTuneBaselineOptions extends Omit<BaselineOptions, 'head' | 'headLr' | 'headEpochs' | 'headBatch'> {
  /** Adam steps on the support, all parameters (default 100, lr 1e-3) */
  steps?: number;
  lr?: number;
  /** support examples per step (default: all of them); a mini-batch bounds the cost of large supports */
  batch?: number;
}

/**
 * Fine-tune everything: copy the pre-trained network, put a fresh linear head on it, and train all parameters
 * on the support set — the lecture's "fine-tuning with tiny data" point of comparison, on the same episodes.
 * Pre-training is Baseline's (supervised on base classes).
 */
export class FineTune extends Baseline {
  override readonly method = 'finetune';
  private readonly steps: number;
  private readonly lr: number;
  private readonly ftRng: Rng;
  private readonly policy: BatchNormPolicy;
  private readonly batch: number | null;

  constructor(opts: FineTuneBaselineOptions) {
    super({ ...opts, head: 'linear' });
    this.batch = opts.batch ?? null;
    if (this.batch !== null && (!Number.isInteger(this.batch) || this.batch < 1)) throw new ArgumentError('FineTune', `batch must be a positive integer, got ${this.batch}`);
    this.steps = opts.steps ?? 100;
    this.lr = opts.lr ?? 1e-3;
    this.ftRng = opts.rng.fork('finetune');
    this.policy = opts.batchNorm ?? 'running';
  }

  override adapt(support: LabeledSet): Predictor {
    const ways = Math.max(...Array.from(support.y.data as Int32Array)) + 1;
    const net = this.model.clone();
    const backbone = net.child<Backbone>('backbone');
    net.setSubmodule('head', new Linear(backbone.featureDim, ways, { rng: this.ftRng.fork('head'), dtype: net.dtype }));
    const opt = new Adam(net.parameters(), { lr: this.lr });
    const n = support.y.shape[0]!;
    const rng = this.ftRng.fork('batches'); // the same draws for every task, as Baseline's head fitting
    enableGrad(() => {
      for (let s = 0; s < this.steps; s++) {
        opt.zeroGrad();
        let { x, y } = support;
        if (this.batch !== null && this.batch < n) {
          const idx = tensor(Int32Array.from(rng.choice(n, this.batch)), { shape: [this.batch] });
          x = indexSelect(x, 0, idx);
          y = indexSelect(y, 0, idx);
        }
        withBatchNormPolicy(this.policy, () => crossEntropy(net.call(x), y)).backward();
        opt.step();
      }
    });
    return (x) => noGrad(() => withBatchNormPolicy(this.policy, () => net.call(x)));
  }
}
