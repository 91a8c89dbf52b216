// The playground in headless Chromium: Omniglot evaluation episodes uploaded into the page, accuracy against Node, drawing, timings, screenshots.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodePng, evalTasks, type Task } from '../src/index.js';
import { adaptOneShot, loadEncoder } from '../src/play/oneshot.js';
import { repoPath, sharedDataDir } from './helpers.js';

// The page's globals, as far as the functions evaluated in it use them (tests compile without the DOM library).
interface El {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}
declare const document: { body: El; querySelector(selector: string): El | null };
declare const window: { adaptlabPlay: { benchmark(reps: number): unknown } };

const EPISODES = 20, WAYS = 5, SHOTS = 1, QUERIES = 15, SEED = 2026;
const CHECKPOINT = repoPath('play', 'checkpoints', 'protonet-omniglot-5w1s.f16.safetensors');
const SHOTS_DIR = process.env['ADAPTLAB_SCREENSHOTS'] ?? '/work/screenshots';

/** Why the test cannot run here, or null. */
function chromiumPath(): { path: string } | { skip: string } {
  const r = spawnSync('bash', [repoPath('scripts', 'ensure-chromium.sh')], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) return { skip: `chromium unavailable: ${(r.stderr || r.error?.message || '').trim()}` };
  return { path: r.stdout.trim() };
}

/** An example as a user would upload it: 28×28 black ink on white (Omniglot's own polarity), PNG. */
function png(x: Float32Array, i: number): Buffer {
  const data = new Uint8Array(784);
  for (let j = 0; j < 784; j++) data[j] = 255 - Math.round(x[i * 784 + j]! * 255);
  return encodePng({ data, channels: 1, height: 28, width: 28 });
}

function argmaxRows(data: ArrayLike<number>, n: number, k: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    let b = 0;
    for (let j = 1; j < k; j++) if (data[i * k + j]! > data[i * k + b]!) b = j;
    return b;
  });
}

async function startPlay(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [repoPath('bin', 'adaptlab.js'), 'play', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => { out += c.toString(); if (out.includes('\n')) ok((JSON.parse(out.split('\n')[0]!) as { url: string }).url); });
    child.on('exit', (code) => fail(new Error(`adaptlab play exited ${code}`)));
  });
  return { child, url };
}

describe('play in headless Chromium', () => {
  it('one-shot accuracy on 20 Omniglot evaluation episodes matches Node within 3 points; drawing works; no console errors', { timeout: 900_000 }, async (t) => {
    const data = sharedDataDir();
    if (!data || !existsSync(join(data, 'omniglot'))) return t.skip('../shared/data/omniglot is absent');
    const chrome = chromiumPath();
    if ('skip' in chrome) return t.skip(chrome.skip);
    const { chromium } = await import('playwright-core');
    let browser;
    try {
      browser = await chromium.launch({ executablePath: chrome.path, headless: true, args: ['--no-sandbox'] });
    } catch (e) {
      return t.skip(`chromium at ${chrome.path} does not launch: ${(e as Error).message.split('\n')[0]}`);
    }
    const { child, url } = await startPlay();
    mkdirSync(SHOTS_DIR, { recursive: true });
    const shot = async (page: import('playwright-core').Page, name: string): Promise<void> => {
      const file = repoPath('dist', `play-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      copyFileSync(file, join(SHOTS_DIR, `play-${name}.png`));
    };
    try {
      // the episodes, built by the library in Node (Omniglot evaluation characters, Snell split's test part)
      const tasks: Task[] = [...evalTasks({ method: 'protonet', dataset: 'omniglot', dataDir: data, ways: WAYS, shots: SHOTS, queries: QUERIES, seed: 0 }, 'test', EPISODES, SEED)!];
      const { encoder } = loadEncoder(new Uint8Array(readFileSync(CHECKPOINT)), CHECKPOINT);
      const nodePreds = tasks.map((task) => { const o = adaptOneShot(encoder, task.support)(task.query.x); return argmaxRows(o.data, o.shape[0]!, WAYS); });

      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const errors: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);
      await page.waitForFunction(() => document.querySelector('#status')?.textContent?.startsWith('model ready'), null, { timeout: 60_000 });

      /** Run a page action and wait until the page has classified again and is idle. */
      const act = async (fn: () => Promise<unknown>): Promise<void> => {
        const before = await page.evaluate(() => Number(document.body.dataset['updates'] ?? 0));
        await fn();
        await page.waitForFunction((b) => document.body.dataset['busy'] === '0' && Number(document.body.dataset['updates'] ?? 0) > b, before, { timeout: 120_000 });
      };
      const readResults = (): Promise<number[]> => page.$$eval('#results li', (lis) => lis.map((li) => Number((li as unknown as El).dataset['pred'])));
      const readTimings = (): Promise<Record<string, number>> => page.$eval('#timings', (e) => Object.fromEntries(Object.entries((e as unknown as El).dataset).map(([k, v]) => [k, Number(v)])));

      let hitPage = 0, hitNode = 0, hitHead = 0, agree = 0, n = 0;
      const adaptMs: number[] = [], perQueryMs: number[] = [];
      for (let e = 0; e < tasks.length; e++) {
        const task = tasks[e]!;
        await act(() => page.click('#reset'));
        const sx = task.support.x.data as Float32Array, sy = task.support.y.data as Int32Array;
        for (let k = 0; k < WAYS; k++) {
          const files = Array.from(sy.keys()).filter((i) => sy[i] === k).map((i) => ({ name: `support-${k}-${i}.png`, mimeType: 'image/png', buffer: png(sx, i) }));
          await act(() => page.setInputFiles(`.class-card[data-class="${k}"] input[type=file]`, files));
        }
        // the page's preprocessing of an uploaded 28×28 image is the identity (after inverting): compare its thumbnails' pixels
        if (e === 0) {
          const seen = await page.$$eval('.class-card .examples canvas', (cs) => cs.map((c) => Array.from((c as unknown as El).getContext('2d')!.getImageData(0, 0, 28, 28).data.filter((_: number, i: number) => i % 4 === 0))));
          for (let i = 0; i < WAYS; i++) assert.deepEqual(seen[i], Array.from(sx.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 255)), `support image ${i} reaches the model unchanged`);
        }
        const qx = task.query.x.data as Float32Array, qy = task.query.y.data as Int32Array;
        const queries = Array.from(qy.keys()).map((i) => ({ name: `query-${i}.png`, mimeType: 'image/png', buffer: png(qx, i) }));
        await act(() => page.setInputFiles('#query-upload', queries));
        const preds = await readResults();
        assert.equal(preds.length, qy.length, 'one prediction per uploaded query');
        const tm = await readTimings();
        adaptMs.push(tm['adaptMs']!);
        perQueryMs.push(tm['perQueryMs']!);
        if (e === 0) await shot(page, 'episode');
        await act(() => page.selectOption('#method', 'head'));
        const head = await readResults();
        if (e === 0) await shot(page, 'head');
        await act(() => page.selectOption('#method', 'protonet'));
        for (let i = 0; i < qy.length; i++) {
          hitPage += preds[i] === qy[i] ? 1 : 0;
          hitNode += nodePreds[e]![i] === qy[i] ? 1 : 0;
          hitHead += head[i] === qy[i] ? 1 : 0;
          agree += preds[i] === nodePreds[e]![i] ? 1 : 0;
          n++;
        }
      }
      const accPage = 100 * hitPage / n, accNode = 100 * hitNode / n, accHead = 100 * hitHead / n;
      t.diagnostic(`5-way 1-shot over ${EPISODES} episodes (${n} queries): page ${accPage.toFixed(2)}%, Node ${accNode.toFixed(2)}%, agreement ${(100 * agree / n).toFixed(2)}%; fine-tuned head in the page ${accHead.toFixed(2)}%`);
      assert.ok(Math.abs(accPage - accNode) <= 3, `page ${accPage.toFixed(2)}% vs Node ${accNode.toFixed(2)}%`);
      assert.ok(accPage > 80, `one-shot accuracy ${accPage.toFixed(2)}% is far below the checkpoint's`);

      // timings measured in the page: adaptation on the 5 supports and one query, median of 30 after a warm-up
      const bench: Record<string, unknown> = {};
      for (const m of ['protonet', 'head', 'protomaml']) {
        await act(() => page.selectOption('#method', m));
        bench[m] = await page.evaluate(() => window.adaptlabPlay.benchmark(30));
      }
      await act(() => page.selectOption('#method', 'protonet'));

      // drawing with the mouse: five symbols, then a query like the first (a circle) — the path a person takes
      await act(() => page.click('#reset'));
      const strokes: [number, number][][][] = [
        [Array.from({ length: 25 }, (_, i) => [105 + 60 * Math.cos((2 * Math.PI * i) / 24), 105 + 60 * Math.sin((2 * Math.PI * i) / 24)])], // circle
        [[[50, 50], [160, 160]], [[160, 50], [50, 160]]], // cross
        [[[105, 40], [170, 165], [40, 165], [105, 40]]], // triangle
        [[[40, 60], [80, 150], [120, 60], [160, 150], [180, 80]]], // zigzag
        [[[105, 30], [105, 180]], [[50, 105], [160, 105]]], // plus
      ];
      const draw = async (selector: string, lines: [number, number][][]): Promise<void> => {
        await page.locator(selector).scrollIntoViewIfNeeded();
        const box = (await page.locator(selector).boundingBox())!;
        for (const line of lines) {
          await page.mouse.move(box.x + line[0]![0], box.y + line[0]![1]);
          await page.mouse.down();
          for (const [x, y] of line.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 6 });
          await page.mouse.up();
        }
      };
      for (let k = 0; k < WAYS; k++) await act(() => draw(`.class-card[data-class="${k}"] canvas.pad`, strokes[k]!));
      const ellipse: [number, number][][] = [Array.from({ length: 25 }, (_, i) => [110 + 45 * Math.cos((2 * Math.PI * i) / 24), 100 + 70 * Math.sin((2 * Math.PI * i) / 24)])];
      await act(() => draw('#query-pad', ellipse));
      const drawnPred = await page.$eval('#prediction', (e) => ({ pred: Number((e as unknown as El).dataset['pred']), probs: JSON.parse((e as unknown as El).dataset['probs'] ?? '[]') as number[] }));
      await shot(page, 'drawn');
      t.diagnostic(`drawn ellipse → class ${drawnPred.pred + 1} (${drawnPred.probs.map((p) => (100 * p).toFixed(1)).join(' / ')} %)`);
      assert.equal(drawnPred.pred, 0, 'an ellipse is nearest to the circle');
      const drawnTimings = await readTimings();

      assert.deepEqual(errors, [], 'no console errors');
      const med = (a: number[]): number => [...a].sort((u, v) => u - v)[a.length >> 1]!;
      const report = {
        date: new Date().toISOString(), chromium: browser.version(), episodes: EPISODES, queries: n,
        accuracy: { page: accPage, node: accNode, agreement: 100 * agree / n, headInPage: accHead },
        uploadEpisodes: { adaptMsMedian: med(adaptMs), perQueryMsMedian: med(perQueryMs) },
        benchmark: bench, drawn: { ...drawnPred, timings: drawnTimings },
      };
      writeFileSync(repoPath('dist', 'play-browser-results.json'), `${JSON.stringify(report, null, 2)}\n`);
      t.diagnostic(JSON.stringify(report));
    } finally {
      await browser.close();
      child.kill('SIGTERM');
    }
  });
});
