// Optimisers against PyTorch (fixture), schedules, clipping, groups, state save/load, inner-loop updates.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  Adam, AdamW, clipGradNorm_, clipGradValue_, CosineAnnealingLR, groupsByName, LinearLR, loadOptimizer,
  loadSafetensors, MLP, MultiStepLR, Rng, saveOptimizer, SequentialLR, SGD, sgdStep, StepLR, tensor, Tensor,
  ArgumentError, gradMap, paramMap, Optimizer,
} from '../src/index.js';
import { assertClose, relErr, repoPath } from './helpers.js';

const fixture = loadSafetensors(repoPath('test', 'fixtures', 'optim.safetensors'));
const configs = JSON.parse(fixture.metadata['configs']!) as Record<string, Record<string, number | boolean | number[]>>;

function make(name: string, p: Tensor): Optimizer {
  const c = configs[name]!;
  const wd = (c['weight_decay'] as number | undefined) ?? undefined;
  if (name.startsWith('sgd')) {
    return new SGD([p], { lr: c['lr'] as number, momentum: c['momentum'] as number | undefined, dampening: c['dampening'] as number | undefined, nesterov: c['nesterov'] as boolean | undefined, weightDecay: wd });
  }
  const opts = { lr: c['lr'] as number, betas: c['betas'] as [number, number] | undefined, weightDecay: wd, amsgrad: c['amsgrad'] as boolean | undefined };
  return name === 'adamw' ? new AdamW([p], opts) : new Adam([p], opts);
}

describe('optimisers', () => {
  for (const name of Object.keys(configs)) {
    it(`${name} matches torch.optim over 4 steps`, () => {
      const p = fixture.tensors['p0']!.clone().detach().requiresGrad_();
      const opt = make(name, p);
      for (let i = 0; i < 4; i++) {
        p.grad = fixture.tensors[`grad${i}`]!.clone();
        opt.step();
        const e = relErr(p, fixture.tensors[`${name}.step${i}`]!);
        assert.ok(e < 1e-5, `${name} step ${i}: relative error ${e}`);
      }
    });
  }

  it('parameters without a gradient are skipped; bad hyper-parameters are typed errors', () => {
    const p = tensor([1, 2], { requiresGrad: true });
    new SGD([p], { lr: 0.1 }).step();
    assertClose(p, [1, 2]);
    assert.throws(() => new SGD([p], { lr: -1 }), ArgumentError);
    assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), /Nesterov/);
    assert.throws(() => new Adam([p], { betas: [1, 0.9] }), ArgumentError);
    assert.throws(() => new SGD([{ params: [p], lrr: 1 }], { lr: 0.1 }), /unknown option "lrr"/);
  });

  it('parameter groups by dotted name get their own learning rate', () => {
    const m = new MLP([2, 3, 1], { rng: new Rng(0) });
    const opt = new SGD(groupsByName(m.namedParameters(), [{ match: '2', lr: 1 }, { match: '0', lr: 0 }]), { lr: 0.5 });
    assert.equal(opt.paramGroups.length, 2);
    assert.deepEqual(opt.lrs, [1, 0]);
    const w0 = m.getParameter('0.weight').toList();
    m.call(tensor([[1, 2]])).sum().backward();
    opt.step();
    assert.deepEqual(m.getParameter('0.weight').toList(), w0, 'lr 0 group unchanged');
  });

  it('state dict save/load resumes Adam exactly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-opt-'));
    const p = tensor([1, -2, 3], { requiresGrad: true });
    const q = tensor([1, -2, 3], { requiresGrad: true });
    const a = new Adam([p], { lr: 0.1 }), b = new Adam([q], { lr: 0.1 });
    const grads = [[0.5, -1, 2], [0.1, 0.2, -0.3], [1, 1, 1]];
    p.grad = tensor(grads[0]!); a.step();
    saveOptimizer(join(dir, 'opt.safetensors'), a);
    q.copy_(p);
    loadOptimizer(join(dir, 'opt.safetensors'), b);
    for (const g of grads.slice(1)) {
      p.grad = tensor(g); a.step();
      q.grad = tensor(g); b.step();
    }
    assertClose(q, p, { rtol: 0, atol: 0 });
  });

  it('schedules: step, multi-step, cosine, warm-up then cosine', () => {
    const p = tensor([0], { requiresGrad: true });
    const lrs = (sched: { step(): void; getLastLr(): number[] }, n: number): number[] => {
      const out = [sched.getLastLr()[0]!];
      for (let i = 0; i < n; i++) { sched.step(); out.push(sched.getLastLr()[0]!); }
      return out;
    };
    assertClose(lrs(new StepLR(new SGD([p], { lr: 1 }), 2, 0.5), 4), [1, 1, 0.5, 0.5, 0.25]);
    assertClose(lrs(new MultiStepLR(new SGD([p], { lr: 1 }), [1, 3], 0.1), 3), [1, 0.1, 0.1, 0.01]);
    assertClose(lrs(new CosineAnnealingLR(new SGD([p], { lr: 1 }), 4, 0.2), 5), [1, 0.2 + 0.8 * (1 + Math.cos(Math.PI / 4)) / 2, 0.6, 0.2 + 0.8 * (1 + Math.cos((3 * Math.PI) / 4)) / 2, 0.2, 0.2]);
    const opt = new SGD([p], { lr: 1 });
    const seq = new SequentialLR(opt, [new LinearLR(opt, 0.1, 1, 2), new CosineAnnealingLR(opt, 2)], [2]);
    assertClose(lrs(seq, 4), [0.1, 0.55, 1, 0.5, 0]);
  });

  it('clipping by global norm returns the norm and rescales; by value clamps', () => {
    const a = tensor([3], { requiresGrad: true }), b = tensor([4], { requiresGrad: true });
    a.grad = tensor([3]); b.grad = tensor([4]);
    const n = clipGradNorm_([a, b], 1);
    assertClose(n, 5);
    assertClose(a.grad!, [0.6], { rtol: 1e-5 });
    assertClose(b.grad!, [0.8], { rtol: 1e-5 });
    a.grad = tensor([30]);
    clipGradValue_([a], 10);
    assertClose(a.grad!, [10]);
  });

  it('inner-loop sgdStep is differentiable; first-order equals detaching the inner gradient', () => {
    const m = new MLP([1, 4, 1], { rng: new Rng(0) });
    const params = paramMap(m);
    const x = tensor([[0.5], [-1]]), y = tensor([[1], [2]]);
    const lossAt = (ps: Map<string, Tensor>): Tensor => {
      let h = x;
      h = h.matmul(ps.get('0.weight')!.t()).add(ps.get('0.bias')!).relu();
      return h.matmul(ps.get('2.weight')!.t()).add(ps.get('2.bias')!).sub(y).square().mean();
    };
    const so = sgdStep(params, gradMap(lossAt(params), params, { createGraph: true }), 0.1);
    const fo = sgdStep(params, gradMap(lossAt(params), params), 0.1);
    const gSo = gradMap(lossAt(so), params), gFo = gradMap(lossAt(fo), params);
    const detached = sgdStep(params, new Map([...gradMap(lossAt(params), params)].map(([k, g]) => [k, g!.detach()])), 0.1);
    const gDet = gradMap(lossAt(detached), params);
    for (const k of params.keys()) assertClose(gFo.get(k)!, gDet.get(k)!, { rtol: 1e-6 });
    assert.ok([...params.keys()].some((k) => relErr(gSo.get(k)!, gFo.get(k)!) > 1e-4), 'second order differs');
    const perParam = sgdStep(params, gradMap(lossAt(params), params), new Map([...params.keys()].map((k) => [k, 0.1])));
    for (const k of params.keys()) assertClose(perParam.get(k)!, fo.get(k)!);
  });
});
