// The task loss and metric of a meta-learning problem: cross-entropy and accuracy, or MSE.
import { noGrad } from '../engine/autograd.js';
import type { Tensor } from '../engine/tensor.js';
import { crossEntropy, mseLoss } from '../engine/ops/nn.js';
import { argmax } from '../engine/ops/reduce.js';

export type Problem = 'classification' | 'regression';

/** Cross-entropy on logits and int32 labels, or mean squared error. */
export function taskLoss(problem: Problem, out: Tensor, y: Tensor): Tensor {
  return problem === 'classification' ? crossEntropy(out, y) : mseLoss(out, y);
}

/** Fraction of rows whose arg-max logit is the label. */
export function accuracy(logits: Tensor, y: Tensor): number {
  return noGrad(() => {
    const pred = argmax(logits, -1);
    let hit = 0;
    for (let i = 0; i < y.data.length; i++) if (pred.data[i] === y.data[i]) hit++;
    return y.data.length ? hit / y.data.length : 0;
  });
}

/** The evaluation metric: accuracy for classification, MSE for regression. */
export function taskMetric(problem: Problem, out: Tensor, y: Tensor): number {
  return problem === 'classification' ? accuracy(out, y) : noGrad(() => mseLoss(out, y).item());
}
