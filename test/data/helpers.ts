// Shared helpers for the data tests: repo paths, the shared data folder (or a skip reason), temp dirs, zip building.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';

/** The repository root (tests run compiled from dist/test/data). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function fixture(name: string): string {
  return join(repoRoot, 'test', 'data', 'fixtures', name);
}

/** ../shared/data relative to the repo root, or $ADAPTLAB_SHARED_DATA. */
export const sharedData = process.env['ADAPTLAB_SHARED_DATA'] ?? resolve(repoRoot, '..', 'shared', 'data');

/** `false` when the shared file exists, else the skip reason for node:test. */
export function needShared(...rel: string[]): false | string {
  for (const r of rel) {
    const p = join(sharedData, r);
    if (!existsSync(p)) return `shared data file ${p} is absent (set ADAPTLAB_SHARED_DATA to the folder laid out like ../shared/data)`;
  }
  return false;
}

export function shared(rel: string): string {
  return join(sharedData, rel);
}

export function tempDir(prefix = 'adaptlab-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A minimal zip writer for tests (deflate or stored), independent of the reader under test. */
export function makeZip(files: { name: string; data: Uint8Array; store?: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const comp = f.store ? Buffer.from(f.data) : deflateRawSync(f.data);
    const crc = crc32(f.data) >>> 0;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(0x800, 6); lh.writeUInt16LE(f.store ? 0 : 8, 8);
    lh.writeUInt32LE(crc, 14); lh.writeUInt32LE(comp.length, 18); lh.writeUInt32LE(f.data.length, 22); lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt16LE(0x800, 8); ch.writeUInt16LE(f.store ? 0 : 8, 10);
    ch.writeUInt32LE(crc, 16); ch.writeUInt32LE(comp.length, 20); ch.writeUInt32LE(f.data.length, 24); ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, comp);
    centrals.push(ch, name);
    offset += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(files.length, 8); eocd.writeUInt16LE(files.length, 10);
  eocd.writeUInt32LE(cd.length, 12); eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** A minimal ustar writer for tests (regular files; names up to 100 bytes, or a GNU long-name record). */
export function makeTar(files: { name: string; data: Uint8Array }[], opts: { gnuLongNames?: boolean } = {}): Buffer {
  const blocks: Buffer[] = [];
  const header = (name: string, size: number, type: string): Buffer => {
    const h = Buffer.alloc(512);
    h.write(name.slice(0, 100), 0, 'utf8');
    h.write('0000644\0', 100); h.write('0000000\0', 108); h.write('0000000\0', 116);
    h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.write(type, 156);
    h.write('ustar\0' + '00', 257);
    h.fill(32, 148, 156);
    let sum = 0;
    for (const v of h) sum += v;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    return h;
  };
  const pad = (b: Uint8Array): Buffer => Buffer.concat([Buffer.from(b), Buffer.alloc((512 - (b.length % 512)) % 512)]);
  for (const f of files) {
    if (f.name.length > 100 && opts.gnuLongNames) {
      const n = Buffer.from(`${f.name}\0`);
      blocks.push(header('././@LongLink', n.length, 'L'), pad(n));
    }
    blocks.push(header(f.name, f.data.length, '0'), pad(f.data));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
