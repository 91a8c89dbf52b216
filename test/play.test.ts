// The playground in Node: Omniglot-like preprocessing, the float16 encoder, the three adaptations, the static server, the browser bundle.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Conv4, invert, noGrad, ProtoNet, resize, Rng, serializeSafetensors, tensor, withBackend, type Image, type Tensor } from '../src/index.js';
import { adaptOneShot, loadEncoder, probabilities, supportLabels } from '../src/play/oneshot.js';
import { imagesToTensor, preprocessRGBA } from '../src/play/preprocess.js';
import { resolveStaticPath, serveStatic } from '../src/cli/play-server.js';
import { assertClose, repoPath } from './helpers.js';

/** Gray pixels as opaque RGBA. */
function rgba(gray: Uint8Array): Uint8Array {
  const out = new Uint8Array(gray.length * 4);
  gray.forEach((v, i) => out.set([v, v, v, 255], i * 4));
  return out;
}

function randomGlyph(rng: Rng, side: number): Uint8Array {
  const g = new Uint8Array(side * side).fill(255); // white paper
  for (let s = 0; s < 6; s++) {
    const y = rng.integer(0, side), x0 = rng.integer(0, side), len = 1 + rng.integer(0, side >> 1);
    for (let x = x0; x < Math.min(side, x0 + len); x++) g[y * side + x] = 0; // black ink
  }
  return g;
}

function bytesOf(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function encoderBytes(seed: number): { net: Conv4; bytes: Uint8Array } {
  const net = new Conv4({ rng: new Rng(seed), numClasses: 0 });
  // running statistics away from their defaults, so loading them matters
  noGrad(() => { for (const [n, b] of net.namedBuffers()) if (n.endsWith('running_var')) b.data.fill(2); });
  net.eval();
  const sd = net.stateDict();
  return { net, bytes: bytesOf(serializeSafetensors(sd, { float16: 'all', int64: Object.keys(sd).filter((k) => k.endsWith('num_batches_tracked')) })) };
}

function task(rng: Rng, ways: number, shots: number, queries: number): { support: { x: Tensor; y: Tensor }; query: { x: Tensor; y: Tensor } } {
  const protos = Array.from({ length: ways }, () => randomGlyph(rng, 28).map((v) => 255 - v));
  const make = (k: number): Image<Uint8Array> => {
    const d = protos[k]!.slice();
    for (let i = 0; i < 20; i++) d[rng.integer(0, d.length)] = 255 - d[rng.integer(0, d.length)]!; // a little noise
    return { data: d, channels: 1, height: 28, width: 28 };
  };
  const set = (n: number): { x: Tensor; y: Tensor } => {
    const imgs: Image<Uint8Array>[] = [];
    for (let k = 0; k < ways; k++) for (let i = 0; i < n; i++) imgs.push(make(k));
    return { x: imagesToTensor(imgs), y: supportLabels(Array(ways).fill(n)) };
  };
  return { support: set(shots), query: set(queries) };
}

describe('play: preprocessing like Omniglot', () => {
  it('a 28×28 black-on-white image comes out inverted and otherwise unchanged; white-on-black is kept', () => {
    const g = randomGlyph(new Rng(1), 28);
    const a = preprocessRGBA(rgba(g), 28, 28);
    assert.equal(a.inverted, true);
    assert.deepEqual(Array.from(a.image.data), Array.from(g, (v) => 255 - v));
    const b = preprocessRGBA(rgba(a.image.data), 28, 28);
    assert.equal(b.inverted, false, 'a dark border means bright ink already');
    assert.deepEqual(Array.from(b.image.data), Array.from(a.image.data));
    assert.equal(preprocessRGBA(rgba(g), 28, 28, { invert: false }).image.data[0], 255, 'invert: false is obeyed');
  });

  it('a 105×105 drawing goes through the data layer\'s Omniglot steps: invert, then the anti-aliased triangle resize to 28', () => {
    const g = randomGlyph(new Rng(2), 105);
    const expected = resize(invert({ data: g, channels: 1, height: 105, width: 105 }), 28, 28, 'triangle');
    assert.deepEqual(Array.from(preprocessRGBA(rgba(g), 105, 105).image.data), Array.from(expected.data));
  });

  it('transparent pixels are paper (white), colours become luma, and a wide image is padded square, centred', () => {
    const w = 4, h = 2, px = new Uint8Array(w * h * 4); // all transparent black: white paper after compositing
    px.set([255, 0, 0, 255], 0); // an opaque red pixel at (0, 0): luma 76
    const { image, inverted } = preprocessRGBA(px, w, h, { size: 4 });
    assert.equal(inverted, true);
    // the 4×2 image sits in rows 1–2 of a 4×4 square; the padding is background (0 after inversion)
    assert.deepEqual(Array.from(image.data), [0, 0, 0, 0, 255 - 76, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.throws(() => preprocessRGBA(new Uint8Array(7), 2, 1), /expected 8 RGBA bytes/);
  });
});

describe('play: the float16 encoder and the three adaptations', () => {
  it('loadEncoder rebuilds the Conv-4 from F16 bytes (running statistics included) and embeds as the original', () => {
    const { net, bytes } = encoderBytes(3);
    const { encoder } = loadEncoder(bytes, 'test.safetensors');
    assert.equal(encoder.training, false);
    const x = task(new Rng(4), 3, 1, 1).query.x;
    const [a, b] = noGrad(() => [net.call(x) as Tensor, encoder.call(x) as Tensor]);
    assertClose(b, a, { rtol: 2e-2, atol: 2e-2 });
    assert.throws(() => loadEncoder(bytesOf(serializeSafetensors({ w: tensor([1]) })), 'x.safetensors'), /x\.safetensors: no features\.0\.0\.weight/);
  });

  it('protonet is ProtoNet.adapt; protomaml with 0 steps gives the same probabilities; steps change them; head fits the support', () => {
    const { bytes } = encoderBytes(5);
    const { encoder } = loadEncoder(bytes);
    const t = task(new Rng(6), 5, 1, 3);
    const p = adaptOneShot(encoder, t.support, { method: 'protonet' })(t.query.x);
    assertClose(p, new ProtoNet({ encoder }).adapt(t.support)(t.query.x));
    const probs = probabilities(p);
    assert.equal(probs.length, 15);
    for (const row of probs) assert.ok(Math.abs(row.reduce((a, v) => a + v, 0) - 1) < 1e-9);
    const m0 = probabilities(adaptOneShot(encoder, t.support, { method: 'protomaml', mamlSteps: 0 })(t.query.x));
    assertClose(m0.flatMap((r) => Array.from(r)), probs.flatMap((r) => Array.from(r)), { atol: 1e-4, rtol: 1e-3, msg: 'W = 2c, b = −‖c‖² is the prototype classifier' });
    // classes 0 and 1 with the same example: the prototype head cannot separate them, so the support loss has a gradient
    const xs = t.support.x.data.slice() as Float32Array;
    xs.copyWithin(784, 0, 784);
    const hard = { x: tensor(xs, { shape: t.support.x.shape }), y: t.support.y };
    const h0 = probabilities(adaptOneShot(encoder, hard, { method: 'protomaml', mamlSteps: 0 })(t.query.x));
    const h5 = probabilities(adaptOneShot(encoder, hard, { method: 'protomaml', mamlSteps: 5, mamlLr: 0.5 })(t.query.x));
    const moved = Math.max(...h5.flatMap((r, i) => Array.from(r, (v, j) => Math.abs(v - h0[i]![j]!))));
    const again = probabilities(adaptOneShot(encoder, hard, { method: 'protomaml', mamlSteps: 0 })(t.query.x));
    assert.deepEqual(again, h0, 'deterministic, so any change below is the steps\' doing');
    assert.ok(moved > 1e-5, `MAML steps move the classifier (largest change ${moved})`);
    // the head on the shipped encoder's features (a random encoder's are too small for Baseline's recipe to fit in 100 epochs)
    const shipped = loadEncoder(new Uint8Array(readFileSync(repoPath('play', 'checkpoints', 'protonet-omniglot-5w1s.f16.safetensors')))).encoder;
    const head = adaptOneShot(shipped, t.support, { method: 'head' })(t.support.x);
    assert.deepEqual(head.shape, [5, 5]);
    const fit = probabilities(head).map((r) => r.indexOf(Math.max(...r)));
    assert.deepEqual(fit, [0, 1, 2, 3, 4], 'the fitted head classifies its own support');
    assert.throws(() => adaptOneShot(encoder, t.support, { method: 'nope' as 'head' }), /unknown method "nope"/);
    assert.throws(() => adaptOneShot(encoder, t.support, { method: 'protomaml', mamlSteps: -1 }), /mamlSteps/);
  });
});

describe('play: the static server', () => {
  const root = mkdtempSync(join(tmpdir(), 'adaptlab-play-'));
  mkdirSync(join(root, 'site', 'checkpoints'), { recursive: true });
  writeFileSync(join(root, 'site', 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(root, 'site', 'app.js'), 'export {};');
  writeFileSync(join(root, 'site', 'checkpoints', 'm.safetensors'), new Uint8Array([1, 2, 3]));
  writeFileSync(join(root, 'secret.txt'), 'outside');
  symlinkSync(join(root, 'secret.txt'), join(root, 'site', 'link.txt'));
  const site = join(root, 'site');

  it('resolveStaticPath names files inside the folder only', () => {
    assert.equal(resolveStaticPath(site, '/'), join(site, 'index.html'));
    assert.equal(resolveStaticPath(site, '/app.js?v=1'), join(site, 'app.js'));
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/checkpoints/../../secret.txt', '/..%2fsecret.txt', '/link.txt', '/nope.js', '/a%00.js', '/%E0%A4%A', '..\\secret.txt', '/..\\secret.txt', 'http://x/../secret.txt']) {
      assert.equal(resolveStaticPath(site, p), null, p);
    }
  });

  it('serves GET/HEAD with MIME types on 127.0.0.1, 404 outside the folder, 405 for other methods', async () => {
    const s = await serveStatic({ root: site, port: 0 });
    const get = (path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> => new Promise((ok, fail) => {
      const req = request({ host: '127.0.0.1', port: s.port, path, method }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString('latin1'); });
        res.on('end', () => ok({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      });
      req.on('error', fail);
      req.end();
    });
    try {
      assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal(s.server.address() && typeof s.server.address() === 'object' ? (s.server.address() as { address: string }).address : '', '127.0.0.1');
      const index = await get('/');
      assert.equal(index.status, 200);
      assert.equal(index.type, 'text/html; charset=utf-8');
      assert.equal((await get('/app.js')).type, 'text/javascript; charset=utf-8');
      const ck = await get('/checkpoints/m.safetensors');
      assert.equal(ck.type, 'application/octet-stream');
      assert.equal(ck.body, '\x01\x02\x03');
      for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/checkpoints/%2e%2e/%2e%2e/secret.txt', '/link.txt']) {
        const r = await get(p);
        assert.equal(r.status, 404, p);
        assert.ok(!r.body.includes('outside'), p);
      }
      assert.equal((await get('/', 'POST')).status, 405);
      assert.equal((await get('/', 'HEAD')).status, 200);
    } finally {
      await s.close();
    }
  });

  it('`adaptlab play --port 0 --json` prints its address and serves the built playground until SIGTERM', async () => {
    const child = spawn(process.execPath, [repoPath('bin', 'adaptlab.js'), 'play', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((ok, fail) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => { out += c.toString(); if (out.includes('\n')) ok(out.split('\n')[0]!); });
        child.on('exit', (code) => fail(new Error(`exited ${code}`)));
      });
      const info = JSON.parse(line) as { url: string; port: number; dir: string };
      assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal(info.dir, repoPath('dist', 'play'));
      const res = await fetch(`${info.url}checkpoints/provenance.json`);
      assert.equal(res.status, 200);
      assert.equal((await res.json() as { file: string }).file, 'protonet-omniglot-5w1s.f16.safetensors');
      const code = await new Promise<number | null>((ok) => { child.on('exit', ok); child.kill('SIGTERM'); });
      assert.equal(code, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('usage errors exit 2', async () => {
    const code = await new Promise<number | null>((ok) => {
      spawn(process.execPath, [repoPath('bin', 'adaptlab.js'), 'play', '--port', '70000'], { stdio: 'ignore' }).on('exit', ok);
    });
    assert.equal(code, 2);
  });

  after(() => rmSync(root, { recursive: true, force: true }));
});

describe('play: the browser bundle', () => {
  const bundle = repoPath('dist', 'browser', 'adaptlab.js');

  it('exists (npm test builds it), names no Node-only module, and is what dist/play serves', async () => {
    assert.ok(existsSync(bundle), `${bundle} is missing: npm test runs scripts/build-browser.mjs after tsc`);
    const { nodeOnlyReferences } = (await import(pathToFileURL(repoPath('scripts', 'build-browser.mjs')).href)) as { nodeOnlyReferences: (t: string) => string[] };
    const text = readFileSync(bundle, 'utf8');
    assert.deepEqual(nodeOnlyReferences(text), []);
    assert.deepEqual(nodeOnlyReferences('import{a}from"node:fs";const r=createRequire(x)'), ['"node:fs"', 'createRequire'], 'the scan finds them');
    assert.equal(readFileSync(repoPath('dist', 'play', 'adaptlab.js'), 'utf8'), text);
    for (const f of ['index.html', 'app.js', 'style.css', 'checkpoints/protonet-omniglot-5w1s.f16.safetensors', 'checkpoints/provenance.json']) {
      assert.ok(existsSync(repoPath('dist', 'play', f)), f);
    }
  });

  it('runs on the ts kernels and computes what the Node library computes on them', async () => {
    const m = (await import(pathToFileURL(bundle).href)) as typeof import('../src/browser.js');
    assert.equal(m.backendInfo().name, 'ts');
    assert.throws(() => m.setBackend('native'), (e: Error) => e.name === 'BackendError' && /not part of the browser build/.test(e.message));
    const bytes = new Uint8Array(readFileSync(repoPath('play', 'checkpoints', 'protonet-omniglot-5w1s.f16.safetensors')));
    const t = task(new Rng(7), 5, 1, 2);
    const inBundle = m.adaptOneShot(m.loadEncoder(bytes).encoder, { x: m.tensor(t.support.x.data, { shape: t.support.x.shape }), y: m.tensor(t.support.y.data, { shape: t.support.y.shape }) })(m.tensor(t.query.x.data, { shape: t.query.x.shape }));
    const inNode = withBackend('ts', () => adaptOneShot(loadEncoder(bytes).encoder, t.support)(t.query.x));
    assert.deepEqual(Array.from(inBundle.data), Array.from(inNode.data), 'same kernels, same numbers');
  });
});
