// The dashboard in headless Chromium (playwright-core, Debian's chromium): no console errors, charts render, a live curve grows, traversal fails.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { provenance, RunDir } from '../src/runs/run-dir.js';
import { repoPath } from './helpers.js';

const CHROMIUM = process.env['ADAPTLAB_CHROMIUM'] ?? '/usr/bin/chromium';
const MISSING = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (scripts/ensure-chromium.sh installs Debian's chromium as root; .ci/run calls it)`;
/** Screenshots and the PDF land here (kept after the test), and are copied to $ADAPTLAB_SCREENSHOTS when set. */
const SHOTS = join(tmpdir(), 'adaptlab-screenshots');
const ENV = { ...process.env, ADAPTLAB_THREADS: '1', ADAPTLAB_DATA_DIR: join(tmpdir(), 'adaptlab-no-data-dir') };

function startServer(root: string): Promise<{ proc: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [repoPath('bin', 'adaptlab.js'), 'serve', '--runs', root, '--port', '0', '--quiet'], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve({ proc, url: m[1]! });
    });
    proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    proc.on('exit', (code) => reject(new Error(`adaptlab serve exited (${code}): ${err}`)));
  });
}

describe('dashboard in a browser', () => {
  it('loads without console errors, renders charts, grows a live curve, refuses traversal; screenshots', { skip: MISSING, timeout: 90_000 }, async (t) => {
    const { chromium } = await import('playwright-core');
    const base = mkdtempSync(join(tmpdir(), 'adaptlab-browser-'));
    const root = join(base, 'runs');
    mkdirSync(root);
    mkdirSync(SHOTS, { recursive: true });
    let server: ChildProcess | null = null;
    let browser: Awaited<ReturnType<typeof chromium.launch>> | null = null;
    try {
      // a finished run made by the real command, and a live one this test writes to
      const made = spawnSync(process.execPath, [repoPath('bin', 'adaptlab.js'), 'pretrain', '--dataset', 'mnist', '--model', 'mlp', '--objective', 'rotation', '--steps', '60', '--seed', '1', '--out', join(root, 'pretrain-rotation')], { env: ENV, encoding: 'utf8' });
      assert.equal(made.status, 0, made.stderr);
      const live = RunDir.create(join(root, 'live'), provenance('multitask', ['adaptlab', 'multitask', '--tasks', 'mnist,fashion-mnist'], 0), { tasks: ['mnist', 'fashion-mnist'] });
      for (let s = 1; s <= 10; s++) live.log({ step: s, loss: 2 / Math.sqrt(s), accuracy: 0.1 + s / 50 });
      const secret = RunDir.create(join(base, 'secret'), provenance('pretrain', ['adaptlab'], 0), { password: 'hunter2' });
      symlinkSync(secret.dir, join(root, 'link-out'));

      const s = await startServer(root);
      server = s.proc;
      try {
        browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
      } catch (e) {
        t.skip(`chromium at ${CHROMIUM} does not start: ${(e as Error).message.split('\n')[0]}`);
        return;
      }
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
      page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
      page.on('requestfailed', (r) => { if (!r.url().includes('/events/')) errors.push(`request failed: ${r.url()}`); });
      const offSite: string[] = [];
      page.on('request', (r) => { if (!r.url().startsWith(s.url) && !r.url().startsWith('data:')) offSite.push(r.url()); });

      // the run list
      assert.equal((await page.goto(s.url))?.status(), 200);
      assert.equal(await page.locator('#runs tbody tr').count(), 2, 'the two runs inside the root, not the link out of it');
      await page.screenshot({ path: join(SHOTS, 'dashboard-runs.png'), fullPage: true });

      // a finished run's report: Vega-Lite charts as inline SVG, with marks
      await page.click('a[href="/runs/pretrain-rotation/"]');
      await page.waitForSelector('figure.chart svg');
      assert.ok(await page.locator('figure.chart svg').count() >= 1);
      assert.ok(await page.locator('figure.chart svg .role-mark [role="graphics-symbol"]').count() > 0, 'a chart with marks');
      assert.ok(await page.locator('.sample img').count() >= 8, 'sample pictures');
      assert.ok(await page.evaluate('[...document.images].every((i) => i.complete && i.naturalWidth > 0)'), 'every picture decodes');
      await page.screenshot({ path: join(SHOTS, 'report-pretrain.png'), fullPage: true });
      await page.goto(`${s.url}runs/pretrain-rotation/report.html`);
      await page.emulateMedia({ media: 'print' });
      await page.pdf({ path: join(SHOTS, 'report-pretrain.pdf'), format: 'A4', printBackground: true });
      assert.ok(statSync(join(SHOTS, 'report-pretrain.pdf')).size > 10_000);
      await page.emulateMedia({ media: 'screen' });

      // a live run: its curve gains points as metrics.jsonl grows
      await page.goto(`${s.url}runs/live/`);
      await page.locator('#live[data-points="10"]').waitFor({ timeout: 10_000 });
      for (let k = 11; k <= 25; k++) live.log({ step: k, loss: 2 / Math.sqrt(k), accuracy: 0.1 + k / 50 });
      await page.locator('#live[data-points="25"]').waitFor({ timeout: 10_000 });
      assert.match(await page.locator('#live-chart .live-line').getAttribute('d') ?? '', /^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){24}$/);
      assert.match(await page.locator('#live-status').textContent() ?? '', /25 points, last step 25/);
      await page.screenshot({ path: join(SHOTS, 'dashboard-live.png'), fullPage: true });
      live.writeSummary({ loss: 0.4 });
      await page.locator('#live-status', { hasText: /^Finished/ }).waitFor({ timeout: 10_000 });

      // comparison
      await page.goto(`${s.url}compare?runs=pretrain-rotation,live`);
      await page.waitForSelector('table');
      await page.screenshot({ path: join(SHOTS, 'dashboard-compare.png'), fullPage: true });

      assert.deepEqual(errors, [], 'no console errors');
      // traversal: the browser's own URL handling and raw encodings, all 404 (each also logs a failed load: not counted)
      for (const p of ['runs/link-out/', 'runs/%2e%2e/secret/', 'runs/..%2fsecret/', 'runs/%2F' + encodeURIComponent(secret.dir.slice(1)) + '/', 'events/link-out', 'compare?runs=../secret']) {
        const status = await page.evaluate(`fetch(${JSON.stringify(s.url + p)}).then((r) => r.status)`);
        assert.equal(status, 404, p);
      }
      assert.deepEqual(offSite, [], 'nothing is fetched from anywhere else');
      const shots = process.env['ADAPTLAB_SCREENSHOTS'];
      if (shots) {
        mkdirSync(shots, { recursive: true });
        for (const f of readdirSync(SHOTS)) copyFileSync(join(SHOTS, f), join(shots, f));
      }
    } finally {
      await browser?.close();
      server?.kill('SIGTERM');
      rmSync(base, { recursive: true, force: true });
    }
  });
});
