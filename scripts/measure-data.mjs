#!/usr/bin/env node
// Measures the data pipeline's throughput on ../shared/data (or $ADAPTLAB_SHARED_DATA) for docs/PERFORMANCE.md:
// all 32,460 Omniglot images decoded + resized 105→28 from the .npz files and from full-size official-layout PNG zips
// (built here from the .npz, since the official zips are not in shared/data), then the cached load in a fresh process.
// Usage: npm run build && nice -n 10 node scripts/measure-data.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.ADAPTLAB_SHARED_DATA ?? resolve(root, '..', 'shared', 'data');
const dist = (p) => join(root, 'dist', 'src', 'data', p);
const { loadOmniglot, omniglotCharacter } = await import(dist('omniglot.js'));
const { NpzFile } = await import(dist('npy.js'));
const { encodePng } = await import(dist('image.js'));

const work = mkdtempSync(join(tmpdir(), 'adaptlab-measure-'));
const rows = [];
const time = (label, fn) => {
  const t = performance.now();
  const out = fn();
  const s = (performance.now() - t) / 1000;
  rows.push([label, s]);
  process.stderr.write(`${label}: ${s.toFixed(2)} s\n`);
  return out;
};

/** A deflate zip in the official archives' layout (fast level 1: build time is not measured). */
function writeZip(file, entries) {
  const parts = [], central = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const n = Buffer.from(name), comp = deflateRawSync(data, { level: 1 }), crc = crc32(data) >>> 0;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(8, 8); lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(comp.length, 18); lh.writeUInt32LE(data.length, 22); lh.writeUInt16LE(n.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt16LE(8, 10); ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(comp.length, 20); ch.writeUInt32LE(data.length, 24); ch.writeUInt16LE(n.length, 28); ch.writeUInt32LE(offset, 42);
    parts.push(lh, n, comp);
    central.push(ch, n);
    offset += 30 + n.length + comp.length;
  }
  const cd = Buffer.concat(central), end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  writeFileSync(file, Buffer.concat([...parts, cd, end]));
}

try {
  const omni = join(shared, 'omniglot');
  const cache = join(work, 'cache');
  const npzDs = time('cold: .npz → 32,460 images 28×28 (inflate, invert, anti-aliased resize) + write cache', () => loadOmniglot(omni, { cacheDir: cache }).load());
  if (npzDs.length !== 32460) throw new Error(`expected 32,460 images, got ${npzDs.length}`);

  // a fresh process reading the cache: the number a user sees on the second run
  const script = `
    const t0 = performance.now();
    const { loadOmniglot } = await import(${JSON.stringify(new URL(`file://${dist('omniglot.js')}`).href)});
    const ds = loadOmniglot(${JSON.stringify(omni)}, { cacheDir: ${JSON.stringify(cache)} }).load();
    process.stdout.write(JSON.stringify({ n: ds.length, s: (performance.now() - t0) / 1000 }));`;
  const t = performance.now();
  const warm = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
  const wall = (performance.now() - t) / 1000;
  rows.push(['cached: load 32,460 images in a new process (import + sha256 of sources + read cache)', warm.s]);
  rows.push(['cached: same, whole process wall time including Node start-up', wall]);
  process.stderr.write(`cached: ${warm.s.toFixed(2)} s (process ${wall.toFixed(2)} s)\n`);

  // full-size official-layout PNG zips from the .npz: <set>/<Alphabet>/characterNN/XXXX_YY.png, 1-bit PNG
  process.stderr.write('building full-size PNG zips from the .npz (not timed)...\n');
  for (const set of ['background', 'evaluation']) {
    const { header, bytes } = NpzFile.open(join(omni, `images_${set}.npz`)).getBytes('images');
    const [C, D] = header.shape;
    const first = set === 'background' ? 1 : 965;
    const entries = [];
    const gray = new Uint8Array(11025);
    for (let c = 0; c < C; c++) {
      const ch = omniglotCharacter(first + c);
      for (let d = 0; d < D; d++) {
        const off = (c * D + d) * 11025;
        for (let k = 0; k < 11025; k++) gray[k] = bytes[off + k] ? 255 : 0;
        const id = String(first + c).padStart(4, '0');
        entries.push({ name: `images_${set}/${ch.alphabet}/character${String(ch.number).padStart(2, '0')}/${id}_${String(d + 1).padStart(2, '0')}.png`, data: encodePng({ data: gray, channels: 1, height: 105, width: 105 }, { bitDepth: 1 }) });
      }
    }
    writeZip(join(work, `images_${set}.zip`), entries);
  }
  const zipDs = time('cold: official-layout PNG zips → 32,460 images 28×28 (inflate, PNG decode, invert, resize), no cache', () => loadOmniglot(work, { cacheDir: false }).load());
  const same = Buffer.compare(Buffer.from(zipDs.images), Buffer.from(npzDs.images)) === 0;
  process.stderr.write(`PNG path equals .npz path pixel for pixel: ${same}\n`);

  const cpu = cpus()[0]?.model ?? 'unknown';
  let lscpu = '';
  try { lscpu = execFileSync('lscpu', { encoding: 'utf8' }).split('\n').filter((l) => /^(Model name|CPU\(s\)|Thread|Core|MHz|L2|L3)/.test(l)).join('; ').replace(/\s+/g, ' '); } catch { /* not Linux */ }
  console.log(`Measured ${new Date().toISOString()} on ${cpu}, ${availableParallelism()} logical CPUs, Node ${process.version}${lscpu ? ` (lscpu: ${lscpu})` : ''}.`);
  console.log('');
  console.log('| step | seconds |');
  console.log('|---|---:|');
  for (const [label, s] of rows) console.log(`| ${label} | ${s.toFixed(2)} |`);
  console.log('');
  console.log(`PNG and .npz paths give identical 28×28 pixels: ${same ? 'yes' : 'NO'}.`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
