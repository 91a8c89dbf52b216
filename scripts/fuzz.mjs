#!/usr/bin/env node
// Fuzz every file reader: mutate seed files of each format, run the reader on each mutant in a child process with a
// time cap and a memory cap, and classify what happened. Docs: docs/RELIABILITY.md.
//
//   npm run fuzz -- [--seed S] [--count N] [--format F[,F…]] [--jobs J] [--timeout-ms MS] [--heap-mb MB] [--rss-mb MB]
//                   [--out DIR] [--json FILE] [--cases FILE.jsonl] [--quiet]
//
// Outcomes: ok (the reader returned), typed (an AdaptlabError naming the file), and the failures: unnamed (typed but
// the message does not name the file), untyped (any other exception), crash (the child died: abort, signal, no
// result), hang (killed at the time cap), memory (resident memory over the cap). Exit code 1 when any failure occurred.
// The `cli` format runs `adaptlab data info|sample` on mutated files: exit 0 is ok, exit 1 with a one-line message is
// typed (for `info` it must name the file), a stack trace, "unexpected error" or a usage exit is untyped.
// Case i of format F depends only on (seed, F, i) and on which seed files exist (the shared data adds real ones).
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { crc32, deflateRawSync, deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => new URL(`file://${join(root, 'dist', 'src', p)}`).href;
const { Rng } = await import(dist('engine/rng.js'));
const { ZipArchive } = await import(dist('data/zip.js'));
const { NpzFile } = await import(dist('data/npy.js'));
const { encodePng } = await import(dist('data/image.js'));
const jpeg = (await import('jpeg-js')).default;

export const FORMATS = ['zip', 'npz', 'npy', 'idx', 'idx-gz', 'tar', 'tar-gz', 'png', 'jpeg', 'safetensors', 'cli'];
const EXT = { zip: '.zip', npz: '.npz', npy: '.npy', idx: '.idx', 'idx-gz': '.gz', tar: '.tar', 'tar-gz': '.tar.gz', png: '.png', jpeg: '.jpg', safetensors: '.safetensors' };
const SHARED = process.env.ADAPTLAB_SHARED_DATA ?? resolve(root, '..', 'shared', 'data');

// ---------------------------------------------------------------------------------------------- small writers
function npy(descr, shape, data, opts = {}) {
  const major = opts.version ?? 1;
  const dict = opts.header ?? `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pre = major === 1 ? 10 : 12;
  let h = dict;
  h += ' '.repeat((64 - ((pre + h.length + 1) % 64)) % 64) + '\n';
  const hb = Buffer.from(h, major === 3 ? 'utf8' : 'latin1');
  const p = Buffer.alloc(pre);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]).copy(p);
  if (major === 1) p.writeUInt16LE(hb.length, 8);
  else p.writeUInt32LE(hb.length, 8);
  return Buffer.concat([p, hb, Buffer.from(data)]);
}

/** A zip (stored or deflate members; `declare` overrides what the directory says about a member). */
function zip(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const comp = f.store ? Buffer.from(f.data) : deflateRawSync(f.data);
    const crc = f.crc ?? crc32(f.data) >>> 0;
    const size = f.declaredSize ?? f.data.length;
    const extra = f.extra ?? Buffer.alloc(0);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(0x800, 6); lh.writeUInt16LE(f.store ? 0 : 8, 8);
    lh.writeUInt32LE(crc, 14); lh.writeUInt32LE(comp.length, 18); lh.writeUInt32LE(size >>> 0, 22); lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(45, 4); ch.writeUInt16LE(20, 6); ch.writeUInt16LE(0x800, 8); ch.writeUInt16LE(f.store ? 0 : 8, 10);
    ch.writeUInt32LE(crc, 16); ch.writeUInt32LE(f.zip64 ? 0xffffffff : comp.length, 20); ch.writeUInt32LE(f.zip64 ? 0xffffffff : size >>> 0, 24);
    ch.writeUInt16LE(name.length, 28); ch.writeUInt16LE(extra.length, 30); ch.writeUInt32LE(f.zip64 ? 0xffffffff : offset, 42);
    locals.push(lh, name, comp);
    centrals.push(ch, name, extra);
    offset += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(files.length, 8); eocd.writeUInt16LE(files.length, 10);
  eocd.writeUInt32LE(cd.length, 12); eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

function tarHeader(name, size, type = '0', sizeField) {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write('0000644\0', 100); h.write('0000000\0', 108); h.write('0000000\0', 116);
  h.write(sizeField ?? `${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  h.write('00000000000\0', 136);
  h.write(type, 156);
  h.write('ustar\0' + '00', 257);
  return fixTarChecksum(h);
}

function fixTarChecksum(h) {
  h.fill(32, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i];
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

function tar(files) {
  const blocks = [];
  const pad = (b) => Buffer.concat([Buffer.from(b), Buffer.alloc((512 - (b.length % 512)) % 512)]);
  for (const f of files) {
    if (f.name.length > 100) {
      const n = Buffer.from(`${f.name}\0`);
      blocks.push(tarHeader('././@LongLink', n.length, 'L'), pad(n));
    }
    blocks.push(tarHeader(f.name, f.data.length, f.type ?? '0', f.sizeField), pad(f.data));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function idx(typeCode, shape, body) {
  const h = Buffer.alloc(4 + 4 * shape.length);
  h[2] = typeCode; h[3] = shape.length;
  shape.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([h, Buffer.from(body)]);
}

function pngChunk(type, body) {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(body).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)) >>> 0, 8 + body.length);
  return out;
}

const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG from already filtered (filter byte 0) raw rows; `interlace` marks the rows as Adam7 passes. */
function png(w, h, depth, ctype, raw, opts = {}) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = depth; ihdr[9] = ctype; ihdr[12] = opts.interlace ? 1 : 0;
  const chunks = [pngChunk('IHDR', ihdr)];
  if (opts.palette) chunks.push(pngChunk('PLTE', opts.palette));
  chunks.push(pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0)));
  return Buffer.concat([PNG_SIG, ...chunks]);
}

/** Rows of `w` pixels of `bytesPerPixel` bytes (depth ≥ 8), filter byte 0, values from `f`. */
function rows(w, h, bytesPerPixel, f = (i) => (i * 37) & 255) {
  const stride = w * bytesPerPixel;
  const raw = Buffer.alloc(h * (stride + 1));
  for (let y = 0; y < h; y++) for (let x = 0; x < stride; x++) raw[y * (stride + 1) + 1 + x] = f(y * stride + x);
  return raw;
}

/** Adam7 pass rows of an 8-bit image with `bpp` bytes per pixel (filter byte 0 per row). */
function adam7(w, h, bpp) {
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  const out = [];
  for (const [x0, y0, dx, dy] of passes) {
    const pw = w > x0 ? Math.ceil((w - x0) / dx) : 0;
    const ph = h > y0 ? Math.ceil((h - y0) / dy) : 0;
    if (!pw || !ph) continue;
    for (let j = 0; j < ph; j++) {
      const row = Buffer.alloc(1 + pw * bpp);
      for (let k = 0; k < pw * bpp; k++) row[1 + k] = ((y0 + j * dy) * 31 + (x0 + Math.floor(k / bpp) * dx) * 7 + k) & 255;
      out.push(row);
    }
  }
  return Buffer.concat(out);
}

/** Recompute every chunk CRC of a (mutated) PNG so the mutation reaches the decoder behind the CRC check. */
function fixPngCrcs(b) {
  const out = Buffer.from(b);
  let p = 8;
  while (p + 12 <= out.length) {
    const len = out.readUInt32BE(p);
    if (p + 12 + len > out.length) break;
    out.writeUInt32BE(crc32(out.subarray(p + 4, p + 8 + len)) >>> 0, p + 8 + len);
    p += 12 + len;
  }
  return out;
}

function safetensors(entries, metadata) {
  const header = {};
  if (metadata) header.__metadata__ = metadata;
  const blobs = [];
  let off = 0;
  for (const [name, dtype, shape, bytes] of entries) {
    Object.defineProperty(header, name, { value: { dtype, shape, data_offsets: [off, off + bytes.length] }, enumerable: true });
    blobs.push(Buffer.from(bytes));
    off += bytes.length;
  }
  return safetensorsFrom(JSON.stringify(header), Buffer.concat(blobs));
}

function safetensorsFrom(json, data) {
  const hb = Buffer.from(json + ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hb.length));
  return Buffer.concat([len, hb, data]);
}

// ---------------------------------------------------------------------------------------------- seeds
const bytes = (n, f = (i) => (i * 29 + 7) & 255) => Buffer.from(Array.from({ length: n }, (_, i) => f(i)));
const f32 = (a) => Buffer.from(new Float32Array(a).buffer);

function sharedFile(rel) {
  const p = join(SHARED, rel);
  return existsSync(p) ? p : null;
}

/** Seed files per format: small synthetic ones always, real ones (or pieces of them) from the shared data when present. */
export function buildSeeds() {
  const s = {};
  const npys = [
    npy('|u1', [3, 4], bytes(12)),
    npy('<f4', [2, 3], f32([1, 2, 3, 4, 5, 6]), { fortran: true }),
    npy('<i8', [5], Buffer.from(new BigInt64Array([1n, -2n, 3n, 4n, 5n]).buffer)),
    npy('|b1', [2, 2, 2], Buffer.from([0, 1, 1, 0, 255, 0, 1, 1])),
    npy('<f2', [4], Buffer.from(new Uint16Array([0x3c00, 0xc000, 0x7c00, 0x0001]).buffer)),
    npy('>i2', [2, 2], Buffer.from([0, 1, 0xff, 0xfe, 1, 0, 0x80, 0])),
    npy('<u4', [3], Buffer.from(new Uint32Array([1, 2, 3]).buffer), { version: 2 }),
    npy('<f8', [], Buffer.from(new Float64Array([3.5]).buffer), { version: 3 }),
  ];
  s.npy = npys.map((b, i) => ({ label: `synthetic-${i}`, data: b }));
  const npzMembers = [
    [{ name: 'images.npy', data: npy('|u1', [4, 1, 5, 5], bytes(100)) }, { name: 'labels.npy', data: npy('<i8', [4], Buffer.from(new BigInt64Array([0n, 1n, 0n, 1n]).buffer)) }],
    [{ name: 'x.npy', data: npy('<f4', [3, 2, 2], f32(Array.from({ length: 12 }, (_, i) => i / 12))) }, { name: 'y.npy', data: npy('<i4', [3], Buffer.from(new Int32Array([2, 0, 1]).buffer)), store: true }],
  ];
  const omni = sharedFile('omniglot/images_background.npz');
  if (omni) {
    // a real Omniglot .npz, cut down: the first characters' images (real bits) and their real labels
    const z = NpzFile.open(omni);
    const pre = ZipArchive.open(omni).readPrefix('images.npy', 24_000);
    const per = 20 * 105 * 105;
    const k = Math.max(1, Math.min(3, Math.floor((pre.length - 128) / per)));
    const images = npy('|b1', [k, 20, 105, 105], pre.subarray(128, 128 + k * per));
    const labels = z.get('labels');
    const lab = Buffer.from(new BigInt64Array(Array.from(labels.data).slice(0, k * 20)).buffer);
    npzMembers.push([{ name: 'images.npy', data: images }, { name: 'labels.npy', data: npy('<i8', [k, 20], lab) }]);
  }
  s.npz = npzMembers.map((m, i) => ({ label: i < 2 ? `synthetic-${i}` : 'shared:omniglot/images_background.npz (cut)', members: m }));

  const zipMembers = [[
    { name: 'a/', data: Buffer.alloc(0), store: true },
    { name: 'a/b.bin', data: bytes(700) },
    { name: 'c.txt', data: Buffer.from('hello zip\n'), store: true },
    { name: 'é/ü.png', data: encodePng({ data: bytes(3 * 4 * 5), channels: 3, height: 4, width: 5 }) },
  ]];
  const small1 = sharedFile('omniglot/images_background_small1.zip');
  if (small1) {
    const z = ZipArchive.open(small1);
    zipMembers.push(z.files().slice(0, 30).map((e) => ({ name: e.name, data: z.read(e) })));
  }
  s.zip = zipMembers.map((m, i) => ({ label: i === 0 ? 'synthetic' : 'shared:omniglot/images_background_small1.zip (30 members)', members: m }));
  const runs = sharedFile('omniglot/all_runs.zip');
  if (runs) s.zip.push({ label: 'shared:omniglot/all_runs.zip', data: readFileSync(runs) });

  const idxs = [
    { label: 'synthetic-u1', data: idx(0x08, [3, 4, 4], bytes(48)) },
    { label: 'synthetic-i4', data: idx(0x0c, [5], Buffer.from([0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 9, 0x7f, 0, 0, 0])) },
    { label: 'synthetic-f8', data: idx(0x0e, [2, 1], Buffer.from([0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0])) },
    { label: 'synthetic-i2', data: idx(0x0b, [2, 2], bytes(8)) },
  ];
  for (const rel of ['mnist/t10k-labels-idx1-ubyte.gz', 'fashion-mnist/t10k-labels-idx1-ubyte.gz']) {
    const p = sharedFile(rel);
    if (p) idxs.push({ label: `shared:${rel}`, data: gunzipSync(readFileSync(p)), gz: readFileSync(p) });
  }
  s.idx = idxs;
  s['idx-gz'] = idxs.map((x) => ({ label: x.label, data: x.data, gz: x.gz ?? gzipSync(x.data) }));

  const tars = [tar([{ name: 'x/a.bin', data: bytes(600) }, { name: 'b.txt', data: Buffer.from('tar') }, { name: `${'long/'.repeat(30)}name.bin`, data: bytes(10) }])];
  s.tar = tars.map((t) => ({ label: 'synthetic', data: t }));
  s['tar-gz'] = tars.map((t) => ({ label: 'synthetic', data: t }));

  const pngs = [
    png(5, 4, 8, 0, rows(5, 4, 1)),
    png(4, 3, 8, 2, rows(4, 3, 3)),
    png(6, 2, 16, 6, rows(6, 2, 8)),
    png(3, 3, 16, 0, rows(3, 3, 2)),
    png(4, 4, 8, 4, rows(4, 4, 2)),
    png(7, 5, 8, 2, adam7(7, 5, 3), { interlace: true }),
    png(8, 2, 4, 3, Buffer.from([0, 0x01, 0x23, 0x10, 0x32, 0, 0x22, 0x11, 0x00, 0x33]), { palette: Buffer.from([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]) }),
    encodePng({ data: bytes(3 * 9 * 12), channels: 3, height: 9, width: 12 }),
    encodePng({ data: bytes(20 * 9, (i) => (i % 3 ? 255 : 0)), channels: 1, height: 9, width: 20 }, { bitDepth: 1 }),
  ];
  s.png = pngs.map((b, i) => ({ label: `synthetic-${i}`, data: b }));
  if (small1) {
    const z = ZipArchive.open(small1);
    for (const e of z.files().filter((f) => f.name.endsWith('.png')).slice(0, 3)) s.png.push({ label: `shared:${e.name}`, data: z.read(e) });
  }

  const rgba = (w, h) => Buffer.from(Array.from({ length: w * h * 4 }, (_, i) => (i * 29) & 255));
  s.jpeg = [[16, 16, 80], [24, 8, 50], [9, 13, 95]].map(([w, h, q]) => ({ label: `synthetic-${w}x${h}-q${q}`, data: Buffer.from(jpeg.encode({ data: rgba(w, h), width: w, height: h }, q).data) }));

  s.safetensors = [
    { label: 'synthetic-f32', data: safetensors([['w', 'F32', [2, 3], f32([1, 2, 3, 4, 5, 6])], ['b', 'F32', [3], f32([0, 0, 1])]], { epoch: '3' }) },
    { label: 'synthetic-mixed', data: safetensors([['n', 'I64', [1], Buffer.from(new BigInt64Array([7n]).buffer)], ['h', 'F16', [2], Buffer.from(new Uint16Array([0x3c00, 0x4000]).buffer)], ['g', 'BF16', [1], Buffer.from([0x80, 0x3f])], ['m', 'BOOL', [2], Buffer.from([0, 1])], ['u', 'U8', [3], bytes(3)], ['i', 'I32', [1], Buffer.from(new Int32Array([-5]).buffer)], ['d', 'F64', [1], Buffer.from(new Float64Array([2.5]).buffer)]]) },
  ];
  for (const f of ['conv4.safetensors']) {
    const p = join(root, 'test', 'fixtures', f);
    if (existsSync(p)) s.safetensors.push({ label: `fixture:${f}`, data: readFileSync(p) });
  }
  return s;
}

// ---------------------------------------------------------------------------------------------- mutations
const I8 = [0, 1, 0x7f, 0x80, 0xfe, 0xff];
const I16 = [0, 1, 0x7fff, 0x8000, 0xffff, 0x0100, 0x00ff];
const I32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000000, 0x02000000, 0x00010000, 0x40000000, 0x00100000];
const pick = (rng, a) => a[rng.integer(0, a.length)];

/** 1–3 stacked generic mutations: bit flips, interesting bytes/words, truncation, inserted/deleted/copied/random chunks. */
function havoc(src, rng, maxOps = 3) {
  let b = Buffer.from(src);
  for (let k = rng.integer(1, maxOps + 1); k > 0; k--) {
    if (b.length === 0) { b = Buffer.from([rng.integer(0, 256)]); continue; }
    const at = rng.integer(0, b.length);
    switch (rng.integer(0, 8)) {
      case 0: for (let f = rng.integer(1, 9); f > 0; f--) b[rng.integer(0, b.length)] ^= 1 << rng.integer(0, 8); break;
      case 1: b[at] = pick(rng, I8); break;
      case 2: if (at + 2 <= b.length) { if (rng.bernoulli(0.5)) b.writeUInt16BE(pick(rng, I16), at); else b.writeUInt16LE(pick(rng, I16), at); } break;
      case 3: if (at + 4 <= b.length) { if (rng.bernoulli(0.5)) b.writeUInt32BE(pick(rng, I32), at); else b.writeUInt32LE(pick(rng, I32), at); } break;
      case 4: b = b.subarray(0, at); break;
      case 5: { const len = rng.integer(1, Math.min(256, b.length) + 1); const from = rng.integer(0, b.length - len + 1); b = Buffer.concat([b.subarray(0, at), b.subarray(from, from + len), b.subarray(at)]); break; }
      case 6: { const len = rng.integer(1, Math.min(256, b.length - at) + 1); b = Buffer.concat([b.subarray(0, at), b.subarray(at + len)]); break; }
      default: { const len = Math.min(rng.integer(1, 17), b.length - at); for (let i = 0; i < len; i++) b[at + i] = rng.integer(0, 256); }
    }
  }
  return Buffer.from(b);
}

/** Zeros appended after a small valid payload: compresses ~1000:1, so a small file declares little and inflates to a lot. */
function bombPayload(head, rng) {
  return Buffer.concat([head, Buffer.alloc(rng.integer(1, 65) << 20)]);
}

const NASTY_NPY_HEADERS = [
  () => `{'descr': '<f4', 'fortran_order': False, 'shape': ${'['.repeat(10000)}`,
  () => `{'descr': '<f4', 'fortran_order': False, 'shape': ${'('.repeat(40)}2${')'.repeat(40)}, }`,
  () => `{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 0), }`,
  () => `{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }`,
  () => `{'descr': '|u1', 'fortran_order': False, 'shape': (${Array(70).fill(1).join(', ')}), }`,
  () => `{'descr': '|u1', 'fortran_order': False, 'shape': (0, 9007199254740993), }`,
  () => `{'descr': '|u1', 'fortran_order': False, 'shape': (-1,), }`,
  () => `{'descr': '|u1', 'fortran_order': False, 'shape': (3, 4), '__proto__': {'descr': '<f8'}, }`,
  () => `{'__proto__': 1, 'descr': '|u1', 'fortran_order': True, 'shape': (3, 4), }`,
  () => `{'descr': [('a', '<f4'), ('b', '|u1')], 'fortran_order': False, 'shape': (1,), }`,
  () => `{'descr': '|O', 'fortran_order': False, 'shape': (1,), }`,
  () => `{'descr': '<f99999999999', 'fortran_order': False, 'shape': (1,), }`,
  () => `{'descr': '<f4', 'fortran_order': 'yes', 'shape': (1,), }`,
  () => `{'descr': '<f4', 'fortran_order': False, 'shape': (${Array(50000).fill(1).join(',')}), }`,
  () => `{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': '${'a'.repeat(60000)}`,
];

function npyCase(seed, rng) {
  if (rng.bernoulli(0.7)) return havoc(seed, rng);
  const h = pick(rng, NASTY_NPY_HEADERS)();
  return npy('', [], seed.subarray(128), { header: h, version: h.length > 60000 || rng.bernoulli(0.3) ? 2 : 1 });
}

const NASTY_NAMES = ['.', './', '', '..', '../x', 'a/../../b', '/etc/passwd', 'a\\b', 'C:x', 'a//b', './a/./b', 'x\0y', `${'d/'.repeat(60)}f`, '__proto__', 'a/'];

function zipCase(seed, rng, memberCase) {
  const members = seed.members ? seed.members.map((m) => ({ ...m })) : null;
  const r = rng.integer(0, 100);
  if (!members || r < 40) return havoc(members ? zip(members) : seed.data, rng);
  const i = rng.integer(0, members.length);
  if (r < 70) { members[i].data = memberCase(members[i].data, rng); return zip(members); }
  if (r < 80) { members[i].data = bombPayload(members[i].data.subarray(0, 128), rng); return zip(members); }
  if (r < 88) { members[i].name = pick(rng, NASTY_NAMES); return zip(members); }
  if (r < 94) { members[i].declaredSize = pick(rng, I32); return zip(members); }
  // a zip64 extra field with values (and lengths) that may point anywhere
  const vals = Buffer.alloc(rng.integer(0, 4) * 8);
  for (let k = 0; k < vals.length; k += 8) vals.writeBigUInt64LE(BigInt(pick(rng, I32)) * BigInt(pick(rng, [1, 2, 0x100000000])), k);
  const extra = Buffer.alloc(4 + vals.length);
  extra.writeUInt16LE(1, 0);
  extra.writeUInt16LE(rng.bernoulli(0.5) ? vals.length : pick(rng, I16), 2);
  vals.copy(extra, 4);
  members[i].extra = extra;
  members[i].zip64 = true;
  return zip(members);
}

function idxCase(seed, rng) {
  if (rng.bernoulli(0.7)) return havoc(seed, rng);
  const b = Buffer.from(seed);
  const nd = b[3];
  if (rng.bernoulli(0.2)) b[3] = pick(rng, [0, 1, 2, 4, 255]);
  else if (nd > 0) b.writeUInt32BE(pick(rng, I32), 4 + 4 * rng.integer(0, nd));
  if (rng.bernoulli(0.3) && nd > 1) b.writeUInt32BE(0, 4 + 4 * rng.integer(0, nd)); // 0 × huge: NaN in naive code
  return b;
}

function gzCase(seed, rng, innerCase) {
  const r = rng.integer(0, 100);
  if (r < 35) return havoc(seed.gz ?? gzipSync(seed.data), rng);
  if (r < 80) return gzipSync(innerCase(seed.data, rng));
  if (r < 90) return gzipSync(bombPayload(seed.data.subarray(0, 64), rng));
  const g = Buffer.from(seed.gz ?? gzipSync(seed.data));
  g.writeUInt32LE(pick(rng, I32), g.length - 4); // the trailer's declared size lies
  return g;
}

function tarCase(seed, rng) {
  const r = rng.integer(0, 100);
  if (r < 30) return havoc(seed, rng);
  if (r < 55) {
    // mutate one header, then fix its checksum so the mutation gets past it
    const b = havoc(seed, rng, 2);
    const blocks = Math.floor(b.length / 512);
    if (blocks > 0) { const k = rng.integer(0, Math.min(blocks, 4)); fixTarChecksum(b.subarray(512 * k, 512 * k + 512)); }
    return b;
  }
  if (r < 80) return tar([{ name: pick(rng, NASTY_NAMES), data: bytes(rng.integer(0, 700)) }, { name: 'ok.bin', data: bytes(5) }]);
  const sizeField = pick(rng, ['77777777777\0', '99999999999\0', '\x80\0\0\0\0\0\0\0\0\0\0\x01', '00000001000\0', '           \0', '-0000000001\0']);
  return tar([{ name: 'big.bin', data: bytes(100), sizeField }]);
}

function pngCase(seed, rng) {
  const r = rng.integer(0, 100);
  if (seed.length < 33 || seed.readUInt32BE(0) !== 0x89504e47) return havoc(seed, rng); // not a PNG (another zip member)
  if (r < 30) return havoc(seed, rng);
  if (r < 55) return fixPngCrcs(havoc(seed, rng));
  if (r < 75) {
    // IHDR fields: sizes up to 2^32 − 1, any depth and colour type
    const b = Buffer.from(seed);
    const field = rng.integer(0, 4);
    if (field === 0) b.writeUInt32BE(pick(rng, [...I32, 1 << 28, 1 << 25, 1 << 27, 65536, 100000]), 16);
    else if (field === 1) b.writeUInt32BE(pick(rng, [...I32, 1 << 28, 65536]), 20);
    else if (field === 2) b[24] = pick(rng, [1, 2, 4, 8, 16, 0, 3, 255]);
    else b[25] = pick(rng, [0, 2, 3, 4, 6, 1, 7]);
    return fixPngCrcs(b);
  }
  // the image data: inflate, mutate (or pad with zeros into a bomb), deflate again
  let p = 8;
  while (p + 12 <= seed.length && seed.toString('latin1', p + 4, p + 8) !== 'IDAT') p += 12 + seed.readUInt32BE(p);
  if (p + 12 > seed.length) return havoc(seed, rng);
  const len = seed.readUInt32BE(p);
  const raw = inflateSync(seed.subarray(p + 8, p + 8 + len));
  const body = r < 88 ? havoc(raw, rng) : bombPayload(raw, rng);
  return Buffer.concat([seed.subarray(0, p), pngChunk('IDAT', deflateSync(body)), seed.subarray(p + 12 + len)]);
}

function jpegCase(seed, rng) {
  if (rng.bernoulli(0.7)) return havoc(seed, rng);
  // the frame header: claim another size (up to 65535 × 65535)
  const b = Buffer.from(seed);
  for (let p = 2; p + 9 <= b.length;) {
    if (b[p] !== 0xff) break;
    const m = b[p + 1];
    const len = b.readUInt16BE(p + 2);
    if (m >= 0xc0 && m <= 0xc2) {
      if (rng.bernoulli(0.7)) b.writeUInt16BE(pick(rng, [0, 1, 10000, 0xffff, 0x8000, 4096]), p + 5);
      if (rng.bernoulli(0.7)) b.writeUInt16BE(pick(rng, [0, 1, 10000, 0xffff, 0x8000, 4096]), p + 7);
      break;
    }
    p += 2 + len;
  }
  return b;
}

function safetensorsCase(seed, rng) {
  if (rng.bernoulli(0.5)) return havoc(seed, rng);
  const n = Number(seed.readBigUInt64LE(0));
  const header = JSON.parse(seed.toString('utf8', 8, 8 + n));
  const data = seed.subarray(8 + n);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const name = names.length ? pick(rng, names) : 'x';
  const e = header[name] ?? { dtype: 'F32', shape: [0], data_offsets: [0, 0] };
  switch (rng.integer(0, 9)) {
    case 0: e.shape = [pick(rng, [2 ** 53, 2 ** 32, 0, -1, 1.5, 1e300]), ...e.shape]; break;
    case 1: e.data_offsets = [pick(rng, [0, -1, 2 ** 53, 7, 1e20]), pick(rng, [0, 3, 2 ** 60, data.length + 8])]; break;
    case 2: e.dtype = pick(rng, ['toString', '__proto__', 'constructor', 'F8', 'c64', 'I16', 'U64', '']); break;
    case 3: Object.defineProperty(header, '__proto__', { value: e, enumerable: true }); break;
    case 4: header.__metadata__ = pick(rng, [{ __proto__: null, a: 1 }, ['x'], 'str', JSON.parse('{"__proto__": "x"}')]); break;
    case 5: e.shape = '@DEEP@'; break;
    case 6: delete header[name]; break;
    case 7: { const len = Buffer.from(seed); len.writeBigUInt64LE(pick(rng, [0n, 1n, 2n ** 63n, BigInt(n + 1), 100000001n])); return len; }
    default: e.data_offsets = '@DEEP@'; break;
  }
  // a value nested 100,000 deep (JSON.parse copes; JSON.stringify and String() overflow the stack on it)
  return safetensorsFrom(JSON.stringify(header).replace('"@DEEP@"', '['.repeat(100000) + ']'.repeat(100000)), data);
}

/** One mutant of `format` from case rng: { bytes, seed label } (for `cli`: files to write and the command to run). */
export function makeCase(format, seeds, rng) {
  const seed = pick(rng, seeds[format === 'cli' ? 'npz' : format] ?? []);
  switch (format) {
    case 'npy': return { seed: seed.label, bytes: npyCase(seed.data, rng) };
    case 'npz': return { seed: seed.label, bytes: zipCase(seed, rng, npyCase) };
    case 'zip': return { seed: seed.label, bytes: zipCase(seed, rng, havoc) };
    case 'idx': return { seed: seed.label, bytes: idxCase(seed.data, rng) };
    case 'idx-gz': return { seed: seed.label, bytes: gzCase(seed, rng, idxCase) };
    case 'tar': return { seed: seed.label, bytes: tarCase(seed.data, rng) };
    case 'tar-gz': return { seed: seed.label, bytes: gzCase({ data: seed.data }, rng, tarCase) };
    case 'png': return { seed: seed.label, bytes: pngCase(seed.data, rng) };
    case 'jpeg': return { seed: seed.label, bytes: jpegCase(seed.data, rng) };
    case 'safetensors': return { seed: seed.label, bytes: safetensorsCase(seed.data, rng) };
    case 'cli': return cliCase(seeds, rng);
    default: throw new Error(`unknown format ${format}`);
  }
}

/** The CLI end to end: `data info|sample` on a mutated .npz, IDX pair or Omniglot zip. */
function cliCase(seeds, rng) {
  const kind = rng.integer(0, 3);
  const verb = rng.bernoulli(0.5) ? ['info'] : ['sample', '--ways', '2', '--shots', '1', '--queries', '1', '--seed', '0'];
  if (kind === 0) {
    const seed = pick(rng, seeds.npz);
    return { seed: `npz ${seed.label}`, files: { 'x.npz': zipCase(seed, rng, npyCase) }, args: ['data', ...verb, '{dir}/x.npz'] };
  }
  if (kind === 1) {
    const images = idx(0x08, [4, 3, 3], bytes(36));
    const labels = idx(0x08, [4], Buffer.from([0, 1, 0, 1]));
    const which = rng.bernoulli(0.7);
    const mutate = (b) => gzCase({ data: b }, rng, idxCase);
    return {
      seed: 'idx pair (synthetic)',
      files: { 't10k-images-idx3-ubyte.gz': which ? mutate(images) : gzipSync(images), 't10k-labels-idx1-ubyte.gz': which ? gzipSync(labels) : mutate(labels) },
      args: ['data', ...verb, '{dir}/t10k-images-idx3-ubyte.gz'],
    };
  }
  const seed = pick(rng, seeds.zip.filter((z) => z.members && z.members.some((m) => m.name.endsWith('.png')))) ?? seeds.zip[0];
  return { seed: `zip ${seed.label}`, files: { 'images_background_small1.zip': zipCase(seed, rng, pngCase) }, args: ['data', ...verb, '{dir}/images_background_small1.zip'] };
}

// ---------------------------------------------------------------------------------------------- running
/** Current and peak resident memory of a running process in MB (Linux /proc; 0 elsewhere: the child reports its own). */
function residentMB(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(s), hwm = /VmHWM:\s+(\d+) kB/.exec(s);
    return { now: rss ? Number(rss[1]) / 1024 : 0, peak: hwm ? Number(hwm[1]) / 1024 : 0 };
  } catch {
    return { now: 0, peak: 0 };
  }
}

/** Run argv in a child with the caps; resolve { code, signal, stdout, stderr, killed: null|'hang'|'memory', ms, peakMB }. */
function runCapped(argv, opts) {
  return new Promise((resolvePromise) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [`--max-old-space-size=${opts.heapMb}`, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...opts.env },
    });
    let stdout = '', stderr = '', killed = null, peak = 0;
    child.stdout.on('data', (d) => { if (stdout.length < 1 << 20) stdout += d; });
    child.stderr.on('data', (d) => { if (stderr.length < 1 << 20) stderr += d; });
    const timer = setTimeout(() => { killed ??= 'hang'; child.kill('SIGKILL'); }, opts.timeoutMs);
    const poll = setInterval(() => {
      const mb = residentMB(child.pid);
      peak = Math.max(peak, mb.peak, mb.now);
      if (mb.now > opts.rssMb) { killed ??= 'memory'; child.kill('SIGKILL'); }
    }, 20);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolvePromise({ code, signal, stdout, stderr, killed, ms: Math.round(performance.now() - t0), peakMB: Math.round(peak) });
    });
  });
}

async function runCase(format, file, dir, c, opts) {
  if (format === 'cli') {
    const args = c.args.map((a) => a.replace('{dir}', dir));
    const r = await runCapped([join(root, 'bin', 'adaptlab.js'), ...args, '--no-cache', '--data-dir', join(dir, 'no-data')], opts);
    const base = { ms: r.ms, peakMB: r.peakMB, command: `adaptlab ${args.join(' ')}` };
    if (r.killed) return { ...base, outcome: r.killed };
    const stack = /\n\s+at .+:\d+:\d+\)?\n/.test(r.stderr);
    if (r.code === 0) return { ...base, outcome: 'ok' };
    // exit 1 with a one-line message is a typed error; `info` can only fail on the file, so its message must name it
    // (`sample` may also fail on the request, e.g. too few examples per class, which names no file)
    if (r.code === 1 && !stack && !/unexpected error/.test(r.stderr)) return { ...base, outcome: args[1] === 'info' && !r.stderr.includes(dir) ? 'unnamed' : 'typed', message: r.stderr.trim().split('\n')[0] };
    if (r.code === 1 || r.code === 2) return { ...base, outcome: 'untyped', message: r.stderr.trim().slice(0, 2000) };
    return { ...base, outcome: 'crash', message: `exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(-2000)}` };
  }
  const r = await runCapped([join(root, 'scripts', 'fuzz-worker.mjs'), format, file], opts);
  const base = { ms: r.ms, peakMB: r.peakMB };
  if (r.killed) return { ...base, outcome: r.killed };
  const last = r.stdout.trim().split('\n').pop();
  let res = null;
  try { res = JSON.parse(last); } catch { /* no result: the child died */ }
  if (!res || r.code !== 0) return { ...base, outcome: 'crash', message: `exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(-2000)}` };
  // ms: the child's wall-clock time (what the time cap applies to, Node's start included); readerMs: the reader alone
  const { ms: readerMs, maxRssMB, ...rest } = res;
  const peakMB = Math.max(r.peakMB, maxRssMB);
  return { ...base, ...rest, readerMs, peakMB, outcome: maxRssMB > opts.rssMb ? 'memory' : res.outcome };
}

export const BAD = ['unnamed', 'untyped', 'crash', 'hang', 'memory'];
const OUTCOMES = ['ok', 'typed', ...BAD];

/** Run `count` cases of each format; returns per-format tallies and the failures. */
export async function fuzz({ seed = 0, count = 100, formats = FORMATS, jobs = 2, timeoutMs = 5000, heapMb = 512, rssMb = 1024, out, onProgress, onCase } = {}) {
  const seeds = buildSeeds();
  const work = mkdtempSync(join(tmpdir(), 'adaptlab-fuzz-'));
  const results = {};
  const failures = [];
  const t0 = performance.now();
  try {
    const queue = [];
    for (const format of formats) {
      results[format] = { cases: 0, seeds: (seeds[format === 'cli' ? 'npz' : format] ?? []).length, maxMs: 0, peakMB: 0, ...Object.fromEntries(OUTCOMES.map((o) => [o, 0])) };
      for (let i = 0; i < count; i++) queue.push([format, i]);
    }
    let next = 0;
    const worker = async () => {
      while (next < queue.length) {
        const [format, i] = queue[next++];
        const rng = new Rng(seed).fork(`${format}/${i}`);
        let c;
        try {
          c = makeCase(format, seeds, rng);
        } catch (e) {
          next = queue.length; // the other jobs stop after their current case
          throw new Error(`the harness failed to build ${format} case ${i} (seed ${seed}): ${e.stack ?? e}`);
        }
        const dir = join(work, `${format}-${i}`);
        mkdirSync(dir, { recursive: true });
        const file = join(dir, `case${EXT[format] ?? ''}`);
        if (c.files) for (const [n, b] of Object.entries(c.files)) writeFileSync(join(dir, n), b);
        else writeFileSync(file, c.bytes);
        const r = await runCase(format, file, dir, c, { timeoutMs, heapMb, rssMb });
        const t = results[format];
        t.cases++;
        t[r.outcome]++;
        t.maxMs = Math.max(t.maxMs, r.ms);
        t.peakMB = Math.max(t.peakMB, r.peakMB ?? 0);
        if (BAD.includes(r.outcome)) {
          const failure = { format, index: i, seed, seedFile: c.seed, ...r };
          if (out) {
            mkdirSync(out, { recursive: true });
            const keep = join(out, `${format}-${i}`);
            rmSync(keep, { recursive: true, force: true });
            mkdirSync(keep, { recursive: true });
            if (c.files) for (const [n, b] of Object.entries(c.files)) writeFileSync(join(keep, n), b);
            else writeFileSync(join(keep, `case${EXT[format]}`), c.bytes);
            failure.kept = keep;
            failure.replay = format === 'cli' ? `node bin/adaptlab.js ${c.args.map((a) => a.replace('{dir}', keep)).join(' ')}` : `node --max-old-space-size=${heapMb} scripts/fuzz-worker.mjs ${format} ${join(keep, `case${EXT[format]}`)}`;
          }
          failures.push(failure);
        }
        rmSync(dir, { recursive: true, force: true });
        onCase?.({ format, index: i, seedFile: c.seed, outcome: r.outcome, ms: r.ms, readerMs: r.readerMs, peakMB: r.peakMB, message: String(r.message ?? '').split('\n')[0].slice(0, 300) });
        onProgress?.(format, results[format]);
      }
    };
    // every job finishes (or fails) before the work folder is removed
    const settled = await Promise.allSettled(Array.from({ length: Math.max(1, jobs) }, worker));
    const failed = settled.find((x) => x.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { seed, count, jobs, timeoutMs, heapMb, rssMb, results, failures, seconds: Math.round((performance.now() - t0) / 100) / 10 };
}

function table(report) {
  const head = ['format', 'seeds', 'cases', ...OUTCOMES, 'max wall ms', 'peak MB'];
  const rows = Object.entries(report.results).map(([f, t]) => [f, t.seeds, t.cases, ...OUTCOMES.map((o) => t[o]), t.maxMs, t.peakMB]);
  const total = ['total', '', rows.reduce((a, r) => a + r[2], 0), ...OUTCOMES.map((o, k) => rows.reduce((a, r) => a + r[3 + k], 0)), Math.max(...rows.map((r) => r[3 + OUTCOMES.length])), Math.max(...rows.map((r) => r[4 + OUTCOMES.length]))];
  const all = [head, ...rows, total].map((r) => r.map(String));
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all.map((r, k) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ') + (k === 0 ? `\n${w.map((x) => '-'.repeat(x)).join('  ')}` : '')).join('\n');
}

async function cli() {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' }, count: { type: 'string' }, format: { type: 'string' }, jobs: { type: 'string' },
      'timeout-ms': { type: 'string' }, 'heap-mb': { type: 'string' }, 'rss-mb': { type: 'string' },
      out: { type: 'string' }, json: { type: 'string' }, cases: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('npm run fuzz -- [--seed S] [--count N per format] [--format F,F] [--jobs J] [--timeout-ms MS] [--heap-mb MB] [--rss-mb MB] [--out DIR] [--json FILE] [--cases FILE.jsonl] [--quiet]\n');
    process.stdout.write(`formats: ${FORMATS.join(', ')}\n`);
    return 0;
  }
  const int = (v, d, name) => {
    if (v === undefined) return d;
    if (!/^[0-9]+$/.test(v)) throw new Error(`--${name} must be a whole number, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  const formats = values.format ? values.format.split(',').map((f) => f.trim()) : FORMATS;
  for (const f of formats) if (!FORMATS.includes(f)) throw new Error(`unknown format "${f}" (${FORMATS.join(', ')})`);
  const opts = {
    seed: int(values.seed, 0, 'seed'), count: int(values.count, 100, 'count'), formats,
    jobs: int(values.jobs, Math.min(2, availableParallelism()), 'jobs'), timeoutMs: int(values['timeout-ms'], 5000, 'timeout-ms'),
    heapMb: int(values['heap-mb'], 512, 'heap-mb'), rssMb: int(values['rss-mb'], 1024, 'rss-mb'),
    out: values.out ?? join(tmpdir(), 'adaptlab-fuzz-failures'),
  };
  const tty = process.stderr.isTTY && !values.quiet;
  if (values.cases) writeFileSync(values.cases, '');
  const report = await fuzz({
    ...opts,
    onProgress: (f, t) => { if (tty) process.stderr.write(`\r\x1b[2K${f}: ${t.cases}/${opts.count}`); },
    onCase: values.cases ? (c) => appendFileSync(values.cases, `${JSON.stringify(c)}\n`) : undefined,
  });
  if (tty) process.stderr.write('\r\x1b[2K');
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  process.stdout.write(`adaptlab fuzz: seed ${report.seed}, ${report.count} cases per format, ${report.jobs} jobs, caps ${report.timeoutMs} ms / ${report.heapMb} MB heap / ${report.rssMb} MB resident\n`);
  process.stdout.write(`machine: ${cpu}, ${availableParallelism()} cpus, Node ${process.version}; wall-clock ${report.seconds} s\n`);
  process.stdout.write(`shared data: ${existsSync(SHARED) ? SHARED : 'absent (synthetic seeds only)'}\n\n${table(report)}\n`);
  for (const f of report.failures.slice(0, 20)) {
    process.stdout.write(`\n${f.outcome}: ${f.format} #${f.index} (seed file ${f.seedFile}) ${f.ms} ms\n  ${String(f.message ?? f.name ?? '').split('\n').slice(0, 6).join('\n  ')}\n  replay: ${f.replay ?? '(not kept)'}\n`);
  }
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ ...report, machine: { cpu, cpus: availableParallelism(), node: process.version } }, null, 2)}\n`);
  return report.failures.length ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli().then((code) => { process.exitCode = code; }, (e) => { process.stderr.write(`fuzz: ${e.message}\n`); process.exitCode = 2; });
}
