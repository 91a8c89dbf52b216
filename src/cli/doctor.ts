// `adaptlab doctor`: which backend runs and why, which dtypes run on native kernels, threads, Node and package versions.
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { backendInfo } from '../backend/index.js';
import type { DTypeKernels } from '../backend/native/probe.js';
import type { Command } from './command.js';
import { bold, printJson, table } from './output.js';
import { packageVersion } from '../core/package.js';
import { applyBackendFlags, BACKEND_FLAGS } from './flags.js';

/** "native kernels", "TypeScript kernels", or which probed kernels run where. */
function dtypeLine(k: DTypeKernels): string {
  if (k.ts.length === 0) return `native kernels (${k.native.join(', ')})`;
  if (k.native.length === 0) return 'TypeScript kernels';
  return `native ${k.native.join(', ')}; TypeScript ${k.ts.join(', ')}`;
}

export const doctor: Command = {
  name: 'doctor',
  summary: 'report the backend in use and why, which dtypes run on native kernels, threads, Node and package versions',
  usage: 'adaptlab doctor [--json] [--backend auto|native|ts] [--threads N]',
  run(argv) {
    const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, ...BACKEND_FLAGS }, strict: true });
    applyBackendFlags(values);
    const info = backendInfo();
    const report = {
      adaptlab: packageVersion(),
      node: process.versions.node,
      v8: process.versions.v8,
      napi: process.versions.napi,
      platform: `${process.platform}-${process.arch}`,
      cpus: availableParallelism(),
      backend: info.name,
      requested: info.requested,
      reason: info.reason,
      native: {
        loaded: info.native.loaded,
        path: info.native.path,
        isa: info.native.isa,
        detectedIsa: info.native.addon ? info.native.addon.info().detectedIsa : null,
        gemm: info.native.gemm,
        threads: info.native.threads,
        error: info.native.error,
      },
      threads: info.name === 'native' ? info.native.threads : 1,
      nativeDTypes: info.nativeDTypes,
      dtypes: info.dtypes,
    };
    if (values.json) {
      printJson(report);
      return 0;
    }
    process.stdout.write(`${bold('adaptlab doctor')}\n`);
    process.stdout.write(`${table(['item', 'value'], [
      ['adaptlab', report.adaptlab],
      ['node', `${report.node} (v8 ${report.v8}, napi ${report.napi})`],
      ['platform', report.platform],
      ['cpus', String(report.cpus)],
      ['backend', report.backend],
      ['requested', report.requested],
      ['why', report.reason],
      ['native addon', report.native.loaded ? `loaded from ${report.native.path}` : `not loaded: ${report.native.error}`],
      ['instruction set', report.native.isa ? `${report.native.isa}${report.native.detectedIsa && report.native.detectedIsa !== report.native.isa ? ` (cpu supports ${report.native.detectedIsa})` : ''}, gemm ${report.native.gemm}` : '-'],
      ...(Object.entries(info.dtypes) as [string, DTypeKernels][]).map(([dtype, k]) => [dtype, dtypeLine(k)]),
      ['threads', `${report.threads}${info.name === 'native' ? ` (ADAPTLAB_THREADS / --threads; default: ${report.cpus} cores)` : ' (the ts backend is single-threaded)'}`],
    ])}\n`);
    return 0;
  },
};
