// Hostile files (issue #14): decompression bombs, huge declared image sizes, parsers driven into recursion or out of
// range, names that would vanish or overwrite. Each case is a small generated file read in a child process with
// 512 MB of heap and a 5 s limit (scripts/fuzz-worker.mjs), and must end in a typed error naming the file, or in
// correct output.
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { ArgumentError, FormatError } from '../../src/core/errors.js';
import { decodePng, DEFAULT_MAX_IMAGE_PIXELS, decodeImage, encodePng, maxImagePixels } from '../../src/data/image.js';
import { parseIdx } from '../../src/data/idx.js';
import { safeProduct } from '../../src/data/io.js';
import { parseNpy } from '../../src/data/npy.js';
import { extractTar, readTar } from '../../src/data/tar.js';
import { ZipArchive } from '../../src/data/zip.js';
import { isolated, makeNpy, makePng, makeRawZip, makeTar, tempDir, zeroDeflateRaw, zeroGzip, zeroZlib, type Isolated } from './helpers.js';

/** The child ended in a FormatError naming the file, whose message matches `re`, well within the limits. */
function typed(r: Isolated, file: string, re: RegExp): void {
  assert.equal(r.outcome, 'typed', `expected a typed error, got ${r.outcome}: ${r.name}: ${r.message}`);
  assert.equal(r.name, 'FormatError');
  assert.ok(r.message!.includes(file), `message names the file: ${r.message}`);
  assert.match(r.message!, re);
  assert.ok(r.maxRssMB < 512, `resident memory ${r.maxRssMB} MB`);
}

function withFile(name: string, bytes: Uint8Array, fn: (file: string, dir: string) => void): void {
  const { dir, cleanup } = tempDir('adaptlab-hostile-');
  try {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    fn(file, dir);
  } finally {
    cleanup();
  }
}

// ---- 1. bounded decompression

test('npz: a 1 MB file whose member declares a [2, 2] array but inflates to 1 GiB is refused before inflating', () => {
  const header = makeNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }");
  const bomb = makeRawZip([
    { name: 'images.npy', raw: zeroDeflateRaw(1024, header), size: 1 << 30 },
    { name: 'labels.npy', raw: zeroDeflateRaw(1, makeNpy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }")), size: 1 << 20 },
  ]);
  assert.ok(bomb.length < 1_200_000, `${bomb.length} bytes`);
  withFile('bomb.npz', bomb, (file) => {
    const r = isolated('npz', file);
    typed(r, file, /images\.npy: the member holds 1073741824 bytes, 1073741692 more than its header declares \[2, 2\] uint8/);
    assert.ok(r.maxRssMB < 200, `nothing was inflated: ${r.maxRssMB} MB resident`);
  });
});

test('zip: a member whose directory declares 1000 bytes but whose stream inflates to 1 GiB stops at 1000', () => {
  withFile('liar.zip', makeRawZip([{ name: 'a.bin', raw: zeroDeflateRaw(1024), size: 1000 }]), (file) => {
    const r = isolated('zip', file);
    typed(r, file, /entry "a\.bin" inflates to more than 1000 bytes, the size the zip directory declares/);
    assert.ok(r.maxRssMB < 200, `${r.maxRssMB} MB`);
  });
  // a directory that declares more than deflate can produce from the compressed size is refused without inflating
  const z = ZipArchive.fromBuffer(makeRawZip([{ name: 'b.bin', raw: zeroDeflateRaw(1), size: 0x7fffffff }]), 'big.zip');
  assert.throws(() => z.read('b.bin'), (e: unknown) => e instanceof FormatError && /more than deflate can produce/.test(e.message));
});

test('gzip IDX: inflation stops at the size the IDX header declares; a gzip trailer that lies stops .tar.gz', () => {
  const idx = Buffer.from([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2]);
  withFile('bomb-idx1-ubyte.gz', zeroGzip(1024, idx), (file) => {
    const r = isolated('idx-gz', file);
    typed(r, file, /gzip data inflates to more than 16 bytes, the size its IDX header declares \(2×2 uint8/);
    assert.ok(r.maxRssMB < 200, `${r.maxRssMB} MB`);
  });
  withFile('bomb.tar.gz', zeroGzip(1024, undefined, 10240), (file) => {
    const r = isolated('tar-gz', file);
    typed(r, file, /gzip data inflates to more than 10240 bytes, the size its gzip trailer declares/);
    assert.ok(r.maxRssMB < 200, `${r.maxRssMB} MB`);
  });
  // and an honest .tar.gz still extracts
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'ok.tar.gz');
    writeFileSync(f, gzipSync(makeTar([{ name: 'd/a.txt', data: Buffer.from('A') }])));
    assert.deepEqual(extractTar(f, join(dir, 'out')), [join(dir, 'out', 'd', 'a.txt')]);
  } finally {
    cleanup();
  }
});

test('PNG: a 1×1 image whose IDAT inflates to 1 GiB stops at the 2 bytes its header implies', () => {
  withFile('bomb.png', makePng(1, 1, 8, 0, zeroZlib(1024), { compressed: true }), (file) => {
    assert.ok(statSync(file).size < 1_200_000);
    const r = isolated('png', file);
    typed(r, file, /PNG image data inflates to more than 2 bytes, the 2 bytes its 1×1 header implies/);
    assert.ok(r.maxRssMB < 200, `${r.maxRssMB} MB`);
  });
});

// ---- 2. image sizes

test('PNG: 2^28 × 1 pixels is over the pixel cap; with the cap raised, the row size does not wrap at 2^32', () => {
  const tiny = makePng(2 ** 28, 1, 8, 0, Buffer.from([0, 0, 0]));
  assert.ok(tiny.length < 80, `${tiny.length} bytes`);
  withFile('wide.png', tiny, (file) => typed(isolated('png', file), file, /declares 268435456×1 = 268435456 pixels, over the 16777216-pixel cap/));
  // 16-bit RGBA, 2^25 wide: 2^28 bytes per row (the old 32-bit arithmetic made it negative)
  const rgba16 = makePng(2 ** 25, 1, 16, 6, Buffer.from([0, 1, 2, 3]));
  assert.throws(() => decodePng(rgba16, 'rgba16.png', 3), (e: unknown) => e instanceof FormatError && /over the 16777216-pixel cap/.test(e.message));
  assert.throws(() => decodePng(rgba16, 'rgba16.png', 3, { maxPixels: 2 ** 26 }), (e: unknown) => e instanceof FormatError && /image data too short \(4 bytes, its 33554432×1 header implies 268435457\)/.test(e.message));
  assert.throws(() => decodePng(tiny, 'wide.png', 1, { maxPixels: 2 ** 29 }), (e: unknown) => e instanceof FormatError && /image data too short \(3 bytes, its 268435456×1 header implies 268435457\)/.test(e.message));
});

test('JPEG: a small file edited to claim 10000×10000, or 4096×4096, is refused from its frame header', () => {
  const rgba = Buffer.from(Array.from({ length: 16 * 16 * 4 }, (_, i) => (i * 29) & 255));
  const jpg = Buffer.from(jpeg.encode({ data: rgba, width: 16, height: 16 }, 80).data);
  const sof = jpg.indexOf(Buffer.from([0xff, 0xc0]));
  jpg.writeUInt16BE(10000, sof + 5);
  jpg.writeUInt16BE(10000, sof + 7);
  withFile('huge.jpg', jpg, (file) => {
    const r = isolated('jpeg', file);
    typed(r, file, /JPEG declares 10000×10000 = 100000000 pixels, over the 16777216-pixel cap/);
    assert.ok(r.wallMs < 5000);
  });
  // just inside the cap: 4096×4096 from a few hundred bytes cannot be real (Huffman data spends ≥ 1 bit a block);
  // refused before jpeg-js would allocate and decode 16.7 MP of nothing (2 s and 550 MB resident)
  jpg.writeUInt16BE(4096, sof + 5);
  jpg.writeUInt16BE(4096, sof + 7);
  withFile('cap.jpg', jpg, (file) => {
    const r = isolated('jpeg', file);
    typed(r, file, new RegExp(`JPEG declares 4096×4096 \\(262144 blocks of 8×8\\) but is only ${jpg.length} bytes`));
    assert.ok(r.maxRssMB < 200, `${r.maxRssMB} MB`);
  });
  // an honest JPEG is decoded as before
  assert.equal(decodeImage(Buffer.from(jpeg.encode({ data: rgba, width: 16, height: 16 }, 80).data), 'ok.jpg', 3).width, 16);
});

test('pixel cap: documented default, overridable per call and by $ADAPTLAB_MAX_IMAGE_PIXELS, checked before decoding', () => {
  assert.equal(DEFAULT_MAX_IMAGE_PIXELS, 16_777_216);
  const png = encodePng({ data: new Uint8Array(3 * 40 * 30), channels: 3, height: 30, width: 40 });
  assert.equal(decodeImage(png, 'a.png', 1).width, 40);
  assert.throws(() => decodeImage(png, 'a.png', 1, { maxPixels: 1000 }), (e: unknown) => e instanceof FormatError && /40×30 = 1200 pixels, over the 1000-pixel cap/.test(e.message));
  assert.equal(decodeImage(png, 'a.png', 1, { maxPixels: 1200 }).height, 30);
  assert.throws(() => maxImagePixels({ maxPixels: 0 }), ArgumentError);
  withFile('a.png', png, (file) => {
    typed(isolated('png', file, { ADAPTLAB_MAX_IMAGE_PIXELS: '1199' }), file, /over the 1199-pixel cap/);
    assert.equal(isolated('png', file, { ADAPTLAB_MAX_IMAGE_PIXELS: '1200' }).outcome, 'ok');
    const bad = isolated('png', file, { ADAPTLAB_MAX_IMAGE_PIXELS: 'lots' });
    assert.equal(bad.name, 'ArgumentError');
    assert.match(bad.message!, /ADAPTLAB_MAX_IMAGE_PIXELS: must be a positive integer, got "lots"/);
  });
});

test('PNG: interlaced (Adam7) images decode like their non-interlaced twin; extra image data is refused', () => {
  const w = 7, h = 5;
  const px = (x: number, y: number, c: number): number => (x * 40 + y * 17 + c * 90) & 255;
  const plain: number[] = [];
  for (let y = 0; y < h; y++) { plain.push(0); for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) plain.push(px(x, y, c)); }
  const adam: number[] = [];
  for (const [x0, y0, dx, dy] of [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const) {
    for (let y = y0; y < h; y += dy) {
      if (x0 >= w) break;
      adam.push(0);
      for (let x = x0; x < w; x += dx) for (let c = 0; c < 3; c++) adam.push(px(x, y, c));
    }
  }
  const a = decodePng(makePng(w, h, 8, 2, Buffer.from(plain)), 'plain.png', 3);
  const b = decodePng(makePng(w, h, 8, 2, Buffer.from(adam), { interlace: true }), 'adam7.png', 3);
  assert.deepEqual([...b.data], [...a.data]);
  assert.throws(() => decodePng(makePng(w, h, 8, 2, Buffer.from([...adam, 0, 0, 0]), { interlace: true }), 'long.png', 3), (e: unknown) => e instanceof FormatError && /inflates to more than/.test(e.message));
});

// ---- 3. parsers that cannot be driven into recursion or out of range

test('.npy: a header of 10,000 "[" is a FormatError (no stack overflow); long and odd headers stay linear and typed', () => {
  withFile('deep.npy', makeNpy(`{'descr': '<f4', 'fortran_order': False, 'shape': ${'['.repeat(10000)}`), (file) => {
    typed(isolated('npy', file), file, /nesting deeper than 32/);
  });
  const t0 = performance.now();
  assert.throws(() => parseNpy(makeNpy(`{'descr': '<f4', 'fortran_order': False, 'shape': (${Array(12000).fill(1).join(',')}), }`), 'many.npy'), (e: unknown) => e instanceof FormatError && /12000 dimensions/.test(e.message));
  assert.ok(performance.now() - t0 < 1000, 'tokens are matched in place, not re-sliced');
  assert.throws(() => parseNpy(makeNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999999999999, 0), }"), 'big.npy'), FormatError);
  // a "__proto__" key is an ordinary key of the header dict: it neither pollutes nor hides the real keys
  const a = parseNpy(makeNpy("{'__proto__': {'shape': (9,)}, 'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", Buffer.from([7, 8])), 'p.npy');
  assert.deepEqual([a.shape, [...a.data]], [[2], [7, 8]]);
  assert.equal(({} as Record<string, unknown>)['shape'], undefined);
});

test('zip: a zip64 extra field that points past the end is a FormatError, not ERR_OUT_OF_RANGE', () => {
  const extra = Buffer.alloc(12);
  extra.writeUInt16LE(0x0001, 0);
  extra.writeUInt16LE(0xfff0, 2); // claims 65,520 bytes of zip64 data; the entry has 8
  const data = Buffer.from('hi');
  const bad = makeRawZip([{ name: 'x.bin', raw: zeroDeflateRaw(1), size: 0xffffffff, extra }]);
  withFile('zip64.zip', bad, (file) => typed(isolated('zip', file), file, /extra field 0x0001 of 65520 bytes runs past the end of its 12-byte extra data/));
  // a zip64 value beyond 2^53 is corrupt, not rounded
  extra.writeUInt16LE(8, 2);
  extra.writeBigUInt64LE(2n ** 62n, 4);
  assert.throws(() => ZipArchive.fromBuffer(makeRawZip([{ name: 'y.bin', raw: data, size: 0xffffffff, extra }]), 'huge.zip'), (e: unknown) => e instanceof FormatError && /larger than any file/.test(e.message));
});

test('IDX: dimensions that multiply to Infinity × 0 (NaN in naive code) no longer skip the size checks', () => {
  const nd = 40;
  const head = Buffer.alloc(4 + 4 * nd);
  head[2] = 0x08; head[3] = nd;
  for (let d = 0; d < nd - 1; d++) head.writeUInt32BE(0xffffffff, 4 + 4 * d);
  assert.ok(Number.isNaN([...Array(nd - 1).fill(0xffffffff), 0].reduce((a, x) => a * x, 1)), 'the old product');
  assert.equal(safeProduct([...Array(nd - 1).fill(0xffffffff), 0]), 0);
  assert.equal(safeProduct([0xffffffff, 0xffffffff, 0xffffffff]), Infinity);
  withFile('nan-idx1-ubyte', Buffer.concat([head, Buffer.from([1, 2, 3, 4])]), (file) => typed(isolated('idx', file), file, /4 bytes after the/));
  const empty = parseIdx(head, 'empty.idx');
  assert.equal(empty.data.length, 0, 'a zero dimension: no elements, correct output');
  const huge = Buffer.from(head);
  huge.writeUInt32BE(3, 4 + 4 * (nd - 1));
  assert.throws(() => parseIdx(Buffer.concat([huge, Buffer.alloc(16)]), 'inf.idx'), (e: unknown) => e instanceof FormatError && /more than 2\^53 bytes\) but the file holds 16 bytes/.test(e.message));
});

// ---- 4. no silent data loss, no wrong paths

test('tar: an entry named "." (or "./", "a/.") is refused and never written onto the target folder', () => {
  for (const name of ['.', './', './/.']) {
    assert.throws(() => readTar(makeTar([{ name, data: Buffer.from('x') }]), 'dot.tar'), (e: unknown) => e instanceof FormatError && /names no file \(it would overwrite the target folder\)/.test(e.message), name);
  }
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'dot.tar');
    writeFileSync(f, makeTar([{ name: 'ok.txt', data: Buffer.from('fine') }, { name: '.', data: Buffer.from('x') }]));
    const out = join(dir, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'kept');
    assert.throws(() => extractTar(f, out), FormatError);
    assert.ok(statSync(out).isDirectory() && readFileSync(join(out, 'keep.txt'), 'utf8') === 'kept', 'the target folder is untouched');
    // "." components are dropped, not kept
    assert.deepEqual(readTar(makeTar([{ name: './a/./b//c.txt', data: Buffer.from('c') }]), 'x.tar').map((e) => e.name), ['a/b/c.txt']);
  } finally {
    cleanup();
  }
});

test('readers refuse FIFOs and devices instead of blocking or reading forever', { skip: process.platform === 'win32' ? 'no FIFOs' : false }, () => {
  const { dir, cleanup } = tempDir();
  try {
    if (existsSync('/dev/zero')) {
      const r = isolated('npy', '/dev/zero');
      assert.equal(r.outcome, 'typed');
      assert.match(r.message!, /\/dev\/zero: cannot read: is a device, not a regular file/);
    }
    const fifo = join(dir, 'pipe.png');
    if (spawnSync('mkfifo', [fifo]).status === 0) typed(isolated('png', fifo), fifo, /is a named pipe \(FIFO\), not a regular file/);
  } finally {
    cleanup();
  }
});

