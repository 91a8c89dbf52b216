// A worker thread of TaskParallel: rebuilds the learner, then per command computes the meta-gradient of its share.
import { parentPort, workerData } from 'node:worker_threads';
import { setBackend } from '../backend/index.js';
import { buildLearner, type MetaConfig } from './recipes.js';
import { decodeTasks } from './task-parallel.js';

interface Init {
  index: number;
  config: MetaConfig;
  backend: 'native' | 'ts';
  controlBuf: SharedArrayBuffer;
  taskBuf: SharedArrayBuffer;
  gradBuf: SharedArrayBuffer;
  paramBuf: SharedArrayBuffer;
  names: string[];
}

const init = workerData as Init;
const control = new Int32Array(init.controlBuf);
const grads = new Float64Array(init.gradBuf);
const theta = new Float32Array(init.paramBuf);
const doneSlot = 2 * init.index - 1, statusSlot = 2 * init.index;

function report(seq: number, error: unknown): void {
  if (error !== null) {
    const msg = new TextEncoder().encode(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    const P = theta.length;
    const out = new Uint8Array(init.gradBuf, 8 * (P + 4), init.gradBuf.byteLength - 8 * (P + 4));
    out.fill(0);
    out.set(msg.subarray(0, out.length - 1));
  }
  Atomics.store(control, statusSlot, error === null ? 0 : 1);
  Atomics.store(control, doneSlot, seq);
  Atomics.notify(control, doneSlot);
}

let learner: ReturnType<typeof buildLearner> | null = null;
let startError: unknown = null;
try {
  setBackend(init.backend); // the kernel pool is the process's, already at one thread (TaskParallel)
  learner = buildLearner(init.config);
  const names = learner.namedMetaParameters().map(([n]) => n);
  if (names.join('\n') !== init.names.join('\n')) throw new Error(`the rebuilt ${init.config.method} has other meta-parameters than the parent's`);
} catch (e) {
  startError = e;
}

let seen = 0;
for (;;) {
  Atomics.wait(control, 0, seen);
  const seq = Atomics.load(control, 0);
  if (seq < 0) break;
  if (seq === seen) continue;
  seen = seq;
  if (startError !== null || !learner) { report(seq, startError); continue; }
  try {
    const params = learner.namedMetaParameters();
    let o = 0;
    for (const [, p] of params) {
      (p.data as Float32Array).set(theta.subarray(o, o + p.data.length));
      p.grad = null;
      o += p.data.length;
    }
    const P = theta.length;
    const totalSteps = grads[P + 3]!;
    const metrics = learner.metaBackward(decodeTasks(init.taskBuf), { step: grads[P + 2]!, totalSteps: totalSteps < 0 ? null : totalSteps });
    o = 0;
    for (const [, p] of params) {
      const g = p.grad?.data;
      for (let i = 0; i < p.data.length; i++) grads[o + i] = g ? g[i]! : 0;
      o += p.data.length;
    }
    grads[P] = metrics.loss;
    grads[P + 1] = metrics.accuracy ?? NaN;
    report(seq, null);
  } catch (e) {
    report(seq, e);
  }
}
parentPort?.close();
