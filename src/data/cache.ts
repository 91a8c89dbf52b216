// Binary cache of decoded datasets keyed by the source files' sha256 and the decode options, written atomically.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readdirSync, statSync } from 'node:fs';
import { ArgumentError } from '../core/errors.js';
import { fileExists, readFileBytes, sha256Bytes, sha256File, writeFileAtomic } from './io.js';

const MAGIC = 'ADLCACHE';
const VERSION = 1;

/** The per-user cache root: $XDG_CACHE_HOME, ~/Library/Caches (macOS), %LOCALAPPDATA% (Windows), else ~/.cache. */
export function userCacheRoot(): string {
  const env = process.env;
  if (process.platform === 'win32' && env['LOCALAPPDATA']) return join(env['LOCALAPPDATA'], 'adaptlab');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'adaptlab');
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'adaptlab');
}

/** Where decoded datasets are cached: `$ADAPTLAB_CACHE_DIR`, else `<user cache>/adaptlab/decoded`. */
export function defaultCacheDir(): string {
  return process.env['ADAPTLAB_CACHE_DIR'] || join(userCacheRoot(), 'decoded');
}

/** Where named datasets live: `$ADAPTLAB_DATA_DIR`, else `<user cache>/adaptlab/data` (laid out like shared/data). */
export function defaultDataDir(): string {
  return process.env['ADAPTLAB_DATA_DIR'] || join(userCacheRoot(), 'data');
}

export type CachedArray = Uint8Array | Int32Array | Float32Array;

interface ArrayRecord { name: string; dtype: 'uint8' | 'int32' | 'float32'; length: number; offset: number }

/** A cache entry: JSON metadata plus named typed arrays. */
export interface CacheEntry {
  meta: Record<string, unknown>;
  arrays: Record<string, CachedArray>;
}

/**
 * A directory of decoded datasets in a compact binary form (magic `ADLCACHE`, a JSON header, then 8-byte-aligned
 * little-endian arrays), one file per key. Keys come from `cacheKey`, so a changed source file or option misses.
 * A damaged cache file is treated as a miss and rewritten.
 * @example
 * const cache = new DatasetCache(defaultCacheDir());
 * const key = cacheKey('omniglot', sha, { size: 28 });
 * cache.read(key) ?? cache.write(key, meta, arrays);
 */
export class DatasetCache {
  constructor(readonly dir: string) {}

  path(key: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(key)) throw new ArgumentError('DatasetCache', `invalid cache key "${key}"`);
    return join(this.dir, `${key}.adlc`);
  }

  has(key: string): boolean {
    return fileExists(this.path(key));
  }

  /** The entry, or null when absent or unreadable. */
  read(key: string): CacheEntry | null {
    const file = this.path(key);
    if (!fileExists(file)) return null;
    try {
      return decode(readFileBytes(file));
    } catch {
      return null;
    }
  }

  write(key: string, meta: Record<string, unknown>, arrays: Record<string, CachedArray>): CacheEntry {
    writeFileAtomic(this.path(key), encode(meta, arrays));
    return { meta, arrays };
  }

  /** Entries on disk with their sizes (for `data info`). */
  list(): { key: string; bytes: number }[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: { key: string; bytes: number }[] = [];
    for (const n of names) {
      if (!n.endsWith('.adlc')) continue;
      try {
        out.push({ key: n.slice(0, -5), bytes: statSync(join(this.dir, n)).size });
      } catch {
        // vanished meanwhile, or a link to nowhere: not an entry
      }
    }
    return out;
  }
}

/** A cache key: `<kind>-<first 16 hex of the sources' sha256>-<8 hex of the options>`. */
export function cacheKey(kind: string, sourceSha256: string, options: unknown): string {
  return `${kind}-${sourceSha256.slice(0, 16)}-${sha256Bytes(JSON.stringify({ v: VERSION, options })).slice(0, 8)}`;
}

const pad8 = (n: number): number => (n + 7) & ~7;

function encode(meta: Record<string, unknown>, arrays: Record<string, CachedArray>): Uint8Array[] {
  const records: ArrayRecord[] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    const dtype = a instanceof Uint8Array ? 'uint8' : a instanceof Int32Array ? 'int32' : 'float32';
    records.push({ name, dtype, length: a.length, offset });
    offset = pad8(offset + a.byteLength);
  }
  let header = Buffer.from(JSON.stringify({ meta, arrays: records, dataBytes: offset }), 'utf8');
  const pre = Buffer.alloc(16);
  pre.write(MAGIC, 0, 'latin1');
  pre.writeUInt32LE(VERSION, 8);
  const headerPadded = pad8(16 + header.length) - 16;
  header = Buffer.concat([header, Buffer.alloc(headerPadded - header.length, 0x20)]);
  pre.writeUInt32LE(header.length, 12);
  const parts: Uint8Array[] = [pre, header];
  for (const [, a] of Object.entries(arrays)) {
    parts.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const gap = pad8(a.byteLength) - a.byteLength;
    if (gap) parts.push(new Uint8Array(gap));
  }
  return parts;
}

function decode(b: Buffer): CacheEntry {
  if (b.length < 16 || b.toString('latin1', 0, 8) !== MAGIC || b.readUInt32LE(8) !== VERSION) throw new Error('bad magic or version');
  const hlen = b.readUInt32LE(12);
  const head = JSON.parse(b.toString('utf8', 16, 16 + hlen)) as { meta: Record<string, unknown>; arrays: ArrayRecord[]; dataBytes: number };
  const base = 16 + hlen;
  if (b.length !== base + head.dataBytes) throw new Error('size mismatch');
  // copy the data section once into an aligned buffer, then view each array
  const data = new Uint8Array(head.dataBytes);
  data.set(b.subarray(base));
  const arrays: Record<string, CachedArray> = {};
  for (const r of head.arrays) {
    const Ctor = r.dtype === 'uint8' ? Uint8Array : r.dtype === 'int32' ? Int32Array : Float32Array;
    arrays[r.name] = new Ctor(data.buffer, r.offset, r.length);
  }
  return { meta: head.meta, arrays };
}

/**
 * Read `kind` decoded from `files` with `options` from the cache in `cacheDir`, or build it, store it and return it.
 * `cacheDir === false` always builds. The key is the sha256 of the files' bytes plus the options.
 */
export function cachedBuild(
  cacheDir: string | false | undefined,
  kind: string,
  files: readonly string[],
  options: unknown,
  build: () => CacheEntry,
): CacheEntry & { fromCache: boolean; key: string | null } {
  if (cacheDir === false) return { ...build(), fromCache: false, key: null };
  const cache = new DatasetCache(cacheDir ?? defaultCacheDir());
  const key = cacheKey(kind, sha256Files(files), options);
  const hit = cache.read(key);
  if (hit) return { ...hit, fromCache: true, key };
  const built = build();
  cache.write(key, built.meta, built.arrays);
  return { ...built, fromCache: false, key };
}

/** Whether `cachedBuild` would hit for these inputs. */
export function isCached(cacheDir: string | false | undefined, kind: string, files: readonly string[], options: unknown): boolean {
  if (cacheDir === false) return false;
  return new DatasetCache(cacheDir ?? defaultCacheDir()).has(cacheKey(kind, sha256Files(files), options));
}

function sha256Files(files: readonly string[]): string {
  return sha256File(...files);
}
