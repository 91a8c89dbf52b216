// Reading run directories: status, key metrics, resumed configs, truncated metrics, and paths that must stay inside the root.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { keyMetric, listRuns, loadRun, resolveRunPath, runStatus } from '../src/runs/inspect.js';
import { provenance, RunDir } from '../src/runs/run-dir.js';

function withRoot(fn: (root: string) => void): void {
  const root = mkdtempSync(join(tmpdir(), 'adaptlab-runs-'));
  try {
    fn(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('runs', () => {
  it('status: running while its process lives, stopped when it died, finished with a summary', () => {
    withRoot((root) => {
      const run = RunDir.create(join(root, 'a'), provenance('pretrain', ['adaptlab', 'pretrain'], 0));
      assert.equal(runStatus(run.dir), 'running', 'this process wrote running.json');
      const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
      writeFileSync(run.path('running.json'), JSON.stringify({ pid: dead, host: JSON.parse(readFileSync(run.path('running.json'), 'utf8')).host }));
      assert.equal(runStatus(run.dir), 'stopped', 'its process is gone (killed)');
      rmSync(run.path('running.json'));
      run.log({ step: 1, loss: 1 });
      assert.equal(runStatus(run.dir), 'running', 'no running.json: metrics written just now');
      const old = (Date.now() - 3600_000) / 1000;
      utimesSync(run.path('metrics.jsonl'), old, old);
      assert.equal(runStatus(run.dir), 'stopped', 'no running.json: metrics untouched for an hour');
      run.writeSummary({ losses: [1] });
      assert.equal(runStatus(run.dir), 'finished');
      run.writeSummary({ stoppedBy: 'signal' });
      assert.equal(runStatus(run.dir), 'stopped', 'a meta-train stopped by a signal');
    });
  });

  it('key metrics by kind, and for kinds it does not know', () => {
    const meta = { kind: 'meta-train', meta: { dataset: 'omniglot' } };
    const val = [{ step: 5, split: 'val', metric: 'accuracy', mean: 0.6, ci95: 0.1 }, { step: 10, split: 'val', metric: 'accuracy', mean: 0.7, ci95: 0.05 }];
    assert.deepEqual(keyMetric(meta, null, val), { name: 'best val accuracy', value: 0.7, ci95: 0.05, percent: true });
    assert.equal(keyMetric(meta, { best: { step: 5, mean: 0.61, ci95: 0.1 } }, val)!.value, 0.61);
    assert.deepEqual(keyMetric({ kind: 'meta-train', meta: { dataset: 'sinusoid' } }, null, [{ step: 3, split: 'val', metric: 'mse', mean: 0.4, ci95: 0.1 }, { step: 6, split: 'val', metric: 'mse', mean: 0.2, ci95: 0.1 }])!.value, 0.2);
    assert.deepEqual(keyMetric({ kind: 'pretrain' }, { losses: [2, 1.5] }, []), { name: 'final epoch loss', value: 1.5 });
    assert.deepEqual(keyMetric({ kind: 'finetune' }, { id: { mean: 0.9, ci95: 0.01 } }, []), { name: 'ID accuracy', value: 0.9, ci95: 0.01, percent: true });
    assert.deepEqual(keyMetric({ kind: 'multitask' }, { accuracy: 0.8 }, []), { name: 'accuracy', value: 0.8, percent: true });
    assert.deepEqual(keyMetric({ kind: 'multitask' }, null, [{ step: 1, seconds: 3, loss: 0.5 }]), { name: 'loss', value: 0.5, percent: false });
  });

  it('a resumed run keeps its config and records the resume; truncateMetrics drops records after a checkpoint and a torn line', () => {
    withRoot((root) => {
      const run = RunDir.create(join(root, 'r'), provenance('pretrain', ['adaptlab', 'pretrain', '--seed', '5'], 5), { objective: 'rotation' });
      for (let s = 1; s <= 6; s++) run.log({ step: s, loss: 1 / s });
      writeFileSync(run.path('metrics.jsonl'), '{"step": 7, "lo', { flag: 'a' });
      const again = RunDir.resume(run.dir, ['adaptlab', 'pretrain', '--out', 'r', '--resume']);
      const cfg = again.config<Record<string, unknown>>();
      assert.deepEqual(cfg['command'], ['adaptlab', 'pretrain', '--seed', '5']);
      assert.equal(cfg['objective'], 'rotation');
      assert.equal((cfg['resumes'] as { command: string[] }[])[0]!.command.at(-1), '--resume');
      assert.equal(again.truncateMetrics((r) => (r['step'] as number) <= 4), 2);
      assert.deepEqual(again.metrics().map((r) => r['step']), [1, 2, 3, 4]);
      assert.ok(readFileSync(run.path('metrics.jsonl'), 'utf8').endsWith('}\n'), 'the torn line is gone');
    });
  });

  it('resolveRunPath refuses .., absolute paths, links out of the root and files linked out of a run; links inside are fine', () => {
    withRoot((base) => {
      const root = join(base, 'runs'), outside = join(base, 'outside');
      mkdirSync(root);
      RunDir.create(join(root, 'a'), provenance('finetune', ['adaptlab'], 0));
      RunDir.create(join(root, 'group', 'b'), provenance('finetune', ['adaptlab'], 0));
      RunDir.create(outside, provenance('finetune', ['adaptlab'], 0));
      symlinkSync(outside, join(root, 'escape'));
      symlinkSync(join(root, 'a'), join(root, 'alias'));
      const leaky = RunDir.create(join(root, 'leaky'), provenance('finetune', ['adaptlab'], 0));
      symlinkSync('/etc/hostname', leaky.path('metrics.jsonl'));
      assert.equal(resolveRunPath(root, 'a'), join(root, 'a'));
      assert.equal(resolveRunPath(root, 'group/b'), join(root, 'group', 'b'));
      assert.equal(resolveRunPath(root, 'alias'), join(root, 'a'), 'a link to a run inside the root');
      for (const bad of ['..', '../outside', 'a/..', 'group/../a', '/etc', '', 'group//b', 'escape', 'group', 'missing', 'a\\..', 'a\0', 'leaky']) {
        assert.equal(resolveRunPath(root, bad), null, JSON.stringify(bad));
      }
      const names = listRuns(root).map((r) => r.name);
      assert.deepEqual(names.sort(), ['a', 'alias', 'escape', 'group/b', 'leaky'].sort(), 'listing finds them all; the dashboard filters with resolveRunPath');
      assert.equal(loadRun(join(root, 'a'), 'a').status, 'running');
    });
  });
});
