// Task-parallel meta-gradients: a meta-batch's tasks split across worker threads, gradients summed in a fixed order.
import { Worker } from 'node:worker_threads';
import { ArgumentError, AdaptlabError } from '../core/errors.js';
import { allocate, type DType } from '../core/dtype.js';
import { setThreads } from '../backend/index.js';
import { Tensor } from '../engine/tensor.js';
import type { LabeledSet, MetaLearner, MetaStepContext, MetaStepMetrics, Predictor, Task } from './learner.js';
import type { MetaConfig } from './recipes.js';

/** A worker thread failed or stopped answering. */
export class WorkerError extends AdaptlabError {
  constructor(message: string) {
    super('E_WORKER', `task worker: ${message}`);
  }
}

/** Methods whose metaBackward is a pure function of (θ, tasks): their meta-batch can be split across threads. */
export const TASK_PARALLEL_METHODS = ['maml', 'fomaml', 'anil', 'meta-sgd'] as const;

export interface TaskParallelOptions {
  /** total shares of each meta-batch: this thread takes the first, `workers − 1` worker threads the rest */
  workers: number;
  /** the run's config: each worker rebuilds the same learner from it (`buildLearner`) */
  config: MetaConfig;
  /**
   * the kernel backend the workers use (the parent's). The native addon's kernel pool is process-wide, shared by
   * every thread: the constructor sets it to one kernel thread (each task thread computes its own kernels inline)
   */
  backend: 'native' | 'ts';
  /** how long to wait for a worker's share before giving up (default 10 minutes) */
  timeoutMs?: number;
}

// Control words (Int32, shared): [0] command sequence number (0: none yet, −1: exit), then per worker w ≥ 1:
// [2w − 1] the sequence number it last finished, [2w] its status (0 ok, 1 error). A worker's Float64 gradient
// buffer: the meta-gradient of its share (mean over its tasks, parameters in order), then loss, accuracy (NaN for
// regression), the step and the total steps (−1: none) of the command, then an error message (UTF-8) from byte
// 8·(P + 4).
const DTYPE_CODES: DType[] = ['float32', 'float64', 'int32', 'uint8', 'bool'];
/** Header words for n tasks: the header length, the count, and per tensor a dtype, a rank and up to 8 dimensions. */
const headerInts = (n: number): number => (2 + n * 4 * 10 + 1) & ~1;

/** Where the tensors of one worker's tasks go: a header of dtypes and shapes, then the data, 8-byte aligned. */
function encodeTasks(tasks: readonly Task[], buf: SharedArrayBuffer): void {
  const H = headerInts(tasks.length);
  if (H * 4 > buf.byteLength) throw new WorkerError(`a share of ${tasks.length} tasks needs more than its ${buf.byteLength} bytes`);
  const head = new Int32Array(buf, 0, H);
  let h = 0, off = H * 4;
  head[h++] = H;
  head[h++] = tasks.length;
  for (const t of tasks) {
    for (const x of [t.support.x, t.support.y, t.query.x, t.query.y]) {
      head[h++] = DTYPE_CODES.indexOf(x.dtype);
      head[h++] = x.shape.length;
      if (x.shape.length > 8) throw new WorkerError(`a task tensor of rank ${x.shape.length} (at most 8)`);
      for (const d of x.shape) head[h++] = d;
      const bytes = x.data.byteLength;
      if (off + bytes > buf.byteLength) throw new WorkerError(`a share of tasks needs more than its ${buf.byteLength} bytes (tasks grew during training?)`);
      new Uint8Array(buf, off, bytes).set(new Uint8Array(x.data.buffer, x.data.byteOffset, bytes));
      off += (bytes + 7) & ~7;
    }
  }
}

/** Tasks from a buffer `encodeTasks` wrote (copies: the buffer is rewritten next step). */
export function decodeTasks(buf: SharedArrayBuffer): Task[] {
  const H = new Int32Array(buf, 0, 1)[0]!;
  const head = new Int32Array(buf, 0, H);
  let h = 1, off = H * 4;
  const n = head[h++]!;
  const next = (): Tensor => {
    const dtype = DTYPE_CODES[head[h++]!]!;
    const shape = Array.from({ length: head[h++]! }, () => head[h++]!);
    const data = allocate(dtype, shape.reduce((a, b) => a * b, 1));
    new Uint8Array(data.buffer).set(new Uint8Array(buf, off, data.byteLength));
    off += (data.byteLength + 7) & ~7;
    return new Tensor(data, shape, dtype);
  };
  return Array.from({ length: n }, () => {
    const support: LabeledSet = { x: next(), y: next() };
    const query: LabeledSet = { x: next(), y: next() };
    return { support, query };
  });
}

/** Bytes a share of `tasks` needs in its buffer, with room to spare. */
function shareBytes(tasks: readonly Task[]): number {
  let bytes = headerInts(tasks.length) * 4;
  for (const t of tasks) for (const x of [t.support.x, t.support.y, t.query.x, t.query.y]) bytes += (x.data.byteLength + 7) & ~7;
  return 2 * bytes + 4096;
}

/** The contiguous shares of `n` tasks over `k` threads (the first shares one larger when k does not divide n). */
export function splitShares(n: number, k: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0, lo = 0; i < k; i++) {
    const len = Math.floor(n / k) + (i < n % k ? 1 : 0);
    out.push([lo, lo + len]);
    lo += len;
  }
  return out;
}

/**
 * Wraps a learner so that `metaBackward` splits the meta-batch: this thread computes the first share, worker threads
 * (each with its own copy of the learner, rebuilt from the run's config, θ copied in before every step) the others;
 * the meta-gradient is the task-weighted sum of the shares' gradients, added in worker order, so a run is
 * deterministic for a given number of workers (but not bit-identical across different numbers: float addition
 * order changes). Everything else (`adapt`, checkpoints, the outer optimiser) is the wrapped learner's.
 * The meta-batch is the paper's; only where its tasks are computed changes.
 * @example const learner = new TaskParallel(buildLearner(config), { workers: 2, config, backend: 'native' });
 */
export class TaskParallel implements MetaLearner {
  readonly method: string;
  readonly problem: 'classification' | 'regression';
  readonly model: MetaLearner['model'];
  readonly outer?: MetaLearner['outer'];
  private readonly params: [string, Tensor][];
  private readonly paramBuf: Float32Array;
  private workers: Worker[] = [];
  private control: Int32Array | null = null;
  private taskBufs: SharedArrayBuffer[] = [];
  private gradBufs: Float64Array[] = [];
  private seq = 0;
  private readonly timeoutMs: number;

  constructor(readonly inner: MetaLearner, private readonly opts: TaskParallelOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new ArgumentError('TaskParallel', `workers must be a positive integer, got ${opts.workers}`);
    if (!(TASK_PARALLEL_METHODS as readonly string[]).includes(inner.method)) {
      throw new ArgumentError('TaskParallel', `${inner.method} cannot split its meta-batch across workers (it can: ${TASK_PARALLEL_METHODS.join(', ')})`);
    }
    this.method = inner.method;
    this.problem = inner.problem;
    this.model = inner.model;
    if (inner.outer) this.outer = inner.outer;
    this.params = inner.namedMetaParameters();
    for (const [n, p] of this.params) if (p.dtype !== 'float32') throw new ArgumentError('TaskParallel', `meta-parameter ${n} is ${p.dtype}; workers exchange float32`);
    this.paramBuf = new Float32Array(new SharedArrayBuffer(4 * this.params.reduce((a, [, p]) => a + p.data.length, 0)));
    this.timeoutMs = opts.timeoutMs ?? 10 * 60 * 1000;
    if (opts.workers > 1) setThreads(1);
  }

  namedMetaParameters(): [string, Tensor][] {
    return this.inner.namedMetaParameters();
  }

  adapt(support: LabeledSet): Predictor {
    return this.inner.adapt(support);
  }

  private start(tasks: readonly Task[]): void {
    const k = this.opts.workers;
    const shares = splitShares(tasks.length, k);
    const biggest = Math.max(...shares.map(([lo, hi]) => shareBytes(tasks.slice(lo, hi))));
    const controlBuf = new SharedArrayBuffer(4 * (1 + 2 * k));
    this.control = new Int32Array(controlBuf);
    for (let w = 1; w < k; w++) {
      const taskBuf = new SharedArrayBuffer(biggest);
      const gradBuf = new SharedArrayBuffer(8 * (this.paramBuf.length + 4) + 4096);
      this.taskBufs.push(taskBuf);
      this.gradBufs.push(new Float64Array(gradBuf));
      const worker = new Worker(new URL('./task-worker.js', import.meta.url), {
        workerData: { index: w, config: this.opts.config, backend: this.opts.backend, controlBuf, taskBuf, gradBuf, paramBuf: this.paramBuf.buffer, names: this.params.map(([n]) => n) },
        resourceLimits: { maxYoungGenerationSizeMb: 192 },
        stdout: false, stderr: false,
      });
      worker.unref();
      this.workers.push(worker);
    }
  }

  metaBackward(tasks: readonly Task[], ctx: MetaStepContext): MetaStepMetrics {
    const k = this.opts.workers;
    if (k === 1 || tasks.length < 2) return this.inner.metaBackward(tasks, ctx);
    if (!this.control) this.start(tasks);
    const control = this.control!;
    const shares = splitShares(tasks.length, k);
    // θ for the workers, then their shares of tasks, then go.
    let o = 0;
    for (const [, p] of this.params) { this.paramBuf.set(p.data as Float32Array, o); o += p.data.length; }
    for (let w = 1; w < k; w++) encodeTasks(tasks.slice(shares[w]![0], shares[w]![1]), this.taskBufs[w - 1]!);
    const seq = ++this.seq;
    for (let w = 1; w < k; w++) {
      const gb = this.gradBufs[w - 1]!;
      gb[this.paramBuf.length + 2] = ctx.step;
      gb[this.paramBuf.length + 3] = ctx.totalSteps ?? -1;
    }
    Atomics.store(control, 0, seq);
    Atomics.notify(control, 0);
    // This thread's share.
    const [lo0, hi0] = shares[0]!;
    const mine = this.inner.metaBackward(tasks.slice(lo0, hi0), ctx);
    const B = tasks.length;
    let loss = mine.loss * (hi0 - lo0) / B;
    let acc = mine.accuracy !== undefined ? mine.accuracy * (hi0 - lo0) / B : undefined;
    const sums = this.params.map(([, p]) => {
      const g = new Float64Array(p.data.length);
      if (p.grad) for (let i = 0; i < g.length; i++) g[i] = p.grad.data[i]! * (hi0 - lo0) / B;
      return g;
    });
    for (let w = 1; w < k; w++) {
      this.waitFor(w, seq);
      const gb = this.gradBufs[w - 1]!;
      const [lo, hi] = shares[w]!;
      const share = (hi - lo) / B;
      let off = 0;
      for (const s of sums) {
        for (let i = 0; i < s.length; i++) s[i] += gb[off + i]! * share;
        off += s.length;
      }
      loss += gb[off]! * share;
      if (acc !== undefined) acc += gb[off + 1]! * share;
    }
    this.params.forEach(([, p], j) => {
      const g = new Float32Array(sums[j]!);
      if (p.grad) (p.grad.data as Float32Array).set(g);
      else p.grad = new Tensor(g, p.shape, 'float32');
    });
    return acc !== undefined ? { loss, accuracy: acc } : { loss };
  }

  private waitFor(w: number, seq: number): void {
    const control = this.control!;
    const deadline = Date.now() + this.timeoutMs;
    while (Atomics.load(control, 1 + 2 * (w - 1)) !== seq) {
      if (Date.now() > deadline) throw new WorkerError(`worker ${w} did not finish its share of step ${seq} in ${this.timeoutMs / 1000} s`);
      Atomics.wait(control, 1 + 2 * (w - 1), Atomics.load(control, 1 + 2 * (w - 1)), 1000);
    }
    if (Atomics.load(control, 2 + 2 * (w - 1)) !== 0) {
      const gb = this.gradBufs[w - 1]!;
      const bytes = new Uint8Array(gb.buffer, 8 * (this.paramBuf.length + 4), 4096);
      const end = bytes.indexOf(0);
      throw new WorkerError(`worker ${w}: ${Buffer.from(bytes.slice(0, end < 0 ? bytes.length : end)).toString('utf8')}`);
    }
  }

  /** Stop the worker threads (they never keep the process alive; this frees them early). */
  async close(): Promise<void> {
    if (this.control) {
      Atomics.store(this.control, 0, -1);
      Atomics.notify(this.control, 0);
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
    this.control = null;
  }
}
