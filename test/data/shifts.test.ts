// Distribution shifts: every corruption at every severity (shape, range, determinism, monotone strength), label and subpopulation shifts, task families.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError } from '../../src/core/errors.js';
import { Rng } from '../../src/engine/rng.js';
import { classCounts, ImageArrayDataset } from '../../src/data/dataset.js';
import { corrupt, corruptDataset, CORRUPTIONS, type Severity } from '../../src/data/corruptions.js';
import type { Image } from '../../src/data/image.js';
import { loadMnistPackage } from '../../src/data/mnist.js';
import { flipLabels, holdOutGroups, holdOutSubclasses, permuteLabels } from '../../src/data/shifts.js';
import { GaussianClassTasks, SinusoidTasks } from '../../src/data/tasks.js';

const SEVERITIES: Severity[] = [1, 2, 3, 4, 5];
const RANDOM = new Set(['gaussian_noise', 'shot_noise', 'impulse_noise', 'motion_blur', 'fog', 'elastic_transform']);

const mnist = loadMnistPackage({ cacheDir: false });
const digits = [0, 1500, 3000, 4500, 6000, 7500].map((i) => mnist.get(i).image as Image);
/** A 32×32 RGB image: gradients and a bright square. */
function rgbImage(): Image {
  const w = 32, n = w * w, d = new Uint8Array(3 * n);
  for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    d[i] = x * 8; d[n + i] = y * 8; d[2 * n + i] = x > 8 && x < 20 && y > 10 && y < 24 ? 230 : 40;
  }
  return { data: d, channels: 3, height: w, width: w };
}

function distance(a: Image<Uint8Array | Float32Array>, b: Image<Uint8Array | Float32Array>): number {
  let t = 0;
  for (let i = 0; i < a.data.length; i++) t += Math.abs(a.data[i]! - b.data[i]!);
  return t / a.data.length;
}

test('every corruption at every severity keeps shape and range, is seeded, and grows with severity', () => {
  const sets: [string, Image[]][] = [['gray digits', digits], ['rgb', [rgbImage()]]];
  for (const name of CORRUPTIONS) {
    for (const [label, imgs] of sets) {
      const dist = SEVERITIES.map((s) => {
        let t = 0;
        imgs.forEach((img, k) => {
          const out = corrupt(img, name, s, new Rng(100 + k));
          assert.ok(out.data instanceof Uint8Array);
          assert.deepEqual([out.channels, out.height, out.width, out.data.length], [img.channels, img.height, img.width, img.data.length]);
          assert.deepEqual([...corrupt(img, name, s, new Rng(100 + k)).data], [...out.data], `${name} s${s}: same seed, same image`);
          t += distance(out, img);
        });
        return t / imgs.length;
      });
      for (let s = 1; s < 5; s++) assert.ok(dist[s]! > dist[s - 1]!, `${name} on ${label}: distance must grow with severity, got ${dist.map((d) => d.toFixed(2)).join(' < ')}`);
      assert.ok(dist[0]! > 0, `${name} on ${label}: severity 1 changes the image`);
    }
    if (RANDOM.has(name)) {
      assert.notDeepEqual([...corrupt(digits[0]!, name, 3, new Rng(1)).data], [...corrupt(digits[0]!, name, 3, new Rng(2)).data], `${name}: another seed, another draw`);
    }
  }
});

test('float images stay float in [0, 1]', () => {
  const f = { data: Float32Array.from(rgbImage().data, (v) => v / 255), channels: 3, height: 32, width: 32 };
  for (const name of CORRUPTIONS) {
    const out = corrupt(f, name, 5, new Rng(0));
    assert.ok(out.data instanceof Float32Array);
    for (const v of out.data) assert.ok(v >= 0 && v <= 1, `${name}: value ${v} out of [0, 1]`);
  }
  assert.throws(() => corrupt(f, 'snow' as never, 1, new Rng(0)), ArgumentError);
  assert.throws(() => corrupt(f, 'fog', 6 as Severity, new Rng(0)), ArgumentError);
});

test('corruptDataset: random access, same image on every read, labels unchanged', () => {
  const c = corruptDataset(mnist, 'impulse_noise', 3, 9);
  assert.equal(c.length, mnist.length);
  assert.deepEqual([...c.get(42).image.data], [...c.get(42).image.data]);
  assert.notDeepEqual([...c.get(42).image.data], [...mnist.get(42).image.data]);
  assert.equal(c.get(42).label, mnist.labels[42]);
});

function toyDataset(classes: number, per: number): ImageArrayDataset {
  const n = classes * per;
  return new ImageArrayDataset(new Uint8Array(n), [n, 1, 1, 1], Int32Array.from({ length: n }, (_, i) => Math.floor(i / per)), Array.from({ length: classes }, (_, c) => `c${c}`));
}

test('label permutation and label flips', () => {
  const ds = toyDataset(10, 5);
  const { dataset, permutation } = permuteLabels(ds, new Rng(1));
  assert.notDeepEqual([...permutation], Array.from({ length: 10 }, (_, i) => i));
  assert.deepEqual([...permutation].sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i));
  for (let i = 0; i < ds.length; i++) assert.equal(dataset.labels[i], permutation[ds.labels[i]!]);
  assert.equal(dataset.classes[permutation[3]!], 'c3', 'class names follow their examples');
  const { dataset: noisy, flipped } = flipLabels(ds, { fraction: 0.3, rng: new Rng(2) });
  assert.equal(flipped.length, 15);
  let changed = 0;
  for (let i = 0; i < ds.length; i++) if (noisy.labels[i] !== ds.labels[i]) changed++;
  assert.equal(changed, 15, 'every flipped label differs');
  const { dataset: pairs } = flipLabels(ds, { fraction: 1, rng: new Rng(2), mode: 'pairs' });
  for (let i = 0; i < ds.length; i++) assert.equal(pairs.labels[i], (ds.labels[i]! + 1) % 10);
  assert.deepEqual([...flipLabels(ds, { fraction: 0.3, rng: new Rng(2) }).flipped], [...flipped], 'seeded');
});

test('subpopulation shift: disjoint sub-classes per group, group labels; held-out groups', () => {
  const ds = toyDataset(12, 3);
  const groupOf = Int32Array.from({ length: 12 }, (_, c) => c % 3); // 3 groups of 4 sub-classes
  const { source, target, sourceClasses, targetClasses } = holdOutSubclasses(ds, groupOf, { heldOut: 0.5, rng: new Rng(4) });
  assert.equal(sourceClasses.length, 6);
  assert.equal(targetClasses.length, 6);
  assert.equal(new Set([...sourceClasses, ...targetClasses]).size, 12);
  assert.deepEqual(source.classes, ['group0', 'group1', 'group2']);
  assert.deepEqual([...classCounts(source)], [6, 6, 6]);
  assert.deepEqual([...classCounts(target)], [6, 6, 6]);
  for (const g of [0, 1, 2]) assert.equal(targetClasses.filter((c) => groupOf[c] === g).length, 2);
  const { source: s2, target: t2 } = holdOutGroups(ds, groupOf, { groups: [1] });
  assert.equal(t2.classes.length, 4);
  assert.equal(s2.classes.length, 8);
  assert.ok(t2.classes.every((n) => !s2.classes.includes(n)));
  assert.throws(() => holdOutSubclasses(ds, groupOf, { heldOut: 1.5, rng: new Rng(0) }), ArgumentError);
});

test('sinusoid family uses MAML ranges; Gaussian classification family gives separable episodes', () => {
  const fam = new SinusoidTasks();
  const rng = new Rng(5);
  for (let t = 0; t < 200; t++) {
    const task = fam.sampleTask(rng);
    assert.ok(task.amplitude >= 0.1 && task.amplitude <= 5 && task.phase >= 0 && task.phase <= Math.PI);
    const { x, y } = fam.sample(task, 10, rng);
    assert.deepEqual(x.shape, [10, 1]);
    for (let i = 0; i < 10; i++) {
      const xi = x.data[i]!;
      assert.ok(xi >= -5 && xi <= 5);
      assert.ok(Math.abs((y.data[i]!) - task.amplitude * Math.sin(xi - task.phase)) < 1e-5);
    }
  }
  const g = new GaussianClassTasks({ dim: 4, ways: 3, spread: 5, noise: 0.5 });
  const ep = g.sampleEpisode(new Rng(6), { shots: 2, queries: 4 });
  assert.deepEqual(ep.support.x.shape, [6, 4]);
  assert.deepEqual([...ep.query.y.data], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
  // nearest class mean of the support classifies the queries (far-apart centres, small noise)
  const mean = (k: number): number[] => [0, 1, 2, 3].map((d) => (ep.support.x.data[(2 * k) * 4 + d]! + ep.support.x.data[(2 * k + 1) * 4 + d]!) / 2);
  const means = [0, 1, 2].map(mean);
  let correct = 0;
  for (let q = 0; q < 12; q++) {
    const dists = means.map((m) => m.reduce((a, v, d) => a + (v - ep.query.x.data[q * 4 + d]!) ** 2, 0));
    if (dists.indexOf(Math.min(...dists)) === ep.query.y.data[q]) correct++;
  }
  assert.ok(correct >= 11, `prototype accuracy ${correct}/12`);
  assert.deepEqual([...g.sampleEpisode(new Rng(6), { shots: 2, queries: 4 }).query.x.data], [...ep.query.x.data], 'seeded');
});
