// Learning-rate schedules (step, multi-step, exponential, cosine, linear warm-up, lambda, sequential).
import { ArgumentError } from '../core/errors.js';
import type { Optimizer } from './optimizer.js';

/**
 * A schedule sets each group's lr to base_lr · factor(epoch) (closed form, so it can be resumed from any
 * epoch). Call step() once per epoch (or per iteration, as you define the unit).
 * @example const sched = new CosineAnnealingLR(opt, 100); for (...) { train(); sched.step(); }
 */
export abstract class LRScheduler {
  readonly baseLrs: number[];
  lastEpoch = 0;
  /** Subclasses call `this.apply()` at the end of their constructor to set epoch 0's rates. */
  constructor(readonly optimizer: Optimizer) {
    // Like PyTorch's initial_lr: the first schedule on an optimiser records the base rates, so schedules
    // created later (SequentialLR's parts) start from them rather than from a rate already scheduled.
    this.baseLrs = [];
    this.syncGroups();
  }
  /** Record the base rate of groups added to the optimiser (addParamGroup) since the last call. */
  protected syncGroups(): void {
    const groups = this.optimizer.paramGroups;
    for (let i = this.baseLrs.length; i < groups.length; i++) {
      const g = groups[i]!;
      if (typeof g.hyper['initialLr'] !== 'number') g.hyper['initialLr'] = g.hyper.lr;
      this.baseLrs.push(g.hyper['initialLr'] as number);
    }
  }
  abstract factor(epoch: number): number;
  step(): void {
    this.lastEpoch++;
    this.apply();
  }
  /** Jump to an epoch (for resuming). */
  setEpoch(epoch: number): void {
    this.lastEpoch = epoch;
    this.apply();
  }
  protected apply(): void {
    this.syncGroups();
    const f = this.factor(this.lastEpoch);
    this.optimizer.paramGroups.forEach((g, i) => (g.hyper.lr = this.baseLrs[i]! * f));
  }
  getLastLr(): number[] {
    return this.optimizer.lrs;
  }
}

/** lr · γ^⌊epoch / stepSize⌋. */
export class StepLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly stepSize: number, readonly gamma = 0.1) {
    if (!(stepSize >= 1)) throw new ArgumentError('StepLR', `stepSize must be ≥ 1, got ${stepSize}`);
    super(optimizer);
    this.apply();
  }
  factor(epoch: number): number {
    return Math.pow(this.gamma, Math.floor(epoch / this.stepSize));
  }
}

/** lr · γ^(number of milestones ≤ epoch). */
export class MultiStepLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly milestones: number[], readonly gamma = 0.1) {
    super(optimizer);
    this.apply();
  }
  factor(epoch: number): number {
    return Math.pow(this.gamma, this.milestones.filter((m) => m <= epoch).length);
  }
}

/** lr · γ^epoch. */
export class ExponentialLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly gamma: number) {
    super(optimizer);
    this.apply();
  }
  factor(epoch: number): number {
    return Math.pow(this.gamma, epoch);
  }
}

/** Cosine annealing (Loshchilov & Hutter 2017) from lr to etaMin over tMax epochs, then held. */
export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly tMax: number, readonly etaMin = 0) {
    if (!(tMax >= 1)) throw new ArgumentError('CosineAnnealingLR', `tMax must be ≥ 1, got ${tMax}`);
    super(optimizer);
    this.apply();
  }
  factor(epoch: number): number {
    const e = Math.min(epoch, this.tMax);
    const base = this.baseLrs[0] || 1;
    const cos = (1 + Math.cos((Math.PI * e) / this.tMax)) / 2;
    return (this.etaMin + (base - this.etaMin) * cos) / base;
  }
  protected override apply(): void {
    this.syncGroups();
    const e = Math.min(this.lastEpoch, this.tMax);
    const cos = (1 + Math.cos((Math.PI * e) / this.tMax)) / 2;
    this.optimizer.paramGroups.forEach((g, i) => (g.hyper.lr = this.etaMin + (this.baseLrs[i]! - this.etaMin) * cos));
  }
}

/** Linear warm-up: factor goes from startFactor to endFactor over totalIters epochs, then stays. */
export class LinearLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly startFactor = 1 / 3, readonly endFactor = 1, readonly totalIters = 5) {
    super(optimizer);
    this.apply();
  }
  factor(epoch: number): number {
    const t = Math.min(epoch, this.totalIters) / this.totalIters;
    return this.startFactor + (this.endFactor - this.startFactor) * t;
  }
}

/** lr · fn(epoch). */
export class LambdaLR extends LRScheduler {
  constructor(optimizer: Optimizer, private readonly fn: (epoch: number) => number) {
    super(optimizer);
    this.apply();
  }
  factor(epoch: number): number {
    return this.fn(epoch);
  }
}

/**
 * Schedules one after another: schedulers[i] runs from milestones[i-1] with its own epoch count
 * (e.g. LinearLR warm-up for 5 epochs, then CosineAnnealingLR).
 */
export class SequentialLR extends LRScheduler {
  constructor(optimizer: Optimizer, private readonly schedulers: LRScheduler[], private readonly milestones: number[]) {
    if (milestones.length !== schedulers.length - 1) throw new ArgumentError('SequentialLR', 'needs one milestone fewer than schedulers');
    super(optimizer);
    this.apply();
  }
  private active(epoch: number): [LRScheduler, number] {
    let i = 0;
    while (i < this.milestones.length && epoch >= this.milestones[i]!) i++;
    return [this.schedulers[i]!, i === 0 ? epoch : epoch - this.milestones[i - 1]!];
  }
  factor(epoch: number): number {
    const [s, e] = this.active(epoch);
    return s.factor(e);
  }
  protected override apply(): void {
    const [s, e] = this.active(this.lastEpoch);
    s.setEpoch(e);
  }
}
