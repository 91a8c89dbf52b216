#!/usr/bin/env node
// One fuzz case: run one reader on one file and print one JSON line {outcome, name, message, ms, maxRssMB}
// (maxRssMB: the peak resident memory of this process).
// Run by scripts/fuzz.mjs in a child process with a time and memory cap; usable alone to replay a case:
//   node --max-old-space-size=512 scripts/fuzz-worker.mjs png /tmp/adaptlab-fuzz-failures/png-17.png
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [format, file] = process.argv.slice(2);
const dist = (p) => new URL(`../dist/src/${p}`, import.meta.url).href;
const { AdaptlabError } = await import(dist('core/errors.js'));

/** Each format's readers, as the library's users call them (every member, every channel mode, header and data). */
const READERS = {
  zip: async (f) => { const { ZipArchive } = await import(dist('data/zip.js')); return () => { const z = ZipArchive.open(f); for (const e of z.files()) { z.readPrefix(e, 64); z.read(e); } }; },
  npz: async (f) => { const { NpzFile } = await import(dist('data/npy.js')); return () => { const z = NpzFile.open(f); for (const n of z.names) { z.header(n); z.get(n); } }; },
  npy: async (f) => { const { loadNpy } = await import(dist('data/npy.js')); return () => loadNpy(f); },
  idx: async (f) => { const { loadIdx, idxHeader } = await import(dist('data/idx.js')); return () => { idxHeader(f); loadIdx(f); }; },
  tar: async (f) => { const { extractTar } = await import(dist('data/tar.js')); return () => extractInto(extractTar, f); },
  'tar-gz': async (f) => {
    const { readTar, extractTar } = await import(dist('data/tar.js'));
    const { readFileBytes, maybeGunzip } = await import(dist('data/io.js'));
    return () => { readTar(maybeGunzip(f, readFileBytes(f)), f); extractInto(extractTar, f); };
  },
  png: async (f) => { const { readImage } = await import(dist('data/image.js')); return () => { readImage(f, 1); readImage(f, 3); }; },
  safetensors: async (f) => { const { loadSafetensors } = await import(dist('io/safetensors.js')); return () => loadSafetensors(f); },
};
READERS['idx-gz'] = READERS.idx;
READERS.jpeg = READERS.png;

function extractInto(extractTar, f) {
  const dir = mkdtempSync(join(tmpdir(), 'adaptlab-fuzz-x-'));
  try {
    extractTar(f, join(dir, 'out'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!READERS[format] || !file) {
  process.stderr.write(`usage: fuzz-worker.mjs <${Object.keys(READERS).join('|')}> <file>\n`);
  process.exit(2);
}
const read = await READERS[format](file);
const t0 = performance.now();
let result;
try {
  read(file);
  result = { outcome: 'ok' };
} catch (e) {
  const err = e instanceof Error ? e : new Error(String(e));
  if (e instanceof AdaptlabError) result = { outcome: err.message.includes(file) ? 'typed' : 'unnamed', name: err.name, message: err.message };
  else result = { outcome: 'untyped', name: err.name, message: err.message, stack: err.stack };
}
result.ms = Math.round(performance.now() - t0);
result.maxRssMB = peakResidentMB();

/**
 * Peak resident memory of this process since it started: VmHWM on Linux. (process.resourceUsage().maxRSS is no good
 * here: Linux carries the high-water mark across exec, so it would include the parent's memory at fork time.)
 */
function peakResidentMB() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Math.round(Number(m[1]) / 1024);
  } catch {
    // not Linux
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
