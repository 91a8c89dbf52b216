// Normalisation layers: BatchNorm1d/2d (running statistics as buffers, statistics policies) and LayerNorm.
import { full, zeros } from '../../engine/create.js';
import { ArgumentError, ShapeError } from '../../core/errors.js';
import type { FloatDType } from '../../core/dtype.js';
import { noGrad } from '../../engine/autograd.js';
import { Tensor } from '../../engine/tensor.js';
import { batchNorm, layerNorm } from '../../engine/ops/nn.js';
import { batchNormPolicy } from '../batchnorm-policy.js';
import { Module } from '../module.js';

export interface BatchNormLayerOptions {
  eps?: number;
  /** running-average factor; null = cumulative average over batches */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  /**
   * Keep running statistics per inner-loop step (MAML++'s BNRS, Antoniou et al. 2019): running_mean and
   * running_var get shape [steps, C], and the `{ perStep: k }` policy uses row k.
   */
  perStepStatistics?: number;
  dtype?: FloatDType;
}

/**
 * Batch normalisation (Ioffe & Szegedy 2015), torch.nn.BatchNorm semantics: batch statistics in training
 * (updating running_mean/running_var), running statistics in eval. Without tracked statistics it always
 * uses batch statistics. A call can override this with a BatchNormPolicy (functionalCall's `batchNorm`
 * option or withBatchNormPolicy): `'batch'` leaves running statistics alone (MAML's inner loop), `'running'`
 * normalises with them, `'update'` trains them, `{ perStep: k }` uses MAML++'s per-step statistics.
 */
abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  /** number of per-step statistics rows (0: ordinary [C] statistics) */
  readonly perStepStatistics: number;
  protected abstract readonly expectedDims: number[];
  constructor(numFeatures: number, opts: BatchNormLayerOptions = {}) {
    super();
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    this.perStepStatistics = opts.perStepStatistics ?? 0;
    const dtype = opts.dtype ?? 'float32';
    if (!Number.isInteger(this.perStepStatistics) || this.perStepStatistics < 0) {
      throw new ArgumentError(this.constructor.name, `perStepStatistics must be a non-negative integer, got ${opts.perStepStatistics}`);
    }
    if (this.perStepStatistics && !this.trackRunningStats) {
      throw new ArgumentError(this.constructor.name, 'perStepStatistics needs trackRunningStats');
    }
    if (this.affine) {
      this.registerParameter('weight', full([numFeatures], 1, { dtype }));
      this.registerParameter('bias', zeros([numFeatures], { dtype }));
    } else {
      this.registerParameter('weight', null);
      this.registerParameter('bias', null);
    }
    if (this.trackRunningStats) {
      const statShape = this.perStepStatistics ? [this.perStepStatistics, numFeatures] : [numFeatures];
      this.registerBuffer('running_mean', zeros(statShape, { dtype }));
      this.registerBuffer('running_var', full(statShape, 1, { dtype }));
      this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'int32' }));
    }
  }
  forward(x: Tensor): Tensor {
    if (!this.expectedDims.includes(x.ndim)) {
      throw new ShapeError(this.constructor.name, `expected ${this.expectedDims.join(' or ')}-d input`, [x.shape]);
    }
    if (x.shape[1] !== this.numFeatures) {
      throw new ShapeError(this.constructor.name, `expected ${this.numFeatures} channels in dim 1`, [x.shape]);
    }
    const policy = batchNormPolicy() ?? (this.training ? 'update' : 'running');
    const weight = this.optionalParam('weight'), bias = this.optionalParam('bias');
    const eps = this.eps, momentum = this.momentum;
    if (!this.trackRunningStats || policy === 'batch') return batchNorm(x, null, null, weight, bias, { training: true, eps });
    if (typeof policy === 'object') return this.perStep(x, policy.perStep);
    if (this.perStepStatistics) {
      throw new ArgumentError(this.constructor.name, `has per-step statistics: call it under a { perStep: k } or 'batch' policy, not '${policy}'`);
    }
    const rm = this.buffer('running_mean'), rv = this.buffer('running_var');
    if (policy === 'running') return batchNorm(x, rm, rv, weight, bias, { training: false, eps });
    return batchNorm(x, rm, rv, weight, bias, { training: true, momentum, eps, numBatchesTracked: this.buffer('num_batches_tracked') });
  }

  /** MAML++ per-step statistics: training updates row k with the batch statistics, eval normalises with row k. */
  private perStep(x: Tensor, k: number): Tensor {
    const steps = this.perStepStatistics;
    if (!steps) throw new ArgumentError(this.constructor.name, 'a { perStep } policy needs a layer built with perStepStatistics');
    if (!Number.isInteger(k) || k < 0 || k >= steps) throw new ArgumentError(this.constructor.name, `step ${k} is outside the ${steps} per-step statistics`);
    const rm = this.buffer('running_mean')!, rv = this.buffer('running_var')!;
    const c = this.numFeatures;
    const row = (t: Tensor): Tensor => new Tensor(t.data.slice(k * c, (k + 1) * c), [c], t.dtype);
    const rmK = row(rm), rvK = row(rv);
    const weight = this.optionalParam('weight'), bias = this.optionalParam('bias');
    if (!this.training) return batchNorm(x, rmK, rvK, weight, bias, { training: false, eps: this.eps });
    const y = batchNorm(x, rmK, rvK, weight, bias, { training: true, momentum: this.momentum, eps: this.eps, numBatchesTracked: this.buffer('num_batches_tracked') });
    noGrad(() => {
      rm.data.set(rmK.data, k * c);
      rv.data.set(rvK.data, k * c);
      rm._bumpVersion();
      rv._bumpVersion();
    });
    return y;
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, track_running_stats=${this.trackRunningStats}${this.perStepStatistics ? `, per_step_statistics=${this.perStepStatistics}` : ''}`;
  }
}

/** BatchNorm over [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNormBase {
  protected readonly expectedDims = [2, 3];
}

/** BatchNorm over [N, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  protected readonly expectedDims = [4];
}

/** Layer normalisation (Ba et al. 2016) over the trailing normalizedShape dims. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  constructor(normalizedShape: number | number[], opts: { eps?: number; elementwiseAffine?: boolean; bias?: boolean; dtype?: FloatDType } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape.slice();
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.elementwiseAffine ?? true, dtype = opts.dtype ?? 'float32';
    this.registerParameter('weight', affine ? full(this.normalizedShape, 1, { dtype }) : null);
    this.registerParameter('bias', affine && (opts.bias ?? true) ? zeros(this.normalizedShape, { dtype }) : null);
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.optionalParam('weight'), this.optionalParam('bias'), this.eps);
  }
  override extraRepr(): string {
    return `(${this.normalizedShape.join(', ')}), eps=${this.eps}`;
  }
}
