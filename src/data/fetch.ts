// Explicit downloads (`adaptlab data fetch`): HTTP(S) with redirects, resume by Range, checksum check, atomic rename.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { dirname, join } from 'node:path';
import { ArgumentError, DownloadError, FormatError } from '../core/errors.js';
import { fileExists } from './io.js';
import { extractTar } from './tar.js';
import { SOURCES, type RemoteFile } from './sources.js';

export interface FetchOptions {
  /** Base URL replacing the official hosts: `<mirror>/<file.path>`. Default `$ADAPTLAB_DATA_MIRROR`. */
  mirror?: string | undefined;
  /** Called with bytes received so far and the total when known. */
  onProgress?: (file: RemoteFile, received: number, total: number | null) => void;
  /** Socket inactivity timeout in ms (default 30 s). */
  timeoutMs?: number;
}

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
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
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

function request(url: string, headers: Record<string, string>, timeoutMs: number, redirects = 0): Promise<Response> {
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
    const req = mod.get(u, { headers: { 'user-agent': 'adaptlab-data-fetch', ...headers } }, (res) => {
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        res.resume();
        if (redirects >= 5) {
          reject(new DownloadError(url, 'too many redirects'));
          return;
        }
        request(new URL(res.headers.location, u).href, headers, timeoutMs, redirects + 1).then(resolve, reject);
        return;
      }
      resolve({ status, headers: res.headers, body: res });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no data for ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new DownloadError(url, `request failed (${err.message})`)));
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
  const r = await download(file, dir, opts);
  if (file.extract === 'tar') r.extracted = extractTar(r.path, dirname(r.path)).length;
  return r;
}

async function download(file: RemoteFile, dir: string, opts: FetchOptions): Promise<FetchResult> {
  const check = expected(file);
  const dest = join(dir, file.path);
  const part = `${dest}.part`;
  if (fileExists(dest)) {
    if ((await hashFile(dest, check.algo)) === check.value) return { path: dest, bytes: sizeOf(dest), status: 'present', verified: check.algo };
    rmSync(dest);
  }
  mkdirSync(dirname(dest), { recursive: true });
  const mirror = opts.mirror ?? process.env['ADAPTLAB_DATA_MIRROR'];
  const url = mirror ? `${mirror.replace(/\/+$/, '')}/${file.path}` : file.url;
  const timeoutMs = opts.timeoutMs ?? 30000;
  let start = sizeOf(part);
  let res = await request(url, start > 0 ? { range: `bytes=${start}-` } : {}, timeoutMs);
  if (res.status === 416 && start > 0) {
    // the server has nothing past our partial file: either it is complete, or it is wrong; verify or restart
    res.body.resume();
    if ((await hashFile(part, check.algo)) === check.value) {
      renameSync(part, dest);
      return { path: dest, bytes: sizeOf(dest), status: 'resumed', verified: check.algo };
    }
    rmSync(part, { force: true });
    start = 0;
    res = await request(url, {}, timeoutMs);
  }
  let resumed = false;
  if (res.status === 206) {
    const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
    if (!m || Number(m[1]) !== start) {
      res.body.resume();
      throw new DownloadError(url, `server answered the range request from ${start} with "${res.headers['content-range']}"`);
    }
    resumed = true;
  } else if (res.status === 200) {
    start = 0; // the server ignored the range: start over
  } else {
    res.body.resume();
    throw new DownloadError(url, `HTTP ${res.status}`);
  }
  const length = Number(res.headers['content-length']);
  const total = Number.isFinite(length) ? start + length : null;
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(part, { flags: resumed ? 'a' : 'w' });
    let received = start;
    let failure: Error | null = null;
    // on a lost connection keep what arrived: flush it into the .part file so the next fetch resumes from there
    const lost = (why: string): void => {
      if (failure) return;
      failure = new DownloadError(url, `connection lost after ${received} bytes (${why}); run fetch again to resume`);
      res.body.unpipe(out);
      out.end();
    };
    res.body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      opts.onProgress?.(file, received, total);
    });
    res.body.on('error', (err) => lost(err.message));
    res.body.on('aborted', () => lost('aborted'));
    out.on('error', (err) => {
      failure ??= new FormatError(part, `cannot write (${err.message})`);
      reject(failure);
    });
    out.on('close', () => {
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
  renameSync(part, dest);
  return { path: dest, bytes: sizeOf(dest), status: resumed ? 'resumed' : 'downloaded', verified: check.algo };
}

/**
 * Download every file of a named dataset (`SOURCES`) into `dir`, laid out like shared/data. Never called implicitly:
 * loaders only read local files.
 * @example await fetchDataset('omniglot-npz', defaultDataDir());
 */
export async function fetchDataset(name: string, dir: string, opts: FetchOptions = {}): Promise<FetchResult[]> {
  const src = SOURCES[name];
  if (!src) throw new ArgumentError('fetch', `unknown dataset "${name}" (known: ${Object.keys(SOURCES).join(', ')})`);
  const out: FetchResult[] = [];
  for (const f of src.files) out.push(await fetchFile(f, dir, opts));
  return out;
}
