// Explicit downloads (`adaptlab data fetch`): HTTP(S) with redirects, resume by Range, checksum check, atomic rename.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { dirname, join } from 'node:path';
import { ArgumentError, DownloadError, FormatError } from '../core/errors.js';
import { describeFsError } from '../io/files.js';
import { fileExists, pathKind } from './io.js';
import { extractTar } from './tar.js';
import { SOURCES, type RemoteFile } from './sources.js';

export interface FetchOptions {
  /** Base URL replacing the official hosts: `<mirror>/<file.path>`. Default `$ADAPTLAB_DATA_MIRROR`. */
  mirror?: string | undefined;
  /** Called with bytes received so far and the total when known. */
  onProgress?: (file: RemoteFile, received: number, total: number | null) => void;
  /** Socket inactivity timeout in ms (default 30 s). */
  timeoutMs?: number;
  /**
   * Total time allowed, in ms, however steadily data arrives (default 1 hour): the whole of `fetchDataset`, or one
   * `fetchFile`. When it passes, the download stops, what arrived stays in the `.part` file for a later resume, and a
   * `DownloadError` says so. CLI: `--deadline SECONDS`.
   */
  deadlineMs?: number;
}

/** Default total deadline of a fetch (1 hour: CIFAR-10's 170 MB at 50 KB/s). */
export const DEFAULT_FETCH_DEADLINE_MS = 3600_000;

/** Internal: the absolute time (Date.now() scale) a fetch must end by. */
interface Deadline { at: number; ms: number }

export interface FetchResult {
  path: string;
  bytes: number;
  /** `present`: already there and verified; `downloaded`; `resumed`: continued a partial download. */
  status: 'present' | 'downloaded' | 'resumed';
  verified: 'sha256' | 'md5';
  /** Files unpacked from an archive (`extract`), if any. */
  extracted?: number;
}

async function hashFile(file: string, algo: 'sha256' | 'md5'): Promise<string> {
  const h = createHash(algo);
  try {
    for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  } catch (err) {
    throw new FormatError(file, `cannot read: ${describeFsError(err, file)}`);
  }
  return h.digest('hex');
}

/** A file-system step of the download; its failure is a FormatError naming `path` instead of a bare Node error. */
function fsStep<T>(path: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new FormatError(path, `cannot ${what}: ${describeFsError(err, path)}`);
  }
}

function expected(f: RemoteFile): { algo: 'sha256' | 'md5'; value: string } {
  if (f.sha256) return { algo: 'sha256', value: f.sha256.toLowerCase() };
  if (f.md5) return { algo: 'md5', value: f.md5.toLowerCase() };
  throw new ArgumentError('fetch', `${f.path} has no checksum; refusing to download unverifiable data`);
}

function sizeOf(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

interface Response { status: number; headers: http.IncomingHttpHeaders; body: http.IncomingMessage }

function deadlineError(url: string, d: Deadline, received?: number): DownloadError {
  const after = received === undefined ? '' : ` after ${received} bytes`;
  return new DownloadError(url, `gave up${after}: the ${d.ms / 1000} s deadline passed (--deadline)${received ? '; what arrived is kept, run fetch again to resume' : ''}`);
}

function request(url: string, headers: Record<string, string>, timeoutMs: number, signal: AbortSignal, deadline: Deadline, redirects = 0): Promise<Response> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      reject(new DownloadError(url, 'not a valid URL'));
      return;
    }
    const mod = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null;
    if (!mod) {
      reject(new DownloadError(url, `unsupported protocol ${u.protocol}`));
      return;
    }
    if (signal.aborted) {
      reject(deadlineError(url, deadline));
      return;
    }
    const req = mod.get(u, { headers: { 'user-agent': 'adaptlab-data-fetch', ...headers }, signal }, (res) => {
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        res.resume();
        if (redirects >= 5) {
          reject(new DownloadError(url, 'too many redirects'));
          return;
        }
        let next: string;
        try {
          next = new URL(res.headers.location, u).href;
        } catch {
          reject(new DownloadError(url, `redirect to an invalid URL ${JSON.stringify(res.headers.location)}`));
          return;
        }
        request(next, headers, timeoutMs, signal, deadline, redirects + 1).then(resolve, reject);
        return;
      }
      resolve({ status, headers: res.headers, body: res });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no data for ${timeoutMs} ms`)));
    req.on('error', (err) => reject(signal.aborted ? deadlineError(url, deadline) : new DownloadError(url, `request failed (${err.message})`)));
  });
}

/**
 * Download one file into `dir/<file.path>`: resumes a `.part` left by an interrupted download with an HTTP Range
 * request, verifies the sha256 (or md5) and only then renames the `.part` into place. A file already present with
 * the right checksum is kept. A checksum mismatch deletes the `.part` and throws a `FormatError` naming the file.
 * Archives marked `extract: 'tar'` are then unpacked next to the download.
 * @example await fetchFile(SOURCES['omniglot-runs'].files[0], '/data');
 */
export async function fetchFile(file: RemoteFile, dir: string, opts: FetchOptions = {}): Promise<FetchResult> {
  return fetchOne(file, dir, opts, deadlineOf(opts));
}

function deadlineOf(opts: FetchOptions): Deadline {
  const ms = opts.deadlineMs ?? DEFAULT_FETCH_DEADLINE_MS;
  if (!(ms > 0) || !Number.isFinite(ms)) throw new ArgumentError('fetch', `deadlineMs must be a positive number of milliseconds, got ${ms}`);
  return { at: Date.now() + ms, ms };
}

async function fetchOne(file: RemoteFile, dir: string, opts: FetchOptions, deadline: Deadline): Promise<FetchResult> {
  const r = await download(file, dir, opts, deadline);
  if (file.extract === 'tar') r.extracted = extractTar(r.path, dirname(r.path)).length;
  return r;
}

async function download(file: RemoteFile, dir: string, opts: FetchOptions, deadline: Deadline): Promise<FetchResult> {
  const check = expected(file);
  const dest = join(dir, file.path);
  const part = `${dest}.part`;
  const kind = pathKind(dir);
  if (kind.kind === 'file') throw new FormatError(dir, 'cannot download into it: it is a file, not a folder');
  if (kind.kind === 'other') throw new FormatError(dir, `cannot download into it: it ${kind.problem}`);
  if (kind.kind === 'missing' && kind.problem !== 'no such file') throw new FormatError(dir, `cannot download into it: ${kind.problem}`);
  if (fileExists(dest)) {
    if ((await hashFile(dest, check.algo)) === check.value) return { path: dest, bytes: sizeOf(dest), status: 'present', verified: check.algo };
    fsStep(dest, 'remove the stale copy', () => rmSync(dest));
  }
  fsStep(dirname(dest), 'create the folder', () => mkdirSync(dirname(dest), { recursive: true }));
  const mirror = opts.mirror ?? process.env['ADAPTLAB_DATA_MIRROR'];
  const url = mirror ? `${mirror.replace(/\/+$/, '')}/${file.path}` : file.url;
  const timeoutMs = opts.timeoutMs ?? 30000;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), Math.min(2 ** 31 - 1, Math.max(0, deadline.at - Date.now()))); // setTimeout caps at ~24.8 days
  try {
    return await transfer(file, url, dest, part, check, timeoutMs, ac.signal, deadline, opts);
  } finally {
    clearTimeout(timer);
  }
}

async function transfer(
  file: RemoteFile, url: string, dest: string, part: string, check: { algo: 'sha256' | 'md5'; value: string },
  timeoutMs: number, signal: AbortSignal, deadline: Deadline, opts: FetchOptions,
): Promise<FetchResult> {
  let start = sizeOf(part);
  if (file.bytes !== undefined && start > file.bytes) {
    // a partial download longer than the whole file cannot be resumed
    fsStep(part, 'remove it', () => rmSync(part, { force: true }));
    start = 0;
  }
  let res = await request(url, start > 0 ? { range: `bytes=${start}-` } : {}, timeoutMs, signal, deadline);
  if (res.status === 416 && start > 0) {
    // the server has nothing past our partial file: either it is complete, or it is wrong; verify or restart
    res.body.resume();
    if ((await hashFile(part, check.algo)) === check.value) {
      fsStep(dest, 'move the download into place', () => renameSync(part, dest));
      return { path: dest, bytes: sizeOf(dest), status: 'resumed', verified: check.algo };
    }
    fsStep(part, 'remove it', () => rmSync(part, { force: true }));
    start = 0;
    res = await request(url, {}, timeoutMs, signal, deadline);
  }
  let resumed = false;
  let announced: number | null = null;
  if (res.status === 206) {
    const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
    if (!m || Number(m[1]) !== start) {
      res.body.resume();
      throw new DownloadError(url, `server answered the range request from ${start} with "${res.headers['content-range']}"`);
    }
    if (m[2] !== '*') announced = Number(m[2]);
    resumed = true;
  } else if (res.status === 200) {
    start = 0; // the server ignored the range: start over
  } else {
    res.body.resume();
    throw new DownloadError(url, `HTTP ${res.status}`);
  }
  const length = Number(res.headers['content-length']);
  const total = Number.isFinite(length) ? start + length : announced;
  // the most this download may hold: the size the source table records, else what the server announced
  const limit = file.bytes ?? total;
  if (file.bytes !== undefined && total !== null && total !== file.bytes) {
    res.body.destroy();
    throw new DownloadError(url, `server announces ${total} bytes, ${file.path} has ${file.bytes}: wrong file, refusing it`);
  }
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(part, { flags: resumed ? 'a' : 'w' });
    let received = start;
    let failure: Error | null = null;
    let discard = false;
    // on a lost connection keep what arrived: flush it into the .part file so the next fetch resumes from there
    const stop = (err: Error, keep: boolean): void => {
      if (failure) return;
      failure = err;
      discard = !keep;
      res.body.unpipe(out);
      res.body.destroy();
      out.end();
    };
    const onAbort = (): void => stop(deadlineError(url, deadline, received), true);
    signal.addEventListener('abort', onAbort, { once: true });
    res.body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (limit !== null && received > limit) {
        stop(new DownloadError(url, `server sent more than the ${limit} bytes ${file.bytes !== undefined ? `${file.path} has` : 'it announced'}; refusing the download (deleted)`), false);
        return;
      }
      opts.onProgress?.(file, received, total);
    });
    res.body.on('error', (err) => stop(signal.aborted ? deadlineError(url, deadline, received) : new DownloadError(url, `connection lost after ${received} bytes (${err.message}); run fetch again to resume`), true));
    res.body.on('aborted', () => stop(new DownloadError(url, `connection lost after ${received} bytes (aborted); run fetch again to resume`), true));
    out.on('error', (err) => {
      failure ??= new FormatError(part, `cannot write (${describeFsError(err, part)})`);
      signal.removeEventListener('abort', onAbort);
      reject(failure);
    });
    out.on('close', () => {
      signal.removeEventListener('abort', onAbort);
      if (discard) rmSync(part, { force: true });
      if (failure) reject(failure);
      else if (total !== null && received < total) reject(new DownloadError(url, `connection closed after ${received} of ${total} bytes; run fetch again to resume`));
      else resolve();
    });
    res.body.pipe(out);
  });
  const got = await hashFile(part, check.algo);
  if (got !== check.value) {
    rmSync(part, { force: true });
    throw new FormatError(dest, `${check.algo} mismatch: expected ${check.value}, downloaded data has ${got} (corrupted or wrong file; deleted)`);
  }
  fsStep(dest, 'move the download into place', () => renameSync(part, dest));
  return { path: dest, bytes: sizeOf(dest), status: resumed ? 'resumed' : 'downloaded', verified: check.algo };
}

/**
 * Download every file of a named dataset (`SOURCES`) into `dir`, laid out like shared/data. Never called implicitly:
 * loaders only read local files. `deadlineMs` bounds the whole dataset.
 * @example await fetchDataset('omniglot-npz', defaultDataDir());
 */
export async function fetchDataset(name: string, dir: string, opts: FetchOptions = {}): Promise<FetchResult[]> {
  const src = SOURCES[name];
  if (!Object.hasOwn(SOURCES, name) || !src) throw new ArgumentError('fetch', `unknown dataset "${name}" (known: ${Object.keys(SOURCES).join(', ')})`);
  const deadline = deadlineOf(opts);
  const out: FetchResult[] = [];
  for (const f of src.files) out.push(await fetchOne(f, dir, opts, deadline));
  return out;
}
