// Prototypical networks (Snell et al. 2017): classify by distance to the mean embedding of each class.
import { ArgumentError } from '../core/errors.js';
import { noGrad } from '../engine/autograd.js';
import { tensor } from '../engine/create.js';
import type { Tensor } from '../engine/tensor.js';
import { cast, div, mul, neg } from '../engine/ops/elementwise.js';
import { matmul } from '../engine/ops/linalg.js';
import { pairwiseCosineSimilarity, pairwiseSquaredDistance } from '../engine/ops/nn.js';
import { oneHot } from '../engine/ops/shape.js';
import { withBatchNormPolicy } from '../nn/batchnorm-policy.js';
import type { AnyModule } from '../nn/module.js';
import type { LabeledSet, MetaLearner, MetaStepContext, MetaStepMetrics, Predictor, Task } from './learner.js';
import { backwardOverTasks, taskLoss } from './losses.js';

export interface ProtoNetOptions {
  /** the embedding network f_φ (Conv4 with numClasses: 0 → 64-d for Omniglot) */
  encoder: AnyModule;
  /** 'euclidean' (squared, the paper's choice) or 'cosine' (scaled by `temperature`) */
  distance?: 'euclidean' | 'cosine';
  /** logit scale for the cosine distance (default 10) */
  temperature?: number;
}

/** c_k = mean of the embedded support examples of class k: [ways, d]. */
export function prototypes(embeddings: Tensor, y: Tensor, ways?: number): Tensor {
  const n = ways ?? Math.max(...Array.from(y.data as Int32Array)) + 1;
  const counts = new Float32Array(n);
  for (const v of y.data as Int32Array) {
    if (v < 0 || v >= n) throw new ArgumentError('prototypes', `label ${v} outside 0..${n - 1}`);
    counts[v]! += 1;
  }
  for (let k = 0; k < n; k++) if (counts[k] === 0) throw new ArgumentError('prototypes', `class ${k} has no support example`);
  const assign = cast(oneHot(y, n), embeddings.dtype).t(); // [ways, nSupport]
  return div(matmul(assign, embeddings), cast(tensor(counts, { shape: [n, 1] }), embeddings.dtype));
}

/**
 * Prototypical networks: p(y = k | x) = softmax_k(−‖f(x) − c_k‖²), loss = mean NLL of the queries, trained
 * episodically (Adam 1e-3, halved every 2000 episodes; more ways in training than at test).
 * Paper: Snell, Swersky, Zemel, "Prototypical Networks for Few-shot Learning", NeurIPS 2017.
 * @example const proto = new ProtoNet({ encoder: new Conv4({ rng, numClasses: 0 }) });
 */
export class ProtoNet implements MetaLearner {
  readonly method = 'protonet';
  readonly problem = 'classification' as const;
  readonly model: AnyModule;
  readonly distance: 'euclidean' | 'cosine';
  readonly temperature: number;

  constructor(opts: ProtoNetOptions) {
    this.model = opts.encoder;
    this.distance = opts.distance ?? 'euclidean';
    this.temperature = opts.temperature ?? 10;
  }

  namedMetaParameters(): [string, Tensor][] {
    return this.model.namedParameters('model').filter(([, p]) => p.requiresGrad);
  }

  /** f(x) as [n, d]; BatchNorm trains its statistics during meta-training and uses them when adapting. */
  private embed(x: Tensor, training = false): Tensor {
    const z = withBatchNormPolicy(training ? 'update' : 'running', () => this.model.call(x) as Tensor);
    return z.ndim === 2 ? z : z.flatten(1);
  }

  /** Logits of query embeddings against prototypes: −squared distance, or τ·cosine. */
  logits(zQuery: Tensor, protos: Tensor): Tensor {
    return this.distance === 'euclidean' ? neg(pairwiseSquaredDistance(zQuery, protos)) : mul(pairwiseCosineSimilarity(zQuery, protos), this.temperature);
  }

  metaBackward(tasks: readonly Task[], _ctx: MetaStepContext): MetaStepMetrics {
    return backwardOverTasks('ProtoNet', 'classification', tasks, (task) => {
      const protos = prototypes(this.embed(task.support.x, true), task.support.y);
      const out = this.logits(this.embed(task.query.x, true), protos);
      return { loss: taskLoss('classification', out, task.query.y), out, y: task.query.y };
    });
  }

  adapt(support: LabeledSet): Predictor {
    const protos = noGrad(() => prototypes(this.embed(support.x), support.y));
    return (x) => noGrad(() => this.logits(this.embed(x), protos));
  }
}

