// MAML++ (Antoniou, Edwards & Storkey 2019): MAML with learned per-step lrs, per-step BN statistics, MSL and DA.
import { ArgumentError } from '../core/errors.js';
import { full } from '../engine/create.js';
import type { Tensor } from '../engine/tensor.js';
import { add, mul } from '../engine/ops/elementwise.js';
import { select } from '../engine/ops/shape.js';
import type { BatchNormPolicy } from '../nn/batchnorm-policy.js';
import { BatchNorm1d, BatchNorm2d } from '../nn/layers/norm.js';
import { innerLoop, type InnerLr } from './inner-loop.js';
import type { MetaStepContext, MetaStepMetrics, Task } from './learner.js';
import { accuracy, taskLoss } from './losses.js';
import { MAML, type MAMLOptions } from './maml.js';

export interface MAMLPlusPlusOptions extends Omit<MAMLOptions, 'firstOrder' | 'batchNorm' | 'evalInnerSteps'> {
  /** initial value of every learned per-step, per-tensor lr (LSLR; 0.1 in the released code) */
  initLr?: number;
  /** meta-iterations per epoch (500 in the paper): MSL and DA count epochs */
  epochLength?: number;
  /** epochs of multi-step loss before only the last step counts (10 Omniglot, 15 miniImageNet; 0 = off) */
  mslEpochs?: number;
  /** epochs of first-order meta-gradients before switching to second order (DA; 0 = second order throughout) */
  firstOrderEpochs?: number;
}

/**
 * MAML++: MAML plus the paper's fixes, each an option here.
 * - LSLR: a learned learning rate per parameter tensor and inner step, α_{j,s}, trained by the outer optimiser;
 * - BNRS: BatchNorm running statistics per inner step (layers built with `perStepStatistics: innerSteps`, e.g.
 *   `new Conv4({ bnPerStepStatistics: 5 })`), used through the `{ perStep: s }` policy: step s's support pass and
 *   the query pass after it use row s while meta-training; at evaluation (eval mode) every pass normalises with its
 *   own batch's statistics and writes nothing, as the released code does (its running statistics are restored);
 * - MSL: the meta-loss is Σ_s v_s L_query(θ'_s) over the inner steps, v annealed towards the last step over
 *   `mslEpochs` epochs (v_s = max(1/N − e/(N·E), 0.03/N) for s < N−1, the last gets the rest);
 * - DA: first-order meta-gradients for `firstOrderEpochs` epochs, then second order.
 * Cosine annealing of the meta learning rate (CA) is the outer schedule's job.
 * Paper: Antoniou, Edwards, Storkey, "How to train your MAML", ICLR 2019.
 * @example const mpp = new MAMLPlusPlus({ model: new Conv4({ rng, bnPerStepStatistics: 5 }), innerLr: 0.1, innerSteps: 5 });
 */
export class MAMLPlusPlus extends MAML {
  override readonly method = 'maml++';
  /** learned lrs: parameter name → tensor [innerSteps] */
  readonly lrs: Map<string, Tensor>;
  readonly epochLength: number;
  readonly mslEpochs: number;
  readonly firstOrderEpochs: number;
  private readonly perStepBN: boolean;

  constructor(opts: MAMLPlusPlusOptions) {
    super({ ...opts, firstOrder: false, batchNorm: 'batch' });
    const steps = this.innerSteps;
    if (steps < 1) throw new ArgumentError('MAMLPlusPlus', 'needs at least one inner step');
    const init = opts.initLr ?? opts.innerLr;
    this.lrs = new Map([...this.fastWeights()].map(([n, p]) => {
      const a = full([steps], init, { dtype: p.dtype, requiresGrad: true });
      a.name = `lrs.${n}`;
      return [n, a];
    }));
    this.epochLength = opts.epochLength ?? 500;
    this.mslEpochs = opts.mslEpochs ?? 10;
    this.firstOrderEpochs = opts.firstOrderEpochs ?? 0;
    const bns = this.model.modules().filter((m): m is BatchNorm1d | BatchNorm2d => m instanceof BatchNorm1d || m instanceof BatchNorm2d);
    const perStep = bns.filter((m) => m.perStepStatistics > 0);
    if (perStep.some((m) => m.perStepStatistics < steps)) {
      throw new ArgumentError('MAMLPlusPlus', `BatchNorm layers keep ${perStep[0]!.perStepStatistics} per-step statistics; ${steps} inner steps need ${steps}`);
    }
    this.perStepBN = perStep.length > 0;
  }

  override namedMetaParameters(): [string, Tensor][] {
    return [...super.namedMetaParameters(), ...[...this.lrs].map(([n, a]) => [`lrs.${n}`, a] as [string, Tensor])];
  }

  protected override innerLrAt(step: number): InnerLr {
    return new Map([...this.lrs].map(([n, a]) => [n, select(a, 0, Math.min(step, a.shape[0]! - 1))]));
  }

  protected override batchNormAt(step: number): BatchNormPolicy {
    // at evaluation the released code still normalises with the batch's statistics (F.batch_norm(training=True))
    // and restores the per-step running statistics afterwards: 'batch' does both, whatever the module's mode
    if (!this.model.training) return 'batch';
    // inner step s uses row s; the query pass after step s uses row s too (the released code's num_step)
    return this.perStepBN ? { perStep: Math.min(step, this.innerSteps - 1) } : 'batch';
  }

  protected override secondOrderAt(ctx: MetaStepContext): boolean {
    return Math.floor(ctx.step / this.epochLength) >= this.firstOrderEpochs;
  }

  /** The multi-step loss weights v_0…v_{N−1} at an epoch (the released code's importance vector). */
  mslWeights(epoch: number): number[] {
    const n = this.innerSteps;
    if (this.mslEpochs <= 0 || epoch >= this.mslEpochs) return Array.from({ length: n }, (_, i) => (i === n - 1 ? 1 : 0));
    const decay = 1 / n / this.mslEpochs, floor = 0.03 / n;
    const v = Array.from({ length: n }, () => Math.max(1 / n - epoch * decay, floor));
    v[n - 1] = Math.min(1 / n + epoch * (n - 1) * decay, 1 - (n - 1) * floor);
    return v;
  }

  override metaBackward(tasks: readonly Task[], ctx: MetaStepContext): MetaStepMetrics {
    if (tasks.length === 0) throw new ArgumentError('MAMLPlusPlus', 'metaBackward needs at least one task');
    const createGraph = this.secondOrderAt(ctx);
    const v = this.mslWeights(Math.floor(ctx.step / this.epochLength));
    let loss = 0, acc = 0;
    for (const task of tasks) {
      let meta: Tensor | null = null;
      let last: Tensor | null = null;
      let step = 0;
      innerLoop((p, x) => this.forward(p, x, step), this.fastWeights(), task.support, {
        problem: this.problem, steps: this.innerSteps, lr: (s) => this.innerLrAt(s), createGraph,
        onStep: (s, fast) => {
          step = s + 1;
          if (v[s] === 0) return;
          const out = this.forward(fast, task.query.x, s);
          const term = mul(taskLoss(this.problem, out, task.query.y), v[s]!);
          meta = meta ? add(meta, term) : term;
          if (s === this.innerSteps - 1) last = out;
        },
      });
      mul(meta!, 1 / tasks.length).backward();
      const out = last as Tensor | null;
      if (out) {
        loss += taskLoss(this.problem, out, task.query.y).item() / tasks.length;
        if (this.problem === 'classification') acc += accuracy(out, task.query.y) / tasks.length;
      }
    }
    return this.problem === 'classification' ? { loss, accuracy: acc } : { loss };
  }
}
