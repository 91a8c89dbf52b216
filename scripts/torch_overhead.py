#!/usr/bin/env python3
"""PyTorch side of adaptlab's per-op overhead probes (adaptlab bench --overhead --compare-torch).
Prints one JSON object: workload -> median milliseconds per iteration."""
import json, statistics, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(0)


def timeit(fn, warm=2, reps=7):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ts)


res = {}
a, b = torch.randn(4, 4), torch.randn(4, 4)
def adds():
    for _ in range(10000):
        a + b
res['small_adds_10k'] = timeit(adds)

net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))
opt = torch.optim.SGD(net.parameters(), 0.01)
x, y = torch.randn(16, 8), torch.randint(0, 4, (16,))
def step():
    opt.zero_grad(); F.cross_entropy(net(x), y).backward(); opt.step()
res['tiny_mlp_step'] = timeit(step, warm=20, reps=51)
print(json.dumps({k: round(v, 4) for k, v in res.items()}))
