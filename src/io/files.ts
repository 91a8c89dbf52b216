// Reading files without surprises: regular files only (a FIFO, device or directory would block or never end), and
// every failure a FormatError saying in words what is wrong with the path.
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { FormatError } from '../core/errors.js';

/** A file-system error in words: "no such file", "a symbolic link loop", "permission denied", … */
export function describeFsError(err: unknown, path?: string): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT': {
      if (path !== undefined) {
        try {
          if (lstatSync(path).isSymbolicLink()) return 'a symbolic link to a missing target';
        } catch {
          // the link itself is missing: plain "no such file"
        }
      }
      return 'no such file';
    }
    case 'ELOOP': return 'too many levels of symbolic links (a symbolic link loop)';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ENOTDIR': return 'a component of the path is not a folder';
    case 'EISDIR': return 'is a directory, not a file';
    case 'ENAMETOOLONG': return 'the path is too long';
    case 'ERR_FS_FILE_TOO_LARGE': return 'the file is larger than Node.js can read into memory';
    default: return e.message ?? String(err);
  }
}

function kindOf(mode: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (mode.isDirectory()) return 'is a directory, not a file';
  if (mode.isFIFO()) return 'is a named pipe (FIFO), not a regular file';
  if (mode.isCharacterDevice() || mode.isBlockDevice()) return 'is a device, not a regular file';
  if (mode.isSocket()) return 'is a socket, not a regular file';
  return 'is not a regular file';
}

/**
 * Open `path` for reading only if it is a regular file (following symbolic links). The open is non-blocking, so a
 * FIFO is refused instead of waiting for a writer; the check is made on the opened descriptor (no race).
 */
function openRegular(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw new FormatError(path, `cannot read: ${describeFsError(err, path)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FormatError(path, `cannot read: ${kindOf(st)}`);
    return fd;
  } catch (err) {
    closeSync(fd);
    if (err instanceof FormatError) throw err;
    throw new FormatError(path, `cannot read: ${describeFsError(err, path)}`);
  }
}

/** The whole of a regular file; anything else (missing, a directory, a FIFO, a device, unreadable) is a FormatError. */
export function readRegularFile(path: string): Buffer {
  const fd = openRegular(path);
  try {
    return readFileSync(fd);
  } catch (err) {
    throw new FormatError(path, `cannot read: ${describeFsError(err, path)}`);
  } finally {
    closeSync(fd);
  }
}

/** The first `n` bytes of a regular file (fewer if it is shorter), with the same checks as `readRegularFile`. */
export function readRegularHead(path: string, n: number): Buffer {
  const fd = openRegular(path);
  try {
    const b = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const k = readSync(fd, b, got, n - got, got);
      if (k === 0) break;
      got += k;
    }
    return b.subarray(0, got);
  } catch (err) {
    throw new FormatError(path, `cannot read: ${describeFsError(err, path)}`);
  } finally {
    closeSync(fd);
  }
}
