#!/usr/bin/env -S node --max-semi-space-size=64
// Entry point of the adaptlab command; the CLI itself lives in dist/src/cli/main.js (built by npm install).
// The shebang's 64 MB semi-spaces: training makes ~10⁴ short-lived tensors per MAML step, and V8's default young
// generation promotes many of them (measured: about 1.2× the meta-steps per second on Omniglot MAML).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('adaptlab: the TypeScript build is missing (dist/). Run `npm install` or `npm run build` first.\n');
  process.exit(1);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
