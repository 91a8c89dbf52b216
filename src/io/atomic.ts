// Atomic file writes: write a temporary file beside the target, flush it, then rename over the target. Temporary files
// of writers that were killed are found by name and removed on the next write into the same folder.
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { FormatError } from '../core/errors.js';
import { describeFsError } from './files.js';

let counter = 0;

/**
 * Temporary files are named `.<target name>.tmp-<pid>-<n>`: the writer's process id says whether it can still be
 * running. The pattern is the one writeFileAtomic has always used, so leftovers of earlier versions are found too.
 */
const TEMP = /^\..+\.tmp-(\d+)-(\d+)$/;

/** A leftover older than this is removed even when a process with its pid exists (pid reuse, another host). */
export const STALE_TEMP_AGE_MS = 24 * 3600 * 1000;

/** Folders already swept by this process (a sweep costs one readdir; once per folder per process is enough). */
const swept = new Set<string>();

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Remove the temporary files that killed writers left in `dir`: those whose process is gone, and any older than
 * `STALE_TEMP_AGE_MS`. Files of live writers are left alone. Returns the names removed. Called by writeFileAtomic
 * the first time a process writes into a folder; call it directly to sweep again.
 */
export function removeStaleTempFiles(dir: string): string[] {
  swept.add(resolve(dir));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const now = Date.now();
  for (const name of names) {
    const m = TEMP.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    const p = join(dir, name);
    try {
      const st = lstatSync(p);
      if (!st.isFile()) continue;
      if (processAlive(pid) && now - st.mtimeMs < STALE_TEMP_AGE_MS) continue;
      rmSync(p, { force: true });
      removed.push(name);
    } catch {
      // vanished meanwhile, or not ours to remove: leave it
    }
  }
  return removed;
}

/**
 * Where a write to `path` should land: `path` itself, or, when `path` is a symbolic link, the file the link points
 * to (followed link by link), so that writing through a link replaces its target and keeps the link.
 */
function writeTarget(path: string): string {
  let p = path;
  for (let hops = 0; hops < 40; hops++) {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return p; // does not exist (yet): create it
    }
    if (!st.isSymbolicLink()) return p;
    const link = readlinkSync(p);
    p = isAbsolute(link) ? link : join(dirname(p), link);
  }
  throw new FormatError(path, 'too many levels of symbolic links (a symbolic link loop)');
}

/**
 * Write `data` to `path` so that readers see either the old file or the complete new one, never a
 * partial write (temp file + fsync + rename). When `path` is a symbolic link, the file it points to is replaced
 * and the link is kept. The first write into a folder also removes temporary files left there by killed writers
 * (see `removeStaleTempFiles`).
 */
export function writeFileAtomic(path: string, data: Uint8Array | string | readonly Uint8Array[]): void {
  const target = writeTarget(path);
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.tmp-${process.pid}-${++counter}`);
  let fd = -1;
  try {
    mkdirSync(dir, { recursive: true });
    try {
      if (statSync(target).isDirectory()) throw new FormatError(path, 'is a directory, not a file');
    } catch (e) {
      if (e instanceof FormatError) throw e;
    }
    if (!swept.has(resolve(dir))) removeStaleTempFiles(dir);
    fd = openSync(tmp, 'w', 0o644);
    const parts = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
    for (const p of parts) {
      let off = 0;
      while (off < p.length) off += writeSync(fd, p, off, p.length - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, target);
  } catch (e) {
    try {
      if (fd >= 0) closeSync(fd);
      rmSync(tmp, { force: true });
    } catch {
      // the temp file may never have existed (e.g. the directory could not be created)
    }
    if (e instanceof FormatError) throw e;
    throw new FormatError(path, `could not write file: ${describeFsError(e)}`);
  }
}
