#!/usr/bin/env node
// npm install hook: build the optional native addon with node-gyp; never fail the install (one warning instead).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

function warn(why) {
  process.stderr.write(`adaptlab: warning: the native addon was not built (${why}); the pure-TypeScript backend will be used.\n`);
}

try {
  if (process.env.ADAPTLAB_SKIP_NATIVE === '1') process.exit(0);
  if (!existsSync('binding.gyp')) process.exit(0);
  // npm sets npm_config_node_gyp to its bundled node-gyp; otherwise try one on PATH.
  const gyp = process.env.npm_config_node_gyp;
  const cmd = gyp ? process.execPath : 'node-gyp';
  const args = gyp ? [gyp, 'rebuild'] : ['rebuild'];
  // Use the running Node's own headers when npm has no nodedir configured, so no download is needed.
  const prefix = dirname(dirname(process.execPath));
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 15 * 60 * 1000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0) {
    const lines = `${r.stderr ?? ''}\n${r.stdout ?? ''}`.split('\n');
    const errs = lines.filter((l) => /error|not found|ENOENT/i.test(l) && !/^gyp info/.test(l)).map((l) => l.trim()).slice(0, 2);
    const why = r.error ? (r.error.code === 'ENOENT' ? 'node-gyp not found' : r.error.message) : errs.join(' | ') || `node-gyp exited with ${r.status}`;
    // Never leave a half-built addon that the loader could pick up.
    try { rmSync('build/Release/adaptlab.node', { force: true }); } catch { /* ignore */ }
    warn(why.slice(0, 300));
  } else if (!existsSync('build/Release/adaptlab.node')) {
    warn('node-gyp finished but build/Release/adaptlab.node is missing');
  }
} catch (e) {
  warn(e instanceof Error ? e.message : String(e));
}
process.exit(0);
