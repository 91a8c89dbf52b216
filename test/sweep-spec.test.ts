// Sweep specs: JSON and YAML parsing, errors that name the field, grid expansion order, stable cell ids, status/ETA.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FormatError } from '../src/core/errors.js';
import { cellDir, planSweep } from '../src/sweep/plan.js';
import { cellId, expandGrid, loadSpec, parseSpec, substitute } from '../src/sweep/spec.js';
import { flattenResult, sweepStatus } from '../src/sweep/status.js';
import { parseQueueUrl, QueueError } from '../src/sweep/queue.js';

const YAML = `
name: study
command: finetune src --target mnist --strategy {strategy} --shots {shots} --seed {seed}
axes:
  strategy: [linear-probe, "surgical:layer1"]
  shots: [1, 5]
  seed: [0, 1, 2]
threads: 2
retries: 1
env: { ADAPTLAB_BACKEND: ts }
`;

describe('sweep spec', () => {
  it('parses YAML and JSON to the same spec; the first axis varies slowest', () => {
    const y = parseSpec(YAML, 'study.yaml');
    const j = parseSpec(JSON.stringify({
      name: 'study', command: ['finetune', 'src', '--target', 'mnist', '--strategy', '{strategy}', '--shots', '{shots}', '--seed', '{seed}'],
      axes: { strategy: ['linear-probe', 'surgical:layer1'], shots: [1, 5], seed: [0, 1, 2] }, threads: 2, retries: 1, env: { ADAPTLAB_BACKEND: 'ts' },
    }), 'study.json');
    assert.deepEqual(y, j);
    assert.equal(y.retryDelay, 1);
    assert.equal(y.timeout, null);
    const cells = expandGrid(y);
    assert.equal(cells.length, 12);
    assert.deepEqual(cells[0]!.values, { strategy: 'linear-probe', shots: 1, seed: 0 });
    assert.deepEqual(cells[1]!.values, { strategy: 'linear-probe', shots: 1, seed: 1 });
    assert.deepEqual(cells[11]!.values, { strategy: 'surgical:layer1', shots: 5, seed: 2 });
    assert.deepEqual(cells[11]!.argv, ['finetune', 'src', '--target', 'mnist', '--strategy', 'surgical:layer1', '--shots', '5', '--seed', '2']);
    assert.equal(new Set(cells.map((c) => c.id)).size, 12);
    for (const c of cells) assert.match(c.id, /^[A-Za-z0-9._-]+$/);
    assert.match(cells[11]!.id, /^strategy-surgical-layer1_shots-5_seed-2-[0-9a-f]{10}$/);
  });

  it('cell ids are stable: the same values, command, threads and env give the same id; anything else a new one', () => {
    const argv = ['pretrain', '--seed', '1'];
    const id = cellId({ seed: 1 }, argv, 1, {});
    assert.equal(id, cellId({ seed: 1 }, [...argv], 1, {}));
    // pinned: a change here would orphan every finished cell of existing sweeps
    assert.equal(id, 'seed-1-66fdcce8f8');
    assert.notEqual(id, cellId({ seed: 1 }, ['pretrain', '--seed', '1', '--epochs', '2'], 1, {}));
    assert.notEqual(id, cellId({ seed: 1 }, argv, 2, {}));
    assert.notEqual(id, cellId({ seed: 1 }, argv, 1, { ADAPTLAB_BACKEND: 'ts' }));
    assert.equal(cellId({}, argv, 1, { A: '1', B: '2' }), cellId({}, argv, 1, { B: '2', A: '1' }));
  });

  it('substitutes placeholders inside arguments; {{ and }} are literal braces', () => {
    assert.deepEqual(substitute(['--strategy', 'surgical:{block}', '{{x}}', '{a}{b}'], { block: 'layer2', a: 1, b: true }), ['--strategy', 'surgical:layer2', '{x}', '1true']);
  });

  it('rejects bad specs with the file and the field in the message', () => {
    const cases: [string, RegExp][] = [
      ['command: pretrain --seed {seed}\naxes: {seed: [1]}\nextra: 1', /s\.yaml: extra: unknown field/],
      ['command: pretrain --seed {sed}\naxes: {seed: [1]}', /command: "\{sed\}" is not an axis \(axes: seed\)/],
      ['command: pretrain --seed 1\naxes: {seed: [1]}', /axes\.seed: is not used in the command/],
      ['command: pretrain --seed {seed} --out x\naxes: {seed: [1]}', /the sweep adds --out/],
      ['command: pretrain --seed {seed} --json\naxes: {seed: [1]}', /the sweep adds --out .* and --json/],
      ['command: pretrain --seed {seed}\naxes: {seed: []}', /axes\.seed: must be a non-empty list/],
      ['command: pretrain --seed {seed}\naxes: {seed: [1, 1]}', /axes\.seed: the value 1 appears twice/],
      ['command: pretrain --seed {seed}\naxes: {seed: [{a: 1}]}', /axes\.seed: values must be strings/],
      ['command: "pretrain --name \'a b\' {seed}"\naxes: {seed: [1]}', /list of arguments/],
      ['command: --seed {seed}\naxes: {seed: [1]}', /must start with an adaptlab command name/],
      ['command: pretrain {seed}\naxes: {seed: [1]}\nthreads: 0', /threads: must be an integer ≥ 1/],
      ['command: pretrain {seed}\naxes: {seed: [1]}\nretries: 1.5', /retries: must be an integer/],
      ['command: pretrain {seed}\naxes: {seed: [1]}\nenv: {ADAPTLAB_THREADS: "4"}', /env\.ADAPTLAB_THREADS: set "threads" instead/],
      ['command: pretrain {a}{b}\naxes: {a: [1, 11], b: [12, 2]}', /give the same command line/],
      ['- just\n- a list', /spec: must be a mapping/],
      ['command: [unclosed', /not valid YAML/],
      ['a: 1\na: 2', /not valid YAML/],
    ];
    for (const [text, re] of cases) {
      assert.throws(() => expandGrid(parseSpec(text, 's.yaml'), 's.yaml'), (e: unknown) => e instanceof FormatError && re.test(e.message), `${text} → ${re}`);
    }
    assert.throws(() => parseSpec('{"command": "pretrain {seed}", "axes": {"seed": [1],}}', 'x.json'), /x\.json: not valid JSON/);
    const many = JSON.stringify(Array.from({ length: 400 }, (_, i) => i));
    assert.throws(() => parseSpec(`command: pretrain {a} {b}\naxes: {a: ${many}, b: ${many}}\n`, 'big.yaml'), /big\.yaml: axes: the grid has 160000 cells, more than 100000/);
  });

  it('loadSpec reads regular files only and names the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-spec-'));
    try {
      writeFileSync(join(dir, 'grid.yml'), 'command: pretrain --seed {seed}\naxes:\n  seed: [3]\n');
      const s = loadSpec(join(dir, 'grid.yml'));
      assert.equal(s.name, 'grid');
      assert.throws(() => loadSpec(join(dir, 'missing.yaml')), /missing\.yaml: cannot read: no such file/);
      assert.throws(() => loadSpec(dir), /is a directory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flattens results for tables and estimates the time left from finished cells', () => {
    assert.deepEqual(flattenResult({ a: 1, id: { mean: 0.5, ci95: 0.1, deep: { x: 1 } }, losses: [3, 2, 1], perSeed: [{ a: 1 }], s: 'x' }), {
      a: 1, 'id.mean': 0.5, 'id.ci95': 0.1, 'losses.last': 1, s: 'x',
    });
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-status-'));
    try {
      const plan = planSweep(parseSpec('command: pretrain --seed {seed}\naxes: {seed: [1, 2, 3, 4, 5]}', 'g.yaml'), { dir, specFile: null });
      const now = Date.now();
      const iso = (ms: number): string => new Date(ms).toISOString();
      const record = (i: number, state: string, seconds: number | null, extra: Record<string, unknown> = {}): void => {
        const d = cellDir(dir, plan.cells[i]!.id);
        mkdirSync(d, { recursive: true });
        writeFileSync(join(d, 'cell.json'), JSON.stringify({
          id: plan.cells[i]!.id, values: plan.cells[i]!.values, state, attempt: 1, maxAttempts: 3, worker: 'h:1', pid: 2, started: iso(now - 4000),
          heartbeat: iso(now - 1000), finished: null, seconds, exitCode: null, error: state === 'failed' ? 'boom' : null, stderrTail: null, history: [], ...extra,
        }));
        if (state === 'done') writeFileSync(join(d, 'summary.json'), JSON.stringify({ losses: [1, 0.5] }));
      };
      record(0, 'done', 10);
      record(1, 'done', 20);
      record(2, 'running', null);
      record(3, 'failed', 1);
      record(4, 'running', null, { heartbeat: iso(now - 10 * 60_000) }); // abandoned: its process is gone
      const s = sweepStatus(plan);
      assert.deepEqual(s.counts, { total: 5, pending: 1, running: 1, done: 2, failed: 1 });
      assert.equal(s.meanCellSeconds, 15);
      // one pending cell (15 s) plus the running one's remaining ~11 s, over one running cell
      assert.ok(s.etaSeconds !== null && Math.abs(s.etaSeconds - 26) < 1, `eta ${s.etaSeconds}`);
      assert.equal(s.cells[4]!.note, 'interrupted');
      assert.equal(s.cells[3]!.error, 'boom');
      assert.deepEqual(s.cells[0]!.result, { 'losses.last': 0.5 });
      const q = sweepStatus(plan, new Map([[plan.cells[4]!.id, { state: 'failed', failedReason: 'job stalled more than allowable limit', attemptsMade: 0 }]]));
      assert.equal(q.cells[4]!.state, 'failed');
      assert.match(q.cells[4]!.error!, /stalled/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses queue URLs and rejects others with the reason', () => {
    assert.deepEqual(parseQueueUrl('redis://127.0.0.1:6390').redis, { host: '127.0.0.1', port: 6390 });
    const t = parseQueueUrl('rediss://user:p%40ss@redis.lab:7000/2');
    assert.deepEqual(t.redis, { host: 'redis.lab', port: 7000, db: 2, tls: {}, username: 'user', password: 'p@ss' });
    assert.equal(t.display, 'rediss://user@redis.lab:7000/2');
    assert.equal(parseQueueUrl('redis://h').redis.port, 6379);
    for (const [u, re] of [['http://h:1', /redis:\/\/ or rediss:\/\//], ['h:6379', /scheme/], ['redis://h:1/x', /database number/], ['nonsense', /not a URL/]] as const) {
      assert.throws(() => parseQueueUrl(u), (e: unknown) => e instanceof QueueError && re.test(e.message), u);
    }
  });
});
