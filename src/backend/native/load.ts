// Lazy loader of the native addon (build/Release/adaptlab.node); never throws, reports why it failed.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernels } from '../types.js';

export interface NativeStatus {
  loaded: boolean;
  path: string | null;
  error: string | null;
  isa: string | null;
  threads: number | null;
  kernels: Kernels | null;
}

let status: NativeStatus | null = null;

function packageRoot(): string {
  // dist/src/backend/native/load.js -> package root
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** Try once to load the addon; the result (or the reason it failed) is cached. */
export function loadNative(): NativeStatus {
  if (status) return status;
  const root = packageRoot();
  const path = join(root, 'build', 'Release', 'adaptlab.node');
  if (!existsSync(path)) {
    status = { loaded: false, path: null, error: 'addon not built (npm install compiles it; it is skipped with --ignore-scripts or without a C++ compiler)', isa: null, threads: null, kernels: null };
    return status;
  }
  try {
    const require = createRequire(import.meta.url);
    const addon = require(path) as { createKernels?: () => { kernels: Kernels; isa: string; threads: number } };
    if (typeof addon.createKernels !== 'function') throw new Error('addon does not export createKernels');
    const made = addon.createKernels();
    status = { loaded: true, path, error: null, isa: made.isa, threads: made.threads, kernels: made.kernels };
  } catch (e) {
    status = { loaded: false, path, error: `failed to load ${path}: ${(e as Error).message}`, isa: null, threads: null, kernels: null };
  }
  return status;
}
