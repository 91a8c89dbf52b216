// Bad input never crashes: seeded truncations and byte flips of every format end in a value or a FormatError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { FormatError } from '../../src/core/errors.js';
import { Rng } from '../../src/engine/rng.js';
import { parseIdx } from '../../src/data/idx.js';
import { decodeImage, encodePng } from '../../src/data/image.js';
import { maybeGunzip } from '../../src/data/io.js';
import { parseNpy } from '../../src/data/npy.js';
import { ZipArchive } from '../../src/data/zip.js';
import { readTar } from '../../src/data/tar.js';
import { fixture, makeTar, makeZip } from './helpers.js';

function mutants(src: Buffer, rng: Rng, n: number): Buffer[] {
  const out: Buffer[] = [];
  for (let k = 0; k < n; k++) {
    const b = Buffer.from(src);
    const kind = rng.integer(0, 3);
    if (kind === 0) out.push(b.subarray(0, rng.integer(0, b.length)));
    else {
      const flips = kind === 1 ? 1 : 8;
      for (let f = 0; f < flips; f++) b[rng.integer(0, b.length)]! ^= 1 << rng.integer(0, 8);
      out.push(b);
    }
  }
  return out;
}

function survives(label: string, fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof FormatError, `${label}: threw ${(e as Error).name}: ${(e as Error).message}`);
  }
}

test('mutated zip, tar, .npy, IDX (raw and gz) and PNG/JPEG bytes give values or FormatErrors, never crashes', () => {
  const rng = new Rng(2024);
  const zip = makeZip([{ name: 'a/b.npy', data: readFileSync(fixture('i4_c.npy')) }, { name: 'c.txt', data: Buffer.from('hello world'), store: true }]);
  for (const [i, m] of mutants(zip, rng, 300).entries()) survives(`zip #${i}`, () => { const z = ZipArchive.fromBuffer(m, 'm.zip'); for (const e of z.files()) z.read(e); });
  for (const name of ['i4_c.npy', 'f8_fortran.npy', 'bool.npy', 'f2.npy']) {
    for (const [i, m] of mutants(readFileSync(fixture(name)), rng, 200).entries()) survives(`${name} #${i}`, () => parseNpy(m, name));
  }
  const idx = Buffer.concat([Buffer.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3]), Buffer.alloc(18, 7)]);
  for (const [i, m] of mutants(idx, rng, 300).entries()) survives(`idx #${i}`, () => parseIdx(m, 'm.idx'));
  for (const [i, m] of mutants(gzipSync(idx), rng, 300).entries()) survives(`idx.gz #${i}`, () => parseIdx(maybeGunzip('m.gz', m), 'm.gz'));
  const png = encodePng({ data: Uint8Array.from({ length: 3 * 12 * 9 }, (_, i) => (i * 13) & 255), channels: 3, height: 9, width: 12 });
  for (const [i, m] of mutants(png, rng, 400).entries()) survives(`png #${i}`, () => decodeImage(m, 'm.png', 3));
  const tar = makeTar([{ name: 'x/a.bin', data: new Uint8Array(600).fill(3) }, { name: 'b.txt', data: Buffer.from('tar') }]);
  for (const [i, m] of mutants(tar, rng, 300).entries()) survives(`tar #${i}`, () => readTar(m, 'm.tar'));
  const rgba = Buffer.from(Array.from({ length: 16 * 16 * 4 }, (_, i) => (i * 29) & 255));
  const jpg = Buffer.from(jpeg.encode({ data: rgba, width: 16, height: 16 }, 80).data);
  for (const [i, m] of mutants(jpg, rng, 200).entries()) survives(`jpeg #${i}`, () => decodeImage(m, 'm.jpg', 3));
});
