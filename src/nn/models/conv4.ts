// Conv-4: the standard few-shot backbone (4 × conv 3×3, BatchNorm, ReLU, max-pool or stride 2) with a linear head.
import { ArgumentError } from '../../core/errors.js';
import type { FloatDType } from '../../core/dtype.js';
import type { Rng } from '../../engine/rng.js';
import type { Tensor } from '../../engine/tensor.js';
import { flatten } from '../../engine/ops/shape.js';
import { mean } from '../../engine/ops/reduce.js';
import { ReLU } from '../layers/activation.js';
import { Sequential } from '../layers/container.js';
import { Conv2d } from '../layers/conv.js';
import { Linear } from '../layers/linear.js';
import { BatchNorm2d } from '../layers/norm.js';
import { MaxPool2d } from '../layers/pooling.js';
import { Module } from '../module.js';
import type { Block, HasBlocks } from './blocks.js';

export interface Conv4Options {
  rng: Rng;
  inChannels?: number;
  /** filters per conv (64 for Omniglot, 32 for MAML on miniImageNet) */
  hidden?: number;
  /** classifier outputs; 0 = no head (an embedding network, as for prototypical networks) */
  numClasses?: number;
  /** 'max': conv stride 1 + 2×2 max-pool (Snell, Vinyals); 'stride': conv stride 2, no pooling (MAML's Omniglot) */
  pooling?: 'max' | 'stride';
  /** input height = width, to size the flattened features (28 Omniglot, 84 miniImageNet) */
  imageSize?: number;
  /** BatchNorm running statistics (false = batch statistics always, as MAML) */
  trackRunningStats?: boolean;
  bnMomentum?: number | null;
  /** BatchNorm running statistics per inner step (MAML++'s BNRS); use with the `{ perStep: k }` policy */
  bnPerStepStatistics?: number;
  dtype?: FloatDType;
}

/**
 * Conv-4 (Vinyals et al. 2016; Finn et al. 2017; Snell et al. 2017). Names equal the PyTorch module
 * `features = Sequential(*[Sequential(Conv2d(c, h, 3, padding=1), BatchNorm2d(h), ReLU(), MaxPool2d(2)) ×4])`,
 * `classifier = Linear(featureDim, numClasses)`: `features.0.0.weight`, `features.0.1.running_mean`, …,
 * `classifier.weight`. The stride variant uses `Conv2d(c, h, 3, stride=2, padding=1)` and averages the final
 * feature map over space (MAML's Omniglot model); the max-pool variant flattens it.
 * @example const net = new Conv4({ rng, numClasses: 5 }); net.call(x) // x: [N, 1, 28, 28]
 */
export class Conv4 extends Module implements HasBlocks {
  readonly featureDim: number;
  readonly pooling: 'max' | 'stride';
  readonly numClasses: number;
  constructor(opts: Conv4Options) {
    super();
    const inCh = opts.inChannels ?? 1, hidden = opts.hidden ?? 64, size = opts.imageSize ?? 28;
    this.pooling = opts.pooling ?? 'max';
    const dtype = opts.dtype ?? 'float32';
    this.numClasses = opts.numClasses ?? 5;
    const blocks: Module[] = [];
    let s = size;
    for (let i = 0; i < 4; i++) {
      const conv = new Conv2d(i === 0 ? inCh : hidden, hidden, 3, { rng: opts.rng, padding: 1, stride: this.pooling === 'stride' ? 2 : 1, dtype });
      const bn = new BatchNorm2d(hidden, {
        trackRunningStats: opts.trackRunningStats ?? true,
        momentum: opts.bnMomentum === undefined ? 0.1 : opts.bnMomentum,
        perStepStatistics: opts.bnPerStepStatistics ?? 0,
        dtype,
      });
      if (this.pooling === 'max') {
        blocks.push(new Sequential(conv, bn, new ReLU(), new MaxPool2d(2)));
        s = Math.floor(s / 2);
      } else {
        blocks.push(new Sequential(conv, bn, new ReLU()));
        s = Math.floor((s - 1) / 2) + 1;
      }
    }
    if (s < 1) throw new ArgumentError('Conv4', `imageSize ${size} is too small for four downsamplings`);
    this.registerModule('features', new Sequential(...blocks));
    this.featureDim = this.pooling === 'max' ? hidden * s * s : hidden;
    if (this.numClasses > 0) this.registerModule('classifier', new Linear(this.featureDim, this.numClasses, { rng: opts.rng, dtype }));
  }

  /** The embedding: [N, featureDim]. */
  features(x: Tensor): Tensor {
    const h = this.child('features').call(x);
    return this.pooling === 'max' ? flatten(h, 1) : mean(h, [2, 3]);
  }

  forward(x: Tensor): Tensor {
    const f = this.features(x);
    return this.numClasses > 0 ? this.child('classifier').call(f) : f;
  }

  blocks(): Block[] {
    const b: Block[] = [0, 1, 2, 3].map((i) => ({ name: `block${i + 1}`, modules: [`features.${i}`] }));
    if (this.numClasses > 0) b.push({ name: 'head', modules: ['classifier'] });
    return b;
  }
}
