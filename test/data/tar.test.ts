// Tar reading and `fetch` with extraction: a synthetic CIFAR-10 archive served on 127.0.0.1 ends as a loadable dataset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FormatError } from '../../src/core/errors.js';
import { fetchFile } from '../../src/data/fetch.js';
import { openDataset } from '../../src/data/registry.js';
import { readTar } from '../../src/data/tar.js';
import { makeTar, tempDir } from './helpers.js';

test('tar: regular files, GNU long names; bad checksum, "..", truncation are FormatErrors', () => {
  const long = `${'d'.repeat(60)}/${'f'.repeat(70)}.bin`;
  const tar = makeTar([{ name: 'a/b.txt', data: Buffer.from('hello') }, { name: long, data: new Uint8Array(700).fill(9) }], { gnuLongNames: true });
  const entries = readTar(tar, 'x.tar');
  assert.deepEqual(entries.map((e) => e.name), ['a/b.txt', long]);
  assert.equal(entries[0]!.data.toString(), 'hello');
  assert.equal(entries[1]!.data.length, 700);
  const bad = Buffer.from(tar);
  bad[10]! ^= 1;
  assert.throws(() => readTar(bad, 'bad.tar'), (e: unknown) => e instanceof FormatError && e.file === 'bad.tar' && /checksum/.test(e.message));
  assert.throws(() => readTar(makeTar([{ name: '../evil', data: Buffer.from('x') }]), 'evil.tar'), (e: unknown) => e instanceof FormatError && /unsafe path/.test(e.message));
  assert.throws(() => readTar(tar.subarray(0, 512 + 100), 'short.tar'), (e: unknown) => e instanceof FormatError && /truncated/.test(e.message));
});

test('fetch with extract: a CIFAR-10-shaped .tar.gz from 127.0.0.1 unpacks into a dataset `data info cifar10` reads', async () => {
  const { dir, cleanup } = tempDir();
  const rec = (label: number, v: number): Buffer => Buffer.concat([Buffer.from([label]), Buffer.alloc(3072, v)]);
  const files: { name: string; data: Uint8Array }[] = [1, 2, 3, 4, 5].map((k) => ({ name: `cifar-10-batches-bin/data_batch_${k}.bin`, data: Buffer.concat([rec(k, k), rec(0, 100 + k)]) }));
  files.push({ name: 'cifar-10-batches-bin/test_batch.bin', data: rec(7, 70) });
  const archive = gzipSync(makeTar(files));
  writeFileSync(join(dir, 'served.tar.gz'), archive);
  const server = http.createServer((_req, res) => {
    const body = readFileSync(join(dir, 'served.tar.gz'));
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const file = { path: 'cifar10/cifar-10-binary.tar.gz', url: 'x', sha256: createHash('sha256').update(archive).digest('hex'), extract: 'tar' as const };
    const r = await fetchFile(file, join(dir, 'data'), { mirror: url });
    assert.equal(r.extracted, 6);
    const info = openDataset('cifar10', { dataDir: join(dir, 'data'), cacheDir: false }).info();
    assert.deepEqual(info.splits, [{ split: 'train', images: 10, classes: 10 }, { split: 'test', images: 1, classes: 10 }]);
    const test1 = openDataset('cifar10', { dataDir: join(dir, 'data'), cacheDir: false }).split('test').dataset;
    assert.equal(test1.labels[0], 7);
    assert.equal(test1.get(0).image.data[3071], 70);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    cleanup();
  }
});
