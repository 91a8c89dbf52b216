// A few fuzz cases of every format inside `npm test` (the full campaign is `npm run fuzz`, docs/RELIABILITY.md):
// mutated files through every reader and the CLI, each in a child with a time and memory cap; no failure allowed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoPath } from './helpers.js';

/** Cases per format here: 11 formats × 4 cases take about 20 s on 2 cores. */
const CASES = 4;

test(`fuzz: ${CASES} mutated files per format end in a value or a typed error, within the caps`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'adaptlab-fuzz-test-'));
  try {
    const json = join(dir, 'report.json');
    // a generous time cap here: a hang never ends, while a loaded machine only slows a case down
    const r = spawnSync(process.execPath, [repoPath('scripts', 'fuzz.mjs'), '--seed', '14', '--count', String(CASES), '--timeout-ms', '15000', '--json', json, '--out', join(dir, 'failures'), '--quiet'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `fuzz failed:\n${r.stdout}\n${r.stderr}`);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { results: Record<string, Record<string, number>>; failures: unknown[] };
    assert.deepEqual(report.failures, []);
    const formats = Object.keys(report.results);
    assert.deepEqual(formats, ['zip', 'npz', 'npy', 'idx', 'idx-gz', 'tar', 'tar-gz', 'png', 'jpeg', 'safetensors', 'cli']);
    for (const f of formats) {
      const t = report.results[f]!;
      assert.equal(t['cases'], CASES, f);
      assert.equal(t['ok']! + t['typed']!, CASES, `${f}: ${JSON.stringify(t)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
