// `adaptlab bench`: the standard workloads' median ms per iteration, optionally against PyTorch in the same run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { backendInfo } from '../backend/index.js';
import { findWorkload, OVERHEAD_WORKLOADS, WORKLOADS, type Workload } from '../bench/workloads.js';
import { runWorkload, type WorkloadResult } from '../bench/run.js';
import { writeFileAtomic } from '../io/atomic.js';
import { UsageError, type Command } from './command.js';
import { applyBackendFlags, BACKEND_FLAGS, parseIntFlag } from './flags.js';
import { log, Progress, table } from './output.js';
import { packageRoot } from './version.js';

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
  usage: 'adaptlab bench [--only a,b] [--overhead] [--json FILE] [--compare-torch] [--iterations N] [--backend auto|native|ts] [--threads N] [--seed S]\n  --iterations N runs N more iterations and reports memory growth (run node with --expose-gc for exact live memory)',
  run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        only: { type: 'string' },
        overhead: { type: 'boolean' },
        json: { type: 'string' },
        'compare-torch': { type: 'boolean' },
        iterations: { type: 'string' },
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
    const torchThreads = Number(process.env['ADAPTLAB_THREADS'] ?? threads) || threads;
    let torch: Record<string, number> | null = null;
    if (values['compare-torch']) {
      const root = packageRoot();
      const scripts = [
        ...(list.some((w) => WORKLOADS.includes(w)) ? [process.env['ADAPTLAB_TORCH_ANCHOR'] ?? join(root, '..', 'shared', 'bench', 'torch_anchor.py')] : []),
        ...(list.some((w) => OVERHEAD_WORKLOADS.includes(w)) ? [join(root, 'scripts', 'torch_overhead.py')] : []),
      ];
      torch = {};
      for (const s of scripts) {
        log(`running PyTorch (${s}) with ${torchThreads} thread(s)...`);
        const t = torchTimes(s, torchThreads);
        if (typeof t === 'string') log(`PyTorch comparison unavailable: ${t}`);
        else Object.assign(torch, t);
      }
    }
    const progress = new Progress();
    const results: Record<string, WorkloadResult & { torchMs?: number; ratio?: number }> = {};
    for (const w of list) {
      const r: WorkloadResult & { torchMs?: number; ratio?: number } = runWorkload(w, {
        seed,
        ...(iterations ? { iterations } : {}),
        onIteration: (i, n) => progress.update(`${w.name}: iteration ${i}/${n}`),
      });
      const tm = torch?.[w.name];
      if (tm !== undefined) {
        r.torchMs = tm;
        r.ratio = r.ms / tm;
      }
      results[w.name] = r;
      progress.done();
      log(`${w.name}: ${r.ms.toFixed(2)} ms${r.ratio !== undefined ? ` (${r.ratio.toFixed(2)}× PyTorch)` : ''}`);
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
    process.stdout.write(`backend ${info.name}${info.native.isa && info.name === 'native' ? ` (${info.native.isa})` : ''}, ${threads} thread(s)\n${table(headers, rows)}\n`);
    if (values.json) {
      const out = {
        backend: info.name,
        threads,
        isa: info.name === 'native' ? info.native.isa : null,
        date: new Date().toISOString(),
        workloads: Object.fromEntries(Object.entries(results).map(([k, r]) => [k, {
          ms: r.ms, samples: r.samples, rssMB: r.rssMB,
          ...(r.rssGrowthMB !== undefined ? { rssGrowthMB: r.rssGrowthMB, liveGrowthMB: r.liveGrowthMB } : {}),
          ...(r.torchMs !== undefined ? { torchMs: r.torchMs, ratio: r.ratio } : {}),
        }])),
      };
      writeFileAtomic(values.json, new TextEncoder().encode(`${JSON.stringify(out, null, 2)}\n`));
    }
    return 0;
  },
};
