// Run directories: config provenance, flushed metrics lines, torn tails skipped, runs found under a root.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findRuns, provenance, RunDir } from '../src/runs/run-dir.js';

describe('RunDir', () => {
  it('writes config with provenance, appends metrics, skips a torn last line, reads the summary', () => {
    const root = mkdtempSync(join(tmpdir(), 'adaptlab-rundir-'));
    try {
      const run = RunDir.create(join(root, 'a'), provenance('pretrain', ['adaptlab', 'pretrain', '--seed', '3'], 3), { objective: 'rotation' });
      const cfg = run.config<Record<string, unknown>>();
      assert.equal(cfg.kind, 'pretrain');
      assert.equal(cfg.seed, 3);
      assert.equal(cfg.objective, 'rotation');
      assert.ok(typeof cfg.backend === 'string' && typeof cfg.threads === 'number' && typeof cfg.adaptlab === 'string');
      assert.equal(run.summary(), null);
      run.log({ step: 1, loss: 2 });
      run.logFast({ step: 2, loss: 1.5 });
      appendFileSync(run.path('metrics.jsonl'), '{"step": 3, "lo');
      assert.deepEqual(run.metrics(), [{ step: 1, loss: 2 }, { step: 2, loss: 1.5 }]);
      run.writeSummary({ accuracy: 0.5 });
      assert.deepEqual(RunDir.open(run.dir).summary(), { accuracy: 0.5 });
      mkdirSync(join(root, 'sweep', 'cell-1'), { recursive: true });
      RunDir.create(join(root, 'sweep', 'cell-1'), provenance('finetune', ['adaptlab', 'finetune'], null));
      assert.deepEqual(findRuns(root).map((d) => d.slice(root.length)), ['/a', '/sweep/cell-1']);
      assert.throws(() => RunDir.open(join(root, 'sweep')), /not a run directory/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
