// `adaptlab multitask` end to end on the embedded MNIST digits: JSON fields, the run directory, transfer rows; usage errors exit 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoPath } from './helpers.js';

function run(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [repoPath('bin', 'adaptlab.js'), ...args], { encoding: 'utf8', env: { ...process.env, ADAPTLAB_THREADS: '1', ADAPTLAB_DATA_DIR: join(tmpdir(), 'adaptlab-no-data-dir') } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('adaptlab multitask', () => {
  it('two tasks from the digits: per-task accuracy, average and Δ_MTL against single-task baselines; a run directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-multitask-cli-'));
    try {
      const out = join(dir, 'run');
      const r = run(['multitask', '--tasks', 'mnist,mnist:parity', '--weighting', 'pcgrad', '--weighting', 'static:2,1', '--epochs', '1', '--train-size', '300,200',
        '--test-size', '200', '--seeds', '2', '--json', '--out', out]);
      assert.equal(r.code, 0, r.err);
      const j = JSON.parse(r.out);
      assert.deepEqual(j.tasks.map((t: { name: string }) => t.name), ['mnist', 'mnist:parity']);
      assert.deepEqual(j.tasks.map((t: { trainSize: number; classes: number }) => [t.trainSize, t.classes]), [[300, 10], [200, 2]]);
      assert.deepEqual(j.seeds, [0, 1]);
      assert.equal(j.weighting, 'pcgrad');
      assert.deepEqual(j.methods.map((m: { weighting: string }) => m.weighting), ['pcgrad', 'static:2,1']);
      for (const m of j.methods) {
        assert.equal(m.perTask.length, 2);
        for (const t of m.perTask) {
          assert.equal(t.accuracy.perSeed.length, 2);
          assert.ok(t.accuracy.mean > 0.3 && t.accuracy.mean <= 1, `${m.weighting} ${t.task}: ${t.accuracy.mean}`);
          assert.equal(typeof t.accuracy.ci95, 'number');
        }
        // Δ_MTL per seed is the mean relative change against that seed's baselines
        m.deltaMtl.perSeed.forEach((d: number, s: number) => {
          const expected = m.perTask.reduce((a: number, t: { accuracy: { perSeed: number[] } }, i: number) => {
            const b = j.baselines.perTask[i].accuracy.perSeed[s];
            return a + (t.accuracy.perSeed[s] - b) / b;
          }, 0) / 2;
          assert.ok(Math.abs(d - expected) < 1e-12);
        });
        assert.ok(Math.abs(m.average.mean - (m.perTask[0].accuracy.mean + m.perTask[1].accuracy.mean) / 2) < 1e-12);
      }
      assert.deepEqual(j.perTask, j.methods[0].perTask);
      assert.deepEqual(j.deltaMtl, j.methods[0].deltaMtl);
      assert.equal(j.transfer, null);
      for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'report.html']) assert.ok(existsSync(join(out, f)), f);
      const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
      assert.equal(config.kind, 'multitask');
      assert.deepEqual(config.weightings, ['pcgrad', 'static:2,1']);
      assert.deepEqual(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).deltaMtl, j.deltaMtl);
      const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.ok(lines.some((l) => l.run === 'mtl:pcgrad' && l.losses.length === 2));
      assert.equal(lines.filter((l) => l.accuracy).length, 2 * 4); // per seed: 2 baselines, 2 methods
      const again = run(['multitask', '--tasks', 'mnist', '--epochs', '1', '--out', out]);
      assert.equal(again.code, 2, 'a second run into the same directory is refused');
      assert.match(again.err, /already holds a run/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--transfer: pre-train on the first task, fine-tune on the others, beside joint training', () => {
    const r = run(['multitask', '--tasks', 'mnist:classes=0-4,mnist:classes=5-9', '--transfer', 'linear-probe', '--epochs', '1', '--train-size', '300,50', '--test-size', '100', '--seeds', '1', '--json']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.weighting, 'uniform');
    assert.equal(j.transfer.source, 'mnist:classes=0-4');
    const s = j.transfer.strategies[0];
    assert.equal(s.strategy, 'linear-probe');
    assert.equal(s.perTarget[0].task, 'mnist:classes=5-9');
    // a linear probe leaves the trunk alone, so the source task keeps its accuracy exactly
    assert.equal(s.perTarget[0].sourceAccuracyAfter.mean, j.transfer.sourceAccuracyBefore.mean);
  });

  it('bad weightings, tasks, sampling and budgets are usage errors (exit 2) that list the valid values', () => {
    const cases: [string[], RegExp][] = [
      [['multitask', '--tasks', 'mnist,mnist:parity', '--weighting', 'mgda'], /uniform\|static:W1,W2,..\|uncertainty\[:regression\]\|gradnorm\[:ALPHA\]\|pcgrad\|cagrad\[:C\]\|nash-mtl/],
      [['multitask', '--tasks', 'mnist,mnist:parity', '--weighting', 'static:1,2,3'], /3 weights for 2 tasks/],
      [['multitask', '--tasks', 'mnist,mnist:odd'], /omniglot:ALPHABET/],
      [['multitask', '--tasks', 'mnist', '--sampling', 'random'], /proportional\|uniform\|temperature:T/],
      [['multitask', '--tasks', 'mnist', '--epochs', '2', '--time-budget', '5'], /not both/],
      [['multitask', '--tasks', 'mnist,mnist:parity', '--transfer', 'full', '--time-budget', '5'], /--epochs/],
      [['multitask', '--tasks', 'mnist,mnist:parity', '--transfer', 'sideways'], /lp-ft/],
      [['multitask', '--weighting', 'uniform'], /--tasks is required/],
    ];
    for (const [args, re] of cases) {
      const r = run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, re);
    }
  });
});
