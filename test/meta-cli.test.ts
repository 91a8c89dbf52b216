// `adaptlab meta-train` and `meta-test`: a run directory, the JSON fields scripts rely on, resume, usage errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoPath, sharedDataDir } from './helpers.js';
import { MetaSGD, buildLearner, withDefaults, type MetaConfig } from '../src/meta/index.js';

function run(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [repoPath('bin', 'adaptlab.js'), ...args], { encoding: 'utf8', env: { ...process.env, ADAPTLAB_THREADS: '1' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('adaptlab meta-train / meta-test', () => {
  it('trains MAML on sinusoids into a run directory, resumes it, and meta-test prints the protocol JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-cli-meta-'));
    try {
      const out = join(dir, 'run');
      const a = run(['meta-train', 'maml', '--dataset', 'sinusoid', '--shots', '5', '--queries', '5', '--steps', '6', '--eval-every', '3', '--val-episodes', '5', '--seed', '3', '--out', out, '--json']);
      assert.equal(a.code, 0, a.err);
      const summary = JSON.parse(a.out);
      assert.equal(summary.steps, 6);
      assert.equal(a.err, '', '--json keeps stderr quiet');
      for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'best/learner.safetensors']) assert.ok(existsSync(join(out, f)), f);
      const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
      assert.deepEqual(config.command.slice(0, 3), ['adaptlab', 'meta-train', 'maml']);
      assert.equal(config.meta.seed, 3);
      const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(lines.filter((l) => l.split === 'train').length, 6);
      assert.equal(lines.filter((l) => l.split === 'val').length, 2);
      const b = run(['meta-train', 'maml', '--dataset', 'sinusoid', '--shots', '5', '--queries', '5', '--steps', '8', '--eval-every', '3', '--val-episodes', '5', '--out', out, '--resume', '--json']);
      assert.equal(b.code, 0, b.err);
      assert.equal(JSON.parse(b.out).resumedFrom, 6);
      const t = run(['meta-test', out, '--episodes', '7', '--shots', '5', '--json']);
      assert.equal(t.code, 0, t.err);
      const r = JSON.parse(t.out);
      for (const k of ['method', 'dataset', 'ways', 'shots', 'episodes', 'mse', 'ci95']) assert.ok(k in r, k);
      assert.equal(r.method, 'maml');
      assert.equal(r.episodes, 7);
      assert.ok(r.mse > 0 && r.ci95 > 0);
      assert.equal(run(['meta-train', 'maml', '--dataset', 'sinusoid', '--shots', '5', '--queries', '5', '--steps', '2', '--out', out]).code, 2, 'an existing run is not overwritten without --resume');
      assert.equal(r.nll, undefined, 'MAML predicts a point, not a distribution');
      const cnpOut = join(dir, 'cnp');
      assert.equal(run(['meta-train', 'cnp', '--dataset', 'sinusoid', '--shots', '5', '--queries', '5', '--steps', '3', '--val-episodes', '3', '--out', cnpOut, '--json']).code, 0);
      const c = JSON.parse(run(['meta-test', cnpOut, '--episodes', '4', '--shots', '5', '--json']).out);
      assert.equal(c.method, 'cnp');
      assert.ok(Number.isFinite(c.nll) && c.nllCi95 > 0 && c.mse > 0, JSON.stringify(c));
      assert.match(run(['meta-test', cnpOut, '--episodes', '4', '--shots', '5']).out, /nll/);
      // test-time adaptation steps: the run's default (10 on sinusoids), or --eval-inner-steps; 0 steps is the bare initialisation
      const steps = (extra: string[]): { mse: number; evalInnerSteps: number } => JSON.parse(run(['meta-test', out, '--episodes', '7', '--shots', '5', '--json', ...extra]).out);
      assert.equal(r.evalInnerSteps, 10);
      const zero = steps(['--eval-inner-steps', '0']), one = steps(['--eval-inner-steps', '1']);
      // an inner loop that blows up (lr 100, 50 steps, recorded in the run's config) is reported, not hidden
      const blowOut = join(dir, 'blow');
      assert.equal(run(['meta-train', 'maml', '--dataset', 'sinusoid', '--shots', '5', '--queries', '5', '--steps', '1', '--inner-lr', '100', '--eval-inner-steps', '50', '--val-episodes', '2', '--out', blowOut, '--json']).code, 0);
      const blown = run(['meta-test', blowOut, '--episodes', '3', '--json']);
      assert.equal(blown.code, 0);
      assert.equal(JSON.parse(blown.out).mse, null);
      assert.equal(JSON.parse(blown.out).evalInnerSteps, 50);
      assert.match(blown.err, /not finite on 3 of 3 test tasks.*fewer --eval-inner-steps \(used 50\)/);
      assert.equal(zero.evalInnerSteps, 0);
      assert.notEqual(zero.mse, one.mse);
      assert.notEqual(one.mse, r.mse);
      assert.equal(c.evalInnerSteps, undefined, 'a CNP does not adapt by gradient steps');
      const bad = run(['meta-test', cnpOut, '--eval-inner-steps', '3']);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /--eval-inner-steps applies to maml, .*not cnp/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--workers 2 splits the meta-batch over two threads: the same run twice is bit-identical, and it resumes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-cli-workers-'));
    try {
      const train = (out: string, steps: number, extra: string[] = []): ReturnType<typeof run> =>
        run(['meta-train', 'maml', '--dataset', 'sinusoid', '--shots', '5', '--queries', '5', '--steps', String(steps), '--val-episodes', '3', '--eval-every', '2', '--workers', '2', '--seed', '1', '--out', out, '--json', ...extra]);
      const [a, b] = [join(dir, 'a'), join(dir, 'b')];
      for (const out of [a, b]) { const r = train(out, 4); assert.equal(r.code, 0, r.err); assert.equal(JSON.parse(r.out).steps, 4); }
      const weights = (out: string): Buffer => readFileSync(join(out, 'checkpoints', 'step-00000004', 'learner.safetensors'));
      assert.ok(weights(a).equals(weights(b)), 'two runs with --workers 2 differ');
      const r = train(a, 6, ['--resume']);
      assert.equal(r.code, 0, r.err);
      assert.equal(JSON.parse(r.out).resumedFrom, 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2 with a message: unknown method, missing flags, bad values, both budgets', () => {
    const cases: [string[], RegExp][] = [
      [['meta-train', 'nope', '--dataset', 'sinusoid', '--out', 'x'], /unknown method "nope"/],
      [['meta-train', 'maml', '--out', 'x'], /--dataset is required/],
      [['meta-train', 'maml', '--dataset', 'imagenet', '--out', 'x'], /--dataset must be one of/],
      [['meta-train', 'protonet', '--dataset', 'omniglot', '--shots', '1', '--queries', '5', '--out', 'x'], /--ways is required/],
      [['meta-train', 'maml', '--dataset', 'sinusoid', '--shots', '5', '--queries', '5', '--steps', '3', '--time-budget', '9', '--out', 'x'], /not both/],
      [['meta-train', 'maml', '--dataset', 'sinusoid', '--shots', '0', '--queries', '5', '--out', 'x'], /--shots must be an integer/],
      [['meta-train', 'maml', '--dataset', 'sinusoid', '--shots', '5', '--queries', '5', '--seed=-1', '--out', 'x'], /--seed must be a non-negative integer/],
      [['meta-train', 'protonet', '--dataset', 'sinusoid', '--shots', '5', '--queries', '5', '--steps', '1', '--out', join(tmpdir(), 'adaptlab-never')], /does not do regression/],
      [['meta-test', join(tmpdir(), 'adaptlab-no-such-run')], /not found/],
      [['meta-train', 'reptile', '--dataset', 'sinusoid', '--shots', '5', '--queries', '5', '--workers', '2', '--out', 'x'], /--workers splits .* not reptile/],
      [['meta-train', 'maml', '--dataset', 'sinusoid', '--shots', '5', '--queries', '5', '--workers', '2', '--threads', '2', '--out', 'x'], /leave out --threads/],
      [['meta-train', 'maml', '--dataset', 'sinusoid', '--shots', '5', '--queries', '5', '--workers', '0', '--out', 'x'], /--workers must be an integer/],
    ];
    for (const [args, re] of cases) {
      const r = run(args);
      assert.ok(r.code === 2 || r.code === 1, `${args.join(' ')} exited ${r.code}`);
      assert.match(r.err, re, args.join(' '));
      assert.doesNotMatch(r.err, /at .*\.js:\d+/, 'no stack trace');
    }
    assert.match(run(['meta-train', '--help']).out, /protonet/);
  });

  it('ProtoNet on the embedded MNIST digits (one split, halved into train and test) trains and meta-tests on a fresh machine', () => {
    const out = mkdtempSync(join(tmpdir(), 'adaptlab-meta-mnist-'));
    try {
      const env = { ADAPTLAB_DATA_DIR: join(tmpdir(), 'adaptlab-no-data-dir') };
      const r1 = spawnSync(process.execPath, [repoPath('bin', 'adaptlab.js'), 'meta-train', 'protonet', '--dataset', 'mnist', '--ways', '5', '--shots', '1', '--queries', '3', '--steps', '3', '--eval-every', '3', '--val-episodes', '3', '--out', out, '--json'], { encoding: 'utf8', env: { ...process.env, ADAPTLAB_THREADS: '1', ...env } });
      assert.equal(r1.status, 0, r1.stderr);
      const r2 = spawnSync(process.execPath, [repoPath('bin', 'adaptlab.js'), 'meta-test', out, '--episodes', '5', '--json'], { encoding: 'utf8', env: { ...process.env, ADAPTLAB_THREADS: '1', ...env } });
      assert.equal(r2.status, 0, r2.stderr);
      assert.equal(JSON.parse(r2.stdout).episodes, 5);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('meta-test --data-dir also serves a Baseline whose run recorded no data directory (trained with ADAPTLAB_DATA_DIR)', { skip: sharedDataDir() ? false : 'needs ../shared/data (Omniglot)' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-cli-meta-'));
    try {
      const out = join(dir, 'baseline');
      const env: NodeJS.ProcessEnv = { ...process.env, ADAPTLAB_THREADS: '1', HOME: dir, XDG_CACHE_HOME: join(dir, 'cache') };
      delete env['ADAPTLAB_DATA_DIR'];
      const cli = (args: string[], extra: Record<string, string> = {}): ReturnType<typeof spawnSync> =>
        spawnSync(process.execPath, [repoPath('bin', 'adaptlab.js'), ...args], { encoding: 'utf8', env: { ...env, ...extra } });
      const a = cli(['meta-train', 'baseline', '--dataset', 'omniglot', '--split', 'vinyals', '--ways', '5', '--shots', '1', '--queries', '5', '--steps', '2', '--out', out, '--json'], { ADAPTLAB_DATA_DIR: sharedDataDir()! });
      assert.equal(a.status, 0, String(a.stderr));
      assert.equal(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).meta.dataDir, undefined);
      const without = cli(['meta-test', out, '--checkpoint', 'latest', '--episodes', '2', '--json']);
      assert.equal(without.status, 1);
      assert.match(String(without.stderr), /not in the data directory/);
      const t = cli(['meta-test', out, '--checkpoint', 'latest', '--episodes', '2', '--data-dir', sharedDataDir()!, '--json']);
      assert.equal(t.status, 0, String(t.stderr));
      assert.equal(JSON.parse(String(t.stdout)).method, 'baseline');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Omniglot ProtoNet: a few episodes run end to end and cross-domain meta-test on MNIST works', { skip: sharedDataDir() ? false : 'needs ../shared/data (Omniglot)' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-cli-meta-'));
    try {
      const out = join(dir, 'proto');
      const a = run(['meta-train', 'protonet', '--dataset', 'omniglot', '--data-dir', sharedDataDir()!, '--ways', '5', '--shots', '1', '--queries', '5', '--train-ways', '5', '--steps', '3', '--eval-every', '3', '--val-episodes', '3', '--out', out, '--json']);
      assert.equal(a.code, 0, a.err);
      const t = run(['meta-test', out, '--dataset', 'mnist', '--data-dir', sharedDataDir()!, '--episodes', '3', '--json']);
      assert.equal(t.code, 0, t.err);
      const r = JSON.parse(t.out);
      assert.equal(r.dataset, 'mnist');
      assert.equal(r.trainedOn, 'omniglot');
      assert.equal(r.step, 3, 'the step of the scored checkpoint');
      assert.deepEqual(r.command.slice(0, 3), ['adaptlab', 'meta-test', out]);
      assert.ok(r.accuracy >= 0 && r.accuracy <= 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('test-time inner steps', () => {
  const sin = (method: string, extra: Partial<MetaConfig> = {}): MetaConfig => ({ method, dataset: 'sinusoid', ways: 1, shots: 5, queries: 10, seed: 0, ...extra });
  it('Meta-SGD and MAML++ adapt at test time with the steps their lrs were learned for; MAML with 10 on sinusoids', () => {
    assert.equal(withDefaults(sin('meta-sgd')).evalInnerSteps, 1);
    assert.equal(withDefaults(sin('meta-sgd', { innerSteps: 2 })).evalInnerSteps, 2);
    assert.equal(withDefaults({ ...sin('meta-sgd'), dataset: 'omniglot', ways: 5 }).evalInnerSteps, 1);
    assert.equal(withDefaults(sin('maml++')).evalInnerSteps, withDefaults(sin('maml++')).innerSteps);
    assert.equal(withDefaults(sin('maml')).evalInnerSteps, 10);
    assert.equal(withDefaults(sin('meta-sgd', { evalInnerSteps: 4 })).evalInnerSteps, 4);
    const learner = buildLearner(sin('meta-sgd'));
    assert.ok(learner instanceof MetaSGD && learner.evalInnerSteps === 1);
  });
  it('evalInnerSteps is refused by learners that do not adapt by gradient steps', () => {
    assert.throws(() => buildLearner(sin('cnp', { evalInnerSteps: 3 })), /cnp does not adapt by a set number of gradient steps/);
    assert.ok(buildLearner(sin('reptile', { evalInnerSteps: 3 })));
  });
});
