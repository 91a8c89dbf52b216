// `adaptlab pretrain`, `finetune` and `estimate` end to end on the embedded MNIST digits; usage errors exit 2.
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

describe('adaptlab pretrain / finetune / estimate', () => {
  it('pretrain writes a checkpoint that finetune and estimate read; JSON fields as documented', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-transfer-cli-'));
    try {
      const src = join(dir, 'src');
      const p = run(['pretrain', '--dataset', 'mnist', '--classes', '0,1,2,3,4', '--model', 'mlp', '--time-budget', '2', '--seed', '1', '--out', src, '--json']);
      assert.equal(p.code, 0, p.err);
      assert.ok(existsSync(join(src, 'model.safetensors')) && existsSync(join(src, 'config.json')) && existsSync(join(src, 'metrics.jsonl')));
      assert.equal(JSON.parse(p.out).classes, 5);
      const f = run(['finetune', src, '--target', 'mnist', '--strategy', 'lp-ft', '--shots', '5', '--epochs', '2', '--lr-grid', '1e-3', '--seeds', '2', '--test-size', '200', '--json', '--out', join(dir, 'ft')]);
      assert.equal(f.code, 0, f.err);
      const r = JSON.parse(f.out);
      for (const k of ['strategy', 'lr', 'perSeed', 'id', 'ood']) assert.ok(k in r, k);
      assert.equal(r.strategy, 'lp-ft');
      assert.equal(r.trainSize, 50);
      assert.equal(r.perSeed.length, 2);
      assert.ok(r.id.mean > 0.3, `ID accuracy ${r.id.mean}`);
      const e = run(['estimate', src, join(src, 'model.safetensors'), '--target', 'mnist', '--metric', 'logme,leep', '--size', '100', '--json']);
      assert.equal(e.code, 0, e.err);
      const rows = JSON.parse(e.out).rows;
      assert.equal(rows.length, 2);
      assert.equal(rows[0].logme, rows[1].logme);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad strategies, blocks, shifts and flags are usage errors that list the valid values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-transfer-cli-'));
    try {
      const src = join(dir, 'src');
      assert.equal(run(['pretrain', '--dataset', 'mnist', '--model', 'mlp', '--time-budget', '1', '--out', src]).code, 0);
      const cases: [string[], RegExp][] = [
        [['finetune', src, '--target', 'mnist', '--strategy', 'nope'], /lp-ft/],
        [['finetune', src, '--target', 'mnist', '--strategy', 'surgical:block9'], /layer1, layer2, head/],
        [['finetune', src, '--target', 'mnist', '--strategy', 'full', '--shift', 'sideways'], /label-permutation/],
        [['finetune', src, '--target', 'mnist', '--strategy', 'full', '--shots', '2', '--train-size', '9'], /not both/],
        [['pretrain', '--dataset', 'mnist', '--objective', 'magic', '--out', src], /supervised, rotation or simclr/],
        [['estimate', src, '--target', 'mnist', '--metric', 'vibes'], /leep, nce, logme, hscore/],
        [['pretrain', '--dataset', 'mnist', '--steps', '3', '--time-budget', '2', '--out', src], /not both/],
        [['pretrain', '--dataset', 'mnist', '--classes', '1', '--alphabets', 'Latin', '--out', src], /not both/],
      ];
      for (const [args, re] of cases) {
        const r = run(args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
        assert.match(r.err, re);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--epochs 0 saves the initialisation and --steps stops after that many optimiser steps', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-transfer-cli-'));
    try {
      const a = run(['pretrain', '--dataset', 'mnist', '--model', 'mlp', '--epochs', '0', '--seed', '4', '--out', join(dir, 'a'), '--json']);
      assert.equal(a.code, 0, a.err);
      assert.equal(JSON.parse(a.out).steps, 0);
      const b = run(['pretrain', '--dataset', 'mnist', '--model', 'mlp', '--steps', '7', '--seed', '4', '--out', join(dir, 'b'), '--json']);
      assert.equal(b.code, 0, b.err);
      assert.equal(JSON.parse(b.out).steps, 7);
      assert.equal(readFileSync(join(dir, 'b', 'metrics.jsonl'), 'utf8').trim().split('\n').length, 7);
      // the random initialisation is a checkpoint like any other: finetune and estimate read it
      const e = run(['estimate', join(dir, 'a'), join(dir, 'b'), '--target', 'mnist', '--metric', 'logme', '--size', '100', '--json']);
      assert.equal(e.code, 0, e.err);
      const rows = JSON.parse(e.out).rows as { logme: number }[];
      assert.notEqual(rows[0]!.logme, rows[1]!.logme);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
