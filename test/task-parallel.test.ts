// Task-parallel meta-gradients: worker shares add up to the single-thread meta-gradient, deterministically.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backendInfo } from '../src/backend/index.js';
import { Rng } from '../src/engine/rng.js';
import type { Task } from '../src/meta/learner.js';
import { buildLearner, trainTaskSource, type MetaConfig } from '../src/meta/recipes.js';
import { TaskParallel, WorkerError, splitShares } from '../src/meta/task-parallel.js';
import { Tensor } from '../src/engine/tensor.js';

const backend = (): 'native' | 'ts' => backendInfo().name;

function grads(l: { namedMetaParameters(): [string, Tensor][] }): Float32Array[] {
  return l.namedMetaParameters().map(([, p]) => Float32Array.from(p.grad!.data as Float32Array));
}

function zero(l: { namedMetaParameters(): [string, Tensor][] }): void {
  for (const [, p] of l.namedMetaParameters()) p.grad = null;
}

/** Largest |a − b| relative to the largest |a| over all parameters. */
function relDiff(a: Float32Array[], b: Float32Array[]): number {
  let num = 0, den = 0;
  a.forEach((x, j) => x.forEach((v, i) => { num = Math.max(num, Math.abs(v - b[j]![i]!)); den = Math.max(den, Math.abs(v)); }));
  return num / den;
}

describe('TaskParallel', () => {
  it('splits a meta-batch into contiguous shares, the first ones larger', () => {
    assert.deepEqual(splitShares(32, 2), [[0, 16], [16, 32]]);
    assert.deepEqual(splitShares(25, 3), [[0, 9], [9, 17], [17, 25]]);
    assert.deepEqual(splitShares(2, 3), [[0, 1], [1, 2], [2, 2]]);
  });

  for (const method of ['maml', 'meta-sgd'] as const) {
    it(`${method}: the meta-gradient and metrics over 2 and 3 workers equal one thread's; the same twice`, async () => {
      const config: MetaConfig = { method, dataset: 'sinusoid', ways: 1, shots: 5, queries: 5, metaBatch: 7, seed: 3 };
      const tasks: Task[] = trainTaskSource(config)(new Rng(11));
      const serial = buildLearner(config);
      // a few outer steps away from the initialisation, so the workers must take θ from the parent, not rebuild it
      for (const [, p] of serial.namedMetaParameters()) { const d = p.data as Float32Array; for (let i = 0; i < d.length; i++) d[i] += 0.01 * Math.sin(i + 1); }
      const ref = serial.metaBackward(tasks, { step: 0, totalSteps: null });
      const want = grads(serial);
      for (const workers of [2, 3]) {
        const inner = buildLearner(config);
        inner.namedMetaParameters().forEach(([, p], j) => (p.data as Float32Array).set(serial.namedMetaParameters()[j]![1].data as Float32Array));
        const par = new TaskParallel(inner, { workers, config, backend: backend() });
        try {
          const m1 = par.metaBackward(tasks, { step: 0, totalSteps: null });
          const g1 = grads(par);
          assert.ok(relDiff(want, g1) < 1e-5, `${workers} workers: meta-gradient differs by ${relDiff(want, g1)}`);
          assert.ok(Math.abs(m1.loss - ref.loss) < 1e-6 * Math.max(1, ref.loss), `loss ${m1.loss} vs ${ref.loss}`);
          zero(par);
          par.metaBackward(tasks, { step: 1, totalSteps: null });
          grads(par).forEach((g, j) => assert.ok(Buffer.from(g.buffer).equals(Buffer.from(g1[j]!.buffer)), 'a second identical call differs'));
        } finally {
          await par.close();
        }
      }
    });
  }

  it('a failure in a worker is a WorkerError naming the worker and the cause; methods with state are refused', async () => {
    const config: MetaConfig = { method: 'maml', dataset: 'sinusoid', ways: 1, shots: 5, queries: 5, metaBatch: 4, seed: 0 };
    const tasks = trainTaskSource(config)(new Rng(1));
    const par = new TaskParallel(buildLearner(config), { workers: 2, config, backend: backend() });
    try {
      const bad = tasks.slice();
      bad[3] = { ...bad[3]!, query: { x: new Tensor(new Float32Array(10), [5, 2], 'float32'), y: bad[3]!.query.y } };
      assert.throws(() => par.metaBackward(bad, { step: 0, totalSteps: null }), (e: unknown) => e instanceof WorkerError && /worker 1: ShapeError/.test(e.message));
      // the workers are still there for the next step
      par.metaBackward(tasks, { step: 1, totalSteps: null });
    } finally {
      await par.close();
    }
    assert.throws(() => new TaskParallel(buildLearner({ ...config, method: 'reptile' }), { workers: 2, config, backend: backend() }), /reptile cannot split/);
  });
});
