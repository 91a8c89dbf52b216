// `adaptlab lecture`: Spearman's ρ on hand-made ranks, and the quick lecture end to end on the embedded digits.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spearman } from '../src/transfer/transferability.js';
import { repoPath } from './helpers.js';

describe('spearman', () => {
  it('is ±1 for monotone pairs, uses average ranks for ties, and is null when undefined', () => {
    assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 1000]), 1);
    assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    // ranks a = [1, 2.5, 2.5, 4], b = [1, 2, 3, 4]: ρ = Σ(da·db)/√(Σda²·Σdb²) = 4.5/√(4.5·5)
    assert.ok(Math.abs(spearman([1, 2, 2, 3], [1, 2, 3, 4])! - 4.5 / Math.sqrt(4.5 * 5)) < 1e-12);
    assert.equal(spearman([1, 2], [2, 1]), null);
    assert.equal(spearman([1, 1, 1], [1, 2, 3]), null);
    assert.throws(() => spearman([1, 2, 3], [1, 2]), /3 and 2 values/);
  });
});

describe('adaptlab lecture --quick', () => {
  it('runs every study on the embedded digits and writes a run directory whose summary holds sections (a)–(e)', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'adaptlab-lecture-')), 'run');
    try {
      const r = spawnSync(process.execPath, [repoPath('bin', 'adaptlab.js'), 'lecture', '--quick', '--out', out, '--json'], {
        encoding: 'utf8', env: { ...process.env, ADAPTLAB_DATA_DIR: join(tmpdir(), 'adaptlab-no-data-dir') }, timeout: 15 * 60_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      assert.deepEqual(JSON.parse(r.stdout).designChoices, summary.designChoices);
      const inUnit = (x: { mean: number }): boolean => x.mean >= 0 && x.mean <= 1;
      assert.deepEqual(summary.designChoices.rows.map((x: { strategy: string }) => x.strategy), ['linear-probe', 'lp-ft', 'full', 'surgical:layer1', 'surgical:layer2']);
      assert.ok(summary.designChoices.rows.every((x: { id: { mean: number } }) => inUnit(x.id)));
      assert.equal(summary.surgical.cells.length, summary.surgical.shifts.length * (summary.surgical.blocks.length + 1));
      assert.deepEqual(Object.keys(summary.surgical.best).sort(), [...summary.surgical.shifts].sort());
      assert.deepEqual(summary.multitask.regimes[0].rows.map((x: { method: string }) => x.method), ['single-task', 'joint (uniform)', 'transfer (full)', 'transfer (lp-ft)']);
      assert.ok(summary.multitask.regimes[0].rows.every((x: { target: { mean: number } }) => inUnit(x.target)));
      assert.equal(summary.shots.rows.length, 4 * summary.shots.shots.length + 1);
      assert.ok(summary.shots.rows.every((x: { accuracy: { mean: number } }) => inUnit(x.accuracy)));
      assert.ok(summary.transferability.rows.length >= 5);
      for (const m of ['leep', 'nce', 'logme', 'hscore']) assert.ok(m in summary.transferability.spearman, m);
      const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
      assert.equal(config.kind, 'lecture');
      assert.equal(config.lecture.quick, true);
      assert.ok(existsSync(join(out, 'metrics.jsonl')));
      // report.html: every section, charts as inline SVG, nothing fetched, and the summary's numbers in its tables
      const html = readFileSync(join(out, 'report.html'), 'utf8');
      for (const id of ['claims', 'design-choices', 'surgical', 'multitask', 'shots', 'transferability', 'inputs']) assert.match(html, new RegExp(`id="${id}"`), id);
      assert.ok((html.match(/<svg/g) ?? []).length >= 5);
      assert.deepEqual([...new Set(html.match(/https?:\/\/[^"' )]+/g) ?? [])].filter((u) => !u.startsWith('http://www.w3.org/')), []);
      const pct = (x: { mean: number; ci95: number }): string => `${(100 * x.mean).toFixed(1)} ± ${(100 * x.ci95).toFixed(1)}`;
      for (const row of summary.designChoices.rows) assert.ok(html.includes(pct(row.id)), `design choice ${row.strategy}: ${pct(row.id)} in the report`);
      for (const row of summary.shots.rows) assert.ok(html.includes(pct(row.accuracy)), `shots ${row.method} ${row.shots}`);
      for (const c of summary.surgical.cells) assert.ok(html.includes(pct(c.id)), `surgical ${c.shift} ${c.strategy}`);
    } finally {
      rmSync(join(out, '..'), { recursive: true, force: true });
    }
  });
});

describe('lecture: the few-shot study\'s data', () => {
  it('uses Omniglot background → evaluation characters with K + 5 queries ≤ 20 drawings when present, else digits 0–4 → 5–9 with an "all" point', async (t) => {
    const { lectureConfig, fewShotData } = await import('../src/experiments/lecture.js');
    const { trainTestSplits } = await import('../src/data/registry.js');
    const { sharedDataDir } = await import('./helpers.js');
    const cfg = lectureConfig({ quick: false });
    const digits = trainTestSplits('mnist');
    const d = fewShotData({ ...cfg, omniglotShots: [1, 5, 10, 15, 16] }, digits, null);
    assert.deepEqual([d.dataset, d.base, d.novel, d.shots, d.queries, d.all], ['mnist', [0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [1, 5, 10, 50], 15, true]);
    const data = sharedDataDir();
    if (!data || !existsSync(join(data, 'omniglot'))) return t.skip('../shared/data/omniglot is absent');
    const o = fewShotData({ ...cfg, omniglotShots: [1, 5, 10, 15, 16] }, digits, trainTestSplits('omniglot', { dataDir: data }));
    assert.deepEqual([o.dataset, o.base.length, o.novel.length, o.shots, o.queries, o.all], ['omniglot', 964, 659, [1, 5, 10, 15], 5, false]);
  });
});
