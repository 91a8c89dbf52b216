// The dashboard over HTTP: pages, JSON, server-sent events of a growing metrics.jsonl, and 404 for every way out of the runs root.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { provenance, RunDir } from '../src/runs/run-dir.js';
import { serve } from '../src/serve/server.js';
import { networkRefs } from './report-helpers.js';

/** A GET with the path sent exactly as written (no URL normalisation), and optionally another Host header. */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Read server-sent events until `until` says stop; returns the data lines seen. */
function events(port: number, path: string, until: (data: string[]) => boolean, onOpen: () => void): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      assert.match(String(res.headers['content-type']), /text\/event-stream/);
      let buf = '';
      res.setEncoding('utf8');
      onOpen();
      res.on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const ev = buf.slice(0, i);
          buf = buf.slice(i + 2);
          for (const line of ev.split('\n')) if (line.startsWith('data: ')) seen.push(line.slice(6));
          if (until(seen)) { req.destroy(); resolve(seen); return; }
        }
      });
    });
    req.on('error', (e) => { if (!(e as NodeJS.ErrnoException).code?.includes('ECONNRESET')) reject(e); });
    req.end();
  });
}

describe('adaptlab serve', () => {
  it('serves the run list, reports, comparisons and JSON; refuses paths out of the runs root with 404', async () => {
    const base = mkdtempSync(join(tmpdir(), 'adaptlab-serve-'));
    const root = join(base, 'runs');
    mkdirSync(root);
    const done = RunDir.create(join(root, 'group', 'done'), provenance('pretrain', ['adaptlab', 'pretrain', '--seed', '1'], 1), { objective: 'supervised', dataset: 'mnist' });
    for (let s = 1; s <= 20; s++) done.log({ step: s, epoch: 0, loss: 2 / s, seconds: s });
    done.writeSummary({ losses: [1, 0.5], steps: 20 });
    const other = RunDir.create(join(root, 'other'), provenance('pretrain', ['adaptlab', 'pretrain', '--seed', '2'], 2), { objective: 'rotation', dataset: 'mnist' });
    other.writeSummary({ losses: [1.2, 0.7], steps: 20 });
    const secret = RunDir.create(join(base, 'secret'), provenance('pretrain', ['adaptlab', 'pretrain'], 9), { password: 'hunter2' });
    symlinkSync(secret.dir, join(root, 'link-out'));
    const leaky = RunDir.create(join(root, 'leaky'), provenance('pretrain', ['adaptlab'], 0));
    symlinkSync(secret.path('config.json'), leaky.path('summary.json'));
    const d = await serve({ root, port: 0 });
    try {
      assert.match(d.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const index = await get(d.port, '/');
      assert.equal(index.status, 200);
      assert.ok(index.body.includes('href="/runs/group/done/"') && index.body.includes('/runs/other/'));
      assert.ok(!index.body.includes('link-out') && !index.body.includes('leaky'), 'runs that lead out of the root are not listed');
      const api = JSON.parse((await get(d.port, '/api/runs')).body) as { runs: { name: string; status: string }[] };
      assert.deepEqual(api.runs.map((r) => r.name).sort(), ['group/done', 'other']);
      const page = await get(d.port, '/runs/group/done/');
      assert.equal(page.status, 200);
      assert.ok(page.body.includes('<svg') && page.body.includes('adaptlab pretrain --seed 1'));
      assert.ok(!page.body.includes('id="live"'), 'a finished run has no live curve');
      assert.deepEqual(networkRefs(page.body), []);
      const report = await get(d.port, '/runs/group/done/report.html');
      assert.equal(report.status, 200);
      assert.ok(!report.body.includes('<script'), 'generated on the fly: the self-contained report, without the dashboard script');
      assert.equal((await get(d.port, '/runs/group/done')).status, 308);
      const cmp = await get(d.port, '/compare?runs=group/done,other');
      assert.equal(cmp.status, 200);
      assert.ok(cmp.body.includes('Comparing 2 runs') && cmp.body.includes('objective'));
      const traversal = [
        '/runs/../secret/', '/runs/%2e%2e/secret/', '/runs/%2E%2E/%2E%2E/etc/', '/runs/group/../../secret/', '/runs/..%2fsecret/', '/runs/..%2Fsecret/',
        '/runs//etc/', '/runs/%2Fetc/', '/runs/%2F' + encodeURIComponent(secret.dir.slice(1)) + '/', '/runs/link-out/', '/runs/link-out/report.html',
        '/runs/leaky/', '/events/../secret', '/events/link-out', '/api/runs/link-out', '/api/runs/..%2F..%2Fetc', '/compare?runs=../secret',
        '/compare?runs=link-out,other', '/runs/group/', '/runs/%zz/', '/runs/', '/nope', '/runs/group/done/../../../secret/',
      ];
      for (const p of traversal) {
        const r = await get(d.port, p);
        assert.equal(r.status, 404, `${p}: ${r.status}`);
        assert.ok(!r.body.includes('hunter2'), p);
      }
      assert.equal((await get(d.port, '/', { host: 'evil.example:80' })).status, 421, 'a rebinding Host is refused');
    } finally {
      await d.close();
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('streams metrics.jsonl as server-sent events: existing lines, then new ones, torn lines skipped, finished at the summary', async () => {
    const root = mkdtempSync(join(tmpdir(), 'adaptlab-serve-'));
    const live = RunDir.create(join(root, 'live'), provenance('multitask', ['adaptlab', 'multitask'], 0));
    live.log({ step: 1, loss: 3 });
    const d = await serve({ root, port: 0, pollMs: 20 });
    try {
      const page = await get(d.port, '/runs/live/');
      assert.ok(page.body.includes('id="live"') && page.body.includes('data-field="loss"') && page.body.includes('new EventSource'));
      const seen = await events(d.port, '/events/live', (s) => s.includes('{}'), () => {
        setTimeout(() => {
          live.log({ step: 2, loss: 2 });
          appendFileSync(live.path('metrics.jsonl'), '{"step": 3, "lo');
          setTimeout(() => {
            appendFileSync(live.path('metrics.jsonl'), 'ss": 1}\n');
            live.writeSummary({ loss: 1 });
          }, 60);
        }, 60);
      });
      assert.deepEqual(seen.map((s) => JSON.parse(s)), [{ step: 1, loss: 3 }, { step: 2, loss: 2 }, { step: 3, loss: 1 }, {}]);
    } finally {
      await d.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('shows each sweep under the root with the counts and ETA of its sweep-summary.json, and links its failed cells', async () => {
    const root = mkdtempSync(join(tmpdir(), 'adaptlab-serve-sweep-'));
    const dash = await serve({ root });
    try {
      const sweep = join(root, 'sweeps', 'grid');
      const cell = join(sweep, 'cells', 'seed-1-abc123');
      mkdirSync(cell, { recursive: true });
      RunDir.create(cell, provenance('pretrain', ['adaptlab', 'pretrain'], 1));
      const status = {
        name: 'grid', dir: sweep, spec: null, axes: [['seed', [1, 2, 3]]], updated: '2026-12-02T08:00:00.000Z',
        counts: { total: 3, pending: 1, running: 1, done: 0, failed: 1 }, meanCellSeconds: 40, etaSeconds: 80,
        cells: [{ id: 'seed-1-abc123', values: { seed: 1 }, state: 'failed', note: null, attempts: 3, dir: 'cells/seed-1-abc123', worker: null, started: null, finished: null, seconds: 2, error: 'exit 1: boom', result: null, queue: null }],
      };
      writeFileSync(join(sweep, 'sweep-summary.json'), JSON.stringify(status));
      const page = await get(dash.port, '/');
      assert.equal(page.status, 200);
      assert.match(page.body, /id="sweeps"/);
      assert.match(page.body, /<td>sweeps\/grid<\/td><td class="num">0<\/td><td class="num">1<\/td><td class="num">1<\/td><td class="num">1<\/td><td class="num">3<\/td><td>80 s<\/td>/);
      assert.match(page.body, /href="\/runs\/sweeps\/grid\/cells\/seed-1-abc123\/">seed-1-abc123<\/a>: exit 1: boom/);
      const api = JSON.parse((await get(dash.port, '/api/sweeps')).body);
      assert.deepEqual(api.sweeps.map((w: { name: string; counts: unknown }) => [w.name, w.counts]), [['sweeps/grid', status.counts]]);
    } finally {
      await dash.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
