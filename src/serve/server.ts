// `adaptlab serve`: a local dashboard over run directories (list, reports, comparisons, live metrics by server-sent events).
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { escapeHtml, renderPage, type Block } from '../report/html.js';
import { comparePage, formatKeyMetric, runPage, runReport } from '../report/run-report.js';
import { fileInsideRun, listRuns, loadRun, resolveRunPath, runStatus, type LoadedRun } from '../runs/inspect.js';
import { CONFIG_FILE, findDirsContaining, METRICS_FILE, REPORT_FILE, SAMPLES_FILE, SUMMARY_FILE } from '../runs/run-dir.js';
import { SUMMARY_FILE as SWEEP_SUMMARY_FILE } from '../sweep/plan.js';
import type { SweepStatus } from '../sweep/status.js';
import { LIVE_SCRIPT, liveBlock, liveField } from './live.js';

/** A sweep under the runs root, as its sweep-summary.json says (what `adaptlab sweep status --json` prints). */
export interface SweepListing {
  /** the sweep directory relative to the root ('/'-separated) */
  name: string;
  counts: SweepStatus['counts'];
  etaSeconds: number | null;
  updated: string;
  /** each cell: its state and its run directory's name relative to the root (a link into the run list) */
  cells: { id: string; state: string; note: string | null; run: string; seconds: number | null; error: string | null }[];
}

/** Sweep directories under `root` (real directories only, never through a link), found by their sweep-summary.json. */
export function listSweeps(root: string, maxDepth = 3): SweepListing[] {
  const out: SweepListing[] = [];
  for (const dir of findDirsContaining(root, SWEEP_SUMMARY_FILE, { maxDepth, skip: ['cells', 'checkpoints', 'best'], followLinks: false })) {
    try {
      const s = JSON.parse(readFileSync(join(dir, SWEEP_SUMMARY_FILE), 'utf8')) as SweepStatus;
      const name = relative(resolve(root), dir).split('\\').join('/') || '.';
      out.push({
        name, counts: s.counts, etaSeconds: s.etaSeconds ?? null, updated: s.updated,
        cells: (s.cells ?? []).map((c) => ({ id: c.id, state: c.state, note: c.note, run: name === '.' ? c.dir : `${name}/${c.dir}`, seconds: c.seconds, error: c.error })),
      });
    } catch {
      // a summary being replaced or unreadable: listed next time
    }
  }
  return out;
}

const duration = (s: number | null): string => (s === null ? '–' : s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);

export interface ServeOptions {
  /** the runs root: only run directories inside it (after resolving links) are served */
  root: string;
  /** 0: any free port */
  port?: number;
  /** 127.0.0.1 unless asked otherwise */
  host?: string;
  /** how often an event stream looks at its metrics.jsonl, in ms (default 250) */
  pollMs?: number;
  /** called for each request (method, path, status), e.g. to log */
  onRequest?: (line: string) => void;
}

export interface Dashboard {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** No resource from anywhere but this server and data: URIs; scripts and styles are the page's own. */
const CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'self'";

/** `/runs/a/b/` for the run named `a/b` (each segment encoded). */
export function runUrl(name: string): string {
  return `/runs/${name === '.' ? '.' : name.split('/').map(encodeURIComponent).join('/')}/`;
}

/** Decode the segments of a raw URL path; null when a segment is not valid percent-encoding. */
function segments(raw: string): string[] | null {
  try {
    return raw.split('/').filter((s, i, all) => !(s === '' && i === all.length - 1)).map((s) => decodeURIComponent(s));
  } catch {
    return null;
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Start the dashboard; resolves once it listens. */
export async function serve(o: ServeOptions): Promise<Dashboard> {
  const root = o.root;
  const host = o.host ?? '127.0.0.1';
  const pollMs = o.pollMs ?? 250;
  const streams = new Set<ServerResponse>();
  const cache = new Map<string, { key: string; html: string }>();

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'x-content-type-options': 'nosniff', 'content-security-policy': CSP, 'cache-control': 'no-store', ...extra });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };
  const notFound = (res: ServerResponse, what = 'not found'): void => send(res, 404, 'text/plain; charset=utf-8', `${what}\n`);
  const html = (res: ServerResponse, body: string): void => send(res, 200, 'text/html; charset=utf-8', body);
  const json = (res: ServerResponse, v: unknown): void => send(res, 200, 'application/json; charset=utf-8', `${JSON.stringify(v, null, 2)}\n`);
  const nav = [{ href: '/', label: 'adaptlab runs' }];

  /** A run page or report, regenerated only when one of the run's files changed. */
  const cached = async (id: string, dir: string, make: () => Promise<string>): Promise<string> => {
    // the files' times and sizes, and the status (a killed writer changes no file but is no longer running)
    const key = [CONFIG_FILE, METRICS_FILE, SUMMARY_FILE, SAMPLES_FILE, 'running.json'].map((f) => { try { const s = statSync(join(dir, f)); return `${s.mtimeMs}:${s.size}`; } catch { return '-'; } }).join('|') + runStatus(dir);
    const hit = cache.get(id);
    if (hit && hit.key === key) return hit.html;
    const made = await make();
    if (cache.size > 64) cache.clear();
    cache.set(id, { key, html: made });
    return made;
  };

  const indexPage = (): string => {
    const runs = listRuns(root).filter((r) => resolveRunPath(root, r.name) !== null).reverse();
    const rows = runs.map((r) => `<tr><td><input type="checkbox" name="run" value="${escapeHtml(r.name)}" aria-label="compare ${escapeHtml(r.name)}"></td><td><a href="${escapeHtml(runUrl(r.name))}">${escapeHtml(r.name)}</a></td><td>${escapeHtml(r.kind)}</td><td>${escapeHtml(r.created?.replace('T', ' ').replace(/\.\d+Z$/, '') ?? '–')}</td><td><span class="badge ${r.status}">${r.status}</span></td><td class="num">${r.records}</td><td>${r.keyMetric ? `${escapeHtml(r.keyMetric.name)} ${escapeHtml(formatKeyMetric(r.keyMetric))}` : '–'}</td></tr>`);
    const body: Block = {
      kind: 'raw',
      html: runs.length
        ? `<form action="/compare" method="get"><table id="runs"><thead><tr><th></th><th>run</th><th>kind</th><th>created (UTC)</th><th>status</th><th>records</th><th>key metric</th></tr></thead><tbody>${rows.join('')}</tbody></table><p><button type="submit">Compare selected runs</button></p></form>`
        : `<p>No run directories under ${escapeHtml(root)} yet: training commands write them with --out DIR.</p>`,
    };
    const sweeps = listSweeps(root);
    const sweepRows = sweeps.map((w) => `<tr><td>${escapeHtml(w.name)}</td><td class="num">${w.counts.done}</td><td class="num">${w.counts.running}</td><td class="num">${w.counts.failed}</td><td class="num">${w.counts.pending}</td><td class="num">${w.counts.total}</td><td>${escapeHtml(duration(w.etaSeconds))}</td><td>${escapeHtml(w.updated?.replace('T', ' ').replace(/\.\d+Z$/, '') ?? '–')}</td><td>${w.cells.filter((c) => c.state === 'failed').map((c) => (resolveRunPath(root, c.run) ? `<a href="${escapeHtml(runUrl(c.run))}">${escapeHtml(c.id)}</a>` : escapeHtml(c.id)) + (c.error ? `: ${escapeHtml(c.error.slice(0, 120))}` : '')).join('<br>') || '–'}</td></tr>`);
    const sweepBlock: Block = { kind: 'raw', html: `<table id="sweeps"><thead><tr><th>sweep</th><th>done</th><th>running</th><th>failed</th><th>pending</th><th>cells</th><th>ETA</th><th>updated (UTC)</th><th>failed cells</th></tr></thead><tbody>${sweepRows.join('')}</tbody></table><p>Each cell is a run below; the same numbers as <code>adaptlab sweep status</code>.</p>` };
    return renderPage({ title: 'Runs', subtitle: `${runs.length} run${runs.length === 1 ? '' : 's'} under ${root}`, sections: [...(sweeps.length ? [{ title: 'Sweeps', id: 'sweeps', blocks: [sweepBlock] }] : []), { title: 'Runs', id: 'runs', blocks: [body] }], footer: 'adaptlab serve: newest first; open a run for its report, tick several to compare them.' }, { nav });
  };

  const runDashboard = async (name: string, dir: string): Promise<string> => cached(`page:${dir}`, dir, async () => {
    const r = loadRun(dir, name);
    const page = await runPage(r);
    const links: Block = { kind: 'raw', html: `<p class="no-print"><a href="${escapeHtml(runUrl(name))}report.html">report.html</a> (the self-contained file) · <a href="/api/runs/${escapeHtml(name.split('/').map(encodeURIComponent).join('/'))}">JSON</a></p>` };
    if (r.status !== 'finished') page.sections.unshift({ title: 'Live', id: 'live-section', blocks: [liveBlock(`/events/${name.split('/').map(encodeURIComponent).join('/')}`, liveField(r.metrics))] });
    page.sections.push({ title: 'Files', id: 'files', blocks: [links] });
    return renderPage(page, { nav, script: r.status !== 'finished' ? LIVE_SCRIPT : '' });
  });

  /** report.html as written by the command when it is newer than every file it is made from, else made now (not written). */
  const reportFile = async (name: string, dir: string): Promise<string> => {
    const file = fileInsideRun(dir, REPORT_FILE);
    if (file) {
      const t = statSync(file).mtimeMs;
      const fresh = [CONFIG_FILE, METRICS_FILE, SUMMARY_FILE, SAMPLES_FILE].every((f) => { try { return statSync(join(dir, f)).mtimeMs <= t; } catch { return true; } });
      if (fresh) return readFileSync(file, 'utf8');
    }
    return cached(`report:${dir}`, dir, async () => runReport(loadRun(dir, name)));
  };

  /** Server-sent events: every complete metrics.jsonl line after the client's offset, then new ones as they are written. */
  const events = (req: IncomingMessage, res: ServerResponse, dir: string): void => {
    const file = join(dir, METRICS_FILE);
    const last = Number(req.headers['last-event-id']);
    let offset = Number.isSafeInteger(last) && last >= 0 ? last : 0;
    let finishedSent = false;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' });
    res.write('retry: 1000\n\n');
    streams.add(res);
    let beat = Date.now();
    const tick = (): void => {
      let size = 0;
      try {
        if (fileInsideRun(dir, METRICS_FILE)) size = statSync(file).size;
      } catch {
        size = 0;
      }
      if (size < offset) { offset = 0; res.write('event: reset\ndata: {}\n\n'); } // rewritten (a resumed run dropped records)
      if (size > offset) {
        const len = Math.min(size - offset, 4 << 20);
        const buf = Buffer.alloc(len);
        const fd = openSync(file, 'r');
        try { readSync(fd, buf, 0, len, offset); } finally { closeSync(fd); }
        const end = buf.lastIndexOf(0x0a);
        if (end >= 0) {
          let pos = 0;
          const chunk: string[] = [];
          while (pos <= end) {
            const nl = buf.indexOf(0x0a, pos);
            const line = buf.subarray(pos, nl).toString('utf8').trim();
            pos = nl + 1;
            if (!line) continue;
            try { JSON.parse(line); } catch { continue; } // a torn line of a killed writer
            chunk.push(`id: ${offset + pos}\ndata: ${line}\n\n`);
          }
          offset += end + 1;
          if (chunk.length) { res.write(chunk.join('')); beat = Date.now(); }
        }
      }
      if (!finishedSent && existsSync(join(dir, SUMMARY_FILE))) { finishedSent = true; res.write('event: finished\ndata: {}\n\n'); }
      if (Date.now() - beat > 15000) { res.write(': keep-alive\n\n'); beat = Date.now(); }
    };
    tick();
    const timer = setInterval(tick, pollMs);
    const stop = (): void => { clearInterval(timer); streams.delete(res); };
    req.on('close', stop);
    res.on('close', stop);
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') { send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' }); return; }
    const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (LOOPBACK.has(host) && !LOOPBACK.has(hostHeader)) { send(res, 421, 'text/plain; charset=utf-8', 'this dashboard answers only to localhost\n'); return; }
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    if (path === '/' || path === '/index.html') return html(res, indexPage());
    if (path === '/api/sweeps') return json(res, { root, sweeps: listSweeps(root) });
    if (path === '/api/runs') return json(res, { root, runs: listRuns(root).filter((r) => resolveRunPath(root, r.name) !== null).map(({ dir: _dir, ...r }) => r) });
    if (path === '/compare') {
      const names = [...query.getAll('run'), ...query.getAll('runs').flatMap((v) => v.split(','))].filter(Boolean);
      if (names.length < 1) return notFound(res, 'compare: name runs with ?runs=a,b');
      const runs: LoadedRun[] = [];
      for (const n of names) {
        const dir = resolveRunPath(root, n);
        if (!dir) return notFound(res);
        runs.push(loadRun(dir, n));
      }
      return html(res, renderPage(await comparePage(runs), { nav }));
    }
    for (const prefix of ['/runs/', '/events/', '/api/runs/']) {
      if (!path.startsWith(prefix)) continue;
      const segs = segments(path.slice(prefix.length));
      if (!segs || segs.length === 0) return notFound(res);
      const wantsReport = prefix === '/runs/' && segs.at(-1) === REPORT_FILE;
      const name = (wantsReport ? segs.slice(0, -1) : segs).join('/');
      const dir = resolveRunPath(root, name);
      if (!dir) return notFound(res);
      if (prefix === '/events/') return events(req, res, dir);
      if (prefix === '/api/runs/') {
        const r = loadRun(dir, name);
        return json(res, { name, kind: r.config['kind'] ?? null, status: r.status, keyMetric: r.keyMetric, config: r.config, summary: r.summary, records: r.metrics.length });
      }
      if (wantsReport) return html(res, await reportFile(name, dir));
      if (!path.endsWith('/')) { send(res, 308, 'text/plain; charset=utf-8', '', { location: `${path}/` }); return; }
      return html(res, await runDashboard(name, dir));
    }
    notFound(res);
  };

  const server = createServer((req, res) => {
    const t0 = Date.now();
    res.on('finish', () => o.onRequest?.(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - t0} ms`));
    route(req, res).catch((e: unknown) => {
      const msg = e instanceof Error ? e.message : String(e);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `error: ${msg}\n`);
      else res.end();
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => { server.off('error', reject); resolveListen(); });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    port,
    server,
    close: () => new Promise<void>((done) => {
      for (const s of streams) s.end();
      server.close(() => done());
      server.closeAllConnections();
    }),
  };
}
