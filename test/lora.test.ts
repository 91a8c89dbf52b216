// LoRA on Linear and Conv2d: starts as the base layer, trains only A and B, merged equals unmerged.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgumentError, Conv2d, Conv4, Linear, LoRAConv2d, LoRALinear, Rng, applyLoRA, mergeLoRA, noGrad, randn, unmergeLoRA, crossEntropy, randint, SGD } from '../src/index.js';
import { assertClose } from './helpers.js';

describe('LoRA', () => {
  it('Linear: equals the base layer at start; merged = unmerged after A and B move; unmerge restores W₀', () => {
    const rng = new Rng(0);
    const base = new Linear(6, 4, { rng, dtype: 'float64' });
    const x = randn([3, 6], rng, { dtype: 'float64' });
    const y0 = base.call(x);
    const w0 = [...base.weight.data];
    const lora = new LoRALinear(base, { rank: 2, alpha: 4, rng });
    assert.deepEqual(Object.keys(lora.stateDict()), ['weight', 'bias', 'lora_A', 'lora_B']);
    assertClose(lora.call(x), y0, { atol: 1e-14 });
    noGrad(() => lora.getParameter('lora_B').copy_(randn([4, 2], rng, { dtype: 'float64' })));
    const yUnmerged = lora.call(x);
    assertClose(yUnmerged, y0.add(x.matmul(lora.getParameter('lora_A').t()).matmul(lora.getParameter('lora_B').t()).mul(2)), { atol: 1e-12 });
    lora.merge();
    assertClose(lora.call(x), yUnmerged, { atol: 1e-12 });
    lora.unmerge();
    assertClose(lora.weight, w0, { atol: 1e-14 });
  });

  it('Conv2d (stride 2, padding 1): merged = unmerged, and ΔW has rank ≤ r', () => {
    const rng = new Rng(1);
    const base = new Conv2d(3, 5, 3, { rng, stride: 2, padding: 1, dtype: 'float64' });
    const lora = new LoRAConv2d(base, { rank: 2, rng });
    const x = randn([2, 3, 7, 7], rng, { dtype: 'float64' });
    assertClose(lora.call(x), base.call(x), { atol: 1e-13 });
    noGrad(() => lora.getParameter('lora_B').copy_(randn([5, 2, 1, 1], rng, { dtype: 'float64' })));
    const y = lora.call(x);
    lora.merge();
    assertClose(lora.call(x), y, { atol: 1e-12 });
    // rank: the [5, 27] update matrix has at most 2 independent rows: its 3×3 minors vanish
    const d = lora.delta().reshape([5, 27]).toArray() as number[][];
    const det3 = (r: number[], c: number[]): number => {
      const m = r.map((i) => c.map((j) => d[i]![j]!));
      return m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) - m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) + m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
    };
    assert.ok(Math.abs(det3([0, 1, 2], [0, 5, 11])) < 1e-10);
  });

  it('applyLoRA wraps the matching layers, freezes everything else, keeps pre-trained names, and training moves only A and B', () => {
    const rng = new Rng(2);
    const model = new Conv4({ rng, hidden: 4, numClasses: 3 });
    const pretrained = model.stateDict();
    const snapshot = Object.fromEntries(Object.entries(pretrained).map(([k, v]) => [k, [...v.data]]));
    const wrapped = applyLoRA(model, ['features.3.0', 'classifier'], { rank: 2, rng });
    assert.deepEqual(wrapped, ['features.3.0', 'classifier']);
    const trainable = model.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n);
    assert.deepEqual(trainable, ['features.3.0.lora_A', 'features.3.0.lora_B', 'classifier.lora_A', 'classifier.lora_B']);
    const { missingKeys, unexpectedKeys } = model.loadStateDict(pretrained, { strict: false });
    assert.deepEqual(unexpectedKeys, []);
    assert.deepEqual(missingKeys, trainable);
    const opt = new SGD(model.parameters().filter((p) => p.requiresGrad), { lr: 0.1 });
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      crossEntropy(model.call(randn([4, 1, 28, 28], rng)), randint(0, 3, [4], rng)).backward();
      opt.step();
    }
    for (const [k, v] of Object.entries(model.stateDict())) if (k in snapshot && !k.includes('running') && !k.includes('num_batches')) assert.deepEqual([...v.data], snapshot[k], `${k} changed`);
    assert.ok(model.getParameter('classifier.lora_B').data.some((v) => v !== 0));
    const x = randn([2, 1, 28, 28], rng);
    model.eval();
    const y = model.call(x);
    mergeLoRA(model);
    assertClose(model.call(x), y, { atol: 1e-5 });
    unmergeLoRA(model);
    assert.throws(() => applyLoRA(model, 'featurs.0', { rank: 2, rng }), ArgumentError);
  });
});
