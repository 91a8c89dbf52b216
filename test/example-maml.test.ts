// Runs examples/maml-sinusoid.ts briefly: second-order MAML must drive the post-adaptation query loss well down.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trainMamlSinusoid } from '../examples/maml-sinusoid.js';

describe('examples/maml-sinusoid', () => {
  it('400 meta-iterations (K = 10, α = 0.01, meta-batch 25) cut the post-adaptation query MSE by over 30%', () => {
    const r = trainMamlSinusoid({ iterations: 400, seed: 1, evalEvery: 400, evalTasks: 50 });
    const start = r.history[0]!.postAdaptLoss, end = r.history[r.history.length - 1]!.postAdaptLoss;
    assert.ok(start > 2, `initial post-adaptation loss ${start} is that of an untrained model`);
    assert.ok(end < 0.7 * start, `post-adaptation query MSE went from ${start.toFixed(3)} to ${end.toFixed(3)}`);
  });
});
