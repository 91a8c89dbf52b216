// Acceptance of sweeps on BullMQ: a real redis-server on 127.0.0.1, 3 `adaptlab worker`s, one killed with SIGKILL
// mid-cell; every cell ends with exactly one result, equal to the local pool's; failing cells retried then reported.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { adaptlab, alive, BIN, readJson, SWEEP_ENV, waitFor } from './sweep-helpers.js';

const REDIS = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
const SKIP = REDIS ? false : 'redis-server is not installed (scripts/ensure-redis.sh installs Debian\'s package; .ci/run calls it)';

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((res) => {
    const c = createConnection({ host: '127.0.0.1', port }, () => c.write('PING\r\n'));
    c.setTimeout(1000, () => {
      c.destroy();
      res(false);
    });
    c.once('data', (d) => {
      c.destroy();
      res(d.toString().startsWith('+PONG'));
    });
    c.once('error', () => res(false));
  });
}

function exitOf(p: ChildProcess): Promise<number | null> {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve(p.exitCode) : new Promise((res) => p.once('exit', (code) => res(code)));
}

/** stdout and stderr of a child, collected. */
function collect(p: ChildProcess): { out: string; err: string } {
  const io = { out: '', err: '' };
  p.stdout?.on('data', (d: Buffer) => (io.out += d.toString()));
  p.stderr?.on('data', (d: Buffer) => (io.err += d.toString()));
  return io;
}

/** The per-step losses of a cell's run (metrics.jsonl) and its summary's losses: what "the same result" means. */
function metricsOf(cell: string): { steps: number[]; losses: number[]; lines: number } {
  const lines = readFileSync(join(cell, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as { loss: number });
  const s = readJson(join(cell, 'summary.json'));
  return { steps: lines.map((l) => l.loss), losses: s.losses, lines: lines.length };
}

describe('adaptlab sweep --queue (BullMQ on a real redis-server)', { skip: SKIP }, () => {
  it('3 workers, one killed mid-cell: every cell has exactly one result, equal to the local run; failures retried then reported', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-sweep-queue-'));
    const procs: ChildProcess[] = [];
    t.after(async () => {
      for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
      await Promise.all(procs.map(exitOf));
      rmSync(dir, { recursive: true, force: true });
    });
    const port = await freePort();
    const redis = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    procs.push(redis);
    for (let i = 0; !(await ping(port)); i++) {
      if (i > 100 || redis.exitCode !== null) throw new Error(`redis-server did not start on 127.0.0.1:${port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const url = `redis://127.0.0.1:${port}`;

    const workers = [0, 1, 2].map(() => {
      const w = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--concurrency', '1', '--stall-seconds', '3'], { env: SWEEP_ENV, stdio: ['ignore', 'ignore', 'pipe'] });
      procs.push(w);
      return { proc: w, io: collect(w) };
    });
    await waitFor('3 workers to connect', () => workers.every((w) => w.io.err.includes('taking cells from')), 20_000);

    // six cells of ~2-3 s each: long enough to kill a worker in the middle of one
    const spec = join(dir, 'grid.json');
    writeFileSync(spec, JSON.stringify({
      name: 'acceptance', command: 'pretrain --dataset mnist --model mlp --classes 0,1,2 --epochs 6 --seed {seed}', axes: { seed: [1, 2, 3, 4, 5, 6] },
    }));
    const qdir = join(dir, 'queued');
    const sweep = spawn(process.execPath, [BIN, 'sweep', spec, '--out', qdir, '--queue', url, '--json'], { env: SWEEP_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(sweep);
    const sweepIo = collect(sweep);

    // kill -9 the worker of a cell that has started training (a metrics line written): mid-cell
    const cells = join(qdir, 'cells');
    const victim = await waitFor('a cell mid-way on one of the workers', () => {
      if (!existsSync(cells)) return null;
      for (const id of readdirSync(cells)) {
        const p = join(cells, id, 'cell.json');
        if (!existsSync(p) || !existsSync(join(cells, id, 'metrics.jsonl'))) continue;
        const r = readJson(p);
        const w = workers.find((x) => r.state === 'running' && r.worker.endsWith(`:${x.proc.pid}`));
        if (w && r.pid) return { id, cellPid: r.pid as number, worker: w, name: r.worker as string };
      }
      return null;
    }, 30_000);
    victim.worker.proc.kill('SIGKILL');
    await exitOf(victim.worker.proc);
    await waitFor(`the killed worker's cell command (pid ${victim.cellPid}) to exit`, () => !alive(victim.cellPid), 5000);

    const code = await exitOf(sweep);
    assert.equal(code, 0, sweepIo.err);
    const status = JSON.parse(sweepIo.out);
    assert.deepEqual(status.counts, { total: 6, pending: 0, running: 0, done: 6, failed: 0 });

    // exactly one result per cell: one summary, metrics lines of one run only (the killed attempt's were cleared)
    for (const c of status.cells) {
      const cell = join(qdir, c.dir);
      const m = metricsOf(cell);
      assert.equal(m.lines, readJson(join(cell, 'summary.json')).steps, `${c.id}: metrics lines of one run`);
      for (const f of ['cell.json', 'config.json', 'summary.json']) assert.ok(existsSync(join(cell, f)), `${c.id}: ${f}`);
      assert.deepEqual(readdirSync(cell).filter((f) => f.startsWith('.')), [], `${c.id}: no temporary files of the killed attempt`);
      assert.equal(readJson(join(cell, 'cell.json')).state, 'done');
    }
    const killed = readJson(join(cells, victim.id, 'cell.json'));
    assert.ok(killed.history.some((h: { worker: string; error: string }) => h.worker === victim.name && /interrupted/.test(h.error)), JSON.stringify(killed.history));
    assert.notEqual(killed.worker, victim.name);

    // the queue holds one completed job per cell, none failed or waiting
    const q = adaptlab(['sweep', 'status', '--queue', url, '--json']);
    assert.equal(q.code, 0, q.err);
    const overview = JSON.parse(q.out);
    assert.equal(overview.counts.completed, 6);
    assert.equal(overview.counts.failed + overview.counts.waiting + overview.counts.active + overview.counts.delayed, 0);
    assert.deepEqual(overview.sweeps.map((s: { dir: string; counts: { done: number } }) => [s.dir, s.counts.done]), [[qdir, 6]]);
    const st = adaptlab(['sweep', 'status', spec, '--out', qdir, '--queue', url, '--json']);
    assert.equal(st.code, 0, st.err);
    assert.ok(JSON.parse(st.out).cells.every((c: { queue: string }) => c.queue === 'completed'));

    // submitting again enqueues nothing: every cell is done
    const again = adaptlab(['sweep', spec, '--out', qdir, '--queue', url]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.err, /0 cells enqueued .* 6 done already/);

    // a failing cell on the queue: retried, then failed with its error, the other cell still done
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ command: 'pretrain --dataset mnist --model mlp --classes {classes} --epochs 1 --seed 1', axes: { classes: ['0,1', '0,99'] }, retries: 1, retryDelay: 0.2 }));
    const b = adaptlab(['sweep', bad, '--out', join(dir, 'bad'), '--queue', url, '--json']);
    assert.equal(b.code, 1, b.err);
    const bs = JSON.parse(b.out);
    assert.deepEqual(bs.counts, { total: 2, pending: 0, running: 0, done: 1, failed: 1 });
    const f = bs.cells.find((c: { state: string }) => c.state === 'failed');
    assert.equal(f.attempts, 2);
    assert.match(f.error, /exited with code 2: --classes must be class ids/);

    // the same sweep without --queue: the same metrics, cell by cell (same seeds, backend and threads)
    const ldir = join(dir, 'local');
    const l = adaptlab(['sweep', spec, '--out', ldir, '--concurrency', '2', '--json']);
    assert.equal(l.code, 0, l.err);
    const local = JSON.parse(l.out);
    assert.deepEqual(local.cells.map((c: { id: string }) => c.id), status.cells.map((c: { id: string }) => c.id));
    for (const c of status.cells) assert.deepEqual(metricsOf(join(ldir, c.dir)), metricsOf(join(qdir, c.dir)), c.id);

    // workers stop on SIGTERM once idle
    const rest = workers.filter((w) => w !== victim.worker);
    for (const w of rest) w.proc.kill('SIGTERM');
    assert.deepEqual(await Promise.all(rest.map((w) => exitOf(w.proc))), [0, 0]);
  });
});
