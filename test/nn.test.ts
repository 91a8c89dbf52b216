// nn behaviour: names, blocks, state dicts, freezing, train/eval, functional call, initialisers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BatchNorm2d, blockParameters, Conv2d, Conv4, Dropout, functionalCall, grad, kaimingUniform_, Linear, matchName,
  MLP, noGrad, parameterBlocks, randn, ResNet, Rng, Sequential, tensor, xavierNormal_, zeros,
} from '../src/index.js';
import { assertClose } from './helpers.js';

describe('nn', () => {
  it('Conv-4 parameter and buffer names follow the PyTorch definition', () => {
    const m = new Conv4({ rng: new Rng(0), hidden: 4, numClasses: 3 });
    const keys = Object.keys(m.stateDict());
    assert.deepEqual(keys.slice(0, 7), [
      'features.0.0.weight', 'features.0.0.bias', 'features.0.1.weight', 'features.0.1.bias',
      'features.0.1.running_mean', 'features.0.1.running_var', 'features.0.1.num_batches_tracked',
    ]);
    assert.deepEqual(keys.slice(-2), ['classifier.weight', 'classifier.bias']);
    assert.equal(m.namedParameters().length, 18);
    assert.deepEqual(m.blocks().map((b) => b.name), ['block1', 'block2', 'block3', 'block4', 'head']);
  });

  it('Conv-4 variants: stride-2 (MAML) averages space, max-pool flattens; 84×84 gives 800 features with 32 filters', () => {
    const s = new Conv4({ rng: new Rng(0), hidden: 4, pooling: 'stride', numClasses: 0 });
    assert.deepEqual(s.call(zeros([2, 1, 28, 28])).shape, [2, 4]);
    const mini = new Conv4({ rng: new Rng(0), hidden: 32, inChannels: 3, imageSize: 84, numClasses: 5 });
    assert.equal(mini.featureDim, 800);
    assert.deepEqual(mini.call(zeros([1, 3, 84, 84])).shape, [1, 5]);
  });

  it('ResNet blocks cover every parameter, in input→output order, with torchvision names', () => {
    const r = new ResNet({ rng: new Rng(0), blocksPerStage: [2, 1, 1], widths: [4, 8, 8] });
    const blocks = r.blocks().map((b) => b.name);
    assert.deepEqual(blocks, ['stem', 'layer1.0', 'layer1.1', 'layer2.0', 'layer3.0', 'head']);
    const pb = parameterBlocks(r);
    assert.equal(pb.get('conv1.weight'), 'stem');
    assert.equal(pb.get('layer2.0.downsample.0.weight'), 'layer2.0');
    assert.equal(pb.get('fc.bias'), 'head');
    assert.equal(pb.size, r.namedParameters().length);
    assert.ok(!r.stateDict()['layer1.0.downsample.0.weight'], 'identity shortcut where shapes match');
    assert.ok(blockParameters(r, 'layer3.0').every(([n]) => n.startsWith('layer3.0.')));
  });

  it('MLP names match torch.nn.Sequential indices', () => {
    const m = new MLP([1, 40, 40, 1], { rng: new Rng(1) });
    assert.deepEqual(Object.keys(m.stateDict()), ['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']);
  });

  it('stateDict round-trips and is independent of later training', () => {
    const a = new MLP([3, 5, 2], { rng: new Rng(1) });
    const b = new MLP([3, 5, 2], { rng: new Rng(2) });
    b.loadStateDict(a.stateDict());
    const x = randn([4, 3], new Rng(3));
    assertClose(b.call(x), a.call(x));
    noGrad(() => a.getParameter('0.weight').fill_(0));
    assert.notDeepEqual(b.getParameter('0.weight').toList(), a.getParameter('0.weight').toList());
  });

  it('non-strict load reports a new head as missing (the transfer-learning case)', () => {
    const src = new Conv4({ rng: new Rng(0), hidden: 4, numClasses: 0 });
    const dst = new Conv4({ rng: new Rng(1), hidden: 4, numClasses: 7 });
    const r = dst.loadStateDict(src.stateDict(), { strict: false });
    assert.deepEqual(r.missingKeys, ['classifier.weight', 'classifier.bias']);
    assert.deepEqual(r.unexpectedKeys, []);
    assertClose(dst.getParameter('features.2.0.weight'), src.getParameter('features.2.0.weight'));
  });

  it('freezing via requiresGrad excludes parameters from gradients', () => {
    const m = new MLP([2, 3, 1], { rng: new Rng(0) });
    m.getSubmodule('0').requiresGrad_(false);
    const loss = m.call(randn([4, 2], new Rng(1))).square().mean();
    loss.backward();
    assert.equal(m.getParameter('0.weight').grad, null);
    assert.ok(m.getParameter('2.weight').grad);
  });

  it('train/eval switches BatchNorm between batch and running statistics, per module', () => {
    const bn = new BatchNorm2d(2);
    const x = randn([8, 2, 3, 3], new Rng(0), { mean: 3, std: 2 });
    const yTrain = bn.call(x);
    assertClose(yTrain.mean([0, 2, 3]), [0, 0], { atol: 1e-5 });
    assert.equal(bn.buffer('num_batches_tracked')!.item(), 1);
    const rm = bn.buffer('running_mean')!.toList();
    assert.ok(Math.abs(rm[0]! - 0.1 * x.mean([0, 2, 3]).toList()[0]!) < 1e-5, 'momentum 0.1 update');
    bn.eval();
    const yEval = bn.call(x);
    assert.ok(Math.abs(yEval.mean().item() - yTrain.mean().item()) > 0.5, 'eval uses running statistics');
    assert.equal(bn.buffer('num_batches_tracked')!.item(), 1, 'eval does not count batches');
    const seq = new Sequential(new Linear(2, 2, { rng: new Rng(0) }), bn);
    seq.train();
    assert.ok(bn.training);
    seq.getSubmodule('1').eval();
    assert.ok(!bn.training && seq.training);
  });

  it('Dropout is seeded, scales by 1/(1−p) and is the identity in eval mode', () => {
    const x = zeros([1000]).add(1);
    const d1 = new Dropout(0.3, new Rng(5)).call(x);
    const d2 = new Dropout(0.3, new Rng(5)).call(x);
    assert.deepEqual(d1.toList(), d2.toList());
    const kept = d1.toList().filter((v) => v !== 0);
    assert.ok(Math.abs(kept.length / 1000 - 0.7) < 0.05);
    assertClose(kept[0]!, 1 / 0.7, { rtol: 1e-6 });
    const d = new Dropout(0.3, new Rng(5));
    d.eval();
    assert.deepEqual(d.call(x).toList(), x.toList());
  });

  it('functionalCall substitutes parameters, restores them and is differentiable w.r.t. the substitutes', () => {
    const m = new Linear(2, 1, { rng: new Rng(0) });
    const own = m.weight;
    const w = tensor([[1, 2]], { requiresGrad: true });
    const b = tensor([0.5], { requiresGrad: true });
    const x = tensor([[3, 4]]);
    const y = functionalCall(m, { weight: w, bias: b }, x);
    assertClose(y, [[11.5]]);
    assert.equal(m.weight, own, 'restored');
    const [gw] = grad(y.sum(), [w]);
    assertClose(gw!, [[3, 4]]);
    const map = new Map([['weight', w]]);
    assertClose(functionalCall(m, map, x), [[11 + m.bias!.item()]]);
  });

  it('functionalCall restores the module even when forward throws', () => {
    const m = new Linear(2, 1, { rng: new Rng(0) });
    const own = m.weight;
    assert.throws(() => functionalCall(m, { weight: zeros([1, 2]) }, zeros([3, 5])));
    assert.equal(m.weight, own);
  });

  it('default initialisers follow PyTorch: Linear U(±1/√fan_in); Kaiming and Xavier bounds and spreads', () => {
    const l = new Linear(100, 50, { rng: new Rng(0) });
    const w = l.weight.toList();
    assert.ok(Math.max(...w.map(Math.abs)) <= 0.1 + 1e-7 && Math.max(...w.map(Math.abs)) > 0.09);
    const c = new Conv2d(8, 4, 3, { rng: new Rng(0) });
    assert.ok(Math.max(...c.weight.toList().map(Math.abs)) <= 1 / Math.sqrt(72) + 1e-7);
    const t = zeros([200, 300]);
    kaimingUniform_(t, new Rng(1), { nonlinearity: 'relu' });
    assert.ok(Math.max(...t.toList().map(Math.abs)) <= Math.sqrt(6 / 300) + 1e-7);
    xavierNormal_(t, new Rng(2));
    const std = Math.sqrt(t.square().mean().item());
    assert.ok(Math.abs(std - Math.sqrt(2 / 500)) < 0.002, `xavier std ${std}`);
  });

  it('name patterns select parameters', () => {
    assert.ok(matchName('features.*.0.weight', 'features.3.0.weight'));
    assert.ok(!matchName('features.*.0.weight', 'features.3.1.weight'));
    assert.ok(matchName('layer2.**', 'layer2.0.conv1.weight'));
    assert.ok(matchName('**.bias', 'features.0.0.bias'));
    assert.ok(matchName('classifier', 'classifier.weight'));
    assert.ok(!matchName('features.1', 'features.10.weight'));
    assert.ok(matchName(/bn\d\.weight$/, 'layer1.0.bn2.weight'));
  });

  it('module printout names the tree like PyTorch', () => {
    const s = String(new Sequential(new Linear(3, 4, { rng: new Rng(0) })));
    assert.match(s, /Sequential\(\n {2}\(0\): Linear\(in_features=3, out_features=4, bias=true\)\n\)/);
  });
});
