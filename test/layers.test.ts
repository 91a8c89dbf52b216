// The import rules of docs/ARCHITECTURE.md: every file under src/ imports only its own layer or lower ones.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { repoPath } from './helpers.js';

type Checker = { layerViolations(srcDir: string): string[] };
const load = async (): Promise<Checker> => (await import(pathToFileURL(repoPath('scripts', 'check-layers.mjs')).href)) as Checker;

describe('layering', () => {
  it('src/ imports only downward (core < backend < engine < nn < optim < io < data < methods < cli)', async () => {
    const { layerViolations } = await load();
    assert.deepEqual(layerViolations(repoPath('src')), []);
  });

  it('the checker catches an upward import, a sideways one and an unknown directory', async () => {
    const { layerViolations } = await load();
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-layers-'));
    try {
      for (const d of ['core', 'backend', 'engine', 'meta', 'transfer', 'misc']) mkdirSync(join(dir, d));
      writeFileSync(join(dir, 'core', 'shape.ts'), "export const x = 1;\n");
      writeFileSync(join(dir, 'backend', 'k.ts'), "import { t } from '../engine/tensor.js';\nimport { x } from '../core/shape.js';\n");
      writeFileSync(join(dir, 'engine', 'tensor.ts'), "import type { K } from '../backend/k.js';\nexport const t = 1;\n");
      writeFileSync(join(dir, 'meta', 'maml.ts'), "export { lp } from '../transfer/lp.js';\n");
      writeFileSync(join(dir, 'transfer', 'lp.ts'), "export const lp = await import('../engine/tensor.js');\n");
      writeFileSync(join(dir, 'misc', 'a.ts'), "export {};\n");
      const problems = layerViolations(dir);
      assert.equal(problems.length, 3, problems.join('\n'));
      assert.ok(problems.some((p) => /backend.*imports \.\.\/engine\/tensor\.js/.test(p)));
      assert.ok(problems.some((p) => /meta.*imports \.\.\/transfer\/lp\.js/.test(p)));
      assert.ok(problems.some((p) => /src\/misc\/ has no layer/.test(p)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
