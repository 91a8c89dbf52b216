// `adaptlab runs [list|show|compare]`: the run directories under a root, one run's config and summary, runs side by side.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FormatError } from '../core/errors.js';
import { differingFields, flatten, formatKeyMetric } from '../report/run-report.js';
import { listRuns, loadRun, runName, type KeyMetric, type LoadedRun } from '../runs/inspect.js';
import { CONFIG_FILE } from '../runs/run-dir.js';
import { UsageError, type Command } from './command.js';
import { bold, printJson, table } from './output.js';

/** Where `runs` and `serve` look when --runs is not given: ./runs, where the README's examples write. */
export const DEFAULT_RUNS_DIR = 'runs';

const key = (k: KeyMetric | null): string => (k ? `${k.name} ${formatKeyMetric(k)}` : '-');

/** A run named on the command line: a path (absolute or from here) to a run directory, else a name under the root. */
export function findRun(root: string, arg: string): { dir: string; name: string } {
  const candidates = [resolve(arg), resolve(root, arg)];
  const dir = candidates.find((d) => existsSync(join(d, CONFIG_FILE)));
  if (!dir) throw new FormatError(resolve(root, arg), `no run directory (no ${CONFIG_FILE}) at ${arg} or under ${root}`);
  const name = runName(root, dir);
  return { dir, name: name.startsWith('..') ? dir : name };
}

function summaryOf(r: LoadedRun): Record<string, unknown> {
  return { name: r.name, dir: r.dir, kind: r.config['kind'] ?? null, status: r.status, keyMetric: r.keyMetric, config: r.config, summary: r.summary, records: r.metrics.length };
}

export const runsCommand: Command = {
  name: 'runs',
  summary: 'list run directories, show one run, compare runs (config differences and key metrics)',
  usage: [
    'adaptlab runs [list] [--runs DIR] [--json]',
    'adaptlab runs show RUN [--runs DIR] [--json]',
    'adaptlab runs compare RUN RUN... [--runs DIR] [--json]',
    '',
    `DIR: the runs root (default ./${DEFAULT_RUNS_DIR}); every directory below it (4 levels deep) with a config.json is a run.`,
    'RUN: a run\'s path under DIR (as `list` shows it) or any path to a run directory.',
    'list: kind, created, status (finished: summary.json written; running: its process is alive, or metrics.jsonl',
    'changed in the last 2 minutes; stopped: anything else, e.g. killed — continue it with --resume), metrics records, key metric.',
    'show: the status, key metric, summary and config of one run. compare: the config fields that differ, and key metrics.',
  ].join('\n'),
  run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { runs: { type: 'string' }, json: { type: 'boolean' } } });
    const root = resolve(values.runs ?? DEFAULT_RUNS_DIR);
    const [sub = 'list', ...rest] = positionals;
    if (sub === 'list') {
      if (rest.length) throw new UsageError('runs list takes no arguments');
      const runs = listRuns(root);
      if (values.json) printJson({ root, runs: runs.map((r) => ({ name: r.name, dir: r.dir, kind: r.kind, created: r.created, status: r.status, records: r.records, keyMetric: r.keyMetric })) });
      else if (!runs.length) process.stdout.write(`no runs under ${root}${existsSync(root) ? '' : ' (it does not exist; --runs DIR names another root)'}\n`);
      else process.stdout.write(`${table(['run', 'kind', 'created', 'status', 'records', 'key metric'], runs.map((r) => [r.name, r.kind, r.created?.replace('T', ' ').replace(/\.\d+Z$/, 'Z') ?? '-', r.status, r.records, key(r.keyMetric)]))}\n`);
      return 0;
    }
    if (sub === 'show') {
      if (rest.length !== 1) throw new UsageError('runs show needs exactly one RUN');
      const { dir, name } = findRun(root, rest[0]!);
      const r = loadRun(dir, name);
      if (values.json) { printJson(summaryOf(r)); return 0; }
      const lines = [`${bold(r.name)}  ${String(r.config['kind'] ?? '?')}, ${r.status}, ${r.metrics.length} metrics records`, `directory: ${r.dir}`];
      if (r.keyMetric) lines.push(`${r.keyMetric.name}: ${formatKeyMetric(r.keyMetric)}`);
      lines.push('', bold('summary'), r.summary ? table(['field', 'value'], flatten(r.summary)) : '(none yet)');
      lines.push('', bold('config'), table(['field', 'value'], flatten(r.config)));
      process.stdout.write(`${lines.join('\n')}\n`);
      return 0;
    }
    if (sub === 'compare') {
      if (rest.length < 2) throw new UsageError('runs compare needs at least two RUNs');
      const runs = rest.map((a) => { const { dir, name } = findRun(root, a); return loadRun(dir, name); });
      const fields = differingFields(runs.map((r) => r.config));
      const flat = runs.map((r) => new Map(flatten(r.config)));
      if (values.json) {
        printJson({ fields, runs: runs.map((r, i) => ({ name: r.name, dir: r.dir, kind: r.config['kind'] ?? null, status: r.status, keyMetric: r.keyMetric, differing: Object.fromEntries(fields.map((f) => [f, flat[i]!.get(f) ?? null])), summary: r.summary })) });
        return 0;
      }
      process.stdout.write(`${table(['run', 'status', ...fields, 'key metric'], runs.map((r, i) => [r.name, r.status, ...fields.map((f) => flat[i]!.get(f) ?? '-'), key(r.keyMetric)]))}\n`);
      if (!fields.length) process.stdout.write('(the runs\' configs do not differ)\n');
      return 0;
    }
    throw new UsageError(`unknown subcommand "${sub}" (list, show, compare)`);
  },
};
