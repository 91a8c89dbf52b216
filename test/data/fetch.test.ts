// The explicit fetch: a local HTTP server on 127.0.0.1 serves files (never the internet); resume, checksums, corruption.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { ArgumentError, DownloadError, FormatError } from '../../src/core/errors.js';
import { fetchDataset, fetchFile } from '../../src/data/fetch.js';
import { needShared, sharedData, tempDir } from './helpers.js';

interface Served { url: string; ranges: string[]; requests: number; close: () => Promise<void> }

/**
 * Serve `root` on 127.0.0.1 with Range support. `/corrupt/<path>` serves the file with one byte flipped;
 * `/cut/<path>` sends half the body and drops the connection; `/redirect/<path>` redirects to the plain path.
 */
async function serve(root: string): Promise<Served> {
  const state = { ranges: [] as string[], requests: 0 };
  const server = http.createServer((req, res) => {
    state.requests++;
    let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let mode = 'plain';
    for (const m of ['corrupt', 'cut', 'redirect']) {
      if (path.startsWith(`/${m}/`)) { mode = m; path = path.slice(m.length + 1); }
    }
    if (mode === 'redirect') { res.writeHead(302, { location: path }); res.end(); return; }
    const file = normalize(join(root, path));
    if (!file.startsWith(root) || !existsSync(file)) { res.writeHead(404); res.end(); return; }
    let body = readFileSync(file);
    if (mode === 'corrupt') { body = Buffer.from(body); body[body.length >> 1]! ^= 0xff; }
    const range = req.headers.range;
    if (range) state.ranges.push(range);
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m) {
      const start = Number(m[1]);
      if (start >= body.length) { res.writeHead(416, { 'content-range': `bytes */${body.length}` }); res.end(); return; }
      res.writeHead(206, { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, 'content-length': body.length - start });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, { 'content-length': body.length });
    if (mode === 'cut') { res.write(body.subarray(0, body.length >> 1), () => res.destroy()); return; }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get ranges() { return state.ranges; },
    get requests() { return state.requests; },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  } as Served;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('fetchFile: download, verify, keep a present file, reject corruption, resume after a cut', async () => {
  const { dir, cleanup } = tempDir();
  const root = join(dir, 'server');
  mkdirSync(join(root, 'set'), { recursive: true });
  const data = Buffer.from(Array.from({ length: 200000 }, (_, i) => (i * 31 + (i >> 8)) & 255));
  writeFileSync(join(root, 'set', 'blob.bin'), data);
  const srv = await serve(root);
  try {
    const file = { path: 'set/blob.bin', url: 'http://unused.invalid/blob.bin', sha256: sha(data) };
    const out = join(dir, 'data');
    const r1 = await fetchFile(file, out, { mirror: `${srv.url}/redirect` });
    assert.equal(r1.status, 'downloaded');
    assert.deepEqual(readFileSync(join(out, 'set/blob.bin')), data);
    const before = srv.requests;
    const r2 = await fetchFile(file, out, { mirror: srv.url });
    assert.equal(r2.status, 'present');
    assert.equal(srv.requests, before, 'a verified file is not downloaded again');

    const bad = join(dir, 'bad');
    await assert.rejects(fetchFile(file, bad, { mirror: `${srv.url}/corrupt` }), (e: unknown) => e instanceof FormatError && /sha256 mismatch/.test(e.message) && e.file === join(bad, 'set/blob.bin'));
    assert.ok(!existsSync(join(bad, 'set/blob.bin')) && !existsSync(join(bad, 'set/blob.bin.part')), 'nothing corrupt is left behind');

    const cut = join(dir, 'cut');
    await assert.rejects(fetchFile(file, cut, { mirror: `${srv.url}/cut` }), DownloadError);
    assert.ok(!existsSync(join(cut, 'set/blob.bin')));
    const partial = readFileSync(join(cut, 'set/blob.bin.part'));
    assert.ok(partial.length > 0 && partial.length < data.length, `a partial file remains (${partial.length} bytes)`);
    const r3 = await fetchFile(file, cut, { mirror: srv.url });
    assert.equal(r3.status, 'resumed');
    assert.ok(srv.ranges.includes(`bytes=${partial.length}-`), 'resumed with a Range request');
    assert.deepEqual(readFileSync(join(cut, 'set/blob.bin')), data);

    await assert.rejects(fetchFile({ path: 'set/missing.bin', url: 'x', sha256: sha(data) }, out, { mirror: srv.url }), (e: unknown) => e instanceof DownloadError && /HTTP 404/.test(e.message));
    await assert.rejects(fetchFile({ path: 'set/blob.bin', url: 'x' }, join(dir, 'nochk'), { mirror: srv.url }), /no checksum/);
  } finally {
    await srv.close();
    cleanup();
  }
});

test('fetchDataset from a local mirror of ../shared/data: real files and their recorded checksums', { skip: needShared('omniglot/all_runs.zip', 'omniglot/vinyals-split/train.txt', 'mnist/t10k-labels-idx1-ubyte.gz') }, async () => {
  const { dir, cleanup } = tempDir();
  const srv = await serve(sharedData);
  try {
    const runs = await fetchDataset('omniglot-runs', dir, { mirror: srv.url });
    assert.deepEqual(runs.map((r) => [r.status, r.verified]), [['downloaded', 'sha256']]);
    assert.deepEqual(readFileSync(join(dir, 'omniglot/all_runs.zip')), readFileSync(join(sharedData, 'omniglot/all_runs.zip')));
    const splits = await fetchDataset('omniglot-splits', dir, { mirror: srv.url });
    assert.equal(splits.length, 4);
    await assert.rejects(fetchDataset('omniglot-small', join(dir, 'x'), { mirror: `${srv.url}/corrupt` }), FormatError);
    await assert.rejects(fetchDataset('nope', dir, { mirror: srv.url }), /unknown dataset/);
  } finally {
    await srv.close();
    cleanup();
  }
});

/** A one-off 127.0.0.1 server with a custom handler. */
async function serveWith(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

test('fetchFile: a total deadline abandons a server trickling bytes and keeps the .part for a resume', async () => {
  const srv = await serveWith((_req, res) => {
    res.writeHead(200, { 'content-length': 1000 });
    const t = setInterval(() => res.write('x'), 100); // never idle for the 30 s timeout, never done
    res.on('close', () => clearInterval(t));
  });
  const { dir, cleanup } = tempDir();
  try {
    const file = { path: 'set/slow.bin', url: `${srv.url}/slow.bin`, sha256: '0'.repeat(64), bytes: 1000 };
    const t0 = performance.now();
    await assert.rejects(fetchFile(file, dir, { deadlineMs: 1200 }), (e: unknown) => e instanceof DownloadError && /gave up after \d+ bytes: the 1\.2 s deadline passed \(--deadline\); what arrived is kept/.test(e.message));
    const took = performance.now() - t0;
    assert.ok(took >= 1100 && took < 4000, `${took} ms`);
    const part = statSync(join(dir, 'set', 'slow.bin.part')).size;
    assert.ok(part > 0 && part < 100, `the .part keeps what arrived (${part} bytes)`);
    await assert.rejects(fetchFile(file, dir, { deadlineMs: 0 }), ArgumentError);
  } finally {
    await srv.close();
    cleanup();
  }
});

test('data fetch: a body longer than the known size is refused and deleted; so is a longer announced length', async () => {
  const srv = await serveWith((req, res) => {
    if (req.url?.startsWith('/endless')) {
      res.writeHead(200); // no content-length: a close-delimited body that does not stop
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = (): void => { while (res.write(chunk)) { /* until backpressure */ } };
      res.on('drain', pump);
      pump();
      return;
    }
    res.writeHead(200, { 'content-length': 5000 });
    res.end(Buffer.alloc(5000));
  });
  const { dir, cleanup } = tempDir();
  try {
    const endless = { path: 'set/endless.bin', url: `${srv.url}/endless`, sha256: '0'.repeat(64), bytes: 100_000 };
    await assert.rejects(fetchFile(endless, dir), (e: unknown) => e instanceof DownloadError && /server sent more than the 100000 bytes set\/endless\.bin has; refusing the download \(deleted\)/.test(e.message));
    assert.ok(!existsSync(join(dir, 'set', 'endless.bin.part')), 'nothing is left behind');
    const longer = { path: 'set/longer.bin', url: `${srv.url}/longer`, sha256: '0'.repeat(64), bytes: 4000 };
    await assert.rejects(fetchFile(longer, dir), (e: unknown) => e instanceof DownloadError && /server announces 5000 bytes, set\/longer\.bin has 4000: wrong file, refusing it/.test(e.message));
  } finally {
    await srv.close();
    cleanup();
  }
});
