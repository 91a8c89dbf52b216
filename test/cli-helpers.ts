// Helpers of the CLI tests of run directories: run a command, kill one mid-run, read its metrics without wall-clock fields.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from './helpers.js';

export const ENV = { ...process.env, ADAPTLAB_THREADS: '1', ADAPTLAB_DATA_DIR: join(tmpdir(), 'adaptlab-no-data-dir') };

export function run(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [repoPath('bin', 'adaptlab.js'), ...args], { encoding: 'utf8', env: ENV });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

export const lines = (dir: string): number => (existsSync(join(dir, 'metrics.jsonl')) ? readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.endsWith('}')).length : 0);

/** Start a command and SIGKILL (or `signal`) it once `ready(dir)` holds; resolves with how it ended. */
export function killWhen(args: string[], dir: string, ready: () => boolean, signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [repoPath('bin', 'adaptlab.js'), ...args], { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const t = setInterval(() => { if (ready()) { clearInterval(t); p.kill(signal); } }, 2);
    p.on('exit', (code, sig) => { clearInterval(t); resolve({ code, signal: sig, err }); });
    void dir;
  });
}

/** metrics.jsonl records without their wall-clock fields. */
export function records(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const r = JSON.parse(l) as Record<string, unknown>;
    delete r['seconds'];
    delete r['elapsed'];
    return r;
  });
}

export function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-rundirs-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
