// Atomic writes against hostile conditions (issue #14): temporary files of killed saves, writes through symbolic links.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FormatError } from '../src/index.js';
import { removeStaleTempFiles, writeFileAtomic } from '../src/io/atomic.js';
import { repoPath } from './helpers.js';

function fresh(): string {
  return mkdtempSync(join(tmpdir(), 'adaptlab-hostile-io-'));
}

/** A process id that is certainly not running: a child that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

describe('atomic writes: temporary files of killed saves', () => {
  it('a save killed half-way leaves its temp file; the next save into the folder removes it', async () => {
    const dir = fresh();
    try {
      const target = join(dir, 'ckpt.bin');
      // the child writes one chunk, says so, then blocks forever inside writeFileAtomic until it is killed
      const script = `
        import { writeFileAtomic } from ${JSON.stringify(repoPath('dist', 'src', 'io', 'atomic.js'))};
        function* parts() {
          yield new Uint8Array(1 << 16).fill(7);
          process.stdout.write('writing\\n');
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
        }
        writeFileAtomic(${JSON.stringify(target)}, parts());`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => resolve());
        child.on('exit', (code) => reject(new Error(`child exited ${code} before writing`)));
      });
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
      const left = readdirSync(dir);
      assert.equal(left.length, 1, `one temp file left behind: ${left}`);
      assert.match(left[0]!, /^\.ckpt\.bin\.tmp-\d+-1$/);
      // the next save in this process (its first into this folder) finds and removes it
      writeFileAtomic(target, 'complete');
      assert.deepEqual(readdirSync(dir), ['ckpt.bin']);
      assert.equal(readFileSync(target, 'utf8'), 'complete');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('temp files of live writers are kept; those of dead ones, or older than a day, are removed', () => {
    const dir = fresh();
    try {
      const dead = `.a.bin.tmp-${deadPid()}-3`;
      const live = `.b.bin.tmp-${process.pid}-999`;
      const old = `.c.bin.tmp-${process.pid}-998`;
      const other = '.d.bin.tmp-x-1';
      for (const n of [dead, live, old, other, 'plain.tmp-1-1']) writeFileSync(join(dir, n), 'x');
      const twoDaysAgo = Date.now() / 1000 - 2 * 86400;
      utimesSync(join(dir, old), twoDaysAgo, twoDaysAgo);
      assert.deepEqual(removeStaleTempFiles(dir).sort(), [dead, old].sort());
      assert.deepEqual(readdirSync(dir).sort(), [live, other, 'plain.tmp-1-1'].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('atomic writes through symbolic links', () => {
  it('writing to a link replaces the file it points to and keeps the link; loops are FormatErrors', { skip: process.platform === 'win32' ? 'symlinks need privileges on Windows' : false }, () => {
    const dir = fresh();
    try {
      writeFileSync(join(dir, 'target.png'), 'old');
      symlinkSync('target.png', join(dir, 'link.png'));
      writeFileAtomic(join(dir, 'link.png'), 'new');
      assert.ok(lstatSync(join(dir, 'link.png')).isSymbolicLink(), 'still a link');
      assert.equal(readlinkSync(join(dir, 'link.png')), 'target.png');
      assert.equal(readFileSync(join(dir, 'target.png'), 'utf8'), 'new');
      // a dangling link: its target is created
      symlinkSync(join(dir, 'sub', 'made.bin'), join(dir, 'dangling.bin'));
      writeFileAtomic(join(dir, 'dangling.bin'), 'made');
      assert.equal(readFileSync(join(dir, 'sub', 'made.bin'), 'utf8'), 'made');
      assert.ok(lstatSync(join(dir, 'dangling.bin')).isSymbolicLink());
      symlinkSync('loop2', join(dir, 'loop1'));
      symlinkSync('loop1', join(dir, 'loop2'));
      assert.throws(() => writeFileAtomic(join(dir, 'loop1'), 'x'), (e: unknown) => e instanceof FormatError && /symbolic link loop/.test(e.message));
      assert.throws(() => writeFileAtomic(dir, 'x'), (e: unknown) => e instanceof FormatError && /is a directory, not a file/.test(e.message));
      assert.ok(!readdirSync(dir).some((n) => n.includes('.tmp-')), 'no temp file left by the failures');
      assert.ok(existsSync(join(dir, 'target.png')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
