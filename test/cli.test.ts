// The CLI skeleton: help, version, doctor (table and --json), exit codes and NO_COLOR.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { repoPath } from './helpers.js';

function run(args: string[], env: Record<string, string> = {}): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [repoPath('bin', 'adaptlab.js'), ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('adaptlab CLI', () => {
  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string };
    const r = run(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.out.trim(), pkg.version);
  });

  it('--help lists commands and exits 0; no command is a usage error (2)', () => {
    const h = run(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.out, /doctor/);
    assert.equal(run([]).code, 2);
  });

  it('unknown commands and unknown flags exit 2 with the usage on stderr', () => {
    const r = run(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown command "frobnicate"/);
    const f = run(['doctor', '--bogus']);
    assert.equal(f.code, 2);
    assert.match(f.err, /Usage: adaptlab doctor/);
    assert.equal(run(['doctor', '--threads', 'zero']).code, 2);
  });

  it('doctor --json reports backend, reason, threads and versions', () => {
    const r = run(['doctor', '--json'], { ADAPTLAB_BACKEND: 'ts' });
    assert.equal(r.code, 0);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    assert.equal(j['backend'], 'ts');
    assert.equal(j['requested'], 'ts');
    assert.equal(j['node'], process.versions.node);
    assert.equal(typeof j['reason'], 'string');
    assert.equal(typeof j['threads'], 'number');
    assert.deepEqual(j['nativeDTypes'], []);
    assert.deepEqual((j['dtypes'] as Record<string, { native: string[] }>)['float64']!.native, []);
  });

  it('doctor prints a table without colour codes when NO_COLOR is set or stdout is not a terminal', () => {
    const r = run(['doctor'], { NO_COLOR: '1' });
    assert.equal(r.code, 0);
    assert.match(r.out, /backend\s+(ts|native)/);
    assert.match(r.out, /float32\s+(native kernels \(matmul, conv2d|TypeScript kernels)/);
    assert.match(r.out, /float64\s+TypeScript kernels/);
    assert.doesNotMatch(r.out, /\x1b\[/);
  });

  it('an invalid ADAPTLAB_BACKEND is a failed run (1) with a clear message', () => {
    const r = run(['doctor'], { ADAPTLAB_BACKEND: 'gpu' });
    assert.equal(r.code, 1);
    assert.match(r.err, /ADAPTLAB_BACKEND must be auto, native or ts/);
  });
});
