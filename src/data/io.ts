// File helpers for the data layer: typed read errors, gzip detection, sha256 and atomic writes.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { FormatError } from '../core/errors.js';

/** The whole file as a Buffer; a missing or unreadable file is a `FormatError` naming it. */
export function readFileBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new FormatError(file, e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory, not a file' : `cannot read (${e.message})`);
  }
}

/** The first `n` bytes of a file (fewer if it is shorter). */
export function readHead(file: string, n: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new FormatError(file, e.code === 'ENOENT' ? 'no such file' : `cannot read (${e.message})`);
  }
  try {
    const b = Buffer.alloc(n);
    const got = readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Gunzip when the bytes carry the gzip magic, else return them unchanged; a broken stream names the file. */
export function maybeGunzip(file: string, b: Buffer): Buffer {
  if (!isGzip(b)) return b;
  try {
    return gunzipSync(b);
  } catch (err) {
    throw new FormatError(file, `corrupt or truncated gzip data (${(err as Error).message})`);
  }
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
