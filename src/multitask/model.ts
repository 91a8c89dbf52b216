// The multi-task network: one shared trunk (hard parameter sharing) and a linear head per task.
import { ArgumentError } from '../core/errors.js';
import type { FloatDType } from '../core/dtype.js';
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { ReLU } from '../nn/layers/activation.js';
import { ModuleList, Sequential } from '../nn/layers/container.js';
import { Linear } from '../nn/layers/linear.js';
import { Conv4 } from '../nn/models/conv4.js';
import { Module, type AnyModule } from '../nn/module.js';

/** Which trunk: an MLP (Linear–ReLU–Linear–ReLU) or the Conv-4 feature extractor. */
export type TrunkKind = 'mlp' | 'conv4';

export interface TrunkSpec {
  kind: TrunkKind;
  /** input image shape [C, H, W] */
  inputShape: readonly [number, number, number];
  /** MLP hidden width (default 256) or Conv-4 filters (default 64) */
  hidden?: number;
  dtype?: FloatDType;
}

/**
 * A shared trunk and its last layer (the module GradNorm measures gradient norms on). The MLP trunk is the body of
 * `MLP([C·H·W, h, h, classes])` with a ReLU after the second layer (parameter names `0.*`, `2.*`, as MLP's), so an
 * MLP source model of `transfer/` and this trunk with a head are the same network.
 */
export function buildTrunk(spec: TrunkSpec, rng: Rng): { trunk: AnyModule; featureDim: number; lastLayer: string } {
  const [c, h, w] = spec.inputShape;
  const dtype = spec.dtype ?? 'float32';
  switch (spec.kind) {
    case 'mlp': {
      const width = spec.hidden ?? 256;
      const trunk = new Sequential(new Linear(c * h * w, width, { rng, dtype }), new ReLU(), new Linear(width, width, { rng, dtype }), new ReLU());
      return { trunk, featureDim: width, lastLayer: '2' };
    }
    case 'conv4': {
      if (h !== w) throw new ArgumentError('buildTrunk', `conv4 needs square images, got ${h}×${w}`);
      const trunk = new Conv4({ rng, inChannels: c, imageSize: h, hidden: spec.hidden ?? 64, numClasses: 0, dtype });
      return { trunk, featureDim: trunk.featureDim, lastLayer: 'features.3.0' };
    }
  }
}

/**
 * Hard parameter sharing (Caruana 1997): `trunk` computes features shared by every task and `heads.<t>` is task t's
 * linear classifier. `call(x, t)` gives task t's logits; `features(x)` runs the trunk once, so a step can put every
 * task's batch through the trunk together and split the rows among the heads.
 * @example
 * const net = new MultiTaskModel({ kind: 'mlp', inputShape: [1, 28, 28] }, [10, 2], rng);
 * net.call(x, 1);   // [n, 2] logits of task 1
 */
export class MultiTaskModel extends Module<[Tensor, number], Tensor> {
  readonly featureDim: number;
  readonly numClasses: readonly number[];
  readonly spec: TrunkSpec;
  /** dotted name (inside `trunk`) of the trunk's last layer */
  readonly lastLayer: string;

  constructor(spec: TrunkSpec, numClasses: readonly number[], rng: Rng) {
    super();
    if (numClasses.length === 0) throw new ArgumentError('MultiTaskModel', 'needs at least one task');
    for (const k of numClasses) if (!Number.isInteger(k) || k < 1) throw new ArgumentError('MultiTaskModel', `class counts must be positive integers, got [${numClasses.join(', ')}]`);
    const { trunk, featureDim, lastLayer } = buildTrunk(spec, rng.fork('trunk'));
    this.registerModule('trunk', trunk);
    this.registerModule('heads', new ModuleList(numClasses.map((k, t) => new Linear(featureDim, k, { rng: rng.fork(`head/${t}`), dtype: spec.dtype ?? 'float32' }))));
    this.featureDim = featureDim;
    this.numClasses = numClasses.slice();
    this.spec = spec;
    this.lastLayer = lastLayer;
  }

  get numTasks(): number {
    return this.numClasses.length;
  }

  /** Shared features [n, featureDim] of images [n, C, H, W]. */
  features(x: Tensor): Tensor {
    return this.spec.kind === 'mlp' ? this.child('trunk').call(x.flatten(1)) : this.child('trunk').call(x);
  }

  head(task: number): AnyModule {
    if (!Number.isInteger(task) || task < 0 || task >= this.numTasks) throw new ArgumentError('MultiTaskModel', `task ${task} outside [0, ${this.numTasks})`);
    return this.child<ModuleList>('heads').at(task);
  }

  forward(x: Tensor, task: number): Tensor {
    return this.head(task).call(this.features(x));
  }

  /** The trunk's parameters, shared by all tasks (names as in the model: `trunk.0.weight`, …). */
  sharedParameters(): [string, Tensor][] {
    return this.child('trunk').namedParameters('trunk');
  }

  /** Task t's own parameters (its head). */
  taskParameters(task: number): [string, Tensor][] {
    return this.head(task).namedParameters(`heads.${task}`);
  }

  /** Parameters of the trunk's last layer (GradNorm's W). */
  lastSharedParameters(): [string, Tensor][] {
    return this.child('trunk').getSubmodule(this.lastLayer).namedParameters(`trunk.${this.lastLayer}`);
  }
}
