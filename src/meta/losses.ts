// The task loss and metric of a meta-learning problem: cross-entropy and accuracy, MSE, or a Gaussian's NLL.
import { ArgumentError } from '../core/errors.js';
import { noGrad } from '../engine/autograd.js';
import { add, div, log, mul, square, sub } from '../engine/ops/elementwise.js';
import type { Tensor } from '../engine/tensor.js';
import { crossEntropy, mseLoss } from '../engine/ops/nn.js';
import { argmax, mean } from '../engine/ops/reduce.js';

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

/** One task's contribution to a meta-batch: its differentiable loss, and the outputs and labels to score. */
export interface TaskResult {
  loss: Tensor;
  out: Tensor;
  y: Tensor;
}

/**
 * The meta-batch loop most learners share: for each task, backpropagate loss/B (one task's graph alive at a
 * time, so memory stays at one task's) and average the loss and the accuracy over the batch.
 */
export function backwardOverTasks<T>(where: string, problem: Problem, tasks: readonly T[], perTask: (task: T) => TaskResult): { loss: number; accuracy?: number } {
  if (tasks.length === 0) throw new ArgumentError(where, 'metaBackward needs at least one task');
  let loss = 0, acc = 0;
  for (const task of tasks) {
    const r = perTask(task);
    mul(r.loss, 1 / tasks.length).backward();
    loss += r.loss.item() / tasks.length;
    if (problem === 'classification') acc += accuracy(r.out, r.y) / tasks.length;
  }
  return problem === 'classification' ? { loss, accuracy: acc } : { loss };
}

/** −mean log N(y | μ, σ²): the loss of a learner that predicts a distribution (CNP) and its evaluation NLL. */
export function gaussianNll(y: Tensor, mu: Tensor, sigma: Tensor): Tensor {
  const z = div(sub(y, mu), sigma);
  return mean(add(add(mul(square(z), 0.5), log(sigma)), 0.5 * Math.log(2 * Math.PI)));
}
