#!/usr/bin/env node
// Kernel micro-benchmark: GEMM GFLOP/s and conv2d fwd/bwd times on Conv-4 / ResNet shapes, native vs ts,
// with PyTorch measured in the same run (when /usr/bin/python3 has torch). Usage:
//   node scripts/bench-kernels.mjs [--threads N] [--no-ts] [--no-torch] [--reps R]
import { spawnSync } from 'node:child_process';
import { tsKernels } from '../dist/src/backend/ts/index.js';
import { loadNative, setNativeThreads } from '../dist/src/backend/native/load.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const threads = Number(opt('--threads', '2'));
const reps = Number(opt('--reps', '9'));
const withTs = !args.includes('--no-ts');
const withTorch = !args.includes('--no-torch');

const st = loadNative();
if (!st.kernels) { console.error(`native addon unavailable: ${st.error}`); process.exit(1); }
setNativeThreads(threads);
const nk = st.kernels;

function median(fn, r = reps, warm = 2) {
  for (let i = 0; i < warm; i++) fn();
  const ts = [];
  for (let i = 0; i < r; i++) { const t0 = performance.now(); fn(); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}
const rnd = (n) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1; return a; };
const outSize = (h, k, s, p) => Math.floor((h + 2 * p - (k - 1) - 1) / s) + 1;

const ONLY = opt('--only', '');
const CONVS_ALL = [
  ['conv4 L1 80x1x28x28 -> 64', 80, 1, 28, 64, 1, 1],
  ['conv4 L2 80x64x14x14 -> 64', 80, 64, 14, 64, 1, 1],
  ['conv4 L3 80x64x7x7 -> 64', 80, 64, 7, 64, 1, 1],
  ['conv4 L4 80x64x3x3 -> 64', 80, 64, 3, 64, 1, 1],
  ['maml L1 5x1x28x28 -> 64', 5, 1, 28, 64, 1, 1],
  ['maml L2 5x64x14x14 -> 64', 5, 64, 14, 64, 1, 1],
  ['maml L3 5x64x7x7 -> 64', 5, 64, 7, 64, 1, 1],
  ['maml L4 5x64x3x3 -> 64', 5, 64, 3, 64, 1, 1],
  ['maml L2 75x64x14x14 -> 64', 75, 64, 14, 64, 1, 1],
  ['protonet L2 600x64x14x14 -> 64', 600, 64, 14, 64, 1, 1],
  ['resnet 64x16x32x32 -> 16', 64, 16, 32, 16, 1, 1],
  ['resnet 64x16x32x32 -> 32 s2', 64, 16, 32, 32, 2, 1],
  ['resnet 64x32x16x16 -> 64 s2', 64, 32, 16, 64, 2, 1],
];

const CONVS = CONVS_ALL.filter((c) => !ONLY || ONLY.split(',').some((o) => c[0].includes(o)));
const results = { threads, isa: st.isa, gemm: st.gemm, matmul: {}, conv: [] };
// GEMM
for (const n of [64, 128, 256, 512, 1024]) {
  const a = rnd(n * n), b = rnd(n * n), c = new Float32Array(n * n), zero = new Int32Array(1);
  const g = { batch: 1, m: n, k: n, n, transA: false, transB: false, aOffsets: zero, bOffsets: zero };
  const ms = median(() => nk.matmul(a, b, c, g), n >= 512 ? reps : reps * 5);
  const row = { native_ms: ms, native_gflops: 2 * n ** 3 / ms / 1e6 };
  if (withTs && n <= 512) { const t = median(() => tsKernels.matmul(a, b, c, g), n === 512 ? 2 : reps, 1); row.ts_ms = t; row.ts_gflops = 2 * n ** 3 / t / 1e6; }
  results.matmul[n] = row;
}
// conv
for (const [name, n, c, h, o, s, p] of CONVS) {
  const oh = outSize(h, 3, s, p);
  const g = { n, c, h, w: h, o, kh: 3, kw: 3, oh, ow: oh, strideH: s, strideW: s, padH: p, padW: p, dilH: 1, dilW: 1, groups: 1 };
  const x = rnd(n * c * h * h), w = rnd(o * c * 9), dy = rnd(n * o * oh * oh);
  const y = new Float32Array(dy.length), dx = new Float32Array(x.length), dw = new Float32Array(w.length);
  const row = {
    name,
    fwd: median(() => nk.conv2d(x, w, y, g)),
    bwdData: median(() => { dx.fill(0); nk.conv2dBackwardData(dy, w, dx, g); }),
    bwdFilter: median(() => { dw.fill(0); nk.conv2dBackwardFilter(x, dy, dw, g); }),
  };
  const flops = 2 * n * o * oh * oh * c * 9;
  row.fwd_gflops = flops / row.fwd / 1e6;
  if (withTs && n * c * h * h * o <= 80 * 64 * 14 * 14 * 64) row.ts_fwd = median(() => tsKernels.conv2d(x, w, y, g), 1, 0);
  results.conv.push(row);
}

if (withTorch) {
  const py = `
import json, statistics, time, torch, torch.nn.functional as F
torch.set_num_threads(${threads})
def med(fn, r=${reps}, warm=2):
    for _ in range(warm): fn()
    ts = []
    for _ in range(r):
        t0 = time.perf_counter(); fn(); ts.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ts)
res = {"matmul": {}, "conv": []}
for n in [64, 128, 256, 512, 1024]:
    a = torch.randn(n, n); b = torch.randn(n, n)
    res["matmul"][n] = med(lambda: a @ b, ${reps} if n >= 512 else ${reps} * 5)
for name, n, c, h, o, s, p in ${JSON.stringify(CONVS).replace(/"/g, "'")}:
    x = torch.randn(n, c, h, h, requires_grad=True); w = torch.randn(o, c, 3, 3, requires_grad=True)
    y = F.conv2d(x, w, stride=s, padding=p); dy = torch.randn_like(y)
    fwd = med(lambda: F.conv2d(x, w, stride=s, padding=p))
    bd = med(lambda: torch.nn.grad.conv2d_input(x.shape, w, dy, stride=s, padding=p))
    bf = med(lambda: torch.nn.grad.conv2d_weight(x, w.shape, dy, stride=s, padding=p))
    res["conv"].append({"name": name, "fwd": fwd, "bwdData": bd, "bwdFilter": bf})
print(json.dumps(res))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8' });
  if (r.status === 0) results.torch = JSON.parse(r.stdout.trim().split('\n').pop());
  else results.torchError = (r.stderr || r.error?.message || '').slice(0, 300);
}

const f = (v) => (v === undefined ? '-' : v < 10 ? v.toFixed(3) : v.toFixed(1));
console.log(`native: isa ${st.isa}, gemm ${st.gemm}, threads ${threads}`);
console.log('GEMM n×n×n       native ms  GFLOP/s   ts ms     torch ms  ratio');
for (const [n, r] of Object.entries(results.matmul)) {
  const t = results.torch?.matmul?.[n];
  console.log(`${String(n).padEnd(16)} ${f(r.native_ms).padStart(9)} ${f(r.native_gflops).padStart(8)} ${f(r.ts_ms).padStart(8)} ${f(t).padStart(10)} ${t ? (r.native_ms / t).toFixed(2).padStart(6) : '-'}`);
}
console.log('conv 3x3 (ms)                      fwd   GFLOP/s  bwdData bwdFilter | torch fwd bwdData bwdFilter | ratio fwd bd bf');
for (const r of results.conv) {
  const t = results.torch?.conv?.find((x) => x.name === r.name);
  const ratio = t ? [r.fwd / t.fwd, r.bwdData / t.bwdData, r.bwdFilter / t.bwdFilter].map((v) => v.toFixed(2)).join(' ') : '-';
  console.log(`${r.name.padEnd(32)} ${f(r.fwd).padStart(7)} ${f(r.fwd_gflops).padStart(7)} ${f(r.bwdData).padStart(8)} ${f(r.bwdFilter).padStart(8)} | ${f(t?.fwd).padStart(8)} ${f(t?.bwdData).padStart(7)} ${f(t?.bwdFilter).padStart(8)} | ${ratio}${r.ts_fwd ? `  (ts fwd ${f(r.ts_fwd)})` : ''}`);
}
if (results.torchError) console.log(`torch: ${results.torchError}`);
if (args.includes('--json')) console.log(JSON.stringify(results));
