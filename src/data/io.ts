// File helpers for the data layer: typed read errors, gzip detection, bounded inflation, overflow-safe sizes, sha256, atomic writes.
import { constants as bufferConstants } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { FormatError } from '../core/errors.js';
import { describeFsError, readRegularFile, readRegularHead } from '../io/files.js';

/** The largest Buffer this Node.js can allocate (4 GiB on Node 20): no decoded file or array can be larger. */
export const MAX_BUFFER_BYTES: number = bufferConstants.MAX_LENGTH;

/**
 * The product of non-negative integer factors (dimensions, item sizes) without overflow surprises: 0 as soon as
 * any factor is 0, `Infinity` once the product passes 2^53, so it is never NaN and never a silently rounded value.
 * Compare the result with the bytes available before allocating anything.
 * @example safeProduct([60000, 28, 28]) // 47040000
 */
export function safeProduct(factors: readonly number[]): number {
  for (const f of factors) if (f === 0) return 0;
  let n = 1;
  for (const f of factors) {
    if (!Number.isSafeInteger(f) || f < 0) return Infinity;
    n *= f;
    if (n > Number.MAX_SAFE_INTEGER) return Infinity;
  }
  return n;
}

export type CompressedFormat = 'deflate-raw' | 'zlib' | 'gzip';

/**
 * Inflate `data` but never past `maxBytes` of output: zlib stops as soon as the bound is crossed (nothing beyond it is
 * allocated) and that is a `FormatError` naming `file`. `what` names the data in messages ("entry \"x.npy\"", "PNG image
 * data"); `bound` says where the limit comes from ("the size the zip directory declares").
 * @example inflateBounded('a.zip', raw, 'deflate-raw', entry.size, 'entry "a.npy"', 'the size the directory declares')
 */
export function inflateBounded(file: string, data: Uint8Array, format: CompressedFormat, maxBytes: number, what: string, bound: string): Buffer {
  if (maxBytes > MAX_BUFFER_BYTES) {
    throw new FormatError(file, `${what}: ${bound} is ${maxBytes} bytes, more than the largest buffer Node.js can hold (${MAX_BUFFER_BYTES})`);
  }
  const fn = format === 'gzip' ? gunzipSync : format === 'zlib' ? inflateSync : inflateRawSync;
  try {
    return fn(data, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') throw new FormatError(file, `${what} inflates to more than ${maxBytes} bytes, ${bound} (corrupt file or decompression bomb)`);
    throw new FormatError(file, `${what}: corrupt ${format === 'gzip' ? 'gzip' : 'deflate'} data (${e.message})`);
  }
}

/** The uncompressed size a gzip trailer declares (ISIZE: the size modulo 2^32 of the last member), or null when too short. */
export function gzipDeclaredSize(b: Uint8Array): number | null {
  if (b.length < 18) return null;
  const o = b.length - 4;
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/**
 * The whole file as a Buffer. Only regular files are read (a FIFO, device or directory is refused rather than blocking
 * or reading forever); a missing, unreadable or looping path is a `FormatError` naming it.
 */
export function readFileBytes(file: string): Buffer {
  return readRegularFile(file);
}

/** The first `n` bytes of a file (fewer if it is shorter), with the same checks as `readFileBytes`. */
export function readHead(file: string, n: number): Buffer {
  return readRegularHead(file, n);
}

/** What a path is, following symbolic links; `problem` says in words why it is neither a file nor a folder. */
export function pathKind(p: string): { kind: 'file' | 'dir' | 'other' | 'missing'; problem: string } {
  try {
    const st = statSync(p);
    if (st.isFile()) return { kind: 'file', problem: '' };
    if (st.isDirectory()) return { kind: 'dir', problem: '' };
    return { kind: 'other', problem: st.isFIFO() ? 'is a named pipe (FIFO), not a file or folder' : st.isSocket() ? 'is a socket, not a file or folder' : 'is a device, not a file or folder' };
  } catch (err) {
    return { kind: 'missing', problem: describeFsError(err, p) };
  }
}

/** The names in a folder; an unreadable folder is a `FormatError` naming it and why. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    throw new FormatError(dir, `cannot list the folder: ${describeFsError(err, dir)}`);
  }
}

/**
 * Every file under `dir` as a path relative to it, depth first in sorted order. Symbolic links to files are followed;
 * symbolic links to folders are not descended into, so a link loop (or `/proc/self/root`) cannot make the walk endless,
 * and neither can depth (at most `maxDepth` levels). Only regular files (and links to them, or to nothing, which fail
 * with a typed error when read) are listed: FIFOs and devices are skipped. Names starting with "." are skipped when
 * `skipHidden`. An unreadable folder is a `FormatError`.
 */
export function walkFiles(dir: string, opts: { skipHidden?: boolean; maxDepth?: number; keep?: (name: string) => boolean } = {}): string[] {
  const maxDepth = opts.maxDepth ?? 32;
  const out: string[] = [];
  const visit = (abs: string, rel: string, depth: number): void => {
    if (depth > maxDepth) throw new FormatError(abs, `folders nested more than ${maxDepth} levels deep`);
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (err) {
      throw new FormatError(abs, `cannot list the folder: ${describeFsError(err, abs)}`);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of entries) {
      if (opts.skipHidden && d.name.startsWith('.')) continue;
      const full = join(abs, d.name);
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) visit(full, r, depth + 1);
      else if (d.isFile()) { if (!opts.keep || opts.keep(d.name)) out.push(r); }
      else if (d.isSymbolicLink()) {
        const k = pathKind(full).kind;
        if ((k === 'file' || k === 'missing') && (!opts.keep || opts.keep(d.name))) out.push(r);
      }
    }
  };
  visit(dir, '', 0);
  return out;
}

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * Gunzip when the bytes carry the gzip magic, else return them unchanged; a broken stream names the file.
 * Inflation stops at `maxBytes` when given, else at the size the gzip trailer declares (files of one gzip member,
 * as gzip, pigz and Python write them; a concatenation of several members is refused when it outgrows the last
 * member's declared size).
 */
export function maybeGunzip(file: string, b: Buffer, maxBytes?: number): Buffer {
  if (!isGzip(b)) return b;
  const declared = gzipDeclaredSize(b);
  if (maxBytes === undefined && declared === null) throw new FormatError(file, `truncated gzip data (${b.length} bytes)`);
  const bound = maxBytes ?? declared!;
  return inflateBounded(file, b, 'gzip', bound, 'gzip data', maxBytes === undefined ? 'the size its gzip trailer declares' : 'the limit for this file');
}

/** Lower-case hex sha256 of a file (or of several files in order, for a multi-file source). */
export function sha256File(...files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(readFileBytes(f));
  return h.digest('hex');
}

export function sha256Bytes(b: Uint8Array | string): string {
  return createHash('sha256').update(b).digest('hex');
}

export function fileExists(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export function dirExists(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export { writeFileAtomic } from '../io/atomic.js';
