#!/usr/bin/env python3
"""PyTorch reference for `adaptlab meta-train maml --dataset sinusoid`: the same protocol, evaluated on the same tasks.

Second-order MAML (Finn et al. 2017, section 5.1): MLP 1-40-40-1 with ReLU, one inner SGD step with alpha = 0.01
on K support points, meta-batch 25, Adam 1e-3 on the query MSE; tasks y = A sin(x - phi), A ~ U[0.1, 5],
phi ~ U[0, pi], x ~ U[-5, 5]. Evaluation: the exact test tasks of adaptlab's `meta-test` (exported by
scripts/export-fewshot.mjs --dataset sinusoid), MSE on the query after 1, 5 and 10 inner steps.

  node scripts/export-fewshot.mjs --dataset sinusoid --episodes 600 --shots 5 --queries 10 --seed 0 --out /tmp/ref/sin5
  /usr/bin/python3 scripts/torch_maml_sinusoid.py --tasks /tmp/ref/sin5 --shots 5 --steps 70000
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--tasks', required=True)
p.add_argument('--shots', type=int, default=5)
p.add_argument('--queries', type=int, default=10)
p.add_argument('--steps', type=int, default=10**9)
p.add_argument('--time-budget', type=float, default=float('inf'))
p.add_argument('--meta-batch', type=int, default=25)
p.add_argument('--alpha', type=float, default=0.01)
p.add_argument('--threads', type=int, default=2)
p.add_argument('--seed', type=int, default=0)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)


def init():
    layers = [torch.nn.Linear(1, 40), torch.nn.Linear(40, 40), torch.nn.Linear(40, 1)]
    return [t for l in layers for t in (l.weight, l.bias)]


P = [torch.nn.Parameter(t.detach().clone()) for t in init()]
opt = torch.optim.Adam(P, 1e-3)


def mlp(w, x):
    return F.linear(F.relu(F.linear(F.relu(F.linear(x, w[0], w[1])), w[2], w[3])), w[4], w[5])


def sample_tasks(n, k, q):
    """n tasks; for each, k support and q query points of the same sinusoid."""
    a = torch.rand(n, 1, 1) * 4.9 + 0.1
    ph = torch.rand(n, 1, 1) * math.pi
    xs = torch.rand(n, k, 1) * 10 - 5
    xq = torch.rand(n, q, 1) * 10 - 5
    return xs, a * torch.sin(xs - ph), xq, a * torch.sin(xq - ph)


sx, sy = (torch.from_numpy(np.load(f'{args.tasks}-support-{v}.npy')) for v in 'xy')
qx, qy = (torch.from_numpy(np.load(f'{args.tasks}-query-{v}.npy')) for v in 'xy')


def evaluate(steps=(1, 5, 10)):
    out = {s: [] for s in steps}
    for i in range(sx.shape[0]):
        w = [t.detach().requires_grad_() for t in P]
        for s in range(1, max(steps) + 1):
            g = torch.autograd.grad(F.mse_loss(mlp(w, sx[i]), sy[i]), w)
            w = [(t - args.alpha * gi).detach().requires_grad_() for t, gi in zip(w, g)]
            if s in out:
                with torch.no_grad():
                    out[s].append(F.mse_loss(mlp(w, qx[i]), qy[i]).item())
    return {s: (float(np.mean(v)), float(1.96 * np.std(v) / math.sqrt(len(v)))) for s, v in out.items()}


start = time.perf_counter()
step = 0
while step < args.steps and time.perf_counter() - start < args.time_budget:
    xs, ys, xq, yq = sample_tasks(args.meta_batch, args.shots, args.queries)
    opt.zero_grad()
    total = 0
    for t in range(args.meta_batch):
        g = torch.autograd.grad(F.mse_loss(mlp(P, xs[t]), ys[t]), P, create_graph=True)
        total = total + F.mse_loss(mlp([w - args.alpha * gi for w, gi in zip(P, g)], xq[t]), yq[t])
    (total / args.meta_batch).backward()
    opt.step()
    step += 1
train_seconds = time.perf_counter() - start
res = evaluate()
print(json.dumps({'impl': 'pytorch', 'torch': torch.__version__, 'threads': args.threads, 'steps': step, 'train_seconds': round(train_seconds, 1),
                  'episodes': int(sx.shape[0]), 'shots': args.shots,
                  'mse': {f'after_{s}_steps': {'mean': m, 'ci95': c} for s, (m, c) in res.items()}}))
