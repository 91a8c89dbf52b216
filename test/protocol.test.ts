// The fine-tuning protocol: shifts of the target task, lr chosen on validation, seeds and Student-t intervals.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgumentError, Conv4, ImageArrayDataset, Rng, formatShift, parseShift, runProtocol, seedInterval, t975, targetTask } from '../src/index.js';
import { assertClose } from './helpers.js';

function toy(n: number, seed: number): ImageArrayDataset {
  const rng = new Rng(seed);
  const px = new Float32Array(n * 64), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = i % 10;
    labels[i] = y;
    for (let j = 0; j < 64; j++) px[i * 64 + j] = 0.2 * rng.uniform();
    for (let k = 0; k < 6; k++) px[i * 64 + ((y * 6 + k) % 64)] = 1;
  }
  return new ImageArrayDataset(px, [n, 1, 8, 8], labels, Array.from({ length: 10 }, (_, k) => String(k)));
}

describe('fine-tuning protocol', () => {
  it('parses shifts; rejects unknown corruptions and shapes of spec', () => {
    for (const s of ['none', 'label-permutation', 'subpopulation', 'corruption:fog:3']) assert.equal(formatShift(parseShift(s)), s);
    assert.throws(() => parseShift('corruption:snow:3'), /unknown corruption/);
    assert.throws(() => parseShift('corruption:fog:9'), ArgumentError);
  });

  it('targets: label permutation renames train and test alike; subpopulation gives superclasses with disjoint sub-classes', () => {
    const train = toy(100, 1), test = toy(50, 2);
    const p = targetTask(train, test, { kind: 'label-permutation' }, 0);
    const map = new Map<number, number>();
    for (let i = 0; i < 100; i++) map.set(train.labels[i]!, p.train.labels[i]!);
    for (let i = 0; i < 50; i++) assert.equal(p.test.labels[i], map.get(test.labels[i]!));
    assert.ok([...map].some(([a, b]) => a !== b));
    assert.equal(p.ood, null);
    const s = targetTask(train, test, { kind: 'subpopulation' }, 0);
    assert.equal(s.numClasses, 3);
    assert.deepEqual(s.train.classes.length, 3);
    assert.ok(s.ood && s.ood.length + s.test.length === 50);
    const c = targetTask(train, test, { kind: 'corruption', name: 'gaussian_noise', severity: 5 }, 0);
    assert.equal(c.ood, test);
    assert.notDeepEqual([...c.train.get(0).image.data], [...train.get(0).image.data]);
  });

  it('Student-t intervals over seeds', () => {
    assert.equal(t975(2), 4.303);
    const r = seedInterval([0.5, 0.6, 0.7]);
    assertClose(r.mean, 0.6, { atol: 1e-12 });
    assertClose(r.ci95, (4.303 * 0.1) / Math.sqrt(3), { atol: 1e-12 });
    assert.ok(Number.isNaN(seedInterval([0.5]).ci95));
  });

  it('picks the lr with the best mean validation accuracy and reports ID and OOD per seed', () => {
    const train = toy(200, 3), test = toy(60, 4);
    const model = new Conv4({ rng: new Rng(5), hidden: 4, numClasses: 10, imageSize: 8, pooling: 'stride' });
    const t = targetTask(train, test, { kind: 'none' }, 0);
    const seen: { seed: number; lr: number; val: number }[] = [];
    const r = runProtocol({ model, strategy: { kind: 'full' }, ...t, trainSize: 40, valSize: 30, lrGrid: [1e-2, 1e-4], seeds: 2, epochs: 2, batchSize: 20, onRun: (x) => seen.push(x) });
    assert.equal(seen.length, 4);
    const mean = (lr: number): number => seen.filter((x) => x.lr === lr).reduce((a, x) => a + x.val, 0) / 2;
    assert.equal(r.lr, mean(1e-2) >= mean(1e-4) ? 1e-2 : 1e-4);
    assert.equal(r.perSeed.length, 2);
    assert.ok(r.ood && r.perSeed.every((p) => p.id >= 0 && p.id <= 1 && p.ood !== null));
    assert.equal(r.strategy, 'full');
  });

  it('a resumed protocol takes the (seed, lr) runs already made and trains only the rest, to the same result', () => {
    const train = toy(200, 3), test = toy(60, 4);
    const model = new Conv4({ rng: new Rng(5), hidden: 4, numClasses: 10, imageSize: 8, pooling: 'stride' });
    const t = targetTask(train, test, { kind: 'none' }, 0);
    const opts = { model, strategy: { kind: 'full' } as const, ...t, trainSize: 40, valSize: 30, lrGrid: [1e-2, 1e-4], seeds: 2, epochs: 2, batchSize: 20 };
    const rows: { seed: number; lr: number; val: number; id: number; ood: number | null }[] = [];
    const whole = runProtocol({ ...opts, onRun: (r) => rows.push(r) });
    const again: number[] = [];
    const resumed = runProtocol({ ...opts, done: rows.slice(0, 3), onRun: (r) => again.push(r.seed) });
    assert.deepEqual(again, [1], 'only the fourth run is trained');
    assert.deepEqual(resumed, whole);
  });
});
