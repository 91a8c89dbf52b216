// `adaptlab data info|sample|shift|fetch` end to end: exit codes, JSON, PNG output, determinism across runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { decodePng } from '../../src/data/image.js';
import { needShared, repoRoot, sharedData, tempDir } from './helpers.js';

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'bin', 'adaptlab.js'), ...args], { env: { ...process.env, NO_COLOR: '1', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test('data info/sample/shift on the embedded mnist package (works on any install)', async () => {
  const { dir, cleanup } = tempDir();
  const env = { ADAPTLAB_DATA_DIR: join(dir, 'empty'), ADAPTLAB_CACHE_DIR: join(dir, 'cache') };
  try {
    const info = await run(['data', 'info', 'mnist', '--json'], env);
    assert.equal(info.code, 0, info.stderr);
    const rep = JSON.parse(info.stdout);
    assert.equal(rep.name, 'mnist-package', 'mnist falls back to the embedded digits');
    assert.deepEqual(rep.splits, [{ split: 'all', images: 10000, classes: 10 }]);
    const args = ['data', 'sample', 'mnist', '--ways', '5', '--shots', '2', '--queries', '3', '--seed', '11', '--json'];
    const [a, b] = await Promise.all([run([...args, '--png', join(dir, 'ep.png')], env), run(args, env)]);
    assert.equal(a.code, 0, a.stderr);
    const ja = JSON.parse(a.stdout), jb = JSON.parse(b.stdout);
    assert.equal(ja.hash, jb.hash, 'same seed, same episode in two processes');
    assert.equal(ja.classes.length, 5);
    assert.equal(ja.support.length, 10);
    const png = decodePng(readFileSync(join(dir, 'ep.png')), 'ep.png', 3);
    assert.equal(png.height, 2 + 5 * (56 + 2), '5 rows of 28×28 images at scale 2');
    assert.equal(png.width, 2 + 6 * (56 + 2), '2 support + gap + 3 query columns');
    const other = JSON.parse((await run(['data', 'sample', 'mnist', '--ways', '5', '--shots', '2', '--queries', '3', '--seed', '12', '--json'], env)).stdout);
    assert.notEqual(other.hash, ja.hash);
    const shift = await run(['data', 'shift', 'mnist', '--corruption', 'impulse_noise', '--severity', 'all', '--count', '4', '--png', join(dir, 'shift.png'), '--json'], env);
    assert.equal(shift.code, 0, shift.stderr);
    const js = JSON.parse(shift.stdout);
    assert.equal(js.meanAbsDifference.length, 5);
    for (let s = 1; s < 5; s++) assert.ok(js.meanAbsDifference[s] > js.meanAbsDifference[s - 1]);
    const grid = decodePng(readFileSync(join(dir, 'shift.png')), 'shift.png', 3);
    assert.equal(grid.height, 2 + 6 * 58, 'clean row + 5 severities');
  } finally {
    cleanup();
  }
});

test('data: usage errors exit 2, missing data exits 1 and says how to fetch', async () => {
  const { dir, cleanup } = tempDir();
  const env = { ADAPTLAB_DATA_DIR: dir, ADAPTLAB_CACHE_DIR: join(dir, 'cache') };
  try {
    assert.equal((await run(['data', 'sample', 'mnist', '--ways', '5', '--shots', '1', '--seed', '1'], env)).code, 2);
    assert.equal((await run(['data', 'shift', 'mnist', '--corruption', 'snow', '--severity', '1', '--png', join(dir, 'x.png')], env)).code, 2);
    assert.equal((await run(['data', 'shift', 'mnist', '--corruption', 'fog', '--severity', '9', '--png', join(dir, 'x.png')], env)).code, 2);
    assert.equal((await run(['data', 'frobnicate'], env)).code, 2);
    const missing = await run(['data', 'info', 'omniglot'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /adaptlab data fetch omniglot/);
    const tooMany = await run(['data', 'sample', 'mnist', '--ways', '11', '--shots', '1', '--queries', '1', '--seed', '1'], env);
    assert.equal(tooMany.code, 1);
    assert.match(tooMany.stderr, /10 usable classes, a 11-way episode needs 11/);
    const bad = await run(['data', 'info', join(dir, 'nothing-here.npz')], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /nothing-here\.npz/);
  } finally {
    cleanup();
  }
});

test('data info/sample on Omniglot from the shared data', { skip: needShared('omniglot/images_background.npz', 'omniglot/images_evaluation.npz') }, async () => {
  const { dir, cleanup } = tempDir();
  const env = { ADAPTLAB_DATA_DIR: sharedData, ADAPTLAB_CACHE_DIR: join(dir, 'cache') };
  try {
    const info = JSON.parse((await run(['data', 'info', 'omniglot', '--json'], env)).stdout);
    const by = Object.fromEntries(info.splits.map((s: { split: string }) => [s.split, s]));
    assert.deepEqual([by['all'].images, by['all'].classes, by['all'].alphabets], [32460, 1623, 50]);
    assert.deepEqual([by['vinyals:train'].classes, by['vinyals:test'].classes], [4800, 1692]);
    assert.deepEqual([by['snell:train'].characters, by['snell:val'].characters, by['snell:test'].characters], [1028, 172, 423]);
    assert.deepEqual([by['maml:train'].classes, by['maml:val'].classes, by['maml:test'].classes], [1100, 100, 423]);
    assert.ok(info.cache.every((c: { cached: boolean }) => !c.cached), 'info does not decode');
    const ep = await run(['data', 'sample', 'omniglot', '--ways', '5', '--shots', '1', '--queries', '2', '--seed', '3', '--split', 'maml:test', '--json'], env);
    assert.equal(ep.code, 0, ep.stderr);
    const j = JSON.parse(ep.stdout);
    assert.equal(j.split, 'maml:test');
    assert.ok(j.classes.every((c: { rotation: number }) => [0, 90, 180, 270].includes(c.rotation)), 'MAML episodes carry a rotation per class');
  } finally {
    cleanup();
  }
});

test('data fetch from a 127.0.0.1 mirror', { skip: needShared('omniglot/all_runs.zip') }, async () => {
  const { dir, cleanup } = tempDir();
  const server = http.createServer((req, res) => {
    const p = join(sharedData, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    try {
      const body = readFileSync(p);
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const r = await run(['data', 'fetch', 'omniglot-runs', '--dir', dir, '--mirror', url, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout)[0].status, 'downloaded');
    assert.deepEqual(readFileSync(join(dir, 'omniglot', 'all_runs.zip')), readFileSync(join(sharedData, 'omniglot', 'all_runs.zip')));
    const again = await run(['data', 'fetch', 'omniglot-runs', '--dir', dir, '--mirror', url, '--json']);
    assert.equal(JSON.parse(again.stdout)[0].status, 'present');
    const list = await run(['data', 'fetch', '--list']);
    assert.match(list.stdout, /omniglot-npz/);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    cleanup();
  }
});
