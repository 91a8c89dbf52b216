// Where adaptlab is installed: the directory of its package.json, and its version.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;
let version: string | null = null;

/** The directory holding adaptlab's package.json (the repository root in a checkout). */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p) && (JSON.parse(readFileSync(p, 'utf8')) as { name?: string }).name === 'adaptlab') return (root = dir);
    dir = dirname(dir);
  }
  return (root = process.cwd());
}

/** adaptlab's version from its package.json. */
export function packageVersion(): string {
  if (version) return version;
  const p = join(packageRoot(), 'package.json');
  const pkg = existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as { version?: string }) : {};
  return (version = pkg.version ?? '0.0.0');
}
