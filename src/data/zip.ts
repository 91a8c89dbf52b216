// Zip archive reader on node:zlib: central directory, stored/deflate entries, zip64, CRC and path checks.
import { crc32, inflateRawSync } from 'node:zlib';
import { FormatError } from '../core/errors.js';
import { inflateBounded, readFileBytes } from './io.js';

/**
 * Deflate cannot expand data by more than 1032:1 (a 258-byte match coded in 2 bits); a directory entry declaring
 * more than that from its compressed size is corrupt, and is refused before anything is inflated.
 */
const MAX_DEFLATE_RATIO = 1032;

/** One file inside a zip archive. */
export interface ZipEntry {
  /** Path inside the archive, always with forward slashes. */
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc: number;
  /** Offset of the entry's local header. */
  readonly localOffset: number;
  readonly isDirectory: boolean;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

/** Reject absolute paths, drive letters, backslashes and `..` components (zip-slip). */
function checkEntryName(file: string, name: string): void {
  if (name.length === 0) throw new FormatError(file, 'zip entry with an empty name');
  if (name.includes('\\')) throw new FormatError(file, `zip entry "${name}" uses backslashes in its path`);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw new FormatError(file, `zip entry "${name}" has an absolute path`);
  if (name.split('/').some((p) => p === '..')) throw new FormatError(file, `zip entry "${name}" has ".." in its path (it would escape the archive)`);
  if (name.includes('\0')) throw new FormatError(file, `zip entry "${name}" has a NUL byte in its name`);
}

/**
 * A zip archive read into memory (PKWARE APPNOTE 6.3: end-of-central-directory, central directory,
 * zip64 extensions; stored and deflate entries). Entries are inflated on demand and CRC-checked.
 * Every defect (truncation, bad signatures, unsafe paths, CRC mismatch) is a `FormatError` naming the file.
 *
 * @example
 * const zip = ZipArchive.open('images_background_small1.zip');
 * for (const e of zip.entries) if (e.name.endsWith('.png')) zip.read(e);
 */
export class ZipArchive {
  readonly file: string;
  readonly entries: readonly ZipEntry[];
  private readonly buf: Buffer;
  private readonly byName: Map<string, ZipEntry>;

  private constructor(file: string, buf: Buffer) {
    this.file = file;
    this.buf = buf;
    this.entries = parseCentralDirectory(file, buf);
    this.byName = new Map(this.entries.map((e) => [e.name, e]));
  }

  /** Open a zip file from disk. */
  static open(file: string): ZipArchive {
    return new ZipArchive(file, readFileBytes(file));
  }

  /** Read a zip already in memory; `file` names it in errors. */
  static fromBuffer(buf: Buffer | Uint8Array, file = '<buffer>'): ZipArchive {
    return new ZipArchive(file, Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  }

  /** File entries (no directories). */
  files(): ZipEntry[] {
    return this.entries.filter((e) => !e.isDirectory);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  entry(name: string): ZipEntry {
    const e = this.byName.get(name);
    if (!e) throw new FormatError(this.file, `no entry "${name}" in the archive`);
    return e;
  }

  /**
   * The uncompressed bytes of an entry (by name or entry), CRC-checked. Inflation stops at the size the central
   * directory declares (a stream that would produce more is a `FormatError`, raised without inflating the rest);
   * `maxBytes` refuses, before inflating, an entry that declares more than the caller can use.
   */
  read(entry: ZipEntry | string, maxBytes = Infinity): Buffer {
    const e = typeof entry === 'string' ? this.entry(entry) : entry;
    if (e.size > maxBytes) throw new FormatError(this.file, `entry "${e.name}" declares ${e.size} bytes, more than the ${maxBytes} allowed for it`);
    const raw = this.rawData(e);
    let out: Buffer;
    if (e.method === 0) out = raw;
    else if (e.method === 8) {
      if (e.size > e.compressedSize * MAX_DEFLATE_RATIO + 1024) {
        throw new FormatError(this.file, `entry "${e.name}" declares ${e.size} bytes from ${e.compressedSize} compressed bytes, more than deflate can produce (corrupt directory)`);
      }
      out = inflateBounded(this.file, raw, 'deflate-raw', e.size, `entry "${e.name}"`, 'the size the zip directory declares');
    } else throw new FormatError(this.file, `entry "${e.name}": unsupported compression method ${e.method} (only stored and deflate)`);
    if (out.length !== e.size) throw new FormatError(this.file, `entry "${e.name}": inflated to ${out.length} bytes, the directory says ${e.size}`);
    const c = crc32(out) >>> 0;
    if (c !== e.crc) throw new FormatError(this.file, `entry "${e.name}": CRC-32 mismatch (stored ${hex(e.crc)}, computed ${hex(c)})`);
    return out;
  }

  /**
   * The first bytes of an entry without inflating all of it (enough for a header), not CRC-checked.
   */
  readPrefix(entry: ZipEntry | string, compressedBytes = 4096): Buffer {
    const e = typeof entry === 'string' ? this.entry(entry) : entry;
    const raw = this.rawData(e);
    if (e.method === 0) return raw.subarray(0, compressedBytes);
    if (e.method !== 8) throw new FormatError(this.file, `entry "${e.name}": unsupported compression method ${e.method}`);
    try {
      // a prefix never inflates to more than the whole entry
      return inflateRawSync(raw.subarray(0, compressedBytes), { finishFlush: 2 /* Z_SYNC_FLUSH */, maxOutputLength: Math.max(1, Math.min(e.size, compressedBytes * MAX_DEFLATE_RATIO + 1024)) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new FormatError(this.file, `entry "${e.name}" inflates to more than ${e.size} bytes, the size the zip directory declares (corrupt file or decompression bomb)`);
      throw new FormatError(this.file, `entry "${e.name}": corrupt deflate data (${(err as Error).message})`);
    }
  }

  private rawData(e: ZipEntry): Buffer {
    const b = this.buf;
    const o = e.localOffset;
    if (o + 30 > b.length || b.readUInt32LE(o) !== SIG_LOCAL) {
      throw new FormatError(this.file, `entry "${e.name}": local header missing at offset ${o} (truncated or corrupt archive)`);
    }
    const start = o + 30 + b.readUInt16LE(o + 26) + b.readUInt16LE(o + 28);
    const end = start + e.compressedSize;
    if (end > b.length) throw new FormatError(this.file, `entry "${e.name}": data runs past the end of the file (truncated archive)`);
    return b.subarray(start, end);
  }
}

/** A little-endian uint64 that must be a safe integer (offsets and sizes); bigger values are corrupt, not rounded. */
function u64(file: string, b: Buffer, at: number, what: string): number {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(file, `${what} ${v} is larger than any file`);
  return Number(v);
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

function findEocd(file: string, b: Buffer): number {
  const min = Math.max(0, b.length - 22 - 65535);
  for (let i = b.length - 22; i >= min; i--) {
    if (b.readUInt32LE(i) === SIG_EOCD && i + 22 + b.readUInt16LE(i + 20) <= b.length) return i;
  }
  throw new FormatError(file, b.length < 22 ? `too short for a zip archive (${b.length} bytes)` : 'no end-of-central-directory record (not a zip, or truncated)');
}

function parseCentralDirectory(file: string, b: Buffer): ZipEntry[] {
  const eocd = findEocd(file, b);
  let count = b.readUInt16LE(eocd + 10);
  let cdSize = b.readUInt32LE(eocd + 12);
  let cdOffset = b.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || b.readUInt32LE(loc) !== SIG_EOCD64_LOCATOR) throw new FormatError(file, 'zip64 values without a zip64 locator');
    const e64 = u64(file, b, loc + 8, 'zip64 end-of-central-directory offset');
    if (e64 + 56 > b.length || b.readUInt32LE(e64) !== SIG_EOCD64) throw new FormatError(file, 'zip64 end-of-central-directory record missing');
    count = u64(file, b, e64 + 32, 'zip64 entry count');
    cdSize = u64(file, b, e64 + 40, 'zip64 central directory size');
    cdOffset = u64(file, b, e64 + 48, 'zip64 central directory offset');
  }
  if (cdOffset + cdSize > b.length) {
    throw new FormatError(file, `central directory (offset ${cdOffset}, ${cdSize} bytes) lies past the end of the file (${b.length} bytes): truncated archive`);
  }
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > b.length || b.readUInt32LE(p) !== SIG_CENTRAL) throw new FormatError(file, `central directory entry ${k} is corrupt`);
    const flags = b.readUInt16LE(p + 8);
    const method = b.readUInt16LE(p + 10);
    const crc = b.readUInt32LE(p + 16);
    let compressedSize = b.readUInt32LE(p + 20);
    let size = b.readUInt32LE(p + 24);
    const nameLen = b.readUInt16LE(p + 28);
    const extraLen = b.readUInt16LE(p + 30);
    const commentLen = b.readUInt16LE(p + 32);
    let localOffset = b.readUInt32LE(p + 42);
    if (p + 46 + nameLen + extraLen + commentLen > b.length) throw new FormatError(file, `central directory entry ${k} runs past the end of the file`);
    const name = b.toString((flags & 0x800) !== 0 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLen);
    if (flags & 1) throw new FormatError(file, `entry "${name}" is encrypted`);
    // zip64 extended information extra field (id 0x0001): only the fields that overflowed, in order
    let q = p + 46 + nameLen;
    const extraEnd = q + extraLen;
    while (q + 4 <= extraEnd) {
      const id = b.readUInt16LE(q);
      const len = b.readUInt16LE(q + 2);
      if (q + 4 + len > extraEnd) throw new FormatError(file, `entry "${name}": extra field 0x${id.toString(16).padStart(4, '0')} of ${len} bytes runs past the end of its ${extraLen}-byte extra data`);
      if (id === 0x0001) {
        let r = q + 4;
        const take = (): number => {
          if (r + 8 > q + 4 + len) throw new FormatError(file, `entry "${name}": short zip64 extra field`);
          const v = u64(file, b, r, `entry "${name}": zip64 value`);
          r += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localOffset === 0xffffffff) localOffset = take();
      }
      q += 4 + len;
    }
    checkEntryName(file, name);
    entries.push({ name, method, compressedSize, size, crc, localOffset, isDirectory: name.endsWith('/') });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** True when the bytes start like a zip archive (local header or empty-archive EOCD). */
export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && (head[3] === 4 || head[3] === 6);
}

