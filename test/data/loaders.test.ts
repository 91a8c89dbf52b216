// Loaders: the embedded mnist package, IDX datasets, CIFAR binaries, ImageFolder, PNG/JPEG codecs, transforms, cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { FormatError } from '../../src/core/errors.js';
import { cachedBuild } from '../../src/data/cache.js';
import { classCounts, collate } from '../../src/data/dataset.js';
import { loadCifar10, loadCifar100 } from '../../src/data/cifar.js';
import { decodeImage, decodePng, encodePng } from '../../src/data/image.js';
import { imageFolder, loadImageFolder } from '../../src/data/imagefolder.js';
import { FASHION_MNIST_CLASSES, loadIdxPair, loadMnistIdx, loadMnistPackage } from '../../src/data/mnist.js';
import { invert, resize, rotate90 } from '../../src/data/transforms.js';
import { parseIdx } from '../../src/data/idx.js';
import { needShared, shared, tempDir } from './helpers.js';

test('mnist package: 10,000 digits load everywhere, 1×28×28, all ten classes', () => {
  const { dir, cleanup } = tempDir();
  try {
    const ds = loadMnistPackage({ cacheDir: dir });
    assert.equal(ds.length, 10000);
    assert.deepEqual(ds.imageShape, [1, 28, 28]);
    const counts = [...classCounts(ds)];
    assert.equal(counts.reduce((a, b) => a + b, 0), 10000);
    assert.ok(counts.every((c) => c > 800), `per-class counts ${counts}`);
    const px = ds.pixels as Uint8Array;
    let max = 0, ink = 0;
    for (const v of px) { if (v > max) max = v; if (v > 127) ink++; }
    assert.equal(max, 255);
    assert.ok(ink / px.length > 0.08 && ink / px.length < 0.25, 'digits are bright strokes on black');
    const again = loadMnistPackage({ cacheDir: dir });
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.adlc')).length, 1, 'one cache file');
    assert.deepEqual(Buffer.from(again.pixels), Buffer.from(px));
    const { x, y } = collate(ds, [0, 9999]);
    assert.deepEqual(x.shape, [2, 1, 28, 28]);
    assert.deepEqual([...y.data], [0, 9]);
  } finally {
    cleanup();
  }
});

test('IDX datasets: MNIST test and Fashion-MNIST train', { skip: needShared('mnist/t10k-images-idx3-ubyte.gz', 'fashion-mnist/train-images-idx3-ubyte.gz') }, () => {
  const m = loadMnistIdx(shared('mnist'), 'test', undefined, { cacheDir: false });
  assert.equal(m.length, 10000);
  assert.deepEqual([...classCounts(m)], [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  const f = loadMnistIdx(shared('fashion-mnist'), 'train', FASHION_MNIST_CLASSES, { cacheDir: false });
  assert.equal(f.length, 60000);
  assert.deepEqual([...classCounts(f)], new Array(10).fill(6000));
  assert.equal(f.classes[9], 'Ankle boot');
  assert.throws(() => loadMnistIdx(shared('mnist'), 'train', undefined, { cacheDir: false }), FormatError, 'MNIST train images are absent');
});

test('IDX pair: label count must match the image count', () => {
  const { dir, cleanup } = tempDir();
  try {
    const hdr = (magic: number, dims: number[]): Buffer => {
      const h = Buffer.alloc(4 + 4 * dims.length);
      h.writeUInt32BE(magic, 0);
      dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
      return h;
    };
    writeFileSync(join(dir, 'i.gz'), gzipSync(Buffer.concat([hdr(2051, [3, 2, 2]), Buffer.alloc(12)])));
    writeFileSync(join(dir, 'l.gz'), gzipSync(Buffer.concat([hdr(2049, [2]), Buffer.from([1, 2])])));
    assert.throws(() => loadIdxPair(join(dir, 'i.gz'), join(dir, 'l.gz'), ['a', 'b', 'c'], { cacheDir: false }),
      (e: unknown) => e instanceof FormatError && e.file === join(dir, 'l.gz') && /2 labels for 3 images/.test(e.message));
  } finally {
    cleanup();
  }
});

test('CIFAR-10/100 binary batches: records, labels, planar RGB, truncation', () => {
  const { dir, cleanup } = tempDir();
  try {
    const rec = (labels: number[], seed: number): Buffer => Buffer.concat([Buffer.from(labels), Buffer.from(Array.from({ length: 3072 }, (_, i) => (i * 7 + seed) & 255))]);
    const c10 = join(dir, 'cifar-10-batches-bin');
    mkdirSync(c10);
    for (let k = 1; k <= 5; k++) writeFileSync(join(c10, `data_batch_${k}.bin`), Buffer.concat([rec([k], k), rec([9], 100 + k)]));
    writeFileSync(join(c10, 'test_batch.bin'), rec([3], 7));
    const tr = loadCifar10(c10, 'train', { cacheDir: false });
    assert.equal(tr.length, 10);
    assert.deepEqual([...tr.labels], [1, 9, 2, 9, 3, 9, 4, 9, 5, 9]);
    assert.deepEqual(tr.imageShape, [3, 32, 32]);
    const img = tr.get(2).image;
    assert.equal(img.data[1024], (1024 * 7 + 2) & 255, 'green plane starts at 1024');
    assert.equal(tr.classes[9], 'truck');
    writeFileSync(join(c10, 'test_batch.bin'), rec([3], 7).subarray(0, 3000));
    assert.throws(() => loadCifar10(c10, 'test', { cacheDir: false }), (e: unknown) => e instanceof FormatError && e.file.endsWith('test_batch.bin') && /whole number/.test(e.message));
    writeFileSync(join(c10, 'test_batch.bin'), rec([10], 7));
    assert.throws(() => loadCifar10(c10, 'test', { cacheDir: false }), /label 10/);
    const c100 = join(dir, 'cifar-100-binary');
    mkdirSync(c100);
    writeFileSync(join(c100, 'train.bin'), Buffer.concat([rec([4, 30], 1), rec([4, 55], 2), rec([19, 99], 3)]));
    writeFileSync(join(c100, 'fine_label_names.txt'), Array.from({ length: 100 }, (_, i) => `fine${i}`).join('\n'));
    writeFileSync(join(c100, 'coarse_label_names.txt'), Array.from({ length: 20 }, (_, i) => `coarse${i}`).join('\n'));
    const c = loadCifar100(c100, 'train', { cacheDir: false });
    assert.deepEqual([...c.dataset.labels], [30, 55, 99]);
    assert.deepEqual([...c.coarseLabels], [4, 4, 19]);
    assert.equal(c.coarseOfFine[55], 4);
    assert.equal(c.dataset.classes[99], 'fine99');
  } finally {
    cleanup();
  }
});

test('PNG decoder agrees with pngjs on gray, RGB, RGBA and 16-bit; bad CRC is a FormatError', () => {
  const w = 13, h = 7;
  for (const [colorType, bitDepth, inputHasAlpha] of [[0, 8, false], [2, 8, false], [6, 8, true], [2, 16, false], [4, 8, true]] as const) {
    const png = new pngjs.PNG({ width: w, height: h, colorType, bitDepth, inputHasAlpha: true });
    for (let i = 0; i < w * h; i++) {
      png.data[4 * i] = (i * 37) & 255; png.data[4 * i + 1] = (i * 11 + 5) & 255; png.data[4 * i + 2] = (i * 3) & 255; png.data[4 * i + 3] = 200;
    }
    const bytes = pngjs.PNG.sync.write(png, { colorType, bitDepth, inputHasAlpha });
    const ref = pngjs.PNG.sync.read(bytes);
    const rgb = decodePng(bytes, 'x.png', 3);
    for (let i = 0; i < w * h; i++) {
      // 16-bit: we keep the high byte, pngjs rounds v·255/65535, so they may differ by one
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(rgb.data[c * w * h + i]! - ref.data[4 * i + c]!) <= (bitDepth === 16 ? 1 : 0), `type ${colorType}/${bitDepth} pixel ${i} channel ${c}`);
    }
  }
  const good = encodePng({ data: Uint8Array.from({ length: 12 }, (_, i) => i * 20), channels: 1, height: 3, width: 4 });
  assert.deepEqual([...decodePng(good).data], Array.from({ length: 12 }, (_, i) => i * 20));
  const bad = Buffer.from(good);
  bad[bad.indexOf('IDAT') + 6]! ^= 0xff;
  assert.throws(() => decodePng(bad, 'bad.png'), (e: unknown) => e instanceof FormatError && e.file === 'bad.png' && /IDAT has a bad CRC/.test(e.message));
  assert.throws(() => decodePng(good.subarray(0, 40), 'short.png'), (e: unknown) => e instanceof FormatError && /truncated/.test(e.message));
  assert.throws(() => decodeImage(Buffer.from('GIF89a...'), 'x.gif'), FormatError);
  // 1-bit encode/decode round trip (the official Omniglot format)
  const bits = encodePng({ data: Uint8Array.from({ length: 30 }, (_, i) => (i % 3 ? 255 : 0)), channels: 1, height: 3, width: 10 }, { bitDepth: 1 });
  assert.deepEqual([...decodePng(bits).data], Array.from({ length: 30 }, (_, i) => (i % 3 ? 255 : 0)));
});

test('resize is anti-aliased and exact on constants; rotate90 and invert', () => {
  const flat = resize({ data: new Uint8Array(105 * 105).fill(77), channels: 1, height: 105, width: 105 }, 28, 28);
  assert.ok(flat.data.every((v) => v === 77));
  const checker = Uint8Array.from({ length: 64 * 64 }, (_, i) => (((i % 64) + Math.floor(i / 64)) % 2 ? 255 : 0));
  for (const f of ['triangle', 'lanczos3', 'box'] as const) {
    const r = resize({ data: checker, channels: 1, height: 64, width: 64 }, 16, 16, f);
    for (const v of r.data) assert.ok(Math.abs(v - 127.5) <= 2, `${f}: a 1-pixel checkerboard averages to grey, got ${v}`);
  }
  const blocks = resize({ data: Uint8Array.from([0, 100, 50, 250]), channels: 1, height: 2, width: 2 }, 1, 1, 'box');
  assert.deepEqual([...blocks.data], [100]);
  const img = { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), channels: 1, height: 2, width: 3 };
  const r1 = rotate90(img, 1);
  assert.deepEqual([r1.height, r1.width], [3, 2]);
  assert.deepEqual([...r1.data], [3, 6, 2, 5, 1, 4], 'counter-clockwise');
  assert.deepEqual([...rotate90(rotate90(r1, 2), 1).data], [...img.data]);
  assert.deepEqual([...invert(img).data], [254, 253, 252, 251, 250, 249]);
});

test('ImageFolder: classes from folders, PNG and JPEG, resize, mismatched sizes named', () => {
  const { dir, cleanup } = tempDir();
  try {
    mkdirSync(join(dir, 'cats'));
    mkdirSync(join(dir, 'dogs', 'nested'), { recursive: true });
    const rgb = (v: number, w = 8, h = 8) => ({ data: new Uint8Array(3 * w * h).fill(v), channels: 3, height: h, width: w });
    writeFileSync(join(dir, 'cats', 'a.png'), encodePng(rgb(10)));
    writeFileSync(join(dir, 'cats', 'b.PNG'), encodePng(rgb(20)));
    const jpg = jpeg.encode({ data: Buffer.alloc(8 * 8 * 4, 200), width: 8, height: 8 }, 95).data;
    writeFileSync(join(dir, 'dogs', 'nested', 'c.jpg'), jpg);
    writeFileSync(join(dir, 'dogs', 'notes.txt'), 'ignored');
    const ds = imageFolder(dir);
    assert.deepEqual(ds.classes, ['cats', 'dogs']);
    assert.deepEqual([...ds.labels], [0, 0, 1]);
    assert.deepEqual(ds.imageShape, [3, 8, 8]);
    assert.ok(ds.get(1).image.data.every((v) => v === 20));
    assert.ok(ds.get(2).image.data.every((v) => Math.abs(v - 200) <= 2), 'JPEG decodes close to its source');
    const gray = loadImageFolder(dir, { channels: 1, size: 4, cacheDir: false });
    assert.deepEqual(gray.imageShape, [1, 4, 4]);
    assert.equal(gray.get(0).image.data[0], 10);
    writeFileSync(join(dir, 'cats', 'big.png'), encodePng(rgb(0, 9, 9)));
    const odd = imageFolder(dir);
    assert.throws(() => odd.get(2), (e: unknown) => e instanceof FormatError && e.file.endsWith('big.png'));
  } finally {
    cleanup();
  }
});

test('cache: a damaged cache file is a miss and gets rewritten', () => {
  const { dir, cleanup } = tempDir();
  try {
    let builds = 0;
    const src = join(dir, 'src.bin');
    writeFileSync(src, 'source');
    const build = () => { builds++; return { meta: { a: 1 }, arrays: { v: Int32Array.from([1, -2, 3]), u: Uint8Array.from([9]) } }; };
    const first = cachedBuild(join(dir, 'c'), 'k', [src], {}, build);
    assert.equal(first.fromCache, false);
    const second = cachedBuild(join(dir, 'c'), 'k', [src], {}, build);
    assert.equal(second.fromCache, true);
    assert.deepEqual([...second.arrays['v']!], [1, -2, 3]);
    assert.deepEqual(second.meta, { a: 1 });
    const file = join(dir, 'c', `${second.key}.adlc`);
    writeFileSync(file, 'garbage');
    assert.equal(cachedBuild(join(dir, 'c'), 'k', [src], {}, build).fromCache, false);
    writeFileSync(src, 'changed source');
    assert.equal(cachedBuild(join(dir, 'c'), 'k', [src], {}, build).fromCache, false, 'a changed source misses');
    assert.equal(builds, 3);
  } finally {
    cleanup();
  }
});

test('transforms never write into a Buffer-backed source; loaders hand out plain Uint8Arrays', () => {
  const src = Buffer.from([0, 10, 20, 30]);
  const img = { data: src.subarray(0, 4), channels: 1, height: 2, width: 2 };
  const inv = invert(img);
  assert.deepEqual([...src], [0, 10, 20, 30], 'invert copies');
  assert.ok(!Buffer.isBuffer(inv.data));
  assert.ok(!Buffer.isBuffer(rotate90(img, 1).data));
  assert.ok(!Buffer.isBuffer(resize(img, 2, 2).data));
  const idx = Buffer.concat([Buffer.from([0, 0, 8, 1, 0, 0, 0, 2]), Buffer.from([5, 6])]);
  assert.ok(!Buffer.isBuffer(parseIdx(idx, 'x').data));
});
