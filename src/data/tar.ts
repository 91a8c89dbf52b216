// Tar archive reader (POSIX ustar and GNU long names) for the CIFAR downloads, with header checksums and path checks.
import { join } from 'node:path';
import { FormatError } from '../core/errors.js';
import { constants, gunzipSync } from 'node:zlib';
import { isGzip, maybeGunzip, readFileBytes, writeFileAtomic } from './io.js';

/** One regular file of a tar archive. */
export interface TarEntry {
  name: string;
  data: Buffer;
}

function str(b: Buffer, off: number, len: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end >= 0 && end < off + len ? end : off + len);
}

function octal(file: string, b: Buffer, off: number, len: number, what: string): number {
  const s = str(b, off, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new FormatError(file, `tar header field ${what} is not octal: ${JSON.stringify(s)}`);
  return Number.parseInt(s, 8);
}

/**
 * The entry's path made canonical: "." and empty components dropped ("./a//b" → "a/b"). Absolute paths, backslashes,
 * drive letters and ".." are refused, and so is a path naming no file at all ("." or "./"): written out, it would be
 * the target folder itself.
 */
function safeName(file: string, name: string): string {
  if (name.startsWith('/') || name.split('/').includes('..') || name.includes('\\') || /^[A-Za-z]:/.test(name)) {
    throw new FormatError(file, `tar entry "${name}" has an unsafe path (absolute, backslash or "..")`);
  }
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) throw new FormatError(file, `tar entry "${name}" is a regular file whose path names no file (it would overwrite the target folder)`);
  return parts.join('/');
}

function checkHeader(file: string, h: Buffer, at: number): void {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  const stored = octal(file, h, 148, 8, 'chksum');
  if (stored !== sum) throw new FormatError(file, `tar header at byte ${at} has a bad checksum (stored ${stored}, computed ${sum})`);
}

/**
 * The regular files of a tar archive (POSIX.1-1988 ustar: 512-byte headers, octal sizes, checksum; `prefix` field;
 * GNU `L` long names). Directories, links and other types are skipped; unsafe paths and bad checksums are errors.
 * @example readTar(gunzipSync(readFileSync('cifar-10-binary.tar.gz'))).map((e) => e.name)
 */
export function readTar(b: Buffer, file = '<tar>'): TarEntry[] {
  const out: TarEntry[] = [];
  let p = 0;
  let longName: string | null = null;
  let ended = false;
  while (p + 512 <= b.length) {
    const h = b.subarray(p, p + 512);
    if (h.every((v) => v === 0)) { ended = true; break; } // end-of-archive marker
    checkHeader(file, h, p);
    const size = octal(file, h, 124, 12, 'size');
    const type = String.fromCharCode(h[156]! || 48);
    const prefix = h.toString('latin1', 257, 263).startsWith('ustar') ? str(h, 345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
    longName = null;
    const start = p + 512;
    if (start + size > b.length) throw new FormatError(file, `tar entry "${name}" runs past the end of the archive (truncated)`);
    const data = b.subarray(start, start + size);
    if (type === 'L') longName = str(data, 0, size);
    else if (type === '0' || type === '7') out.push({ name: safeName(file, name), data });
    p = start + Math.ceil(size / 512) * 512;
  }
  if (!ended) throw new FormatError(file, p === 0 ? 'not a tar archive' : `no end-of-archive block after byte ${p} (truncated)`);
  return out;
}

/**
 * Extract the regular files of a `.tar` or `.tar.gz` into `dir` (each written atomically). Returns the paths.
 * A `.tar.gz` is inflated only up to the size its gzip trailer declares (see `maybeGunzip`).
 */
export function extractTar(file: string, dir: string): string[] {
  const bytes = readFileBytes(file);
  if (isGzip(bytes)) {
    // look at the first header before inflating the rest: gzip that does not hold a tar archive fails here, cheaply
    let head: Buffer;
    try {
      head = gunzipSync(bytes.subarray(0, 4096), { finishFlush: constants.Z_SYNC_FLUSH });
    } catch (err) {
      throw new FormatError(file, `corrupt gzip data (${(err as Error).message})`);
    }
    if (head.length >= 512 && !head.subarray(0, 512).every((v) => v === 0)) checkHeader(file, head.subarray(0, 512), 0);
  }
  const entries = readTar(maybeGunzip(file, bytes), file);
  return entries.map((e) => {
    const dest = join(dir, e.name);
    try {
      writeFileAtomic(dest, e.data);
    } catch (err) {
      throw new FormatError(file, `cannot extract entry "${e.name}": ${(err as Error).message}`);
    }
    return dest;
  });
}
