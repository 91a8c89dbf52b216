#!/usr/bin/env python3
"""PyTorch reference for `adaptlab meta-train protonet` on Omniglot: the same protocol on the same pixels.

Trains a prototypical network (Snell et al. 2017: Conv-4 with 2x2 max-pool, 64-d embedding, squared Euclidean
distance, Adam 1e-3 halved every 2000 episodes, 60-way training episodes with 5 queries per class) for a time
budget, then evaluates on the exact test episodes adaptlab's `meta-test` uses (exported by
scripts/export-fewshot.mjs). Prints one JSON line per evaluation and a final JSON summary.

  node scripts/export-fewshot.mjs --dataset omniglot --split snell:train --data-dir ../shared/data --out /tmp/ref/train
  node scripts/export-fewshot.mjs --dataset omniglot --split snell:test --data-dir ../shared/data --out /tmp/ref/test \\
       --episodes 1000 --ways 5 --shots 1 --queries 15 --seed 0
  /usr/bin/python3 scripts/torch_protonet.py --train /tmp/ref/train --test /tmp/ref/test@5 --shots 1 --time-budget 1200
(--test may be repeated, e.g. a 5-way and a 20-way episode set: --test /tmp/ref/test5@5 --test /tmp/ref/test20@20)
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--train', required=True)
p.add_argument('--test', required=True, action='append',
               help='PREFIX[@WAYS] of exported test episodes (repeatable; WAYS defaults to 5)')
p.add_argument('--train-ways', type=int, default=60)
p.add_argument('--shots', type=int, default=1)
p.add_argument('--queries', type=int, default=5)
p.add_argument('--time-budget', type=float, default=600)
p.add_argument('--steps', type=int, default=10**9)
p.add_argument('--threads', type=int, default=2)
p.add_argument('--seed', type=int, default=0)
p.add_argument('--eval-every-seconds', type=float, default=0, help='also evaluate during training (time not counted)')
args = p.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)

train_x = torch.from_numpy(np.load(f'{args.train}-images.npy')).unsqueeze(1)
train_y = np.load(f'{args.train}-labels.npy')
tests = []
for spec in args.test:
    prefix, _, w = spec.partition('@')
    tests.append({'name': prefix.rsplit('/', 1)[-1], 'ways': int(w or 5),
                  'x': torch.from_numpy(np.load(f'{prefix}-images.npy')).unsqueeze(1),
                  'episodes': np.load(f'{prefix}-episodes.npy')})
by_class = [np.flatnonzero(train_y == c) for c in range(train_y.max() + 1)]


def conv4():
    layers, c = [], 1
    for _ in range(4):
        layers += [nn.Conv2d(c, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2)]
        c = 64
    return nn.Sequential(*layers, nn.Flatten())


net = conv4()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
sched = torch.optim.lr_scheduler.StepLR(opt, 2000, 0.5)


def logits(zq, zs, ways, shots):
    protos = zs.view(ways, shots, -1).mean(1)
    return -torch.cdist(zq, protos).pow(2)


def evaluate_one(t):
    ways, shots, episodes, test_x = t['ways'], args.shots, t['episodes'], t['x']
    queries = episodes.shape[1] // ways - shots
    accs = []
    for ep in episodes:
        s, q = ep[:ways * shots], ep[ways * shots:]
        out = logits(net(test_x[q]), net(test_x[s]), ways, shots)
        y = torch.arange(ways).repeat_interleave(queries)
        accs.append((out.argmax(1) == y).float().mean().item())
    a = np.array(accs)
    return {'ways': ways, 'shots': shots, 'episodes': len(a), 'accuracy': float(a.mean()),
            'ci95': float(1.96 * a.std() / math.sqrt(len(a)))}


def evaluate():
    net.eval()  # adaptlab's ProtoNet embeds with the module's mode: eval after training (running statistics)
    with torch.no_grad():
        out = {t['name']: evaluate_one(t) for t in tests}
    net.train()
    return out


start = time.perf_counter()
excluded = 0.0
step = 0
next_eval = args.eval_every_seconds
while step < args.steps and time.perf_counter() - start - excluded < args.time_budget:
    classes = rng.choice(len(by_class), args.train_ways, replace=False)
    idx = np.concatenate([rng.choice(by_class[c], args.shots + args.queries, replace=False) for c in classes])
    idx = idx.reshape(args.train_ways, args.shots + args.queries)
    s, q = idx[:, :args.shots].reshape(-1), idx[:, args.shots:].reshape(-1)
    out = logits(net(train_x[q]), net(train_x[s]), args.train_ways, args.shots)
    loss = F.cross_entropy(out, torch.arange(args.train_ways).repeat_interleave(args.queries))
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    step += 1
    elapsed = time.perf_counter() - start - excluded
    if args.eval_every_seconds and elapsed >= next_eval:
        t0 = time.perf_counter()
        result = evaluate()
        excluded += time.perf_counter() - t0
        print(json.dumps({'step': step, 'seconds': round(elapsed, 1), 'test': result}), flush=True)
        next_eval += args.eval_every_seconds

train_seconds = time.perf_counter() - start - excluded
print(json.dumps({'impl': 'pytorch', 'torch': torch.__version__, 'threads': args.threads, 'steps': step,
                  'train_seconds': round(train_seconds, 1), 'test': evaluate()}))
