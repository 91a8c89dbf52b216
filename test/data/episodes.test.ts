// Episodes: N-way K-shot Q-query sampling, determinism across processes, fixed sets, errors, batches, MAML rotations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ArgumentError } from '../../src/core/errors.js';
import { Rng } from '../../src/engine/rng.js';
import { ImageArrayDataset } from '../../src/data/dataset.js';
import { EpisodeSampler, hashEpisodes, stackEpisodes } from '../../src/data/episodes.js';
import { loadMnistPackage } from '../../src/data/mnist.js';
import { repoRoot } from './helpers.js';

/** `classes` classes with `per[c]` examples each; image i is 1×2×3 with pixel 0 = i mod 256 (asymmetric for rotations). */
function toy(per: number[]): ImageArrayDataset {
  const n = per.reduce((a, b) => a + b, 0);
  const labels = new Int32Array(n);
  let o = 0;
  per.forEach((p, c) => { labels.fill(c, o, o + p); o += p; });
  const px = new Uint8Array(n * 9);
  for (let i = 0; i < n; i++) { px[i * 9] = i % 256; px[i * 9 + 1] = 255; }
  return new ImageArrayDataset(px, [n, 1, 3, 3], labels, per.map((_, c) => `c${c}`));
}

test('episode shapes, labels, class membership and no support/query overlap', () => {
  const ds = toy(new Array(12).fill(10));
  const s = new EpisodeSampler(ds, { ways: 5, shots: 2, queries: 3 });
  const rng = new Rng(3);
  for (let t = 0; t < 50; t++) {
    const ep = s.sample(rng);
    assert.deepEqual(ep.support.x.shape, [10, 1, 3, 3]);
    assert.deepEqual(ep.query.x.shape, [15, 1, 3, 3]);
    assert.deepEqual([...ep.support.y.data], [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    assert.equal(new Set(ep.classes).size, 5);
    const sup = new Set(ep.indices.support);
    for (const q of ep.indices.query) assert.ok(!sup.has(q), 'query index also in support');
    assert.equal(sup.size + new Set(ep.indices.query).size, 25);
    ep.indices.support.forEach((i, j) => assert.equal(ds.labels[i], ep.classes[Math.floor(j / 2)]));
    ep.indices.query.forEach((i, j) => assert.equal(ds.labels[i], ep.classes[Math.floor(j / 3)]));
    // the tensor row j really is example support[j]
    ep.indices.support.forEach((i, j) => assert.ok(Math.abs((ep.support.x.data[j * 9]! as number) - (i % 256) / 255) < 1e-6));
  }
});

test('errors: too few examples per class, too few classes, bad arguments', () => {
  const ds = toy([10, 10, 4, 10]);
  assert.throws(() => new EpisodeSampler(ds, { ways: 2, shots: 1, queries: 5 }), (e: unknown) => e instanceof ArgumentError && /class 2 \("c2"\) has 4 examples/.test(e.message));
  const skip = new EpisodeSampler(ds, { ways: 3, shots: 1, queries: 5, skipSmallClasses: true });
  assert.deepEqual([...skip.eligible], [0, 1, 3]);
  assert.throws(() => new EpisodeSampler(ds, { ways: 4, shots: 1, queries: 5, skipSmallClasses: true }), (e: unknown) => e instanceof ArgumentError && /3 usable classes, a 4-way episode needs 4/.test(e.message));
  assert.throws(() => new EpisodeSampler(ds, { ways: 0, shots: 1, queries: 1 }), ArgumentError);
  assert.throws(() => new EpisodeSampler(ds, { ways: 2, shots: 1.5, queries: 1 }), ArgumentError);
  assert.throws(() => new EpisodeSampler(ds, { ways: 2, shots: 1, queries: 1, classes: [0, 7] }), ArgumentError);
});

test('fixed evaluation sets: same seed same episodes, another seed differs, episode i independent of count', () => {
  const ds = toy(new Array(20).fill(8));
  const s = new EpisodeSampler(ds, { ways: 5, shots: 1, queries: 3 });
  const a = s.fixed(42, 30), b = s.fixed(42, 30), c = s.fixed(43, 30);
  assert.equal(a.hash(), b.hash());
  assert.notEqual(a.hash(), c.hash());
  assert.equal(hashEpisodes([s.fixed(42, 10).all[7]!]), hashEpisodes([a.all[7]!]));
  const ep = a.get(4);
  assert.deepEqual([...ep.indices.support], [...a.all[4]!.support]);
  assert.equal([...a].length, 30);
});

test('same seed ⇒ identical episodes across two processes (golden hash for every machine)', () => {
  const ds = loadMnistPackage({ cacheDir: false });
  const here = new EpisodeSampler(ds, { ways: 5, shots: 5, queries: 15 }).fixed(7, 100).hash();
  const script = `
    const { loadMnistPackage } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/src/data/mnist.js')).href)});
    const { EpisodeSampler } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/src/data/episodes.js')).href)});
    const ds = loadMnistPackage({ cacheDir: false });
    process.stdout.write(new EpisodeSampler(ds, { ways: 5, shots: 5, queries: 15 }).fixed(7, 100).hash());`;
  const there = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(there, here);
  // integer-only sampling: this hash is the same on every machine and Node version
  assert.equal(here, GOLDEN_MNIST_5W5S15Q_SEED7);
  assert.notEqual(new EpisodeSampler(ds, { ways: 5, shots: 5, queries: 15 }).fixed(8, 100).hash(), here);
});
const GOLDEN_MNIST_5W5S15Q_SEED7 = 'c74fadbbdb8c1bd4a3e0a0eb1c65536b03fbb22a5ea631cb01e1b429e665acee';

test('batches of episodes stack into [B, N·K, C, H, W]', () => {
  const ds = toy(new Array(6).fill(6));
  const s = new EpisodeSampler(ds, { ways: 3, shots: 2, queries: 1 });
  const eps = s.batch(new Rng(1), 4);
  assert.equal(eps.length, 4);
  const b = stackEpisodes(eps);
  assert.deepEqual(b.support.x.shape, [4, 6, 1, 3, 3]);
  assert.deepEqual(b.query.y.shape, [4, 3]);
  assert.equal(b.support.x.data[3 * 6 * 9], eps[3]!.support.x.data[0]);
  assert.deepEqual([...b.query.y.data].slice(9), [0, 1, 2]);
});

test('MAML rotations: one random quarter turn per class per task, applied to all its images', () => {
  const ds = toy(new Array(10).fill(5));
  const s = new EpisodeSampler(ds, { ways: 5, shots: 2, queries: 2, rotate: 'random90' });
  const rng = new Rng(11);
  let mixed = 0;
  for (let t = 0; t < 40; t++) {
    const ep = s.sample(rng);
    const rot = ep.indices.rotations!;
    assert.equal(rot.length, 5);
    if (new Set(rot).size > 1) mixed++;
    for (let j = 0; j < 10; j++) {
      const k = Math.floor(j / 2);
      const x = ep.support.x.data.subarray(j * 9, j * 9 + 9) as Float32Array;
      const marker = x.findIndex((v) => v === 1);
      // the marker (row 0, col 1) moves to (1,0) for 90° ccw, (2,1) for 180°, (1,2) for 270°
      assert.equal(marker, [1, 3, 7, 5][rot[k]!], `class ${k} rotation ${rot[k]}`);
    }
  }
  assert.ok(mixed > 30, 'classes of one task get different rotations (no late-binding closure)');
});
