// The meta-training loop: bit-identical across processes, resumable after kill -9, time budgets and validation.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GaussianClassTasks, MLP, ProtoNet, Reptile, Rng, improves, latestCheckpoint, metaTrain, Module, type Tensor } from '../src/index.js';
import { repoPath } from './helpers.js';

function child(dir: string, method: string, steps: number, killAfter = -1, resume = false): number | null {
  const r = spawnSync(process.execPath, [repoPath('dist', 'test', 'meta-train-child.js'), dir, method, String(steps), String(killAfter), resume ? '1' : '0'], { encoding: 'utf8', env: { ...process.env, ADAPTLAB_THREADS: '1' } });
  if (r.status !== 0 && r.signal !== 'SIGKILL') assert.fail(`child failed: ${r.stderr}`);
  return r.status;
}

const bytes = (dir: string, file: string): Buffer => readFileSync(join(latestCheckpoint(dir)!, file));

describe('metaTrain', () => {
  for (const method of ['maml', 'reptile']) {
    it(`${method}: same seed ⇒ bit-identical checkpoints after 20 meta-steps in two processes; kill -9 + resume ends identical`, () => {
      const root = mkdtempSync(join(tmpdir(), 'adaptlab-meta-'));
      try {
        const a = join(root, 'a'), b = join(root, 'b'), c = join(root, 'c');
        child(a, method, 20);
        child(b, method, 20);
        assert.ok(bytes(a, 'learner.safetensors').equals(bytes(b, 'learner.safetensors')), 'two runs differ');
        assert.ok(bytes(a, 'optimizer.safetensors').equals(bytes(b, 'optimizer.safetensors')));
        assert.equal(child(c, method, 20, 12), null); // killed after step 12; the last checkpoint is step 10
        assert.match(latestCheckpoint(c)!, /step-00000010$/);
        child(c, method, 20, -1, true);
        assert.match(latestCheckpoint(c)!, /step-00000020$/);
        assert.ok(bytes(a, 'learner.safetensors').equals(bytes(c, 'learner.safetensors')), 'resumed run differs from the uninterrupted one');
        assert.ok(bytes(a, 'optimizer.safetensors').equals(bytes(c, 'optimizer.safetensors')));
        assert.deepEqual(JSON.parse(readFileSync(join(a, 'best', 'trainer.json'), 'utf8')).best, JSON.parse(readFileSync(join(c, 'best', 'trainer.json'), 'utf8')).best);
        assert.ok(readdirSync(join(c, 'checkpoints')).every((n) => /^step-\d{8}$/.test(n)), 'temporary directories left behind');
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }

  it('Reptile under a time budget anneals its outer step linearly over the fraction of the budget used', () => {
    const fam = new GaussianClassTasks({ dim: 4, ways: 2 });
    const learner = new Reptile({ model: new MLP([4, 6, 2], { rng: new Rng(1) }), innerLr: 0.01, innerSteps: 2, outerLr: 0.5, rng: new Rng(2) });
    let clock = 0;
    const seen: { lr: number; elapsed: number }[] = [];
    const r = metaTrain({
      learner, seed: 3, timeBudget: 20, now: () => (clock += 1), tasks: (rng) => [fam.sampleEpisode(rng, { shots: 1, queries: 2 })],
      onStep: ({ lr, elapsed }) => seen.push({ lr, elapsed }),
    });
    assert.equal(r.stoppedBy, 'time');
    assert.ok(seen.length >= 5, `${seen.length} steps`);
    for (const { lr, elapsed } of seen) assert.ok(Math.abs(lr - 0.5 * Math.max(0, 1 - elapsed / 20)) < 1e-12, `lr ${lr} at ${elapsed} s`);
    assert.ok(seen.at(-1)!.lr < seen[0]!.lr);
  });

  it('a cosine outer schedule under a time budget follows ηmin + (lr0 − ηmin)(1 + cos πp)/2 over the budget used', () => {
    const fam = new GaussianClassTasks({ dim: 4, ways: 2 });
    const learner = new Reptile({ model: new MLP([4, 6, 2], { rng: new Rng(1) }), innerLr: 0.01, innerSteps: 2, outerLr: 0.5, rng: new Rng(2) });
    let clock = 0;
    const seen: { lr: number; elapsed: number }[] = [];
    const r = metaTrain({
      learner, seed: 3, timeBudget: 20, schedule: { kind: 'cosine', etaMin: 0.05 }, now: () => (clock += 1),
      tasks: (rng) => [fam.sampleEpisode(rng, { shots: 1, queries: 2 })], onStep: ({ lr, elapsed }) => seen.push({ lr, elapsed }),
    });
    assert.equal(r.stoppedBy, 'time');
    assert.ok(seen.length >= 5, `${seen.length} steps`);
    for (const { lr, elapsed } of seen) {
      const want = 0.05 + 0.45 * (1 + Math.cos(Math.PI * Math.min(1, elapsed / 20))) / 2;
      assert.ok(Math.abs(lr - want) < 1e-12, `lr ${lr} at ${elapsed} s, want ${want}`);
    }
  });

  it('stops at a time budget, on a stop request, and keeps the best validation checkpoint', () => {
    const fam = new GaussianClassTasks({ dim: 4, ways: 2 });
    class Enc extends Module { constructor() { super(); this.registerModule('m', new MLP([4, 8], { rng: new Rng(0) })); } forward(x: Tensor): Tensor { return this.child('m').call(x); } }
    let clock = 0;
    const learner = new ProtoNet({ encoder: new Enc() });
    const r = metaTrain({ learner, seed: 1, timeBudget: 10, now: () => (clock += 1), tasks: (rng) => [fam.sampleEpisode(rng, { shots: 1, queries: 2 })] });
    assert.equal(r.stoppedBy, 'time');
    assert.ok(r.steps >= 3 && r.steps <= 5, `${r.steps} steps`);
    const stop = { requested: false };
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-meta-'));
    try {
      const seen: number[] = [];
      const r2 = metaTrain({
        learner, seed: 1, steps: 100, stop, dir, tasks: (rng) => [fam.sampleEpisode(rng, { shots: 1, queries: 2 })],
        validation: { every: 2, tasks: () => [fam.sampleEpisode(new Rng(5), { shots: 1, queries: 4 })] },
        onValidation: ({ step }) => seen.push(step),
        onStep: ({ step }) => { if (step === 7) stop.requested = true; },
      });
      assert.equal(r2.stoppedBy, 'signal');
      assert.equal(r2.steps, 7);
      assert.deepEqual(seen, [2, 4, 6, 7]);
      assert.match(latestCheckpoint(dir)!, /step-00000007$/);
      assert.ok(existsSync(join(dir, 'best', 'learner.safetensors')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('best-checkpoint selection', () => {
  it('keeps higher accuracy and lower MSE; a diverged (non-finite) validation never becomes best', () => {
    assert.equal(improves('accuracy', 0.6, 0.5), true);
    assert.equal(improves('accuracy', 0.5, 0.5), false);
    assert.equal(improves('mse', 0.3, 0.4), true);
    assert.equal(improves('mse', 0.5, 0.4), false);
    assert.equal(improves('mse', 0.5, undefined), true);
    assert.equal(improves('mse', Number.NaN, undefined), false, 'a NaN first validation is not best');
    assert.equal(improves('mse', Number.POSITIVE_INFINITY, 3), false);
    assert.equal(improves('mse', 7, Number.NaN), true, 'a finite score replaces a NaN best');
    assert.equal(improves('accuracy', 0.2, null), true, 'nor does a NaN best read back from JSON (null) block it');
  });
});
