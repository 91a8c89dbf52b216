// Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d.
import type { Tensor } from '../../engine/tensor.js';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, type Pair } from '../../engine/ops/conv.js';
import { Module } from '../module.js';

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly stride: Pair | null = null, readonly padding: Pair = 0) { super(); }
  forward(x: Tensor): Tensor { return maxPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding }); }
  override extraRepr(): string { return `kernel_size=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.stride ?? this.kernelSize)}, padding=${JSON.stringify(this.padding)}`; }
}

export class AvgPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly stride: Pair | null = null, readonly padding: Pair = 0, readonly countIncludePad = true) { super(); }
  forward(x: Tensor): Tensor { return avgPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding, countIncludePad: this.countIncludePad }); }
  override extraRepr(): string { return `kernel_size=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.stride ?? this.kernelSize)}`; }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair = 1) { super(); }
  forward(x: Tensor): Tensor { return adaptiveAvgPool2d(x, this.outputSize); }
  override extraRepr(): string { return `output_size=${JSON.stringify(this.outputSize)}`; }
}
