#!/usr/bin/env python3
"""Writes the PyTorch golden fixtures in test/fixtures/ and checks that adaptlab's safetensors load in PyTorch.

Run with Debian's PyTorch:  apt-get install -y python3-torch  &&  /usr/bin/python3 scripts/golden.py
(The adaptlab build must exist for the interop check: npm run build.)

The PyTorch modules below are the reference definitions of adaptlab's models: adaptlab's MLP, Conv4 and
ResNet use exactly these parameter and buffer names, so state dicts move between the two by name.
"""
import json
import os
import subprocess
import sys
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.stateless import functional_call

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures')

# ---------------------------------------------------------------- safetensors (format spec, no library)
DT = {torch.float64: 'F64', torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16',
      torch.int64: 'I64', torch.int32: 'I32', torch.uint8: 'U8', torch.bool: 'BOOL'}
TD = {v: k for k, v in DT.items()}


def save_file(tensors, path, metadata=None):
    header = {}
    if metadata:
        header['__metadata__'] = metadata
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype in (torch.bfloat16, torch.float16) else t.numpy().tobytes()
        header[name] = {'dtype': DT[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    hb = json.dumps(header, separators=(',', ':')).encode()
    hb += b' ' * ((8 - len(hb) % 8) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(len(hb).to_bytes(8, 'little'))
        f.write(hb)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load_file(path):
    with open(path, 'rb') as f:
        buf = f.read()
    n = int.from_bytes(buf[:8], 'little')
    header = json.loads(buf[8:8 + n])
    meta = header.pop('__metadata__', {})
    out = {}
    for name, e in header.items():
        b, end = e['data_offsets']
        raw = bytearray(buf[8 + n + b:8 + n + end])
        dt = TD[e['dtype']]
        if dt in (torch.bfloat16, torch.float16):
            t = torch.frombuffer(raw, dtype=torch.int16).view(dt) if raw else torch.empty(0, dtype=dt)
        else:
            t = torch.frombuffer(raw, dtype=dt) if raw else torch.empty(0, dtype=dt)
        out[name] = t.reshape(e['shape']).clone()
    return out, meta


# ---------------------------------------------------------------- reference models (names = adaptlab's)
class Conv4(nn.Module):
    def __init__(self, in_channels=1, hidden=64, num_classes=5, pooling='max', track_running_stats=True):
        super().__init__()
        self.pooling = pooling
        blocks = []
        for i in range(4):
            c = in_channels if i == 0 else hidden
            bn = nn.BatchNorm2d(hidden, track_running_stats=track_running_stats)
            if pooling == 'max':
                blocks.append(nn.Sequential(nn.Conv2d(c, hidden, 3, padding=1), bn, nn.ReLU(), nn.MaxPool2d(2)))
            else:
                blocks.append(nn.Sequential(nn.Conv2d(c, hidden, 3, stride=2, padding=1), bn, nn.ReLU()))
        self.features = nn.Sequential(*blocks)
        self.classifier = nn.Linear(hidden, num_classes)  # 28x28 input: 1x1 after four pools

    def forward(self, x):
        h = self.features(x)
        h = h.flatten(1) if self.pooling == 'max' else h.mean((2, 3))
        return self.classifier(h)


class BasicBlock(nn.Module):
    def __init__(self, inp, out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        if stride != 1 or inp != out:
            self.downsample = nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False), nn.BatchNorm2d(out))
        else:
            self.downsample = None

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return F.relu(h + (self.downsample(x) if self.downsample is not None else x))


class ResNet(nn.Module):
    def __init__(self, blocks_per_stage=(1, 1, 1), widths=(16, 32, 64), in_channels=3, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        inp = widths[0]
        self.n_stages = len(widths)
        for s, (n, w) in enumerate(zip(blocks_per_stage, widths)):
            layers = []
            for b in range(n):
                layers.append(BasicBlock(inp, w, 2 if b == 0 and s > 0 else 1))
                inp = w
            setattr(self, f'layer{s + 1}', nn.Sequential(*layers))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inp, num_classes)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        for s in range(self.n_stages):
            h = getattr(self, f'layer{s + 1}')(h)
        return self.fc(self.avgpool(h).flatten(1))


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


# ---------------------------------------------------------------- fixtures
def model_fixture(name, model, x, y, meta):
    """Weights (state dict before the step), inputs, logits, loss and all parameter gradients."""
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    t = {f'weights.{k}': v for k, v in before.items()}
    t.update({f'after.{k}': v.clone() for k, v in model.state_dict().items() if 'running' in k or 'num_batches' in k})
    t.update({'input': x, 'target': y, 'logits': logits.detach(), 'loss': loss.detach().reshape([])})
    t.update({f'grad.{k}': p.grad for k, p in model.named_parameters()})
    save_file(t, os.path.join(OUT, f'{name}.safetensors'), {k: json.dumps(v) for k, v in meta.items()})


def maml_fixture(name, model, params, xs, ys, xq, yq, alpha, loss_fn, meta):
    """One inner SGD step with create_graph, query loss at the adapted weights, second-order meta-gradient."""
    names = list(params)
    p = [params[n] for n in names]
    inner = loss_fn(functional_call(model, dict(zip(names, p)), (xs,)), ys)
    g = torch.autograd.grad(inner, p, create_graph=True)
    fast = {n: w - alpha * gi for n, w, gi in zip(names, p, g)}
    outer = loss_fn(functional_call(model, fast, (xq,)), yq)
    meta_g = torch.autograd.grad(outer, p)
    # first-order: the same with the inner gradient detached
    g1 = [gi.detach() for gi in torch.autograd.grad(loss_fn(functional_call(model, dict(zip(names, p)), (xs,)), ys), p)]
    outer1 = loss_fn(functional_call(model, {n: w - alpha * gi for n, w, gi in zip(names, p, g1)}, (xq,)), yq)
    fo_g = torch.autograd.grad(outer1, p)
    t = {f'weights.{n}': w.detach() for n, w in zip(names, p)}
    t.update({'support.x': xs, 'support.y': ys, 'query.x': xq, 'query.y': yq,
              'inner_loss': inner.detach().reshape([]), 'outer_loss': outer.detach().reshape([])})
    t.update({f'meta_grad.{n}': gi for n, gi in zip(names, meta_g)})
    t.update({f'fo_meta_grad.{n}': gi for n, gi in zip(names, fo_g)})
    save_file(t, os.path.join(OUT, f'{name}.safetensors'), {k: json.dumps(v) for k, v in {**meta, 'alpha': alpha}.items()})


def sequence_fixtures():
    """float64 LSTM, GRU (layers and cells) and MultiheadAttention: state dicts, inputs, outputs, and the
    gradients of a fixed random linear loss sum(output * r) with respect to every float input and every
    parameter. Files seq_lstm, seq_gru and seq_mha; tensors keyed `<case>.weights.<name>`, `<case>.in.<name>`,
    `<case>.out.<name>`, `<case>.r.<name>`, `<case>.grad.<name>`; metadata: each case's configuration."""
    torch.manual_seed(7)
    f64 = dict(dtype=torch.float64)

    def record(file, case, module, inputs, run, config):
        """inputs: name -> tensor (float ones get gradients); run(module, inputs) -> name -> output tensor."""
        t, meta = file
        module = module.double()
        for k, v in module.state_dict().items():
            t[f'{case}.weights.{k}'] = v.clone()
        ins = {k: (v.clone().requires_grad_(True) if v.is_floating_point() else v) for k, v in inputs.items()}
        outs = {k: v for k, v in run(module, ins).items() if v is not None}
        loss = 0
        for k, v in outs.items():
            r = torch.randn(v.shape, **f64)
            t[f'{case}.r.{k}'] = r
            t[f'{case}.out.{k}'] = v.detach()
            loss = loss + (v * r).sum()
        diff = [(f'grad.{k}', v) for k, v in ins.items() if v.is_floating_point()]
        diff += [(f'grad.{k}', p) for k, p in module.named_parameters()]
        grads = torch.autograd.grad(loss, [v for _, v in diff])
        for (k, _), g in zip(diff, grads):
            t[f'{case}.{k}'] = g
        for k, v in inputs.items():
            t[f'{case}.in.{k}'] = v
        meta[case] = config

    def save(name, file):
        t, meta = file
        save_file(t, os.path.join(OUT, f'{name}.safetensors'), {k: json.dumps(v) for k, v in meta.items()})

    lstm_out = lambda o: {'output': o[0], 'hN': o[1][0], 'cN': o[1][1]}
    f = ({}, {})
    # 2-layer bidirectional batch-first LSTM with an initial state
    record(f, 'lstm', nn.LSTM(2, 3, num_layers=2, batch_first=True, bidirectional=True),
           {'x': torch.randn(2, 3, 2, **f64), 'h0': torch.randn(4, 2, 3, **f64), 'c0': torch.randn(4, 2, 3, **f64)},
           lambda m, i: lstm_out(m(i['x'], (i['h0'], i['c0']))),
           {'inputSize': 2, 'hiddenSize': 3, 'numLayers': 2, 'batchFirst': True, 'bidirectional': True})
    # time-first single-layer LSTM without bias, zero initial state
    record(f, 'lstm_nobias', nn.LSTM(2, 3, bias=False), {'x': torch.randn(4, 2, 2, **f64)},
           lambda m, i: lstm_out(m(i['x'])), {'inputSize': 2, 'hiddenSize': 3, 'bias': False})
    record(f, 'cell', nn.LSTMCell(2, 3), {'x': torch.randn(2, 2, **f64), 'h': torch.randn(2, 3, **f64), 'c': torch.randn(2, 3, **f64)},
           lambda m, i: dict(zip(['h1', 'c1'], m(i['x'], (i['h'], i['c'])))), {'inputSize': 2, 'hiddenSize': 3})
    save('seq_lstm', f)

    f = ({}, {})
    # 2-layer time-first GRU with an initial state
    record(f, 'gru', nn.GRU(2, 3, num_layers=2), {'x': torch.randn(4, 2, 2, **f64), 'h0': torch.randn(2, 2, 3, **f64)},
           lambda m, i: dict(zip(['output', 'hN'], m(i['x'], i['h0']))), {'inputSize': 2, 'hiddenSize': 3, 'numLayers': 2})
    # bidirectional batch-first GRU, zero initial state
    record(f, 'gru_bi', nn.GRU(2, 3, batch_first=True, bidirectional=True), {'x': torch.randn(2, 3, 2, **f64)},
           lambda m, i: dict(zip(['output', 'hN'], m(i['x']))),
           {'inputSize': 2, 'hiddenSize': 3, 'batchFirst': True, 'bidirectional': True})
    record(f, 'cell', nn.GRUCell(2, 3), {'x': torch.randn(2, 2, **f64), 'h': torch.randn(2, 3, **f64)},
           lambda m, i: {'h1': m(i['x'], i['h'])}, {'inputSize': 2, 'hiddenSize': 3})
    save('seq_gru', f)

    f = ({}, {})
    # batch-first causal self-attention with padded keys (the last key of the second sequence)
    pad_mask = torch.zeros(2, 4, dtype=torch.bool)
    pad_mask[1, 3:] = True
    causal = torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)
    mha = nn.MultiheadAttention(4, 2, batch_first=True)
    with torch.no_grad():  # non-zero biases, so the bias gradients flow through non-trivial values
        mha.in_proj_bias.normal_()
        mha.out_proj.bias.normal_()
    record(f, 'self', mha, {'x': torch.randn(2, 4, 4, **f64), 'key_padding_mask': pad_mask, 'attn_mask': causal},
           lambda m, i: dict(zip(['output', 'weights'], m(i['x'], i['x'], i['x'], key_padding_mask=i['key_padding_mask'], attn_mask=i['attn_mask']))),
           {'embedDim': 4, 'numHeads': 2, 'batchFirst': True})
    # time-first cross-attention, kdim/vdim != embed_dim, per-head float mask, per-head weights
    mha = nn.MultiheadAttention(4, 2, kdim=3, vdim=2)
    with torch.no_grad():
        mha.in_proj_bias.normal_()
    record(f, 'cross', mha, {'q': torch.randn(3, 2, 4, **f64), 'k': torch.randn(2, 2, 3, **f64), 'v': torch.randn(2, 2, 2, **f64),
                             'attn_mask': torch.randn(4, 3, 2, **f64)},
           lambda m, i: dict(zip(['output', 'weights'], m(i['q'], i['k'], i['v'], attn_mask=i['attn_mask'], average_attn_weights=False))),
           {'embedDim': 4, 'numHeads': 2, 'kdim': 3, 'vdim': 2})
    save('seq_mha', f)


OPTIMIZERS = {
    'sgd': (torch.optim.SGD, {'lr': 0.1}),
    'sgd_momentum_dampening': (torch.optim.SGD, {'lr': 0.1, 'momentum': 0.9, 'dampening': 0.1, 'weight_decay': 0.01}),
    'sgd_nesterov': (torch.optim.SGD, {'lr': 0.1, 'momentum': 0.9, 'nesterov': True, 'weight_decay': 0.01}),
    'adam': (torch.optim.Adam, {'lr': 0.01, 'betas': (0.8, 0.99), 'weight_decay': 0.1}),
    'adam_amsgrad': (torch.optim.Adam, {'lr': 0.01, 'amsgrad': True}),
    'adamw': (torch.optim.AdamW, {'lr': 0.01, 'weight_decay': 0.1}),
}


def optim_fixture():
    """Parameters after each of 4 steps of every optimiser from the same start and gradient sequence."""
    p0 = torch.randn(3, 4)
    grads = [torch.randn(3, 4) for _ in range(4)]
    t = {'p0': p0}
    t.update({f'grad{i}': g for i, g in enumerate(grads)})
    for name, (cls, kw) in OPTIMIZERS.items():
        p = nn.Parameter(p0.clone())
        opt = cls([p], **kw)
        for i, g in enumerate(grads):
            p.grad = g.clone()
            opt.step()
            t[f'{name}.step{i}'] = p.detach().clone()
    meta = {name: {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()} for name, (_, kw) in OPTIMIZERS.items()}
    save_file(t, os.path.join(OUT, 'optim.safetensors'), {'configs': json.dumps(meta)})


def dtypes_fixture():
    t = {
        'f64': torch.tensor([[1.5, -2.25], [3.0, 1e-300]], dtype=torch.float64),
        'f32': torch.tensor([0.1, -7.5, 3.25], dtype=torch.float32),
        'f16': torch.tensor([1.0, -2.5, 65504.0, 6.1035e-05], dtype=torch.float16),
        'bf16': torch.tensor([1.0, -3.0, 0.15625], dtype=torch.bfloat16),
        'i64': torch.tensor([0, -5, 2147483647], dtype=torch.int64),
        'i32': torch.tensor([[1, 2, 3], [-4, -5, -6]], dtype=torch.int32),
        'u8': torch.tensor([0, 128, 255], dtype=torch.uint8),
        'bool': torch.tensor([True, False, True]),
        'empty': torch.zeros((0, 3), dtype=torch.float32),
        'scalar': torch.tensor(4.5, dtype=torch.float32),
    }
    save_file(t, os.path.join(OUT, 'dtypes.safetensors'), {'written_by': 'scripts/golden.py', 'torch': torch.__version__})


def interop_check():
    """adaptlab writes a Conv4 checkpoint plus its own logits; PyTorch loads it by name and must agree."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'from_adaptlab.safetensors')
        subprocess.run(['node', os.path.join(ROOT, 'scripts', 'write-interop.mjs'), path], check=True, cwd=ROOT)
        t, meta = load_file(path)
        model = Conv4(hidden=8)
        sd = {k[len('weights.'):]: v for k, v in t.items() if k.startswith('weights.')}
        missing, unexpected = model.load_state_dict(sd, strict=True), None
        model.eval()
        with torch.no_grad():
            out = model(t['input'])
        err = (out - t['logits']).abs().max().item() / max(t['logits'].abs().max().item(), 1e-6)
        assert err < 1e-4, f'adaptlab checkpoint disagrees with PyTorch: relative error {err}'
        assert t['labels'].dtype == torch.int64 and t['mask'].dtype == torch.bool and t['pixels'].dtype == torch.uint8
        assert meta.get('written_by') == 'adaptlab', meta
        print(f'interop: adaptlab safetensors load in PyTorch by name (relative error {err:.2e})')


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    dtypes_fixture()
    optim_fixture()

    c4 = Conv4(hidden=16)
    model_fixture('conv4', c4, torch.randn(6, 1, 28, 28), torch.tensor([0, 1, 2, 3, 4, 0]),
                  {'model': 'Conv4', 'hidden': 16, 'pooling': 'max', 'mode': 'train'})

    rn = ResNet(widths=(8, 16, 32), num_classes=10)
    model_fixture('resnet', rn, torch.randn(4, 3, 16, 16), torch.tensor([1, 9, 3, 0]),
                  {'model': 'ResNet', 'blocksPerStage': [1, 1, 1], 'widths': [8, 16, 32], 'mode': 'train'})

    net = mlp([1, 40, 40, 1])
    params = {n: p.detach().clone().requires_grad_(True) for n, p in net.named_parameters()}
    amp, phase = 3.1, 0.7
    xs = torch.rand(10, 1) * 10 - 5
    xq = torch.rand(10, 1) * 10 - 5
    maml_fixture('maml_mlp', net, params, xs, amp * torch.sin(xs - phase), xq, amp * torch.sin(xq - phase), 0.01,
                 F.mse_loss, {'model': 'MLP', 'sizes': [1, 40, 40, 1]})

    c4m = Conv4(hidden=8, track_running_stats=False)
    params = {n: p.detach().clone().requires_grad_(True) for n, p in c4m.named_parameters()}
    maml_fixture('maml_conv4', c4m, params, torch.randn(5, 1, 28, 28), torch.arange(5),
                 torch.randn(10, 1, 28, 28), torch.arange(5).repeat_interleave(2), 0.4, F.cross_entropy,
                 {'model': 'Conv4', 'hidden': 8, 'pooling': 'max', 'trackRunningStats': False})

    sequence_fixtures()

    for f in sorted(os.listdir(OUT)):
        print(f'{f}: {os.path.getsize(os.path.join(OUT, f))} bytes')
    if os.path.exists(os.path.join(ROOT, 'dist', 'src', 'index.js')):
        interop_check()
    else:
        print('interop check skipped: run `npm run build` first', file=sys.stderr)


if __name__ == '__main__':
    main()
