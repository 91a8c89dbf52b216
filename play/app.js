// The playground's page logic: drawing pads and uploads → 28×28 Omniglot-style images → adapt on the support → classify queries.
import {
  adaptOneShot, backendInfo, imagesToTensor, loadEncoder, ONE_SHOT_METHODS, preprocessRGBA, probabilities, supportLabels,
} from './adaptlab.js';

const CHECKPOINT = 'checkpoints/protonet-omniglot-5w1s.f16.safetensors';
const PROVENANCE = 'checkpoints/provenance.json';
const MAX_PIXELS = 1 << 24; // the data layer's decoding cap
const COLORS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324', '#469990', '#808000'];

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  for (const c of children) e.append(c);
  return e;
};

/** Everything the page knows; examples are 28×28 uint8 images, ink bright. */
const state = {
  encoder: null,
  ways: 5,
  shots: 1,
  method: 'protonet',
  mamlSteps: 5,
  /** per class: examples kept with Add or by upload */
  kept: [],
  /** per class: the image on its pad, or null when the pad is empty */
  pads: [],
  /** uploaded queries, in file order */
  queries: [],
  /** the drawn query, or null */
  drawn: null,
  /** the adapted predictor and what it was adapted on */
  adapted: null,
  timings: { adaptMs: null, inferMs: null, perQueryMs: null },
};

// ---- drawing pads -------------------------------------------------------------------------------------------------

/** A canvas to draw on with mouse, pen or touch (black ink on white, like Omniglot's drawings). */
function makePad(canvas, onChange) {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  let drawing = false, empty = true, last = null;
  const clear = () => {
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    empty = true;
  };
  const at = (ev) => {
    const r = canvas.getBoundingClientRect();
    return [(ev.clientX - r.left) * (canvas.width / r.width), (ev.clientY - r.top) * (canvas.height / r.height)];
  };
  const line = (a, b) => {
    ctx.strokeStyle = '#000';
    ctx.lineWidth = canvas.width / 22; // ≈ 5 px at Omniglot's 105 px: about 1.3 px at 28, as its strokes
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
  };
  canvas.addEventListener('pointerdown', (ev) => {
    ev.preventDefault();
    canvas.setPointerCapture(ev.pointerId);
    drawing = true;
    last = at(ev);
    line(last, last);
    empty = false;
  });
  canvas.addEventListener('pointermove', (ev) => {
    if (!drawing) return;
    const p = at(ev);
    line(last, p);
    last = p;
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    onChange();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  clear();
  return {
    clear,
    isEmpty: () => empty,
    /** the drawing as an Omniglot-style 28×28 image */
    image: () => (empty ? null : preprocessRGBA(ctx.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height).image),
  };
}

/** A 28×28 image as a small canvas (pixelated when scaled up by CSS). */
function thumbnail(image, title = '') {
  const c = el('canvas', { width: image.width, height: image.height, className: 'thumb', title });
  const ctx = c.getContext('2d');
  const id = ctx.createImageData(image.width, image.height);
  for (let i = 0; i < image.data.length; i++) {
    const v = image.data[i];
    id.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(id, 0, 0);
  return c;
}

// ---- uploads --------------------------------------------------------------------------------------------------------

/** An uploaded file → RGBA pixels → the same preprocessing as a drawing. */
async function imageFromFile(file) {
  const bmp = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  try {
    if (bmp.width * bmp.height > MAX_PIXELS) throw new Error(`${file.name}: ${bmp.width}×${bmp.height} is too large`);
    const c = el('canvas', { width: bmp.width, height: bmp.height });
    const ctx = c.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bmp, 0, 0);
    return preprocessRGBA(ctx.getImageData(0, 0, bmp.width, bmp.height).data, bmp.width, bmp.height).image;
  } finally {
    bmp.close();
  }
}

/** Decode files in order; a file that is not an image is reported in the status line and skipped. */
async function imagesFromFiles(files) {
  const out = [];
  for (const f of files) {
    try {
      out.push(await imageFromFile(f));
    } catch (e) {
      setStatus(`could not read ${f.name}: ${e.message}`, true);
    }
  }
  return out;
}

// ---- the support set ----------------------------------------------------------------------------------------------

const pads = [];

function buildSupport() {
  const root = $('#support');
  root.replaceChildren();
  pads.length = 0;
  state.kept = Array.from({ length: state.ways }, () => []);
  state.pads = Array.from({ length: state.ways }, () => null);
  for (let k = 0; k < state.ways; k++) {
    const canvas = el('canvas', { className: 'pad', width: 210, height: 210 });
    canvas.setAttribute('aria-label', `draw an example of class ${k + 1}`);
    const pad = makePad(canvas, () => { state.pads[k] = pad.image(); supportChanged(); });
    pads.push(pad);
    const input = el('input', { type: 'file', accept: 'image/*', multiple: true });
    input.addEventListener('change', async () => {
      const files = [...input.files];
      input.value = '';
      await busy(async () => {
        state.kept[k].push(...(await imagesFromFiles(files)));
        supportChanged();
      });
    });
    const add = el('button', { type: 'button', textContent: 'Add', title: 'keep this drawing and clear the pad for another example' });
    add.addEventListener('click', () => {
      const img = pad.image();
      if (!img) return;
      state.kept[k].push(img);
      pad.clear();
      state.pads[k] = null;
      supportChanged();
    });
    const clear = el('button', { type: 'button', textContent: 'Clear' });
    clear.addEventListener('click', () => { pad.clear(); state.pads[k] = null; supportChanged(); });
    const forget = el('button', { type: 'button', textContent: 'Forget', title: 'remove the kept examples of this class' });
    forget.addEventListener('click', () => { state.kept[k] = []; supportChanged(); });
    const card = el('div', { className: 'card class-card' },
      el('h3', {}, el('span', { className: 'swatch', style: `background:${COLORS[k % COLORS.length]}` }), `class ${k + 1}`, el('span', { className: 'count' })),
      canvas,
      el('div', { className: 'buttons' }, add, clear, forget, el('label', { className: 'upload' }, 'Upload', input)),
      el('div', { className: 'examples' }));
    card.dataset.class = String(k);
    root.append(card);
  }
  $('#setting').textContent = `${state.ways}-way ${state.shots}-shot`;
  supportChanged();
}

/** Each class's examples: those kept, then the one on its pad. */
function supportImages() {
  return state.kept.map((kept, k) => (state.pads[k] ? [...kept, state.pads[k]] : kept));
}

function supportChanged() {
  state.adapted = null;
  const sets = supportImages();
  document.querySelectorAll('.class-card').forEach((card, k) => {
    const ex = $('.examples', card);
    ex.replaceChildren(...state.kept[k].map((img, i) => thumbnail(img, `kept example ${i + 1}`)), ...(state.pads[k] ? [thumbnail(state.pads[k], 'the pad')] : []));
    const n = sets[k].length;
    const count = $('.count', card);
    count.textContent = ` ${n}/${state.shots}`;
    count.className = `count ${n >= state.shots ? 'full' : n > 0 ? 'part' : ''}`;
  });
  classifyAll();
}

// ---- adaptation and classification ----------------------------------------------------------------------------------

function ready() {
  return state.encoder !== null && supportImages().every((s) => s.length > 0);
}

/** Adapt on the current support (cached until the support or the method changes). */
function adapted() {
  if (state.adapted) return state.adapted;
  const sets = supportImages();
  const t0 = performance.now();
  const x = imagesToTensor(sets.flat());
  const y = supportLabels(sets.map((s) => s.length));
  const predict = adaptOneShot(state.encoder, { x, y }, { method: state.method, mamlSteps: state.mamlSteps });
  state.timings.adaptMs = performance.now() - t0;
  state.adapted = predict;
  return predict;
}

/** Probabilities for a list of images (one batch). */
function classify(images) {
  const predict = adapted();
  const t0 = performance.now();
  const probs = probabilities(predict(imagesToTensor(images)));
  const ms = performance.now() - t0;
  return { probs, ms };
}

function argmax(p) {
  let best = 0;
  for (let j = 1; j < p.length; j++) if (p[j] > p[best]) best = j;
  return best;
}

function bars(p) {
  return el('div', { className: 'bars' }, ...Array.from(p, (v, j) => el('div', { className: 'bar-row' },
    el('span', { className: 'bar-label', textContent: `${j + 1}` }),
    el('span', { className: 'bar', style: `width:${(100 * v).toFixed(1)}%;background:${COLORS[j % COLORS.length]}` }),
    el('span', { className: 'bar-value', textContent: `${(100 * v).toFixed(1)}%` }))));
}

function showPrediction() {
  const box = $('#prediction');
  if (!state.drawn) { box.replaceChildren(el('p', { className: 'help', textContent: ready() ? 'Draw a query.' : 'Draw a query once every class has an example.' })); return; }
  if (!ready()) { box.replaceChildren(el('p', { className: 'help', textContent: 'Every class needs an example first.' })); return; }
  const { probs: [p], ms } = classify([state.drawn]);
  state.timings.inferMs = ms;
  const k = argmax(p);
  const proto = supportImages()[k][0];
  box.replaceChildren(
    el('p', { className: 'predicted' }, 'looks like ', el('strong', { textContent: `class ${k + 1}` }), thumbnail(proto, `class ${k + 1}`), ` ${(100 * p[k]).toFixed(1)}%`),
    bars(p));
  box.dataset.pred = String(k);
  box.dataset.probs = JSON.stringify(Array.from(p));
}

function showResults() {
  const list = $('#results');
  if (!ready() || state.queries.length === 0) {
    list.replaceChildren();
    list.dataset.count = '0';
    state.timings.perQueryMs = null;
    return;
  }
  const { probs, ms } = classify(state.queries);
  state.timings.perQueryMs = ms / state.queries.length;
  list.replaceChildren(...probs.map((p, i) => {
    const k = argmax(p);
    const li = el('li', {}, thumbnail(state.queries[i], `query ${i + 1}`), ' → ', el('strong', { textContent: `class ${k + 1}` }), ` ${(100 * p[k]).toFixed(1)}%`);
    li.dataset.pred = String(k);
    li.dataset.probs = JSON.stringify(Array.from(p));
    return li;
  }));
  list.dataset.count = String(probs.length);
}

function showTimings() {
  const t = state.timings, box = $('#timings');
  const parts = [];
  if (t.adaptMs !== null) parts.push(`adaptation ${t.adaptMs.toFixed(1)} ms`);
  if (t.inferMs !== null) parts.push(`drawn query ${t.inferMs.toFixed(1)} ms`);
  if (t.perQueryMs !== null) parts.push(`uploaded queries ${t.perQueryMs.toFixed(2)} ms each (${state.queries.length} in one batch)`);
  box.textContent = parts.length ? `${ONE_SHOT_METHODS[state.method].split(':')[0]} on ${backendInfo().name} kernels: ${parts.join(' · ')}` : '';
  for (const [k, v] of Object.entries(t)) box.dataset[k] = v === null ? '' : v.toFixed(3);
}

let updates = 0;
function classifyAll() {
  state.timings = { adaptMs: null, inferMs: null, perQueryMs: null };
  try {
    showPrediction();
    showResults();
  } catch (e) {
    setStatus(`classification failed: ${e.message}`, true);
    throw e;
  }
  showTimings();
  document.body.dataset.updates = String(++updates);
}

/** Run an async step with the page marked busy (tests wait for data-busy="0"). */
async function busy(fn) {
  document.body.dataset.busy = '1';
  try {
    await fn();
  } finally {
    document.body.dataset.busy = '0';
  }
}

function setStatus(text, error = false) {
  const s = $('#status');
  s.textContent = text;
  s.classList.toggle('error', error);
}

/**
 * Median time of adapting on the current support and classifying one query, over `reps` repetitions (after one
 * warm-up), measured in this page: what the performance notes report.
 */
function benchmark(reps = 20) {
  if (!ready()) throw new Error('the support set is incomplete');
  const sets = supportImages();
  const q = state.drawn ?? sets[0][0];
  const x = imagesToTensor(sets.flat()), y = supportLabels(sets.map((s) => s.length));
  const adapt = [], infer = [], total = [];
  for (let r = 0; r <= reps; r++) {
    const t0 = performance.now();
    const predict = adaptOneShot(state.encoder, { x, y }, { method: state.method, mamlSteps: state.mamlSteps });
    const t1 = performance.now();
    probabilities(predict(imagesToTensor([q])));
    const t2 = performance.now();
    if (r === 0) continue;
    adapt.push(t1 - t0); infer.push(t2 - t1); total.push(t2 - t0);
  }
  const med = (a) => [...a].sort((u, v) => u - v)[a.length >> 1];
  return { method: state.method, reps, adaptMs: med(adapt), inferMs: med(infer), totalMs: med(total), backend: backendInfo().name };
}

// ---- controls -------------------------------------------------------------------------------------------------------

function readControls() {
  const int = (id, lo, hi, d) => {
    const v = Number($(id).value);
    return Number.isInteger(v) && v >= lo && v <= hi ? v : d;
  };
  state.method = $('#method').value;
  state.mamlSteps = int('#maml-steps', 0, 50, 5);
  $('#maml-steps-label').hidden = state.method !== 'protomaml';
  $('#method-help').textContent = ONE_SHOT_METHODS[state.method];
}

async function main() {
  const queryPad = makePad($('#query-pad'), () => { state.drawn = queryPad.image(); classifyAll(); });
  $('#query-clear').addEventListener('click', () => { queryPad.clear(); state.drawn = null; classifyAll(); });
  $('#query-upload').addEventListener('change', async (ev) => {
    const files = [...ev.target.files];
    ev.target.value = '';
    await busy(async () => {
      state.queries = await imagesFromFiles(files);
      classifyAll();
    });
  });
  $('#method').addEventListener('change', () => { readControls(); state.adapted = null; classifyAll(); });
  $('#maml-steps').addEventListener('change', () => { readControls(); state.adapted = null; classifyAll(); });
  const reshape = () => {
    const ways = Number($('#ways').value), shots = Number($('#shots').value);
    if (!(Number.isInteger(ways) && ways >= 2 && ways <= 20 && Number.isInteger(shots) && shots >= 1 && shots <= 10)) return;
    state.ways = ways;
    state.shots = shots;
    buildSupport();
  };
  $('#ways').addEventListener('change', reshape);
  $('#shots').addEventListener('change', reshape);
  $('#reset').addEventListener('click', () => {
    queryPad.clear();
    state.drawn = null;
    state.queries = [];
    buildSupport();
  });
  readControls();
  buildSupport();

  const [ckpt, prov] = await Promise.all([fetch(CHECKPOINT), fetch(PROVENANCE)]);
  if (!ckpt.ok) throw new Error(`${CHECKPOINT}: HTTP ${ckpt.status}`);
  const bytes = new Uint8Array(await ckpt.arrayBuffer());
  const t0 = performance.now();
  const { encoder } = loadEncoder(bytes, CHECKPOINT);
  const loadMs = performance.now() - t0;
  state.encoder = encoder;
  const params = encoder.parameters().reduce((a, p) => a + p.numel(), 0);
  setStatus(`model ready: Conv-4 ProtoNet encoder, ${(params / 1000).toFixed(0)}k parameters, ${(bytes.length / 1024).toFixed(0)} kB (float16), parsed in ${loadMs.toFixed(0)} ms; ${backendInfo().name} kernels.`);
  if (prov.ok) {
    const p = await prov.json();
    const acc = p.metaTest ? `${(100 * p.metaTest.accuracy).toFixed(1)} ± ${(100 * p.metaTest.ci95).toFixed(1)}% on ${p.metaTest.episodes} ${p.metaTest.ways}-way ${p.metaTest.shots}-shot test episodes of Omniglot's evaluation characters` : '';
    $('#provenance').textContent = `Checkpoint: ${p.description ?? ''} ${acc}. Trained with \`${p.command ?? '?'}\` (seed ${p.seed ?? '?'}, ${p.date ?? '?'}).`;
  }
  classifyAll();
}

window.adaptlabPlay = { state, benchmark };
main()
  .catch((e) => { setStatus(`the playground failed to start: ${e.message}`, true); throw e; })
  .finally(() => { document.body.dataset.busy = '0'; });
