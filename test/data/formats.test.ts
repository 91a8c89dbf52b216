// Readers of zip, .npy/.npz and IDX: values, dtypes, orders, and typed errors naming the file for bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FormatError } from '../../src/core/errors.js';
import { ZipArchive } from '../../src/data/zip.js';
import { loadNpy, loadNpz, NpzFile, parseNpy, toInt32 } from '../../src/data/npy.js';
import { idxHeader, loadIdx, parseIdx } from '../../src/data/idx.js';
import { fixture, makeZip, needShared, shared, tempDir } from './helpers.js';

function throwsFormat(fn: () => unknown, file: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected FormatError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.match(e.message, re);
    assert.ok(e.message.includes(file), 'message names the file');
    return true;
  });
}

test('zip: reads deflate and stored entries and checks CRCs', () => {
  const { dir, cleanup } = tempDir();
  try {
    const a = new Uint8Array(1000).map((_, i) => i % 7);
    const f = join(dir, 'ok.zip');
    writeFileSync(f, makeZip([{ name: 'd/a.bin', data: a }, { name: 'b.txt', data: Buffer.from('hello'), store: true }]));
    const z = ZipArchive.open(f);
    assert.deepEqual(z.files().map((e) => e.name), ['d/a.bin', 'b.txt']);
    assert.deepEqual([...z.read('d/a.bin')], [...a]);
    assert.equal(z.read('b.txt').toString(), 'hello');
    // flip one stored byte: CRC must catch it
    const bad = makeZip([{ name: 'b.txt', data: Buffer.from('hello'), store: true }]);
    bad[30 + 'b.txt'.length] ^= 1;
    const g = join(dir, 'crc.zip');
    writeFileSync(g, bad);
    throwsFormat(() => ZipArchive.open(g).read('b.txt'), g, /CRC-32 mismatch/);
  } finally {
    cleanup();
  }
});

test('zip: truncated archive and ".." entry give FormatErrors naming the file', () => {
  const { dir, cleanup } = tempDir();
  try {
    const whole = makeZip([{ name: 'a/x.png', data: new Uint8Array(500).fill(3) }, { name: 'a/y.png', data: new Uint8Array(300).fill(1) }]);
    for (const cut of [10, 200, whole.length - 30, whole.length - 5]) {
      const f = join(dir, `trunc${cut}.zip`);
      writeFileSync(f, whole.subarray(0, cut));
      throwsFormat(() => { const z = ZipArchive.open(f); for (const e of z.files()) z.read(e); }, f, /truncated|end-of-central-directory|too short|past the end/);
    }
    const evil = join(dir, 'evil.zip');
    writeFileSync(evil, makeZip([{ name: 'ok/../../etc/passwd', data: Buffer.from('x') }]));
    throwsFormat(() => ZipArchive.open(evil), evil, /"\.\."/);
    const abs = join(dir, 'abs.zip');
    writeFileSync(abs, makeZip([{ name: '/etc/passwd', data: Buffer.from('x') }]));
    throwsFormat(() => ZipArchive.open(abs), abs, /absolute path/);
    const missing = join(dir, 'missing.zip');
    throwsFormat(() => ZipArchive.open(missing), missing, /no such file/);
  } finally {
    cleanup();
  }
});

test('npy: dtypes, byte orders, Fortran order, bool, float16, v2 header', () => {
  const i4 = loadNpy(fixture('i4_c.npy'));
  assert.equal(i4.dtype, 'int32');
  assert.deepEqual(i4.shape, [2, 3, 4]);
  assert.ok(i4.data instanceof Int32Array);
  assert.deepEqual([...i4.data], Array.from({ length: 24 }, (_, i) => i));
  const f8 = loadNpy(fixture('f8_fortran.npy'));
  assert.equal(f8.fortranOrder, true);
  assert.ok(f8.data instanceof Float64Array);
  assert.deepEqual([...f8.data], Array.from({ length: 24 }, (_, i) => i / 7), 'Fortran data reordered to C order');
  const u2 = loadNpy(fixture('u2_big.npy'));
  assert.equal(u2.dtype, 'uint16');
  assert.deepEqual([...u2.data], Array.from({ length: 24 }, (_, i) => i), 'big-endian swapped');
  const f2 = loadNpy(fixture('f2.npy'));
  assert.equal(f2.dtype, 'float16');
  assert.deepEqual([...f2.data].slice(0, 3), [0.5, -2, 65504]);
  assert.equal(f2.data[3], 2 ** -23, "subnormal half 1e-7 rounds to 2^-23 as in NumPy");
  assert.equal(f2.data[4], Infinity);
  const b = loadNpy(fixture('bool.npy'));
  assert.equal(b.dtype, 'bool');
  assert.deepEqual([...b.data], [1, 0, 1, 0, 0, 1]);
  const i8 = loadNpy(fixture('i8.npy'));
  assert.deepEqual([...i8.data], [-3n, 0n, 2n ** 40n]);
  assert.throws(() => toInt32(i8, 'i8.npy'), FormatError);
  const s = loadNpy(fixture('u1_scalar.npy'));
  assert.deepEqual(s.shape, []);
  assert.deepEqual([...s.data], [7]);
  const v2 = loadNpy(fixture('f4_v2.npy'));
  assert.deepEqual([...v2.data], [1.5, 2.5]);
});

test('npy: unsupported dtypes and corrupt headers are FormatErrors naming the file', () => {
  throwsFormat(() => loadNpy(fixture('c8.npy')), fixture('c8.npy'), /unsupported \.npy dtype "<c8"/);
  throwsFormat(() => loadNpy(fixture('structured.npy')), fixture('structured.npy'), /structured/);
  throwsFormat(() => parseNpy(Buffer.from('not numpy at all'), 'junk.npy'), 'junk.npy', /magic/);
  const good = loadNpyBytes('i4_c.npy');
  throwsFormat(() => parseNpy(good.subarray(0, good.length - 8), 'short.npy'), 'short.npy', /truncated/);
});

function loadNpyBytes(name: string): Buffer {
  return readFileSync(fixture(name));
}

test('npz: members, header-only reads, compressed and stored', () => {
  const m = loadNpz(fixture('pair.npz'));
  assert.deepEqual([...m.keys()].sort(), ['images', 'labels']);
  assert.deepEqual(m.get('images')!.shape, [1, 2, 2]);
  assert.deepEqual([...m.get('images')!.data], [1, 0, 0, 1]);
  assert.deepEqual([...toInt32(m.get('labels')!)], [5]);
  const z = NpzFile.open(fixture('stored.npz'));
  assert.deepEqual(z.header('x').shape, [5]);
  assert.deepEqual([...z.get('x').data], [0, 1, 2, 3, 4]);
  throwsFormat(() => z.get('nope'), fixture('stored.npz'), /no array "nope"/);
});

function idxBytes(magic: number, dims: number[], data: Uint8Array): Buffer {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([h, data]);
}

test('idx: raw and gz, header checks, typed errors', () => {
  const { dir, cleanup } = tempDir();
  try {
    const px = new Uint8Array(2 * 3 * 4).map((_, i) => i * 10);
    const raw = idxBytes(2051, [2, 3, 4], px);
    const a = parseIdx(raw, 'mem');
    assert.deepEqual(a.shape, [2, 3, 4]);
    assert.deepEqual([...a.data], [...px]);
    const gz = join(dir, 'x-idx3-ubyte.gz');
    writeFileSync(gz, gzipSync(raw));
    assert.deepEqual([...loadIdx(gz).data], [...px]);
    assert.deepEqual(idxHeader(gz).shape, [2, 3, 4]);
    const i32 = parseIdx(idxBytes(0x00000c01, [2], Buffer.from([0, 0, 1, 0, 0xff, 0xff, 0xff, 0xfe])), 'i32');
    assert.deepEqual([...i32.data], [256, -2]);
    const wrong = join(dir, 'wrong-magic');
    writeFileSync(wrong, idxBytes(0x01020304, [2], new Uint8Array(2)));
    throwsFormat(() => loadIdx(wrong), wrong, /wrong IDX magic number/);
    const liar = join(dir, 'liar.gz');
    writeFileSync(liar, gzipSync(idxBytes(2049, [1000], new Uint8Array(999))));
    throwsFormat(() => loadIdx(liar), liar, /claims 1000 uint8 values .* holds 999 bytes/);
    const truncGz = join(dir, 'trunc.gz');
    const full = gzipSync(raw);
    writeFileSync(truncGz, full.subarray(0, full.length - 6));
    throwsFormat(() => loadIdx(truncGz), truncGz, /gzip/);
  } finally {
    cleanup();
  }
});

const FASHION = ['fashion-mnist/train-images-idx3-ubyte.gz', 'fashion-mnist/train-labels-idx1-ubyte.gz', 'fashion-mnist/t10k-images-idx3-ubyte.gz', 'fashion-mnist/t10k-labels-idx1-ubyte.gz'];

function perClass(labels: ArrayLike<number>, k: number): number[] {
  const c = new Array<number>(k).fill(0);
  for (let i = 0; i < labels.length; i++) c[labels[i]!]!++;
  return c;
}

test('idx: Fashion-MNIST headers, counts and per-class counts', { skip: needShared(...FASHION) }, () => {
  assert.deepEqual(idxHeader(shared(FASHION[0]!)).shape, [60000, 28, 28]);
  assert.deepEqual(idxHeader(shared(FASHION[2]!)).shape, [10000, 28, 28]);
  const tr = loadIdx(shared(FASHION[1]!));
  assert.deepEqual(tr.shape, [60000]);
  assert.deepEqual(perClass(tr.data, 10), new Array(10).fill(6000));
  const te = loadIdx(shared(FASHION[3]!));
  assert.deepEqual(perClass(te.data, 10), new Array(10).fill(1000));
  const img = loadIdx(shared(FASHION[2]!));
  assert.equal(img.data.length, 10000 * 784);
});

test('idx: MNIST test set and train labels per class', { skip: needShared('mnist/t10k-images-idx3-ubyte.gz', 'mnist/t10k-labels-idx1-ubyte.gz', 'mnist/train-labels-idx1-ubyte.gz') }, () => {
  assert.deepEqual(loadIdx(shared('mnist/t10k-images-idx3-ubyte.gz')).shape, [10000, 28, 28]);
  assert.deepEqual(perClass(loadIdx(shared('mnist/t10k-labels-idx1-ubyte.gz')).data, 10), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  assert.deepEqual(perClass(loadIdx(shared('mnist/train-labels-idx1-ubyte.gz')).data, 10), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
});
