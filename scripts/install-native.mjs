#!/usr/bin/env node
// npm install hook: build the optional native addon with node-gyp; never fail the install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (process.env.ADAPTLAB_SKIP_NATIVE === '1' || !existsSync('binding.gyp')) {
  process.exit(0);
}
const gyp = process.env.npm_config_node_gyp;
const cmd = gyp ? process.execPath : 'node-gyp';
const args = gyp ? [gyp, 'rebuild'] : ['rebuild'];
const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  const why = r.error ? r.error.message : (r.stderr || '').split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' | ');
  process.stderr.write(`adaptlab: warning: the native addon did not build (${why || `exit ${r.status}`}); the pure-TypeScript backend will be used.\n`);
}
process.exit(0);
