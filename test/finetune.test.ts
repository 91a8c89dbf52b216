// Fine-tuning strategies: each trains exactly what it says, frozen tensors never change bit for bit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ArgumentError, Conv4, MLP, Rng, autoRgnWeights, crossEntropy, fineTune, formatStrategy, grad, parseStrategy, randint, randn,
  type Tensor,
} from '../src/index.js';
import { assertClose } from './helpers.js';

const rng = new Rng(0);
const train = { x: randn([48, 8], rng), y: randint(0, 3, [48], rng) };
const snapshot = (m: { stateDict(): Record<string, Tensor> }): Record<string, number[]> => Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, [...v.data]]));
function changed(before: Record<string, number[]>, after: Record<string, number[]>): string[] {
  return Object.keys(before).filter((k) => before[k]!.some((v, i) => v !== after[k]![i]));
}

describe('fine-tuning strategies', () => {
  const mlp = (): MLP => new MLP([8, 16, 16, 3], { rng: new Rng(1) });

  it('surgical:layer1 trains only layer1 (same label space: the head is kept and frozen)', () => {
    const m = mlp();
    const before = snapshot(m);
    const r = fineTune({ model: m, strategy: parseStrategy('surgical:layer1', m), train, numClasses: 3, rng: new Rng(2), epochs: 2 });
    assert.deepEqual(changed(before, snapshot(r.model)), ['0.weight', '0.bias']);
    assert.deepEqual(changed(before, snapshot(m)), [], 'the pre-trained model itself is untouched');
  });

  it('bias-only (BitFit) changes biases only; linear-probe changes the head only; a new head is made for new classes', () => {
    const m = mlp();
    const before = snapshot(m);
    const b = fineTune({ model: m, strategy: parseStrategy('bias-only'), train, numClasses: 3, rng: new Rng(3), epochs: 2 });
    assert.deepEqual(changed(before, snapshot(b.model)), ['0.bias', '2.bias', '4.bias']);
    const lp = fineTune({ model: m, strategy: parseStrategy('linear-probe'), train: { x: train.x, y: randint(0, 5, [48], rng) }, numClasses: 5, rng: new Rng(3), epochs: 2 });
    const after = snapshot(lp.model);
    assert.deepEqual(after['4.weight']!.length, 5 * 16);
    assert.deepEqual(changed(before, after).filter((k) => !k.startsWith('4.')), []);
  });

  it('LP-FT: the second stage starts from the linear-probe head, and then everything trains', () => {
    const m = mlp();
    const lp = fineTune({ model: m, strategy: { kind: 'linear-probe' }, train, numClasses: 3, newHead: true, rng: new Rng(4), epochs: 3 });
    let headAfterLp: number[] | null = null, stages: string[] = [];
    const r = fineTune({
      model: m, strategy: { kind: 'lp-ft' }, train, numClasses: 3, newHead: true, rng: new Rng(4), epochs: 3,
      onEpoch: (e, net, info) => { stages.push(info.stage); if (e === 2) headAfterLp = [...net.getParameter('4.weight').data]; },
    });
    assert.deepEqual(stages, ['linear-probe', 'linear-probe', 'linear-probe', 'fine-tune', 'fine-tune', 'fine-tune']);
    assert.deepEqual(headAfterLp, [...lp.model.getParameter('4.weight').data]);
    assert.ok(changed(snapshot(m), snapshot(r.model)).includes('0.weight'));
    assert.equal(r.losses.length, 6);
  });

  it('gradual-unfreeze:backward trains the head in the first epoch, then one more block per epoch', () => {
    const m = mlp();
    const seen: string[][] = [];
    let prev = snapshot(m);
    fineTune({
      model: m, strategy: parseStrategy('gradual-unfreeze:backward'), train, numClasses: 3, rng: new Rng(5), epochs: 3,
      onEpoch: (_e, net) => { const now = snapshot(net); seen.push(changed(prev, now)); prev = now; },
    });
    assert.deepEqual(seen, [['4.weight', '4.bias'], ['2.weight', '2.bias', '4.weight', '4.bias'], ['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']]);
  });

  it('Auto-RGN weights are ‖g‖/‖θ‖ averaged over the batches, over their maximum; BatchNorm parameters stay frozen', () => {
    const m = mlp();
    const batches = [{ x: train.x.slice(0, 0, 16), y: train.y.slice(0, 0, 16) }, { x: train.x.slice(0, 16, 32), y: train.y.slice(0, 16, 32) }];
    const names = m.namedParameters().map(([n]) => n);
    const w = autoRgnWeights(m, names, batches, (x) => m.call(x));
    const raw = names.map((n) => {
      const p = m.getParameter(n);
      return batches.reduce((a, b) => {
        const [g] = grad(crossEntropy(m.call(b.x), b.y), [p]);
        return a + Math.sqrt(g!.mul(g!).sum().item()) / Math.sqrt(p.mul(p).sum().item()) / batches.length;
      }, 0);
    });
    const top = Math.max(...raw);
    names.forEach((n, i) => assertClose(w.get(n)!, raw[i]! / top, { rtol: 1e-5 }));
    assert.equal(Math.max(...w.values()), 1);
    const c = new Conv4({ rng: new Rng(6), hidden: 4, numClasses: 3 });
    const before = snapshot(c);
    const r = fineTune({ model: c, strategy: { kind: 'auto-rgn' }, train: { x: randn([8, 1, 28, 28], rng), y: randint(0, 3, [8], rng) }, numClasses: 3, rng: new Rng(7), epochs: 1, batchSize: 4 });
    const ch = changed(before, snapshot(r.model));
    assert.ok(ch.includes('features.0.0.weight'));
    assert.ok(!ch.some((k) => /features\.\d\.1\.(weight|bias)$/.test(k)), `BN parameters changed: ${ch}`);
    assert.ok(r.lrs.size > 0 && [...r.lrs.values()].every((v) => v >= 0 && v <= 1e-3 + 1e-12));
  });

  it('bn-only and lora train only what they name; l2-sp stays closer to the pre-trained weights than full', () => {
    const c = new Conv4({ rng: new Rng(8), hidden: 4, numClasses: 3 });
    const data = { x: randn([8, 1, 28, 28], rng), y: randint(0, 3, [8], rng) };
    const before = snapshot(c);
    const bn = fineTune({ model: c, strategy: { kind: 'bn-only' }, train: data, numClasses: 3, rng: new Rng(9), epochs: 1, batchSize: 4 });
    assert.ok(changed(before, snapshot(bn.model)).every((k) => /features\.\d\.1\.(weight|bias)$/.test(k)));
    const lora = fineTune({ model: c, strategy: { kind: 'lora', rank: 2 }, train: data, numClasses: 3, rng: new Rng(9), epochs: 1, batchSize: 4 });
    const after = snapshot(lora.model);
    assert.deepEqual(Object.keys(before).filter((k) => !k.includes('running') && !k.includes('num_batches') && before[k]!.some((v, i) => v !== after[k]![i])), ['classifier.weight', 'classifier.bias']);
    const dist = (m: { getParameter(n: string): Tensor }): number => Object.keys(before).filter((k) => k.startsWith('features') && k.endsWith('0.weight')).reduce((a, k) => a + m.getParameter(k).toList().reduce((s, v, i) => s + (v - before[k]![i]!) ** 2, 0), 0);
    const full = fineTune({ model: c, strategy: { kind: 'full' }, train: data, numClasses: 3, rng: new Rng(10), epochs: 3, batchSize: 4, lr: 1e-2 });
    const sp = fineTune({ model: c, strategy: { kind: 'l2-sp', lambda: 10 }, train: data, numClasses: 3, rng: new Rng(10), epochs: 3, batchSize: 4, lr: 1e-2 });
    assert.ok(dist(sp.model) < dist(full.model), `${dist(sp.model)} vs ${dist(full.model)}`);
  });

  it('parses and formats the CLI spellings; a bad name or block is an error listing the valid ones', () => {
    for (const s of ['full', 'linear-probe', 'lp-ft', 'surgical:layer1,head', 'auto-rgn', 'auto-snr:0.5', 'layerwise-lr:0.65', 'gradual-unfreeze:forward', 'l2-sp:0.01', 'bn-only', 'bias-only', 'lora:4']) {
      assert.equal(formatStrategy(parseStrategy(s, mlp())), s);
    }
    assert.throws(() => parseStrategy('surgical:block9', mlp()), (e: unknown) => e instanceof ArgumentError && /layer1, layer2, head/.test(e.message));
    assert.throws(() => parseStrategy('frobnicate'), /lp-ft/);
    assert.throws(() => parseStrategy('lora:0'), ArgumentError);
    assert.throws(() => parseStrategy('full:3'), /takes no argument/);
  });
});
