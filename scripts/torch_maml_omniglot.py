#!/usr/bin/env python3
"""PyTorch reference for `adaptlab meta-train maml --dataset omniglot`: the same protocol on the same pixels.

MAML (Finn et al. 2017, Omniglot N-way K-shot): Conv-4 with 3x3 stride-2 convolutions, BatchNorm with batch statistics
(transductive, running statistics never used), ReLU, the last feature map averaged over space, a linear head; inner
SGD with lr alpha on the support (1 step in training, 3 at test for 5-way), second order unless --first-order; outer
Adam 1e-3 over a meta-batch of 32 tasks. Training episodes come from an exported train split (with --rotate random90 each
class of a task is rotated by its own random multiple of 90 degrees, as the `maml` preset does); evaluation uses the exact
test episodes adaptlab's `meta-test` scores (exported by scripts/export-fewshot.mjs). Prints one JSON line per
evaluation and a final JSON summary. Initialisation is PyTorch's default, not adaptlab's: the two start from
different weights.

  node scripts/export-fewshot.mjs --dataset omniglot --split maml:train --data-dir ../shared/data --out /tmp/ref/mtrain
  node scripts/export-fewshot.mjs --dataset omniglot --split maml:test --data-dir ../shared/data --out /tmp/ref/mtest \\
       --episodes 1000 --ways 5 --shots 1 --queries 15 --seed 0
  /usr/bin/python3 scripts/torch_maml_omniglot.py --train /tmp/ref/mtrain --test /tmp/ref/mtest --rotate random90 \\
       --ways 5 --shots 1 --queries 1 --time-budget 3600
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--train', required=True)
p.add_argument('--test', required=True, help='PREFIX of exported test episodes (ways and shots as --ways/--shots)')
p.add_argument('--rotate', choices=['none', 'random90'], default='none')
p.add_argument('--ways', type=int, default=5)
p.add_argument('--shots', type=int, default=1)
p.add_argument('--queries', type=int, default=1, help='query examples per class of a training task')
p.add_argument('--meta-batch', type=int, default=32)
p.add_argument('--inner-lr', type=float, default=0.4)
p.add_argument('--inner-steps', type=int, default=1)
p.add_argument('--eval-inner-steps', type=int, default=3)
p.add_argument('--meta-lr', type=float, default=1e-3)
p.add_argument('--first-order', action='store_true')
p.add_argument('--time-budget', type=float, default=600)
p.add_argument('--steps', type=int, default=10**9)
p.add_argument('--threads', type=int, default=2)
p.add_argument('--seed', type=int, default=0)
p.add_argument('--eval-every-seconds', type=float, default=0, help='also evaluate during training (time not counted)')
p.add_argument('--checkpoint', help='FILE: save weights, Adam state, RNG states, step and training seconds here '
               '(atomically, every --checkpoint-every-seconds and at the end)')
p.add_argument('--checkpoint-every-seconds', type=float, default=300)
p.add_argument('--resume', action='store_true', help='continue from --checkpoint; --time-budget counts the time before')
args = p.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)

train_x = np.load(f'{args.train}-images.npy')
train_y = np.load(f'{args.train}-labels.npy')
test_x = torch.from_numpy(np.load(f'{args.test}-images.npy')).unsqueeze(1)
episodes = np.load(f'{args.test}-episodes.npy')
by_class = [np.flatnonzero(train_y == c) for c in range(train_y.max() + 1)]

HIDDEN = 64


def init_params():
    """Conv-4 (stride 2) + BatchNorm affine + linear head, PyTorch's default initialisation."""
    params = []
    c = 1
    for _ in range(4):
        conv = torch.nn.Conv2d(c, HIDDEN, 3, stride=2, padding=1)
        params += [conv.weight, conv.bias, torch.ones(HIDDEN), torch.zeros(HIDDEN)]
        c = HIDDEN
    head = torch.nn.Linear(HIDDEN, args.ways)
    params += [head.weight, head.bias]
    return [t.detach().clone().requires_grad_(True) for t in params]


def forward(x, w):
    h = x
    for i in range(4):
        cw, cb, g, b = w[4 * i:4 * i + 4]
        h = F.conv2d(h, cw, cb, stride=2, padding=1)
        h = F.batch_norm(h, None, None, g, b, training=True)  # batch statistics always (MAML's transductive BN)
        h = F.relu(h)
    return F.linear(h.mean((2, 3)), w[16], w[17])


def adapt(w, xs, ys, steps, create_graph):
    for _ in range(steps):
        loss = F.cross_entropy(forward(xs, w), ys)
        grads = torch.autograd.grad(loss, w, create_graph=create_graph)
        w = [p - args.inner_lr * g for p, g in zip(w, grads)]
    return w


def sample_task():
    classes = rng.choice(len(by_class), args.ways, replace=False)
    n = args.shots + args.queries
    xs, xq = [], []
    for c in classes:
        imgs = train_x[rng.choice(by_class[c], n, replace=False)]
        if args.rotate == 'random90':
            imgs = np.rot90(imgs, k=int(rng.integers(4)), axes=(1, 2))
        xs.append(imgs[:args.shots])
        xq.append(imgs[args.shots:])
    xs = torch.from_numpy(np.ascontiguousarray(np.concatenate(xs))).unsqueeze(1)
    xq = torch.from_numpy(np.ascontiguousarray(np.concatenate(xq))).unsqueeze(1)
    ys = torch.arange(args.ways).repeat_interleave(args.shots)
    yq = torch.arange(args.ways).repeat_interleave(args.queries)
    return xs, ys, xq, yq


weights = init_params()
opt = torch.optim.Adam(weights, lr=args.meta_lr)


def evaluate():
    ways, shots = args.ways, args.shots
    queries = episodes.shape[1] // ways - shots
    accs = []
    for ep in episodes:
        s, q = ep[:ways * shots], ep[ways * shots:]
        ys = torch.arange(ways).repeat_interleave(shots)
        yq = torch.arange(ways).repeat_interleave(queries)
        fast = adapt(weights, test_x[s], ys, args.eval_inner_steps, create_graph=False)
        with torch.no_grad():
            accs.append((forward(test_x[q], fast).argmax(1) == yq).float().mean().item())
    a = np.array(accs)
    return {'ways': ways, 'shots': shots, 'episodes': len(a), 'accuracy': float(a.mean()),
            'ci95': float(1.96 * a.std() / math.sqrt(len(a)))}


def save_checkpoint(step, seconds):
    tmp = args.checkpoint + '.tmp'
    torch.save({'weights': [w.detach() for w in weights], 'adam': opt.state_dict(), 'numpy_rng': rng.bit_generator.state,
                'torch_rng': torch.get_rng_state(), 'step': step, 'seconds': seconds}, tmp)
    with open(tmp, 'rb') as f:
        os.fsync(f.fileno())
    os.replace(tmp, args.checkpoint)  # a kill mid-save leaves the previous checkpoint whole


step = 0
before = 0.0  # training seconds of the runs this one resumes
if args.resume:
    ck = torch.load(args.checkpoint)
    with torch.no_grad():
        for w, v in zip(weights, ck['weights']):
            w.copy_(v)
    opt.load_state_dict(ck['adam'])
    rng.bit_generator.state = ck['numpy_rng']
    torch.set_rng_state(ck['torch_rng'])
    step, before = ck['step'], ck['seconds']
start = time.perf_counter()
excluded = -before
next_eval = (math.floor(before / args.eval_every_seconds) + 1) * args.eval_every_seconds if args.eval_every_seconds else 0
next_save = before + args.checkpoint_every_seconds
while step < args.steps and time.perf_counter() - start - excluded < args.time_budget:
    opt.zero_grad()
    for _ in range(args.meta_batch):
        xs, ys, xq, yq = sample_task()
        fast = adapt(weights, xs, ys, args.inner_steps, create_graph=not args.first_order)
        (F.cross_entropy(forward(xq, fast), yq) / args.meta_batch).backward()
    opt.step()
    step += 1
    elapsed = time.perf_counter() - start - excluded
    if args.eval_every_seconds and elapsed >= next_eval:
        t0 = time.perf_counter()
        result = evaluate()
        excluded += time.perf_counter() - t0
        print(json.dumps({'step': step, 'seconds': round(elapsed, 1), 'test': result}), flush=True)
        next_eval += args.eval_every_seconds
    if args.checkpoint and elapsed >= next_save:
        save_checkpoint(step, elapsed)
        next_save += args.checkpoint_every_seconds

train_seconds = time.perf_counter() - start - excluded
if args.checkpoint:
    save_checkpoint(step, train_seconds)
print(json.dumps({'impl': 'pytorch', 'torch': torch.__version__, 'threads': args.threads, 'steps': step,
                  'train_seconds': round(train_seconds, 1), 'test': evaluate()}))
