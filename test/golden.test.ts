// Golden parity with PyTorch (fixtures written by scripts/golden.py): Conv-4, ResNet, MAML meta-gradients.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Conv4, crossEntropy, functionalCall, grad, gradMap, MLP, mseLoss, ResNet, Rng, sgdStep,
  type Module, type Tensor,
} from '../src/index.js';
import { availableBackends, relErr } from './helpers.js';
import { fixture, gradErr, prefixed } from './golden-fixtures.js';
import { withBackend } from '../src/index.js';

const TOL = 1e-4;

function checkModel(name: string, model: Module): void {
  const { t } = fixture(name);
  model.loadStateDict(prefixed(t, 'weights.'));
  model.train();
  const logits = model.call(t['input']!);
  assert.ok(relErr(logits, t['logits']!) < TOL, `${name} logits: relative error ${relErr(logits, t['logits']!)}`);
  const loss = crossEntropy(logits, t['target']!);
  assert.ok(relErr(loss, t['loss']!) < TOL, `${name} loss`);
  loss.backward();
  const grads = prefixed(t, 'grad.');
  const named = model.namedParameters();
  assert.equal(named.length, Object.keys(grads).length, 'every PyTorch parameter has a gradient here');
  for (const [n, p] of named) {
    assert.ok(p.grad, `${n} has a gradient`);
    const e = gradErr(p.grad!, grads[n]!, grads);
    assert.ok(e < TOL, `${name} grad of ${n}: relative error ${e}`);
  }
  const after = prefixed(t, 'after.');
  const sd = model.stateDict();
  for (const [k, v] of Object.entries(after)) {
    assert.ok(relErr(sd[k]!, v) < TOL, `${name} ${k} after one training forward: relative error ${relErr(sd[k]!, v)}`);
  }
}

for (const backend of availableBackends()) describe(`PyTorch golden parity (${backend} backend)`, () => {
  it('Conv-4 (BatchNorm, max-pool): logits, loss, all parameter gradients, running statistics', () => {
    withBackend(backend, () => checkModel('conv4', new Conv4({ rng: new Rng(0), hidden: 16 })));
  });

  it('ResNet (basic blocks, 1x1 downsample): logits, loss, all parameter gradients, running statistics', () => {
    withBackend(backend, () => checkModel('resnet', new ResNet({ rng: new Rng(0), widths: [8, 16, 32], numClasses: 10 })));
  });

  function checkMaml(name: string, model: Module, lossFn: (out: Tensor, y: Tensor) => Tensor): void {
    const { t, meta } = fixture(name);
    model.loadStateDict(prefixed(t, 'weights.'), { strict: false });
    const alpha = meta['alpha'] as number;
    const params = new Map(model.namedParameters());
    const inner = lossFn(functionalCall(model, params, t['support.x']!), t['support.y']!);
    assert.ok(relErr(inner, t['inner_loss']!) < TOL, `${name} inner loss`);
    for (const firstOrder of [false, true]) {
      const fast = sgdStep(params, gradMap(lossFn(functionalCall(model, params, t['support.x']!), t['support.y']!), params, { createGraph: !firstOrder }), alpha);
      const outer = lossFn(functionalCall(model, fast, t['query.x']!), t['query.y']!);
      if (!firstOrder) assert.ok(relErr(outer, t['outer_loss']!) < TOL, `${name} outer loss`);
      const names = [...params.keys()];
      const gs = grad(outer, names.map((n) => params.get(n)!));
      const expected = prefixed(t, firstOrder ? 'fo_meta_grad.' : 'meta_grad.');
      names.forEach((n, i) => {
        const e = gradErr(gs[i]!, expected[n]!, expected);
        assert.ok(e < TOL, `${name} ${firstOrder ? 'first' : 'second'}-order meta-gradient of ${n}: relative error ${e}`);
      });
    }
  }

  it('second-order MAML meta-gradient, MLP 1-40-40-1 (and the first-order variant)', () => {
    withBackend(backend, () => checkMaml('maml_mlp', new MLP([1, 40, 40, 1], { rng: new Rng(0) }), (o, y) => mseLoss(o, y)));
  });

  it('second-order MAML meta-gradient, Conv-4 with batch-statistics BatchNorm (and first-order)', () => {
    withBackend(backend, () => checkMaml('maml_conv4', new Conv4({ rng: new Rng(0), hidden: 8, trackRunningStats: false }), (o, y) => crossEntropy(o, y)));
  });

  it('second- and first-order meta-gradients differ (the test can tell them apart)', () => {
    const { t } = fixture('maml_conv4');
    const so = prefixed(t, 'meta_grad.'), fo = prefixed(t, 'fo_meta_grad.');
    assert.ok(relErr(fo['features.0.0.weight']!, so['features.0.0.weight']!) > 1e-3);
  });
});
