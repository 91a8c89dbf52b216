// `adaptlab runs` and meta-train's run directory: resume after kill -9 with the uninterrupted metrics, the report after SIGINT.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { provenance, RunDir } from '../src/runs/run-dir.js';
import { killWhen, lines, records, run, withDir } from './cli-helpers.js';

describe('meta-train run directories and adaptlab runs', () => {
  it('meta-train: a SIGKILLed run resumed drops the records after its checkpoint and ends with the uninterrupted metrics; SIGINT still writes the report', withDir(async (root) => {
    const args = (out: string, steps = '120'): string[] => ['meta-train', 'maml', '--dataset', 'sinusoid', '--shots', '5', '--queries', '5', '--steps', steps, '--checkpoint-every', '30', '--eval-every', '30', '--val-episodes', '5', '--seed', '1', '--out', out, '--json'];
    const a = join(root, 'a'), b = join(root, 'b'), c = join(root, 'c');
    assert.equal(run(args(a)).code, 0);
    const killed = await killWhen(args(b), b, () => lines(b) >= 40);
    assert.equal(killed.signal, 'SIGKILL', 'the run finished before it was killed');
    const r = run([...args(b), '--resume']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(records(b), records(a));
    assert.ok(existsSync(join(b, 'report.html')));
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(join(b, 'config.json'), 'utf8'))).filter((k) => ['meta', 'resolved', 'kind', 'seed', 'command', 'resumes'].includes(k)).sort(), ['command', 'kind', 'meta', 'resolved', 'resumes', 'seed']);
    const stopped = await killWhen(args(c, '100000'), c, () => lines(c) >= 5, 'SIGINT');
    assert.equal(stopped.code, 130, stopped.err);
    assert.equal(JSON.parse(readFileSync(join(c, 'summary.json'), 'utf8')).stoppedBy, 'signal');
    assert.ok(readFileSync(join(c, 'report.html'), 'utf8').includes('stopped'), 'the report of a run stopped by a signal');
    const shown = JSON.parse(run(['runs', 'show', 'c', '--runs', root, '--json']).out);
    assert.equal(shown.status, 'stopped');
    assert.equal(shown.kind, 'meta-train');
  }));

  it('adaptlab runs: list, show and compare as tables and JSON; usage errors exit 2', withDir(async (root) => {
    for (const [name, seed, steps] of [['p1', 1, 5], ['p2', 2, 6]] as const) {
      const r = RunDir.create(join(root, name), provenance('pretrain', ['adaptlab', 'pretrain', '--seed', String(seed)], seed), { objective: 'supervised', steps });
      for (let s = 1; s <= steps; s++) r.log({ step: s, epoch: 0, loss: 1 / s });
      r.writeSummary({ losses: [1 / steps], steps });
    }
    const list = run(['runs', '--runs', root]);
    assert.equal(list.code, 0);
    assert.match(list.out, /p1\s+pretrain\s+\S+ \S+\s+finished\s+5\s+final epoch loss 0\.2/);
    const cmp = JSON.parse(run(['runs', 'compare', 'p1', join(root, 'p2'), '--runs', root, '--json']).out);
    assert.deepEqual(cmp.fields, ['seed', 'steps']);
    assert.deepEqual(cmp.runs.map((r: { differing: Record<string, string> }) => r.differing), [{ seed: '1', steps: '5' }, { seed: '2', steps: '6' }]);
    assert.match(run(['runs', 'compare', 'p1', 'p2', '--runs', root]).out, /run\s+status\s+seed\s+steps\s+key metric/);
    assert.match(run(['runs', 'show', 'p1', '--runs', root]).out, /final epoch loss/);
    assert.equal(run(['runs', 'show', 'nope', '--runs', root]).code, 1);
    for (const bad of [['runs', 'frobnicate'], ['runs', 'show'], ['runs', 'compare', 'p1'], ['runs', '--bogus']]) assert.equal(run([...bad, '--runs', root]).code, 2, bad.join(' '));
  }));
});
