// Matching networks (Vinyals et al. 2016): a soft nearest neighbour over the support set with cosine attention.
import { ArgumentError } from '../core/errors.js';
import { noGrad } from '../engine/autograd.js';
import type { Tensor } from '../engine/tensor.js';
import { add, cast, log, mul } from '../engine/ops/elementwise.js';
import { matmul } from '../engine/ops/linalg.js';
import { nllLoss, pairwiseCosineSimilarity } from '../engine/ops/nn.js';
import { softmax } from '../engine/ops/reduce.js';
import { oneHot } from '../engine/ops/shape.js';
import { withBatchNormPolicy } from '../nn/batchnorm-policy.js';
import type { AnyModule } from '../nn/module.js';
import type { LabeledSet, MetaLearner, MetaStepContext, MetaStepMetrics, Predictor, Task } from './learner.js';
import { backwardOverTasks } from './losses.js';

export interface MatchingNetOptions {
  /** the embedding network (f = g, shared, as in the paper's Omniglot experiments without FCE) */
  encoder: AnyModule;
  /** scale of the cosine similarities before the softmax (1 in the paper) */
  temperature?: number;
}

/**
 * Matching networks: P(ŷ | x̂, S) = Σ_i a(x̂, x_i) y_i with a(x̂, x_i) = softmax_i(τ · cos(f(x̂), g(x_i))),
 * trained episodically on −log P(y | x̂, S). The predictor returns log P (a valid argument of softmax and argmax).
 * Full-context embeddings are not included.
 * Paper: Vinyals, Blundell, Lillicrap, Kavukcuoglu, Wierstra, "Matching Networks for One Shot Learning", NeurIPS 2016.
 * @example const mn = new MatchingNet({ encoder: new Conv4({ rng, numClasses: 0 }) });
 */
export class MatchingNet implements MetaLearner {
  readonly method = 'matching';
  readonly problem = 'classification' as const;
  readonly model: AnyModule;
  readonly temperature: number;

  constructor(opts: MatchingNetOptions) {
    this.model = opts.encoder;
    this.temperature = opts.temperature ?? 1;
  }

  namedMetaParameters(): [string, Tensor][] {
    return this.model.namedParameters('model').filter(([, p]) => p.requiresGrad);
  }

  /** f(x) as [n, d]; BatchNorm trains its statistics during meta-training and uses them when adapting. */
  private embed(x: Tensor, training = false): Tensor {
    const z = withBatchNormPolicy(training ? 'update' : 'running', () => this.model.call(x) as Tensor);
    return z.ndim === 2 ? z : z.flatten(1);
  }

  /** log Σ_i softmax_i(τ cos(f(x̂), g(x_i))) y_i: [queries, ways]. */
  logProbs(zQuery: Tensor, zSupport: Tensor, ySupport: Tensor, ways: number): Tensor {
    const attention = softmax(mul(pairwiseCosineSimilarity(zQuery, zSupport), this.temperature), -1); // [q, s]
    const probs = matmul(attention, cast(oneHot(ySupport, ways), attention.dtype)); // [q, ways]
    return log(add(probs, 1e-12));
  }

  private ways(y: Tensor): number {
    let n = 0;
    for (const v of y.data as Int32Array) n = Math.max(n, v + 1);
    if (n === 0) throw new ArgumentError('MatchingNet', 'empty support set');
    return n;
  }

  metaBackward(tasks: readonly Task[], _ctx: MetaStepContext): MetaStepMetrics {
    return backwardOverTasks('MatchingNet', 'classification', tasks, (task) => {
      const out = this.logProbs(this.embed(task.query.x, true), this.embed(task.support.x, true), task.support.y, this.ways(task.support.y));
      return { loss: nllLoss(out, task.query.y), out, y: task.query.y };
    });
  }

  adapt(support: LabeledSet): Predictor {
    const zs = noGrad(() => this.embed(support.x));
    const ways = this.ways(support.y);
    return (x) => noGrad(() => this.logProbs(this.embed(x), zs, support.y, ways));
  }
}
