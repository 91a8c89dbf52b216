#!/usr/bin/env node
// Measures a sweep's wall time on 1, 2 and 3 local `adaptlab worker`s (BullMQ on a redis-server started here on
// 127.0.0.1) and on the local pool with --concurrency 1, 2, 3; prints a table for docs/SCALING.md.
// Usage: node scripts/measure-sweep.mjs [--cells 12] [--epochs 6]   (needs redis-server: scripts/ensure-redis.sh)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { cells: { type: 'string', default: '12' }, epochs: { type: 'string', default: '6' } } });
const cells = Number(values.cells), epochs = Number(values.epochs);
const BIN = new URL('../bin/adaptlab.js', import.meta.url).pathname;
const env = { ...process.env, ADAPTLAB_DATA_DIR: join(tmpdir(), 'adaptlab-no-data-dir') };
const dir = mkdtempSync(join(tmpdir(), 'adaptlab-measure-sweep-'));
const spec = join(dir, 'grid.json');
writeFileSync(spec, JSON.stringify({
  name: 'measure', command: `pretrain --dataset mnist --model mlp --classes 0,1,2,3,4 --epochs ${epochs} --seed {seed}`,
  axes: { seed: Array.from({ length: cells }, (_, i) => i + 1) },
}));

const port = await new Promise((res) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => res(p));
  });
});
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 500));
const url = `redis://127.0.0.1:${port}`;

function lossesOf(out) {
  const s = JSON.parse(out);
  if (s.counts.done !== cells) throw new Error(`only ${s.counts.done}/${cells} cells done`);
  return s.cells.map((c) => JSON.stringify(JSON.parse(readFileSync(join(s.dir, c.dir, 'summary.json'), 'utf8')).losses));
}

const rows = [];
let reference = null;
const load0 = loadavg()[0];
try {
  for (const n of [1, 2, 3]) {
    const workers = Array.from({ length: n }, () => spawn(process.execPath, [BIN, 'worker', '--queue', url, '--concurrency', '1'], { env, stdio: 'ignore' }));
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [BIN, 'sweep', spec, '--out', join(dir, `queue-${n}`), '--queue', url, '--json'], { env, encoding: 'utf8' });
    const seconds = (performance.now() - t0) / 1000;
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((res) => w.once('exit', res))));
    if (r.status !== 0) throw new Error(`queue sweep with ${n} workers failed: ${r.stderr}`);
    const l = lossesOf(r.stdout);
    reference ??= l;
    rows.push({ how: `${n} worker${n > 1 ? 's' : ''} (--queue)`, seconds, same: JSON.stringify(l) === JSON.stringify(reference) });
  }
  for (const n of [1, 2, 3]) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [BIN, 'sweep', spec, '--out', join(dir, `local-${n}`), '--concurrency', String(n), '--json'], { env, encoding: 'utf8' });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`local sweep with --concurrency ${n} failed: ${r.stderr}`);
    rows.push({ how: `local pool --concurrency ${n}`, seconds, same: JSON.stringify(lossesOf(r.stdout)) === JSON.stringify(reference) });
  }
} finally {
  redis.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
const base = { queue: rows[0].seconds, local: rows[3].seconds };
console.log(`${cells} cells of pretrain mlp (5 classes, ${epochs} epochs, ADAPTLAB_THREADS=1), ${availableParallelism()} cores, load average ${load0.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`);
console.log('| how | wall time | speed-up | same metrics as 1 worker |');
console.log('|---|---|---|---|');
for (const [i, r] of rows.entries()) {
  const b = i < 3 ? base.queue : base.local;
  console.log(`| ${r.how} | ${r.seconds.toFixed(1)} s | ${(b / r.seconds).toFixed(2)}× | ${r.same ? 'yes' : 'NO'} |`);
}
