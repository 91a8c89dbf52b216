// The one shape every meta-learner has: meta-gradients from a batch of tasks, and adapt(support) → predictor.
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import type { AnyModule } from '../nn/module.js';

/** A labelled set: x [n, ...], y int32 [n] (classification) or float [n, d] (regression). */
export interface LabeledSet {
  x: Tensor;
  y: Tensor;
}

/**
 * A task (episode): learn from `support`, be judged on `query`. Image episodes from `EpisodeSampler`, sinusoid
 * tasks from `SinusoidTasks.sampleEpisode` and `GaussianClassTasks` episodes all have this shape.
 */
export interface Task {
  support: LabeledSet;
  query: LabeledSet;
}

/** What a learner produces from a support set: x → logits [n, ways] (classification) or predictions [n, d]. */
export type Predictor = (x: Tensor) => Tensor;

/** Numbers a meta-training step reports (means over the tasks of the batch). */
export interface MetaStepMetrics {
  /** mean query loss after adaptation */
  loss: number;
  /** mean query accuracy (classification) */
  accuracy?: number;
  /** mean query MSE, for regression learners whose loss is not the MSE (CNP's is a likelihood) */
  mse?: number;
}

/** Where meta-training stands, for learners whose behaviour changes over training (MAML++'s annealing). */
export interface MetaStepContext {
  /** 0-based meta-iteration */
  step: number;
  /** total meta-iterations planned (null for a time budget) */
  totalSteps: number | null;
  /** randomness of this step (Reptile's mini-batches), derived from the run's seed and the step: resumable */
  rng?: Rng;
}

/**
 * A meta-learner (Finn et al.'s and Vinyals et al.'s episodic setting). Meta-training calls `metaBackward` on a
 * batch of tasks, which leaves meta-gradients in `.grad` of `namedMetaParameters()`; an outer optimiser steps
 * them. Evaluation calls `adapt(support)` and applies the returned predictor to the query.
 *
 * Families: optimisation-based (MAML and variants: adapt = gradient steps on the support), non-parametric
 * (ProtoNets, matching networks: adapt = embed the support), black-box (a network reads the support).
 */
export interface MetaLearner {
  /** the method's name as the CLI spells it (`maml`, `protonet`, …) */
  readonly method: string;
  /** what the tasks are: classification (loss: cross-entropy, metric: accuracy) or regression (MSE) */
  readonly problem: 'classification' | 'regression';
  /** the network being meta-learned (a checkpoint's `model.*` tensors) */
  readonly model: AnyModule;
  /** every meta-parameter with a dotted name: the model's (`model.…`) plus the learner's own (Meta-SGD's `lrs.…`) */
  namedMetaParameters(): [string, Tensor][];
  /** Compute the meta-loss of `tasks`, backpropagate it into the meta-parameters' `.grad`, report metrics. */
  metaBackward(tasks: readonly Task[], ctx: MetaStepContext): MetaStepMetrics;
  /** Adapt to a support set; the predictor does not change the learner. */
  adapt(support: LabeledSet): Predictor;
  /**
   * For learners that output a distribution over y (CNP): the Gaussian (μ, σ) at x given the support; `adapt`'s
   * predictor must return its μ. With it, `evaluate` scores μ and also reports the query negative log-likelihood.
   */
  predictDistribution?(support: LabeledSet, x: Tensor): { mean: Tensor; std: Tensor };
  /** The outer optimiser the method's paper uses, if it is not Adam(lr 1e-3). */
  readonly outer?: { optimizer: 'adam' | 'sgd'; lr: number };
}
