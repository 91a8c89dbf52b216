// Normalisation layers: BatchNorm1d/2d (running statistics as buffers) and LayerNorm.
import { full, zeros } from '../../engine/create.js';
import { ShapeError } from '../../core/errors.js';
import type { Tensor } from '../../engine/tensor.js';
import { batchNorm, layerNorm } from '../../engine/ops/nn.js';
import { Module } from '../module.js';

export interface BatchNormLayerOptions {
  eps?: number;
  /** running-average factor; null = cumulative average over batches */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation (Ioffe & Szegedy 2015), torch.nn.BatchNorm semantics: batch statistics in training
 * (updating running_mean/running_var), running statistics in eval. Without tracked statistics it always
 * uses batch statistics (MAML's "transductive" BN).
 */
abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  protected abstract readonly expectedDims: number[];
  constructor(numFeatures: number, opts: BatchNormLayerOptions = {}) {
    super();
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    if (this.affine) {
      this.registerParameter('weight', full([numFeatures], 1));
      this.registerParameter('bias', zeros([numFeatures]));
    } else {
      this.registerParameter('weight', null);
      this.registerParameter('bias', null);
    }
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures]));
      this.registerBuffer('running_var', full([numFeatures], 1));
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
    const useBatch = this.training || !this.trackRunningStats;
    return batchNorm(
      x,
      this.buffer('running_mean'),
      this.buffer('running_var'),
      this.optionalParam('weight'),
      this.optionalParam('bias'),
      {
        training: useBatch,
        momentum: this.momentum,
        eps: this.eps,
        numBatchesTracked: this.training ? this.buffer('num_batches_tracked') : null,
      },
    );
  }
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, track_running_stats=${this.trackRunningStats}`;
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
  constructor(normalizedShape: number | number[], readonly eps = 1e-5, elementwiseAffine = true) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape.slice();
    this.registerParameter('weight', elementwiseAffine ? full(this.normalizedShape, 1) : null);
    this.registerParameter('bias', elementwiseAffine ? zeros(this.normalizedShape) : null);
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.optionalParam('weight'), this.optionalParam('bias'), this.eps);
  }
  override extraRepr(): string {
    return `(${this.normalizedShape.join(', ')}), eps=${this.eps}`;
  }
}
