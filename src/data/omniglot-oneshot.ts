// The official Omniglot 20-way one-shot benchmark (all_runs.zip): 20 runs as a fixed set of evaluation episodes.
import { tensor } from '../engine/create.js';
import { FormatError } from '../core/errors.js';
import type { Batch } from './dataset.js';
import type { DatasetEpisode } from './episodes.js';
import { decodePng, maxImageFileBytes, type Image } from './image.js';
import { invert, resize, writeFloat, type ResizeFilter } from './transforms.js';
import { ZipArchive } from './zip.js';

/** One run: 20 training images (one per class) and 20 test items, each answered by a training class. */
export interface OneShotRun {
  run: number;
  training: Image[];
  test: Image[];
  /** For test item t, the index (0..19) of its training class. */
  answers: Int32Array;
}

const ITEM = /^run(\d\d)\/(training|test)\/(class|item)(\d\d)\.png$/;

/**
 * Read `all_runs.zip` from Lake et al. (2015)'s one-shot classification benchmark: runs `runNN/training/classNN.png`,
 * `runNN/test/itemNN.png` and `runNN/class_labels.txt` (lines `runNN/test/itemMM.png runNN/training/classKK.png`).
 * Images are preprocessed like the training data (default 28×28, inverted).
 * @example const runs = loadOneShotRuns('all_runs.zip'); runs.length // 20
 */
export function loadOneShotRuns(file: string, opts: { size?: number | null; invert?: boolean; filter?: ResizeFilter } = {}): OneShotRun[] {
  const zip = ZipArchive.open(file);
  const size = opts.size === undefined ? 28 : opts.size;
  const prep = (name: string): Image => {
    let img = decodePng(zip.read(name, maxImageFileBytes()), `${file}:${name}`, 1);
    if (opts.invert ?? true) img = invert(img);
    if (size !== null && (img.height !== size || img.width !== size)) img = resize(img, size, size, opts.filter ?? 'triangle');
    return img;
  };
  const runs = new Map<number, { training: Map<number, string>; test: Map<number, string>; labels: string | null }>();
  for (const e of zip.files()) {
    const m = ITEM.exec(e.name);
    const lm = /^run(\d\d)\/class_labels\.txt$/.exec(e.name);
    const r = Number((m ?? lm)?.[1] ?? NaN);
    if (Number.isNaN(r)) continue;
    if (!runs.has(r)) runs.set(r, { training: new Map(), test: new Map(), labels: null });
    const run = runs.get(r)!;
    if (lm) run.labels = e.name;
    else if (m) (m[2] === 'training' ? run.training : run.test).set(Number(m[4]), e.name);
  }
  if (runs.size === 0) throw new FormatError(file, 'no runNN/ folders: not the one-shot benchmark (all_runs.zip)');
  const out: OneShotRun[] = [];
  for (const r of [...runs.keys()].sort((a, b) => a - b)) {
    const run = runs.get(r)!;
    const where = `${file}: run${String(r).padStart(2, '0')}`;
    if (!run.labels) throw new FormatError(file, `run${String(r).padStart(2, '0')} has no class_labels.txt`);
    const classes = [...run.training.keys()].sort((a, b) => a - b);
    const items = [...run.test.keys()].sort((a, b) => a - b);
    const answers = new Int32Array(items.length).fill(-1);
    for (const line of zip.read(run.labels).toString('utf8').split(/\r?\n/)) {
      const t = line.trim();
      if (!t) continue;
      const m = /^run\d\d\/test\/item(\d\d)\.png\s+run\d\d\/training\/class(\d\d)\.png$/.exec(t);
      if (!m) throw new FormatError(`${where}/class_labels.txt`, `unexpected line "${t}"`);
      const ti = items.indexOf(Number(m[1])), ci = classes.indexOf(Number(m[2]));
      if (ti < 0 || ci < 0) throw new FormatError(`${where}/class_labels.txt`, `line "${t}" names a missing image`);
      answers[ti] = ci;
    }
    if (answers.some((a) => a < 0)) throw new FormatError(`${where}/class_labels.txt`, 'some test items have no answer');
    out.push({
      run: r,
      training: classes.map((c) => prep(run.training.get(c)!)),
      test: items.map((t) => prep(run.test.get(t)!)),
      answers,
    });
  }
  return out;
}

function toBatch(images: Image[], labels: ArrayLike<number>): Batch {
  const { channels: c, height: h, width: w } = images[0]!;
  const x = new Float32Array(images.length * c * h * w);
  images.forEach((img, k) => writeFloat(img, x, k * c * h * w));
  return { x: tensor(x, { shape: [images.length, c, h, w] }), y: tensor(Int32Array.from(labels), { shape: [images.length] }) };
}

/**
 * The runs as fixed 20-way 1-shot episodes: support = the 20 training images (labels 0..19),
 * query = the 20 test items labelled with their answers. Identical on every machine (no randomness).
 */
export function oneShotEpisodes(runs: readonly OneShotRun[]): DatasetEpisode[] {
  return runs.map((r) => {
    const ways = r.training.length;
    const support = Int32Array.from({ length: ways }, (_, k) => k);
    return {
      support: toBatch(r.training, support),
      query: toBatch(r.test, r.answers),
      classes: support,
      ways,
      shots: 1,
      queries: 1,
      indices: { classes: support, support, query: Int32Array.from(r.answers), rotations: null },
    };
  });
}
