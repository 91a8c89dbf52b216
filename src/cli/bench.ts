// `adaptlab bench`: the standard workloads' median ms per iteration, optionally against PyTorch in the same run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { backendInfo } from '../backend/index.js';
import { findWorkload, OVERHEAD_WORKLOADS, WORKLOADS, type Workload } from '../bench/workloads.js';
import { median, runWorkload, type WorkloadResult } from '../bench/run.js';
import { writeFileAtomic } from '../io/atomic.js';
import { UsageError, type Command } from './command.js';
import { applyBackendFlags, BACKEND_FLAGS, parseIntFlag } from './flags.js';
import { log, Progress, table } from './output.js';
import { packageRoot } from '../core/package.js';

const PYTHON = process.env['ADAPTLAB_PYTHON'] ?? '/usr/bin/python3';


/** Run a PyTorch measurement script; returns workload → ms, or the reason it could not run. */
function torchTimes(script: string, threads: number): Record<string, number> | string {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  if (!existsSync(script)) return `${script} not found`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return `${PYTHON} cannot import torch (apt-get install -y python3-torch libopenblas0-pthread)`;
  const r = spawnSync(PYTHON, [script, String(threads)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) return `${script} failed: ${r.stderr.trim().split('\n').slice(-1)[0]}`;
  try {
    return JSON.parse(r.stdout.trim().split('\n').slice(-1)[0]!) as Record<string, number>;
  } catch {
    return `${script} printed no JSON`;
  }
}

export const bench: Command = {
  name: 'bench',
  summary: 'time the standard workloads (median ms per iteration), optionally against PyTorch',
  usage: 'adaptlab bench [--only a,b] [--overhead] [--json FILE] [--compare-torch] [--rounds N] [--iterations N] [--backend auto|native|ts] [--threads N] [--seed S]\n  --rounds N alternates PyTorch and adaptlab N times and compares the medians (robust to load from other processes)\n  --iterations N runs N more iterations and reports memory growth (run node with --expose-gc for exact live memory)',
  run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        only: { type: 'string' },
        overhead: { type: 'boolean' },
        json: { type: 'string' },
        'compare-torch': { type: 'boolean' },
        iterations: { type: 'string' },
        rounds: { type: 'string' },
        seed: { type: 'string' },
        ...BACKEND_FLAGS,
      },
      strict: true,
    });
    applyBackendFlags(values);
    const info = backendInfo();
    const threads = info.name === 'native' ? info.native.threads ?? 1 : 1;
    let list: Workload[] = values.overhead ? [...OVERHEAD_WORKLOADS] : [...WORKLOADS];
    if (values.only) {
      list = values.only.split(',').map((n) => {
        const w = findWorkload(n.trim());
        if (!w) throw new UsageError(`unknown workload "${n}" (known: ${[...WORKLOADS, ...OVERHEAD_WORKLOADS].map((x) => x.name).join(', ')})`);
        return w;
      });
    }
    const iterations = parseIntFlag('iterations', values.iterations);
    const seed = parseIntFlag('seed', values.seed, 0) ?? 0;
    const rounds = parseIntFlag('rounds', values.rounds) ?? 1;
    const torchThreads = Number(process.env['ADAPTLAB_THREADS'] ?? threads) || threads;
    const compare = values['compare-torch'] === true;
    const root = packageRoot();
    const scripts = compare ? [
      ...(list.some((w) => WORKLOADS.includes(w)) ? [process.env['ADAPTLAB_TORCH_ANCHOR'] ?? join(root, '..', 'shared', 'bench', 'torch_anchor.py')] : []),
      ...(list.some((w) => OVERHEAD_WORKLOADS.includes(w)) ? [join(root, 'scripts', 'torch_overhead.py')] : []),
    ] : [];
    const torchRounds: Record<string, number[]> = {};
    const ourRounds: Record<string, WorkloadResult[]> = {};
    const progress = new Progress();
    let torchOk = compare;
    // Rounds alternate PyTorch and adaptlab so that load from other processes hits both sides alike;
    // the medians over rounds are compared.
    for (let round = 0; round < rounds; round++) {
      const tag = rounds > 1 ? `round ${round + 1}/${rounds}: ` : '';
      for (const script of torchOk ? scripts : []) {
        log(`${tag}running PyTorch (${script}) with ${torchThreads} thread(s)...`);
        const t = torchTimes(script, torchThreads);
        if (typeof t === 'string') {
          log(`PyTorch comparison unavailable: ${t}`);
          torchOk = false;
          break;
        }
        for (const [k, v] of Object.entries(t)) (torchRounds[k] ??= []).push(v);
      }
      for (const w of list) {
        const last = round === rounds - 1;
        const r = runWorkload(w, {
          seed,
          ...(iterations && last ? { iterations } : {}),
          onIteration: (i, n) => progress.update(`${tag}${w.name}: iteration ${i}/${n}`),
        });
        progress.done();
        (ourRounds[w.name] ??= []).push(r);
        log(`${tag}${w.name}: ${r.ms.toFixed(2)} ms`);
      }
    }
    const torch = torchOk ? torchRounds : null;
    const results: Record<string, WorkloadResult & { torchMs?: number; ratio?: number; msRounds: number[]; torchMsRounds?: number[] }> = {};
    for (const w of list) {
      const rs = ourRounds[w.name]!;
      const last = rs[rs.length - 1]!;
      const r: (typeof results)[string] = { ...last, ms: median(rs.map((x) => x.ms)), msRounds: rs.map((x) => x.ms) };
      const tm = torch?.[w.name];
      if (tm && tm.length) {
        r.torchMs = median(tm);
        r.torchMsRounds = tm;
        r.ratio = r.ms / r.torchMs;
      }
      results[w.name] = r;
    }
    const headers = ['workload', 'ms', ...(torch ? ['torch ms', 'ratio'] : []), 'rss MB', ...(iterations ? ['rss growth MB', 'live growth MB'] : [])];
    const rows = list.map((w) => {
      const r = results[w.name]!;
      return [
        w.name, Number(r.ms.toFixed(2)),
        ...(torch ? [r.torchMs !== undefined ? Number(r.torchMs.toFixed(2)) : '-', r.ratio !== undefined ? Number(r.ratio.toFixed(2)) : '-'] : []),
        Math.round(r.rssMB),
        ...(iterations ? [Number((r.rssGrowthMB ?? 0).toFixed(1)), Number((r.liveGrowthMB ?? 0).toFixed(1))] : []),
      ];
    });
    process.stdout.write(`backend ${info.name}${info.native.isa && info.name === 'native' ? ` (${info.native.isa})` : ''}, ${threads} thread(s)${rounds > 1 ? `, median of ${rounds} rounds` : ''}\n${table(headers, rows)}\n`);
    if (values.json) {
      const out = {
        backend: info.name,
        threads,
        rounds,
        isa: info.name === 'native' ? info.native.isa : null,
        date: new Date().toISOString(),
        workloads: Object.fromEntries(Object.entries(results).map(([k, r]) => [k, {
          ms: r.ms, msRounds: r.msRounds, samples: r.samples, rssMB: r.rssMB,
          ...(r.rssGrowthMB !== undefined ? { rssGrowthMB: r.rssGrowthMB, liveGrowthMB: r.liveGrowthMB } : {}),
          ...(r.torchMs !== undefined ? { torchMs: r.torchMs, torchMsRounds: r.torchMsRounds, ratio: r.ratio } : {}),
        }])),
      };
      writeFileAtomic(values.json, new TextEncoder().encode(`${JSON.stringify(out, null, 2)}\n`));
    }
    return 0;
  },
};
