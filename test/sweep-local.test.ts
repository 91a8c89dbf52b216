// `adaptlab sweep` on the local pool: cells are run directories, failures retried then reported, finished cells
// skipped on a second run, `sweep status`, usage errors, no Redis client loaded, cell commands die with the sweep.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findRuns, RunDir } from '../src/runs/run-dir.js';
import { adaptlab, alive, BIN, readJson, SWEEP_ENV, waitFor } from './sweep-helpers.js';

const run = adaptlab;

describe('adaptlab sweep (local pool)', () => {
  it('runs the grid, retries a failing cell then reports it without stopping the others; a second run skips finished cells', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-sweep-local-'));
    try {
      const spec = join(dir, 'grid.yaml');
      writeFileSync(spec, [
        'command: pretrain --dataset mnist --model mlp --classes {classes} --epochs 1 --seed {seed}',
        'axes:',
        '  seed: [1, 2]',
        '  classes: ["0,1", "0,99"]',
        'retries: 1',
        'retryDelay: 0.1',
      ].join('\n'));
      const out = join(dir, 'sweep');
      // a resolve hook that refuses bullmq and ioredis: the local path must not load a Redis client
      writeFileSync(join(dir, 'hooks.mjs'), `export async function resolve(s, c, next) { if (s === 'bullmq' || s === 'ioredis') throw new Error('loaded ' + s); return next(s, c); }\n`);
      writeFileSync(join(dir, 'no-redis.mjs'), `import { register } from 'node:module'; register('./hooks.mjs', import.meta.url);\n`);
      const r = run(['sweep', spec, '--out', out, '--concurrency', '2', '--json'], ['--import', join(dir, 'no-redis.mjs')]);
      assert.equal(r.code, 1, r.err);
      const s = JSON.parse(r.out);
      assert.deepEqual(s.counts, { total: 4, pending: 0, running: 0, done: 2, failed: 2 });
      for (const c of s.cells) {
        if (c.values.classes === '0,1') {
          assert.equal(c.state, 'done');
          const run = RunDir.open(join(out, c.dir));
          assert.equal(run.summary<{ steps: number }>()!.steps, run.metrics().length);
          assert.equal(run.config<{ seed: number }>().seed, c.values.seed);
          assert.equal(typeof c.result['losses.last'], 'number');
        } else {
          assert.equal(c.state, 'failed');
          assert.equal(c.attempts, 2);
          assert.match(c.error, /adaptlab pretrain exited with code 2: --classes must be class ids in 0\.\.9, got "0,99"/);
          const rec = readJson(join(out, c.dir, 'cell.json'));
          assert.equal(rec.history.length, 1);
          assert.match(readFileSync(join(out, c.dir, 'output.log'), 'utf8'), /--classes must be class ids/);
        }
      }
      // the cells are ordinary run directories, found as such
      assert.equal(findRuns(out).length, 2);
      assert.deepEqual(readJson(join(out, 'sweep-summary.json')).counts, s.counts);
      assert.equal(readJson(join(out, 'sweep.json')).cells.length, 4);

      const done = s.cells.filter((c: { state: string }) => c.state === 'done').map((c: { dir: string }) => join(out, c.dir, 'summary.json'));
      const mtimes = done.map((p: string) => statSync(p).mtimeMs);
      const again = run(['sweep', spec, '--out', out, '--json']);
      assert.equal(again.code, 1, again.err);
      const s2 = JSON.parse(again.out);
      assert.deepEqual(done.map((p: string) => statSync(p).mtimeMs), mtimes, 'finished cells are not run again');
      assert.deepEqual(s2.cells.filter((c: { state: string }) => c.state === 'failed').map((c: { attempts: number }) => c.attempts), [4, 4]);

      const st = run(['sweep', 'status', out, '--json']);
      assert.equal(st.code, 0, st.err);
      assert.deepEqual(JSON.parse(st.out).counts, s.counts);
      const human = run(['sweep', 'status', spec, '--out', out]);
      assert.equal(human.code, 0, human.err);
      assert.match(human.out, /sweep grid \(.*\): 2\/4 done, 0 running, 2 failed, 0 pending/);
      assert.match(human.out, /seed\s+classes\s+state\s+attempts\s+time\s+losses\.last/);
      assert.match(human.out, /failed cells:\n {2}cells\/seed-1_classes-0-99-[0-9a-f]{10}: adaptlab pretrain exited with code 2/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2, a bad spec exits 1 naming the file and field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-sweep-usage-'));
    try {
      const good = join(dir, 'g.json');
      writeFileSync(good, JSON.stringify({ command: 'pretrain --dataset mnist --seed {seed}', axes: { seed: [1] } }));
      const doctor = join(dir, 'd.json');
      writeFileSync(doctor, JSON.stringify({ command: 'doctor --seed {seed}', axes: { seed: [1] } }));
      const bad = join(dir, 'b.yaml');
      writeFileSync(bad, 'command: pretrain {seed}\naxes: {seed: 1}\n');
      const cases: [string[], number, RegExp][] = [
        [['sweep'], 2, /exactly one SPEC/],
        [['sweep', good, '--detach'], 2, /--detach goes with --queue/],
        [['sweep', good, '--queue', 'http://127.0.0.1:1'], 2, /--queue: .*redis:\/\//],
        [['sweep', good, '--queue', 'redis://127.0.0.1:1', '--concurrency', '2'], 2, /give it to each `adaptlab worker`/],
        [['sweep', good, '--concurrency', '0'], 2, /--concurrency must be an integer from 1/],
        [['sweep', doctor], 2, /"doctor" is not an adaptlab command that writes a run directory \(.*pretrain.*\)/],
        [['sweep', bad], 1, /b\.yaml: axes\.seed: must be a non-empty list/],
        [['sweep', 'status'], 2, /give a SPEC, a sweep directory or --queue/],
        [['sweep', 'status', dir], 1, /not a sweep directory: no sweep\.json/],
        [['worker'], 2, /--queue redis:\/\/HOST:PORT is required/],
        [['worker', '--queue', 'redis://127.0.0.1:1'], 1, /redis:\/\/127\.0\.0\.1:1: cannot reach Redis/],
      ];
      for (const [args, code, re] of cases) {
        const r = run(args);
        assert.equal(r.code, code, `${args.join(' ')}: ${r.err}`);
        assert.match(r.err, re, args.join(' '));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a cell over its timeout is killed and reported failed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-sweep-timeout-'));
    try {
      const spec = join(dir, 't.json');
      writeFileSync(spec, JSON.stringify({ command: 'pretrain --dataset mnist --model mlp --time-budget 60 --seed {seed}', axes: { seed: [1] }, timeout: 1.5, retries: 0 }));
      const r = run(['sweep', spec, '--out', join(dir, 'out'), '--json']);
      assert.equal(r.code, 1, r.err);
      const c = JSON.parse(r.out).cells[0];
      assert.equal(c.state, 'failed');
      assert.match(c.error, /adaptlab pretrain timed out after 1\.5 s and was killed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a cell command dies with its sweep (kill -9), leaving no orphan writing into the cell', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-sweep-orphan-'));
    let cellPid: number | null = null;
    try {
      const spec = join(dir, 'slow.json');
      writeFileSync(spec, JSON.stringify({ command: 'pretrain --dataset mnist --model mlp --time-budget 60 --seed {seed}', axes: { seed: [1] } }));
      const out = join(dir, 'sweep');
      const child = spawn(process.execPath, [BIN, 'sweep', spec, '--out', out], { env: SWEEP_ENV, stdio: 'ignore' });
      const exited = new Promise((res) => child.once('exit', res));
      const cells = join(out, 'cells');
      const rec = await waitFor('the cell to start', () => {
        if (!existsSync(cells)) return null;
        const ids = readdirSync(cells);
        if (ids.length !== 1) return null;
        const p = join(cells, ids[0]!, 'cell.json');
        const m = join(cells, ids[0]!, 'metrics.jsonl');
        if (!existsSync(p) || !existsSync(m)) return null;
        const r = readJson(p);
        return r.pid ? r : null;
      }, 30_000);
      cellPid = rec.pid as number;
      assert.ok(alive(cellPid));
      child.kill('SIGKILL');
      await exited;
      await waitFor(`cell command ${rec.pid} to exit after its sweep was killed`, () => !alive(rec.pid), 5000);
    } finally {
      if (cellPid !== null && alive(cellPid)) process.kill(cellPid, 'SIGKILL'); // a failed check leaves no runaway cell
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
