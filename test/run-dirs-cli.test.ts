// Run directories of the training commands: kill -9 and --resume end as an uninterrupted run, reports, `adaptlab runs`.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSafetensors } from '../src/index.js';
import { networkRefs } from './report-helpers.js';

import { killWhen, lines, records, run, withDir } from './cli-helpers.js';

function sameTensors(a: string, b: string): void {
  const x = loadSafetensors(a), y = loadSafetensors(b);
  assert.deepEqual(Object.keys(x.tensors).sort(), Object.keys(y.tensors).sort());
  for (const k of Object.keys(x.tensors)) assert.ok(Buffer.from(x.tensors[k]!.data.buffer).equals(Buffer.from(y.tensors[k]!.data.buffer)), `${k} differs`);
}

describe('run directories of the training commands', () => {
  it('pretrain: killed with SIGKILL after its first checkpoint and resumed, it ends with the uninterrupted run\'s model and metrics', withDir(async (root) => {
    const args = (out: string): string[] => ['pretrain', '--dataset', 'mnist', '--model', 'mlp', '--steps', '80', '--batch-size', '32', '--checkpoint-every', '20', '--seed', '3', '--out', out, '--json'];
    const a = join(root, 'a'), b = join(root, 'b');
    assert.equal(run(args(a)).code, 0);
    const killed = await killWhen(args(b), b, () => existsSync(join(b, 'checkpoints')) && readdirSync(join(b, 'checkpoints')).some((n) => /^step-\d+$/.test(n)) && lines(b) >= 25);
    assert.equal(killed.signal, 'SIGKILL', `the run finished before it was killed: ${killed.err}`);
    assert.ok(!existsSync(join(b, 'summary.json')));
    const listed = JSON.parse(run(['runs', '--runs', root, '--json']).out) as { runs: { name: string; status: string }[] };
    assert.deepEqual(listed.runs.map((r) => [r.name, r.status]), [['a', 'finished'], ['b', 'stopped']]);
    assert.equal(run(['pretrain', '--dataset', 'mnist', '--out', b]).code, 2, 'an unfinished run is not overwritten without --resume');
    const clash = run(['pretrain', '--out', b, '--resume', '--seed', '4']);
    assert.equal(clash.code, 2);
    assert.match(clash.err, /started with --seed 3/);
    const r = run(['pretrain', '--out', b, '--resume', '--json']);
    assert.equal(r.code, 0, r.err);
    assert.ok((JSON.parse(r.out) as { resumedFrom: number }).resumedFrom >= 20);
    assert.deepEqual(records(b), records(a));
    sameTensors(join(a, 'model.safetensors'), join(b, 'model.safetensors'));
    assert.deepEqual(JSON.parse(readFileSync(join(b, 'summary.json'), 'utf8')).losses, JSON.parse(readFileSync(join(a, 'summary.json'), 'utf8')).losses);
    assert.ok(!existsSync(join(b, 'checkpoints')), 'checkpoints go when the run ends');
    const cfg = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8'));
    assert.equal(cfg.kind, 'pretrain');
    assert.equal(cfg.seed, 3);
    assert.equal(cfg.command.at(-1), '--json', 'the command that started the run');
    assert.equal(cfg.resumes.length, 1);
    const html = readFileSync(join(b, 'report.html'), 'utf8');
    assert.deepEqual(networkRefs(html), []);
    assert.ok(html.includes('--checkpoint-every 20 --seed 3') && html.includes('<svg'));
    assert.match(run(['pretrain', '--out', b, '--resume']).out, /already finished/);
  }));

  it('finetune --out: one metrics line per (seed, lr) run; a killed run resumes without redoing them and ends as the uninterrupted one', withDir(async (root) => {
    const src = join(root, 'src');
    assert.equal(run(['pretrain', '--dataset', 'mnist', '--model', 'mlp', '--steps', '20', '--out', src]).code, 0);
    const args = (out: string): string[] => ['finetune', src, '--target', 'mnist', '--shift', 'corruption:gaussian_noise:5', '--strategy', 'surgical:layer1', '--shots', '5', '--epochs', '2', '--lr-grid', '1e-2,1e-3', '--seeds', '2', '--test-size', '100', '--out', out, '--json'];
    const a = join(root, 'a'), b = join(root, 'b');
    const whole = run(args(a));
    assert.equal(whole.code, 0, whole.err);
    assert.equal(records(a).length, 4);
    const killed = await killWhen(args(b), b, () => lines(b) >= 1);
    assert.equal(killed.signal, 'SIGKILL', 'the run finished before it was killed');
    const before = lines(b);
    assert.ok(before >= 1 && before < 4, `${before} runs done when killed`);
    const r = run(['finetune', '--out', b, '--resume', '--json']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(records(b), records(a), 'each (seed, lr) run once, in order, with the same scores');
    const [sa, sb] = [a, b].map((d) => { const s = JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')); delete s.seconds; return s; });
    assert.deepEqual(sb, sa);
    assert.ok(readFileSync(join(b, 'report.html'), 'utf8').includes('Learning-rate grid'));
    const samples = JSON.parse(readFileSync(join(b, 'samples.json'), 'utf8'));
    assert.equal(samples.groups.length, 2, 'the shifted inputs and the same ones clean');
    assert.equal(run(['finetune', src, '--target', 'mnist', '--strategy', 'full', '--resume']).code, 2, '--resume needs --out');
  }));
});
