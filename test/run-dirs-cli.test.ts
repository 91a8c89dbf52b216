// Run directories of the training commands: kill -9 and --resume end as an uninterrupted run, reports, `adaptlab runs`.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSafetensors } from '../src/index.js';
import { repoPath } from './helpers.js';
import { networkRefs } from './report-helpers.js';

const ENV = { ...process.env, ADAPTLAB_THREADS: '1', ADAPTLAB_DATA_DIR: join(tmpdir(), 'adaptlab-no-data-dir') };

function run(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [repoPath('bin', 'adaptlab.js'), ...args], { encoding: 'utf8', env: ENV });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const lines = (dir: string): number => (existsSync(join(dir, 'metrics.jsonl')) ? readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.endsWith('}')).length : 0);

/** Start a command and SIGKILL (or `signal`) it once `ready(dir)` holds; resolves with how it ended. */
function killWhen(args: string[], dir: string, ready: () => boolean, signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [repoPath('bin', 'adaptlab.js'), ...args], { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const t = setInterval(() => { if (ready()) { clearInterval(t); p.kill(signal); } }, 2);
    p.on('exit', (code, sig) => { clearInterval(t); resolve({ code, signal: sig, err }); });
    void dir;
  });
}

/** metrics.jsonl records without their wall-clock fields. */
function records(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const r = JSON.parse(l) as Record<string, unknown>;
    delete r['seconds'];
    delete r['elapsed'];
    return r;
  });
}

function sameTensors(a: string, b: string): void {
  const x = loadSafetensors(a), y = loadSafetensors(b);
  assert.deepEqual(Object.keys(x.tensors).sort(), Object.keys(y.tensors).sort());
  for (const k of Object.keys(x.tensors)) assert.ok(Buffer.from(x.tensors[k]!.data.buffer).equals(Buffer.from(y.tensors[k]!.data.buffer)), `${k} differs`);
}

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-rundirs-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('run directories of the training commands', () => {
  it('pretrain: killed with SIGKILL after its first checkpoint and resumed, it ends with the uninterrupted run\'s model and metrics', withDir(async (root) => {
    const args = (out: string): string[] => ['pretrain', '--dataset', 'mnist', '--model', 'mlp', '--steps', '160', '--checkpoint-every', '20', '--seed', '3', '--out', out, '--json'];
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
    const src = join(root, 'p1');
    assert.equal(run(['pretrain', '--dataset', 'mnist', '--model', 'mlp', '--steps', '5', '--seed', '1', '--out', src]).code, 0);
    assert.equal(run(['pretrain', '--dataset', 'mnist', '--model', 'mlp', '--steps', '6', '--seed', '2', '--out', join(root, 'p2')]).code, 0);
    const list = run(['runs', '--runs', root]);
    assert.equal(list.code, 0);
    assert.match(list.out, /p1\s+pretrain\s+\S+ \S+\s+finished\s+5\s+final epoch loss/);
    const cmp = JSON.parse(run(['runs', 'compare', 'p1', join(root, 'p2'), '--runs', root, '--json']).out);
    assert.deepEqual(cmp.fields, ['seed', 'steps']);
    assert.deepEqual(cmp.runs.map((r: { differing: Record<string, string> }) => r.differing), [{ seed: '1', steps: '5' }, { seed: '2', steps: '6' }]);
    assert.match(run(['runs', 'compare', 'p1', 'p2', '--runs', root]).out, /run\s+status\s+seed\s+steps\s+key metric/);
    assert.match(run(['runs', 'show', 'p1', '--runs', root]).out, /final epoch loss/);
    assert.equal(run(['runs', 'show', 'nope', '--runs', root]).code, 1);
    for (const bad of [['runs', 'frobnicate'], ['runs', 'show'], ['runs', 'compare', 'p1'], ['runs', '--bogus']]) assert.equal(run([...bad, '--runs', root]).code, 2, bad.join(' '));
  }));
});
