// A cell command dies with the pool or worker that started it (ADAPTLAB_EXIT_WITH_PARENT=<pid>), even mid-way
// through a synchronous training loop: a watcher thread checks the parent and kills this process when it is gone.
import { Worker } from 'node:worker_threads';

/** How often the watcher looks at the parent process id. */
export const PARENT_POLL_MS = 250;

const WATCHER = `
const { workerData } = require('node:worker_threads');
const check = () => { if (process.ppid !== workerData.parent) process.kill(workerData.self, 'SIGKILL'); };
check();
setInterval(check, workerData.every);
`;

/**
 * When this process's parent is no longer `parentPid` (it died and the process was re-parented), kill this process.
 * Runs on a worker thread, so it acts even while the main thread is busy in a loop that never yields (training is
 * synchronous); the thread does not keep the process alive. A sweep worker killed with SIGKILL thus takes its cell
 * commands with it, and a cell picked up again elsewhere has no orphan still writing into its directory.
 */
export function exitWithParent(parentPid: number): void {
  if (process.ppid !== parentPid) process.kill(process.pid, 'SIGKILL');
  const w = new Worker(WATCHER, { eval: true, workerData: { parent: parentPid, self: process.pid, every: PARENT_POLL_MS } });
  w.unref();
}

/** Apply ADAPTLAB_EXIT_WITH_PARENT when it is set to a process id. */
export function exitWithParentFromEnv(env: NodeJS.ProcessEnv = process.env): void {
  const v = env['ADAPTLAB_EXIT_WITH_PARENT'];
  if (v === undefined || !/^[0-9]+$/.test(v.trim())) return;
  exitWithParent(Number(v.trim()));
}
