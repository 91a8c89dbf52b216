// The "pretrained" baseline of Finn et al. (2017, §5.1): train one model on all tasks jointly, fine-tune at test.
import { concat } from '../engine/ops/shape.js';
import type { MetaStepContext, MetaStepMetrics, Task } from './learner.js';
import { backwardOverTasks, taskLoss } from './losses.js';
import { MAML, type MAMLOptions } from './maml.js';

/**
 * Pretrain on all tasks: θ ← θ − β ∇_θ Σ_i L(f_θ; D_i^tr ∪ D_i^ts), no inner loop (ordinary multi-task
 * regression); at test time adapt with the same gradient steps as MAML (innerLr, evalInnerSteps). On sinusoids
 * this regresses towards the mean function, which is why MAML's paper reports it far behind
 * (5-shot MSE 2.41/2.23/2.19 after 1/5/10 steps vs MAML's 0.67/0.38/0.35).
 * @example const base = new PretrainAll({ model: new MLP([1, 40, 40, 1], { rng }), problem: 'regression', innerLr: 0.01 });
 */
export class PretrainAll extends MAML {
  override readonly method = 'pretrain-all';
  constructor(opts: Omit<MAMLOptions, 'firstOrder'>) {
    super({ ...opts, batchNorm: opts.batchNorm ?? 'update' });
  }

  override metaBackward(tasks: readonly Task[], _ctx: MetaStepContext): MetaStepMetrics {
    return backwardOverTasks('PretrainAll', this.problem, tasks, ({ support, query }) => {
      const x = concat([support.x, query.x], 0), y = concat([support.y, query.y], 0);
      const out = this.forward(new Map(), x);
      return { loss: taskLoss(this.problem, out, y), out, y };
    });
  }
}
