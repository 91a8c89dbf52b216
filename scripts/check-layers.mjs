#!/usr/bin/env node
// Fails when a file under src/ imports a layer above its own (the import rules of docs/ARCHITECTURE.md).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Layers from the bottom up. A file may import its own layer and any layer with a lower rank; layers that
 * share a rank (the methods, say) do not import each other. `src/index.ts` is the package surface and may
 * import everything.
 */
export const LAYERS = {
  core: 0,
  backend: 1,
  engine: 2,
  nn: 3,
  optim: 4,
  io: 5,
  data: 6,
  meta: 7, transfer: 7, multitask: 7,
  experiments: 8,
  runs: 9, report: 9, sweep: 9, bench: 9,
  serve: 10, play: 10,
  cli: 11, // the command line dispatches to everything, the dashboard (serve/) included
};

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every upward or sideways import under `srcDir`, as readable strings; empty when the layering holds. */
export function layerViolations(srcDir) {
  const problems = [];
  for (const file of files(srcDir)) {
    const rel = relative(srcDir, file).split(sep);
    if (rel.length === 1) continue; // src/index.ts
    const from = rel[0];
    if (!(from in LAYERS)) {
      problems.push(`${relative(process.cwd(), file)}: directory src/${from}/ has no layer in scripts/check-layers.mjs`);
      continue;
    }
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith('.')) continue;
      const target = relative(srcDir, normalize(join(dirname(file), spec))).split(sep);
      if (target[0] === '..') { problems.push(`${relative(process.cwd(), file)}: imports ${spec}, outside src/`); continue; }
      const to = target.length === 1 ? 'index' : target[0];
      if (to === from) continue;
      if (to === 'index' || !(to in LAYERS) || LAYERS[to] >= LAYERS[from]) {
        problems.push(`${relative(process.cwd(), file)}: ${from} (layer ${LAYERS[from]}) imports ${spec} (${to}, layer ${LAYERS[to] ?? '?'})`);
      }
    }
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const problems = layerViolations(src);
  for (const p of problems) console.error(p);
  if (problems.length) process.exit(1);
  console.log(`layers ok: ${files(src).length} files under src/ import only downward`);
}
