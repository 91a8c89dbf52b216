// CIFAR-style ResNet (He et al. 2016) with basic blocks, configurable depth and width, torchvision names.
import { ArgumentError } from '../../core/errors.js';
import type { FloatDType } from '../../core/dtype.js';
import type { Rng } from '../../engine/rng.js';
import type { Tensor } from '../../engine/tensor.js';
import { add, relu } from '../../engine/ops/elementwise.js';
import { flatten } from '../../engine/ops/shape.js';
import { AdaptiveAvgPool2d } from '../layers/pooling.js';
import { Sequential } from '../layers/container.js';
import { Conv2d } from '../layers/conv.js';
import { Linear } from '../layers/linear.js';
import { BatchNorm2d } from '../layers/norm.js';
import { constant_, kaimingNormal_ } from '../init.js';
import { Module } from '../module.js';
import type { Block, HasBlocks } from './blocks.js';

/** conv3×3 → BN → ReLU → conv3×3 → BN, plus the identity or a 1×1 conv + BN shortcut (`downsample`). */
export class BasicBlock extends Module {
  constructor(inPlanes: number, planes: number, stride: number, rng: Rng, dtype: FloatDType = 'float32') {
    super();
    this.registerModule('conv1', new Conv2d(inPlanes, planes, 3, { rng, stride, padding: 1, bias: false, dtype }));
    this.registerModule('bn1', new BatchNorm2d(planes, { dtype }));
    this.registerModule('conv2', new Conv2d(planes, planes, 3, { rng, stride: 1, padding: 1, bias: false, dtype }));
    this.registerModule('bn2', new BatchNorm2d(planes, { dtype }));
    if (stride !== 1 || inPlanes !== planes) {
      this.registerModule('downsample', new Sequential(new Conv2d(inPlanes, planes, 1, { rng, stride, bias: false, dtype }), new BatchNorm2d(planes, { dtype })));
    }
  }
  forward(x: Tensor): Tensor {
    let h = relu(this.child('bn1').call(this.child('conv1').call(x)));
    h = this.child('bn2').call(this.child('conv2').call(h));
    const shortcut = this._modules.has('downsample') ? this.child('downsample').call(x) : x;
    return relu(add(h, shortcut));
  }
}

export interface ResNetOptions {
  rng: Rng;
  /** basic blocks per stage (default [1, 1, 1]); CIFAR ResNet-(6n+2) is [n, n, n] */
  blocksPerStage?: number[];
  /** output channels per stage (default [16, 32, 64]) */
  widths?: number[];
  inChannels?: number;
  numClasses?: number;
  dtype?: FloatDType;
}

/**
 * CIFAR-style ResNet: conv1 (3×3, no bias) + bn1 + ReLU, stages layer1…layerS of BasicBlocks (first block
 * of each later stage has stride 2), global average pool, fc. Names follow torchvision
 * (`conv1.weight`, `layer2.0.downsample.0.weight`, `fc.bias`). Convs get Kaiming-normal (fan_out, relu) init.
 * @example new ResNet({ rng, blocksPerStage: [3, 3, 3] }) // ResNet-20
 */
export class ResNet extends Module implements HasBlocks {
  readonly blocksPerStage: number[];
  readonly widths: number[];
  readonly numClasses: number;
  constructor(opts: ResNetOptions) {
    super();
    const bps = opts.blocksPerStage ?? [1, 1, 1];
    const widths = opts.widths ?? [16, 32, 64];
    if (bps.length !== widths.length || bps.length === 0) throw new ArgumentError('ResNet', 'blocksPerStage and widths must have the same non-zero length');
    this.blocksPerStage = bps.slice();
    this.widths = widths.slice();
    this.numClasses = opts.numClasses ?? 10;
    const rng = opts.rng, dtype = opts.dtype ?? 'float32';
    this.registerModule('conv1', new Conv2d(opts.inChannels ?? 3, widths[0]!, 3, { rng, padding: 1, bias: false, dtype }));
    this.registerModule('bn1', new BatchNorm2d(widths[0]!, { dtype }));
    let inPlanes = widths[0]!;
    bps.forEach((n, s) => {
      const blocks: Module[] = [];
      for (let b = 0; b < n; b++) {
        blocks.push(new BasicBlock(inPlanes, widths[s]!, b === 0 && s > 0 ? 2 : 1, rng, dtype));
        inPlanes = widths[s]!;
      }
      this.registerModule(`layer${s + 1}`, new Sequential(...blocks));
    });
    this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    if (this.numClasses > 0) this.registerModule('fc', new Linear(inPlanes, this.numClasses, { rng, dtype }));
    for (const m of this.modules()) {
      if (m instanceof Conv2d) kaimingNormal_(m.weight, rng, { mode: 'fan_out', nonlinearity: 'relu' });
      if (m instanceof BatchNorm2d) {
        constant_(m.param('weight'), 1);
        constant_(m.param('bias'), 0);
      }
    }
  }

  get featureDim(): number {
    return this.widths[this.widths.length - 1]!;
  }

  /** Pooled features [N, featureDim]. */
  features(x: Tensor): Tensor {
    let h = relu(this.child('bn1').call(this.child('conv1').call(x)));
    for (let s = 0; s < this.blocksPerStage.length; s++) h = this.child(`layer${s + 1}`).call(h);
    return flatten(this.child('avgpool').call(h), 1);
  }

  forward(x: Tensor): Tensor {
    const f = this.features(x);
    return this.numClasses > 0 ? this.child('fc').call(f) : f;
  }

  blocks(): Block[] {
    const out: Block[] = [{ name: 'stem', modules: ['conv1', 'bn1'] }];
    this.blocksPerStage.forEach((n, s) => {
      for (let b = 0; b < n; b++) out.push({ name: `layer${s + 1}.${b}`, modules: [`layer${s + 1}.${b}`] });
    });
    if (this.numClasses > 0) out.push({ name: 'head', modules: ['fc'] });
    return out;
  }
}
