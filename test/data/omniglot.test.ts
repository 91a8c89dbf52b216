// Omniglot on the shared data: totals, alphabets, split presets and their counts, PNG zips vs .npz pixels, one-shot runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ArgumentError } from '../../src/core/errors.js';
import { decodePng } from '../../src/data/image.js';
import { NpzFile } from '../../src/data/npy.js';
import { OMNIGLOT_ALPHABETS } from '../../src/data/omniglot-alphabets.js';
import { loadOmniglot, omniglotCharacter } from '../../src/data/omniglot.js';
import { loadOneShotRuns } from '../../src/data/omniglot-oneshot.js';
import { omniglotSplits, vinyalsCharacters } from '../../src/data/omniglot-splits.js';
import { ZipArchive } from '../../src/data/zip.js';
import { needShared, shared, tempDir } from './helpers.js';

const NPZ = ['omniglot/images_background.npz', 'omniglot/images_evaluation.npz'];
const noNpz = needShared(...NPZ);

test('alphabet table equals alphabets.tsv', { skip: needShared('omniglot/alphabets.tsv') }, () => {
  const rows = readFileSync(shared('omniglot/alphabets.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  assert.equal(rows.length, 50);
  assert.deepEqual(OMNIGLOT_ALPHABETS.map((a) => [a.set, a.name, a.firstId, a.count]), rows.map((r) => [r[0], r[1], Number(r[2]), Number(r[4])]));
});

test('Omniglot .npz: 1,623 characters, 32,460 images, 964/659, 30/20 alphabets (no decoding)', { skip: noNpz }, () => {
  const ds = loadOmniglot(shared('omniglot'), { cacheDir: false });
  assert.equal(ds.classes.length, 1623);
  assert.equal(ds.length, 32460);
  assert.equal(ds.labels.length, 32460);
  assert.equal(ds.classesOfSet('background').length, 964);
  assert.equal(ds.classesOfSet('evaluation').length, 659);
  assert.equal(new Set(ds.characters.filter((c) => c.set === 'background').map((c) => c.alphabet)).size, 30);
  assert.equal(new Set(ds.characters.filter((c) => c.set === 'evaluation').map((c) => c.alphabet)).size, 20);
  assert.deepEqual(ds.imageShape, [1, 28, 28]);
  const perClass = new Int32Array(1623);
  for (const l of ds.labels) perClass[l]!++;
  assert.ok(perClass.every((c) => c === 20), 'every character has 20 drawings');
  assert.equal(ds.classes[107], 'Balinese/character01');
});

function chars(names: readonly string[]): Set<string> {
  return new Set(names.map((n) => n.replace(/\/rot\d{3}$/, '')));
}

function assertDisjoint(a: Set<string>, b: Set<string>, what: string): void {
  for (const x of a) assert.ok(!b.has(x), `${what}: character ${x} is in both splits`);
}

test('split presets: every count, no character crosses splits', { skip: noNpz }, () => {
  const ds = loadOmniglot(shared('omniglot'), { cacheDir: false });
  const lake = omniglotSplits(ds, 'lake');
  assert.equal(lake.train.classes.length, 964);
  assert.equal(lake.test.classes.length, 659);
  assert.equal(lake.train.length, 964 * 20);
  assert.equal(lake.val, null);
  assertDisjoint(chars(lake.train.classes), chars(lake.test.classes), 'lake');

  const vin = omniglotSplits(ds, 'vinyals');
  assert.equal(vin.characters.train.length, 1200);
  assert.equal(vin.characters.test.length, 423);
  assert.equal(vin.train.classes.length, 4800);
  assert.equal(vin.test.classes.length, 1692);
  assert.equal(vin.train.length, 4800 * 20);
  assert.equal(vin.test.length, 1692 * 20);
  assertDisjoint(chars(vin.train.classes), chars(vin.test.classes), 'vinyals');

  const sn = omniglotSplits(ds, 'snell');
  assert.deepEqual([sn.characters.train.length, sn.characters.val.length, sn.characters.test.length], [1028, 172, 423]);
  assert.deepEqual([sn.train.classes.length, sn.val!.classes.length, sn.test.classes.length], [4112, 688, 1692]);
  assertDisjoint(chars(sn.train.classes), chars(sn.val!.classes), 'snell train/val');
  assertDisjoint(chars(sn.train.classes), chars(sn.test.classes), 'snell train/test');
  assertDisjoint(chars(sn.val!.classes), chars(sn.test.classes), 'snell val/test');
  assert.deepEqual([...new Set(sn.characters.val.map((c) => c.split('/')[0]))].sort(), ['Armenian', 'Bengali', 'Early_Aramaic', 'Hebrew', 'Mkhedruli_(Georgian)']);

  const maml = omniglotSplits(ds, 'maml', { seed: 1 });
  assert.deepEqual([maml.train.classes.length, maml.val!.classes.length, maml.test.classes.length], [1100, 100, 423]);
  assert.equal(maml.rotateTasks, true);
  assertDisjoint(chars(maml.train.classes), chars(maml.val!.classes), 'maml train/val');
  assertDisjoint(chars(maml.train.classes), chars(maml.test.classes), 'maml train/test');
  assertDisjoint(chars(maml.val!.classes), chars(maml.test.classes), 'maml val/test');
  assert.equal(chars([...maml.train.classes, ...maml.val!.classes, ...maml.test.classes]).size, 1623);
  const again = omniglotSplits(ds, 'maml', { seed: 1 });
  assert.deepEqual(again.characters, maml.characters, 'same seed, same split');
  assert.notDeepEqual(omniglotSplits(ds, 'maml', { seed: 2 }).characters.test, maml.characters.test, 'another seed, another split');

});

test('Vinyals/Snell rules reproduce the published split files exactly', { skip: needShared(...NPZ, 'omniglot/vinyals-split/train.txt') }, () => {
  const ds = loadOmniglot(shared('omniglot'), { cacheDir: false });
  const v = vinyalsCharacters(ds);
  const read = (s: string): string[] => readFileSync(shared(`omniglot/vinyals-split/${s}.txt`), 'utf8').trim().split('\n');
  const rot = (l: string[]): string[] => l.flatMap((n) => ['000', '090', '180', '270'].map((r) => `${n}/rot${r}`));
  // the files list alphabets in directory order, so compare as sorted lists
  const sorted = (l: string[]): string[] => l.slice().sort();
  assert.deepEqual(sorted(rot(v.trainval)), sorted(read('trainval')));
  assert.deepEqual(sorted(rot(v.train)), sorted(read('train')));
  assert.deepEqual(sorted(rot(v.val)), sorted(read('val')));
  assert.deepEqual(sorted(rot(v.test)), sorted(read('test')));
  const fromFiles = omniglotSplits(ds, 'snell', { splitDir: shared('omniglot/vinyals-split') });
  assert.match(fromFiles.origin, /split files/);
  assert.deepEqual(fromFiles.test.classes, read('test'));
});

test('presets need all characters', { skip: needShared('omniglot/images_background.npz') }, () => {
  const bg = loadOmniglot(shared('omniglot/images_background.npz'), { cacheDir: false });
  assert.equal(bg.classes.length, 964);
  assert.throws(() => omniglotSplits(bg, 'vinyals'), ArgumentError);
  assert.throws(() => omniglotSplits(bg, 'lake'), ArgumentError);
});

test('.npz images equal the PNGs of the small zips, pixel for pixel', { skip: needShared(...NPZ, 'omniglot/images_background_small1.zip', 'omniglot/images_background_small2.zip') }, () => {
  const { bytes } = NpzFile.open(shared(NPZ[0]!)).getBytes('images');
  let compared = 0;
  for (const s of ['small1', 'small2']) {
    const file = shared(`omniglot/images_background_${s}.zip`);
    const zip = ZipArchive.open(file);
    for (const e of zip.files()) {
      const m = /(\d{4})_(\d{2})\.png$/.exec(e.name);
      if (!m) continue;
      const id = Number(m[1]), d = Number(m[2]) - 1;
      const img = decodePng(zip.read(e), e.name, 1);
      const off = ((id - 1) * 20 + d) * 11025;
      for (let k = 0; k < 11025; k++) {
        if ((img.data[k]! ? 1 : 0) !== (bytes[off + k] ? 1 : 0)) assert.fail(`${e.name}: pixel ${k} differs from the .npz`);
      }
      compared++;
    }
  }
  assert.equal(compared, 2720 + 3120);
});

test('small zips: counts, alphabets, zip = extracted tree, cache round trip', { skip: needShared('omniglot/images_background_small1.zip', 'omniglot/images_background_small2.zip') }, () => {
  const { dir, cleanup } = tempDir();
  try {
    const s1 = loadOmniglot(shared('omniglot/images_background_small1.zip'), { cacheDir: join(dir, 'cache') });
    assert.equal(s1.length, 2720);
    assert.equal(s1.classes.length, 136);
    assert.deepEqual([...s1.alphabets].sort(), ['Balinese', 'Early_Aramaic', 'Greek', 'Korean', 'Latin']);
    const s2 = loadOmniglot(shared('omniglot/images_background_small2.zip'), { cacheDir: false });
    assert.equal(s2.length, 3120);
    assert.equal(s2.classes.length, 156);
    assert.deepEqual([...s2.alphabets].sort(), ['Greek', 'Japanese_(katakana)', 'Latin', 'Sanskrit', 'Tagalog']);
    assert.deepEqual(s1.cacheState().map((c) => c.cached), [false]);
    s1.load();
    assert.deepEqual(s1.cacheState().map((c) => c.cached), [true]);
    // extract with our own reader into a tree and load that
    const zip = ZipArchive.open(shared('omniglot/images_background_small1.zip'));
    for (const e of zip.files()) {
      const out = join(dir, 'tree', e.name);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, zip.read(e));
    }
    const tree = loadOmniglot(join(dir, 'tree', 'images_background_small1'), { cacheDir: false });
    assert.deepEqual(tree.classes, s1.classes);
    assert.deepEqual(Buffer.from(tree.images), Buffer.from(s1.images), 'tree and zip decode to the same pixels');
    // a second load comes from the cache and is identical
    const again = loadOmniglot(shared('omniglot/images_background_small1.zip'), { cacheDir: join(dir, 'cache') });
    assert.deepEqual(again.cacheState().map((c) => c.cached), [true]);
    assert.deepEqual(Buffer.from(again.images), Buffer.from(s1.images));
    // inverted, anti-aliased 28×28: ink is bright, background 0, and grey levels exist (not nearest-neighbour)
    const px = s1.images;
    let sum = 0, grey = 0;
    for (const v of px) { sum += v; if (v > 0 && v < 255) grey++; }
    const mean = sum / px.length / 255;
    assert.ok(mean > 0.05 && mean < 0.3, `mean ink ${mean}`);
    assert.ok(grey / px.length > 0.05, 'anti-aliasing leaves grey edges');
    assert.equal(s1.get(0).image.data[0], 0, 'corner is background (0 after inversion)');
  } finally {
    cleanup();
  }
});

test('one-shot benchmark: 20 runs of 20-way within-alphabet one-shot, images from the evaluation set', { skip: needShared('omniglot/all_runs.zip', NPZ[1]!) }, () => {
  const runs = loadOneShotRuns(shared('omniglot/all_runs.zip'), { size: null, invert: false });
  assert.equal(runs.length, 20);
  const { bytes } = NpzFile.open(shared(NPZ[1]!)).getBytes('images');
  const index = new Map<string, number>();
  // NumPy bool bytes are "non-zero = True" (this file stores 0xFF), so compare as 0/1
  const bits = new Uint8Array(11025);
  const key = (src: Uint8Array, off: number): string => {
    for (let k = 0; k < 11025; k++) bits[k] = src[off + k] ? 1 : 0;
    return createHash('sha1').update(bits).digest('hex');
  };
  for (let i = 0; i < 13180; i++) index.set(key(bytes, i * 11025), i);
  const idOf = (data: Uint8Array): number => {
    const i = index.get(key(data, 0));
    assert.ok(i !== undefined, 'every benchmark image occurs in images_evaluation.npz');
    return 965 + Math.floor(i / 20);
  };
  for (const r of runs) {
    assert.equal(r.training.length, 20);
    assert.equal(r.test.length, 20);
    assert.deepEqual([...r.answers].sort((a, b) => a - b), Array.from({ length: 20 }, (_, k) => k), 'one test item per class');
    const trainIds = r.training.map((img) => idOf(img.data));
    assert.equal(new Set(trainIds).size, 20, '20 distinct characters');
    assert.equal(new Set(trainIds.map((id) => omniglotCharacter(id).alphabet)).size, 1, 'within one alphabet');
    r.test.forEach((img, t) => assert.equal(idOf(img.data), trainIds[r.answers[t]!], 'test item is the answered character'));
  }
});
