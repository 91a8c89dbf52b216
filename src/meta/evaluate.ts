// The evaluation protocol: adapt on each fixed task's support, score its query, report mean ± 95% CI.
import { ArgumentError } from '../core/errors.js';
import type { MetaLearner, Task } from './learner.js';
import { noGrad } from '../engine/autograd.js';
import { gaussianNll, taskMetric } from './losses.js';

/** Mean and 95% confidence interval over tasks (REFERENCE §4: mean ± 1.96·std/√n, population std). */
export interface EvaluationResult {
  metric: 'accuracy' | 'mse';
  mean: number;
  ci95: number;
  episodes: number;
  /** the metric of each task, in order */
  perTask: number[];
  /** for learners with `predictDistribution` (CNP): the query's Gaussian negative log-likelihood, mean ± CI over tasks */
  nll?: { mean: number; ci95: number; perTask: number[] };
}

/** mean ± 1.96·σ/√n with σ the population standard deviation, as CloserLookFewShot and MAML's code report. */
export function meanCi95(values: readonly number[]): { mean: number; ci95: number } {
  const n = values.length;
  if (n === 0) throw new ArgumentError('meanCi95', 'no values');
  const mean = values.reduce((a, v) => a + v, 0) / n;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
  return { mean, ci95: (1.96 * Math.sqrt(variance)) / Math.sqrt(n) };
}

/**
 * Evaluate a learner on a fixed list of tasks: the same tasks for every method makes numbers comparable.
 * Accuracy is in [0, 1]; regression reports the query MSE, and for a learner that predicts a distribution over y
 * also the negative log-likelihood of the query points under it (per task the mean over its points; mean ± CI over tasks).
 * @example const { mean, ci95 } = evaluate(learner, sampler.fixed(42, 600)); // 5-way 1-shot accuracy ± CI
 */
export function evaluate(learner: MetaLearner, tasks: Iterable<Task>, opts: { onTask?: (i: number, value: number) => void } = {}): EvaluationResult {
  const perTask: number[] = [], perTaskNll: number[] = [];
  // eval mode while evaluating (dropout off), as a PyTorch user would; each learner's BatchNorm policy is explicit
  const modes = learner.model.modules().map((m) => [m, m.training] as const);
  learner.model.eval();
  try {
    for (const task of tasks) {
      // a learner that predicts a distribution is run once per task: its point prediction is the distribution's mean
      const dist = learner.predictDistribution?.(task.support, task.query.x);
      const value = taskMetric(learner.problem, dist ? dist.mean : learner.adapt(task.support)(task.query.x), task.query.y);
      perTask.push(value);
      if (dist) perTaskNll.push(noGrad(() => gaussianNll(task.query.y, dist.mean, dist.std).item()));
      opts.onTask?.(perTask.length - 1, value);
    }
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
  const { mean, ci95 } = meanCi95(perTask);
  const result: EvaluationResult = { metric: learner.problem === 'classification' ? 'accuracy' : 'mse', mean, ci95, episodes: perTask.length, perTask };
  if (perTaskNll.length) result.nll = { ...meanCi95(perTaskNll), perTask: perTaskNll };
  return result;
}
