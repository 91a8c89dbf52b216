#!/usr/bin/env node
// Bundles src/browser.ts into dist/browser/adaptlab.js (ES module, esbuild) and assembles the static playground dist/play/.
//
// The browser path must not reach node: modules. Only one module below src/browser.ts does: the native addon
// loader backend/native/load.ts (createRequire, node:fs, node:path), imported by backend/index.ts. Rather than
// split backend selection into two files that the Node entry would have to wire together, the bundle resolves that
// one import to backend/native/unavailable.ts, a stand-in with the same exports that reports "not in the browser
// build" (a plugin below). With platform 'browser' esbuild refuses any other node: import, and the text of the
// bundle is checked for one as well, so a new Node-only import on the path fails this build.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'browser', 'adaptlab.js');
const playSrc = join(root, 'play');
const playOut = join(root, 'dist', 'play');

/** Resolve backend/index.ts's `./native/load.js` to the browser stand-in. */
const nativeStub = {
  name: 'adaptlab-native-stub',
  setup(b) {
    b.onResolve({ filter: /^\.\/native\/load\.js$/ }, (args) => {
      if (normalize(args.importer) !== join(root, 'src', 'backend', 'index.ts')) return undefined;
      return { path: join(root, 'src', 'backend', 'native', 'unavailable.ts') };
    });
  },
};

/** Names in the bundle that only Node has: an import of a built-in module or the addon loader. */
export function nodeOnlyReferences(text) {
  const found = [];
  for (const re of [/["']node:[a-z_/]+["']/g, /\bcreateRequire\b/g, /adaptlab\.node/g, /\brequire\(\s*["']/g]) {
    for (const m of text.matchAll(re)) found.push(m[0]);
  }
  return found;
}

export async function buildBrowser({ quiet = false } = {}) {
  const result = await build({
    entryPoints: [join(root, 'src', 'browser.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    keepNames: true, // error classes and modules keep their names (messages and stack traces name them)
    legalComments: 'none',
    outfile,
    metafile: true,
    logLevel: 'warning',
    plugins: [nativeStub],
  });
  const inputs = Object.keys(result.metafile.inputs);
  if (inputs.some((p) => p.endsWith(`backend${sep}native${sep}load.ts`) || p.endsWith('backend/native/load.ts'))) {
    throw new Error('the browser bundle includes backend/native/load.ts (the addon loader)');
  }
  const text = readFileSync(outfile, 'utf8');
  const bad = nodeOnlyReferences(text);
  if (bad.length) throw new Error(`the browser bundle references Node-only modules: ${[...new Set(bad)].join(', ')}`);

  // the static playground: the page's files, the checkpoint, and a copy of the bundle beside them
  rmSync(playOut, { recursive: true, force: true });
  mkdirSync(playOut, { recursive: true });
  cpSync(playSrc, playOut, { recursive: true });
  cpSync(outfile, join(playOut, 'adaptlab.js'));

  const raw = statSync(outfile).size;
  const gz = gzipSync(readFileSync(outfile), { level: 9 }).length;
  const sizes = { bundle: 'dist/browser/adaptlab.js', raw, gzip: gz, inputs: inputs.length };
  writeFileSync(join(root, 'dist', 'browser', 'size.json'), `${JSON.stringify(sizes, null, 2)}\n`);
  if (!quiet) console.log(`browser bundle: dist/browser/adaptlab.js ${(raw / 1024).toFixed(1)} kB (${(gz / 1024).toFixed(1)} kB gzip, ${inputs.length} modules); playground: dist/play/`);
  return sizes;
}

if (process.argv[1] && normalize(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!existsSync(playSrc)) {
    console.error(`build-browser: ${playSrc} is missing`);
    process.exit(1);
  }
  buildBrowser().catch((e) => {
    console.error(`build-browser: ${e.message}`);
    process.exit(1);
  });
}
