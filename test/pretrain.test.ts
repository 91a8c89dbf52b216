// Pre-training objectives and their data: rotation batches, SimCLR views, the NT-Xent loss, and losses that fall.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  Conv4, ImageArrayDataset, Rng, augment, ntXent, pretrain, rotate90, rotationBatch, tensor, randn,
} from '../src/index.js';
import { assertClose } from './helpers.js';

/** 3 classes of 8×8 images: a bar in a class-specific place, plus noise. */
function toyImages(n: number, seed: number): ImageArrayDataset {
  const rng = new Rng(seed);
  const px = new Float32Array(n * 64), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = i % 3;
    labels[i] = y;
    for (let j = 0; j < 64; j++) px[i * 64 + j] = 0.1 * rng.uniform();
    for (let k = 0; k < 8; k++) px[i * 64 + (y === 0 ? 8 + k : y === 1 ? k * 8 + 2 : k * 9)] = 1;
  }
  return new ImageArrayDataset(px, [n, 1, 8, 8], labels, ['a', 'b', 'c']);
}

describe('pre-training', () => {
  it('rotationBatch gives each image in its four rotations (as rotate90) with labels 0–3', () => {
    const x = randn([2, 1, 4, 4], new Rng(0));
    const { x: r, y } = rotationBatch(x);
    assert.deepEqual(r.shape, [8, 1, 4, 4]);
    assert.deepEqual([...y.data], [0, 1, 2, 3, 0, 1, 2, 3]);
    for (const k of [0, 1, 2, 3]) {
      const img = { data: (x.data as Float32Array).slice(16, 32), channels: 1, height: 4, width: 4 };
      assertClose(r.data.slice((4 + k) * 16, (5 + k) * 16), rotate90(img, k).data, { atol: 0 });
    }
  });

  it('augment: the identity when crops, flips and jitter are off; seeded; values stay in [0, 1]', () => {
    const x = toyImages(4, 1);
    const batch = tensor(x.pixels as Float32Array, { shape: [4, 1, 8, 8] });
    assertClose(augment(batch, new Rng(2), { scale: [1, 1], ratio: [1, 1], flip: 0, jitter: 0 }), batch, { atol: 1e-6 });
    const a = augment(batch, new Rng(3)), b = augment(batch, new Rng(3));
    assert.deepEqual([...a.data], [...b.data]);
    assert.ok([...augment(batch, new Rng(4)).data].every((v) => v >= 0 && v <= 1));
    assert.notDeepEqual([...a.data], [...batch.data]);
  });

  it('NT-Xent equals the formula: −log e^{s_pos/τ} / Σ_{k≠i} e^{s_ik/τ}, averaged over 2N anchors', () => {
    const z1 = tensor([[1, 0], [0, 2]], { dtype: 'float64' }), z2 = tensor([[1, 1], [0, -1]], { dtype: 'float64' });
    const z = [[1, 0], [0, 1], [Math.SQRT1_2, Math.SQRT1_2], [0, -1]];
    const tau = 0.5;
    let expected = 0;
    for (let i = 0; i < 4; i++) {
      const s = z.map((v) => (v[0]! * z[i]![0]! + v[1]! * z[i]![1]!) / tau);
      const pos = i < 2 ? i + 2 : i - 2;
      const denom = s.reduce((acc, v, k) => (k === i ? acc : acc + Math.exp(v)), 0);
      expected += -(s[pos]! - Math.log(denom)) / 4;
    }
    assertClose(ntXent(z1, z2, tau), expected, { atol: 1e-7 });
  });

  for (const objective of ['supervised', 'rotation', 'simclr'] as const) {
    it(`${objective}: the loss falls over a few epochs on toy images`, () => {
      const rng = new Rng(5);
      const model = new Conv4({ rng, hidden: 8, numClasses: objective === 'rotation' ? 4 : 3, imageSize: 8, pooling: 'stride' });
      const r = pretrain({ model, objective, data: toyImages(48, 6), rng, epochs: 6, batchSize: 16, lr: 3e-3, augment: { scale: [0.5, 1] } });
      assert.equal(r.epochs, 6);
      assert.equal(r.projection !== null, objective === 'simclr');
      const shown = `${objective} losses ${r.losses.map((l) => l.toFixed(3))}`;
      if (objective === 'simclr') {
        // contrastive: chance is ln(2N − 1) = ln 31 for batches of 16; it must get below chance and keep falling
        assert.ok(r.losses[5]! < Math.log(31) - 0.05 && r.losses[5]! < r.losses[0]! - 0.1, shown);
      } else assert.ok(r.losses[5]! < r.losses[0]! * 0.8, shown);
    });
  }

  it('stops at a time budget', () => {
    let t = 0;
    const model = new Conv4({ rng: new Rng(7), hidden: 4, numClasses: 3, imageSize: 8, pooling: 'stride' });
    const r = pretrain({ model, objective: 'supervised', data: toyImages(30, 8), rng: new Rng(9), timeBudget: 5, now: () => (t += 1), batchSize: 6 });
    assert.ok(r.steps >= 3 && r.steps <= 5, `${r.steps}`);
  });

  for (const objective of ['simclr', 'rotation'] as const) {
    it(`${objective}: stopped mid-epoch and resumed from its checkpoint, it ends bit-identical to an uninterrupted run`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'adaptlab-pretrain-resume-'));
      try {
        const make = (): Conv4 => new Conv4({ rng: new Rng(11), hidden: 4, numClasses: objective === 'rotation' ? 4 : 3, imageSize: 8, pooling: 'stride' });
        const base = { objective, data: toyImages(48, 12), batchSize: 16, lr: 3e-3 };
        const whole = make();
        const a = pretrain({ ...base, model: whole, rng: new Rng(13), steps: 10 });
        // the "killed" run: stops after step 7, its newest checkpoint is step 4 (epoch 1, one batch in)
        const b = pretrain({ ...base, model: make(), rng: new Rng(13), steps: 7, dir, checkpointEvery: 4 });
        assert.equal(b.steps, 7);
        assert.deepEqual(readdirSync(join(dir, 'checkpoints')), ['step-00000004']);
        const resumed = make();
        const c = pretrain({ ...base, model: resumed, rng: new Rng(13), steps: 10, dir, checkpointEvery: 4, resume: true });
        assert.equal(c.resumedFrom, 4);
        assert.deepEqual(c.losses, a.losses);
        assert.equal(c.epochs, a.epochs);
        const sa = whole.stateDict(), sc = resumed.stateDict();
        for (const k of Object.keys(sa)) assert.ok(Buffer.from(sa[k]!.data.buffer).equals(Buffer.from(sc[k]!.data.buffer)), `${k} differs`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
