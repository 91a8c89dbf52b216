// Shared helpers for the data tests: repo paths, the shared data folder (or a skip reason), temp dirs, zip building.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { constants as zconst, crc32, deflateRawSync, deflateSync } from 'node:zlib';

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

/**
 * A raw deflate stream that inflates to `mib` MiB of zeros, built in milliseconds: one fully flushed 1 MiB block
 * repeated, then an empty final block. 1 GiB costs about 1 MB: the shape of a decompression bomb.
 */
export function zeroDeflateRaw(mib: number, head: Uint8Array = new Uint8Array(0)): Buffer {
  const first = deflateRawSync(Buffer.concat([Buffer.from(head), Buffer.alloc((1 << 20) - head.length)]), { finishFlush: zconst.Z_FULL_FLUSH });
  const block = deflateRawSync(Buffer.alloc(1 << 20), { finishFlush: zconst.Z_FULL_FLUSH });
  return Buffer.concat([first, ...Array.from({ length: mib - 1 }, () => block), deflateRawSync(Buffer.alloc(0))]);
}

/** The same bomb as a zlib stream (PNG IDAT) or a gzip file whose trailer declares `declared` bytes. */
export function zeroZlib(mib: number, head?: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([0x78, 0x9c]), zeroDeflateRaw(mib, head), Buffer.alloc(4)]);
}

export function zeroGzip(mib: number, head?: Uint8Array, declared = mib * (1 << 20)): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(declared >>> 0, 4);
  return Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), zeroDeflateRaw(mib, head), trailer]);
}

/** A zip whose members carry given raw deflate data and declared sizes (for directories that lie). */
export function makeRawZip(files: { name: string; raw: Uint8Array; size: number; crc?: number; extra?: Uint8Array }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const extra = Buffer.from(f.extra ?? new Uint8Array(0));
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(8, 8);
    lh.writeUInt32LE(f.crc ?? 0, 14); lh.writeUInt32LE(f.raw.length, 18); lh.writeUInt32LE(f.size, 22); lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(45, 4); ch.writeUInt16LE(20, 6); ch.writeUInt16LE(8, 10);
    ch.writeUInt32LE(f.crc ?? 0, 16); ch.writeUInt32LE(f.raw.length, 20); ch.writeUInt32LE(f.size, 24); ch.writeUInt16LE(name.length, 28);
    ch.writeUInt16LE(extra.length, 30); ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, Buffer.from(f.raw));
    centrals.push(ch, name, extra);
    offset += 30 + name.length + f.raw.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(files.length, 8); eocd.writeUInt16LE(files.length, 10);
  eocd.writeUInt32LE(cd.length, 12); eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** A .npy file (version 1) with a literal header dict and data. */
export function makeNpy(header: string, data: Uint8Array = new Uint8Array(0)): Buffer {
  let h = header;
  h += ' '.repeat((64 - ((10 + h.length + 1) % 64)) % 64) + '\n';
  const hb = Buffer.from(h, 'latin1');
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, hb.length & 255, hb.length >> 8]);
  return Buffer.concat([pre, hb, Buffer.from(data)]);
}

/** A PNG from IHDR fields and the (already filtered) image data, chunk CRCs correct. */
export function makePng(w: number, h: number, depth: number, ctype: number, idat: Uint8Array, opts: { interlace?: boolean; palette?: Uint8Array; compressed?: boolean } = {}): Buffer {
  const chunk = (type: string, body: Uint8Array): Buffer => {
    const out = Buffer.alloc(12 + body.length);
    out.writeUInt32BE(body.length, 0);
    out.write(type, 4, 'latin1');
    out.set(body, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)) >>> 0, 8 + body.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w >>> 0, 0); ihdr.writeUInt32BE(h >>> 0, 4); ihdr[8] = depth; ihdr[9] = ctype; ihdr[12] = opts.interlace ? 1 : 0;
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (opts.palette) parts.push(chunk('PLTE', opts.palette));
  parts.push(chunk('IDAT', opts.compressed ? idat : deflateSync(idat)), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

/** What scripts/fuzz-worker.mjs reports for one reader run in a child with 512 MB of heap and a 5 s limit. */
export interface Isolated { outcome: string; name?: string; message?: string; ms: number; maxRssMB: number; wallMs: number }

/**
 * Run one reader (`zip`, `npz`, `npy`, `idx`, `idx-gz`, `tar`, `tar-gz`, `png`, `jpeg`, `safetensors`) on `file` in a
 * child process with `--max-old-space-size=512` and a 5 s limit, as the fuzz harness does; the test fails if the
 * child is killed, crashes or prints no result.
 */
export function isolated(format: string, file: string, env: Record<string, string> = {}): Isolated {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--max-old-space-size=512', join(repoRoot, 'scripts', 'fuzz-worker.mjs'), format, file], {
    encoding: 'utf8', timeout: 5000, killSignal: 'SIGKILL', env: { ...process.env, ...env },
  });
  const wallMs = Math.round(performance.now() - t0);
  if (r.error || r.signal || r.status !== 0) throw new Error(`${format} ${file}: child ${r.signal ? `killed (${r.signal})` : `exited ${r.status}`} after ${wallMs} ms: ${r.stderr.slice(-1000)}`);
  return { ...(JSON.parse(r.stdout.trim().split('\n').pop()!) as Omit<Isolated, 'wallMs'>), wallMs };
}
