// Helpers of the sweep tests: the CLI as a child process, waiting for a condition, process liveness, JSON files.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from './helpers.js';

/** Cells read the embedded MNIST digits, never a data folder of the machine. */
export const SWEEP_ENV = { ...process.env, ADAPTLAB_DATA_DIR: join(tmpdir(), 'adaptlab-no-data-dir') };

export const BIN = repoPath('bin', 'adaptlab.js');

export function adaptlab(args: string[], execArgv: string[] = []): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [...execArgv, BIN, ...args], { encoding: 'utf8', env: SWEEP_ENV });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** Alive and not a zombie (a re-parented process may wait for a reaper that never comes in a container). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Poll `fn` every 100 ms until it returns a truthy value; fail naming `what` after `ms`. */
export async function waitFor<T>(what: string, fn: () => T | null | undefined | false, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function readJson(p: string): Record<string, any> {
  return JSON.parse(readFileSync(p, 'utf8'));
}
