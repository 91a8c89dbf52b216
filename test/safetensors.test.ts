// safetensors: PyTorch-written dtypes, round trips, atomic writes, and typed errors for malformed files.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  Conv4, floatToHalf, FormatError, halfToFloat, loadModule, loadSafetensors, noGrad, parseSafetensors, randn, Rng, saveModule, saveSafetensors,
  serializeSafetensors, tensor, zeros,
} from '../src/index.js';
import { assertClose, repoPath } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'adaptlab-st-'));

function build(header: object, data: Uint8Array = new Uint8Array(0), lenOverride?: bigint): Uint8Array {
  const hb = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + hb.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lenOverride ?? BigInt(hb.length), true);
  out.set(hb, 8);
  out.set(data, 8 + hb.length);
  return out;
}

function rejects(buf: Uint8Array, pattern: RegExp): void {
  assert.throws(() => parseSafetensors(buf, 'bad.safetensors'), (e: Error) => {
    assert.ok(e instanceof FormatError, `expected FormatError, got ${e.constructor.name}: ${e.message}`);
    assert.match(e.message, /^bad\.safetensors: /);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('safetensors', () => {
  it('reads every dtype PyTorch wrote (F64, F32, F16, BF16, I64, I32, U8, BOOL, empty, scalar) and the metadata', () => {
    const f = loadSafetensors(repoPath('test', 'fixtures', 'dtypes.safetensors'));
    const t = f.tensors;
    assert.equal(t['f64']!.dtype, 'float64');
    assertClose(t['f64']!, [[1.5, -2.25], [3, 1e-300]], { rtol: 0, atol: 0 });
    assertClose(t['f32']!, [0.1, -7.5, 3.25], { rtol: 1e-7 });
    assertClose(t['f16']!, [1, -2.5, 65504, 6.103515625e-5], { rtol: 1e-3 });
    assertClose(t['bf16']!, [1, -3, 0.15625], { rtol: 0, atol: 0 });
    assert.equal(t['i64']!.dtype, 'int32');
    assert.deepEqual(t['i64']!.toList(), [0, -5, 2147483647]);
    assert.deepEqual(t['i32']!.toArray(), [[1, 2, 3], [-4, -5, -6]]);
    assert.deepEqual(t['u8']!.toList(), [0, 128, 255]);
    assert.deepEqual(t['bool']!.toArray(), [true, false, true]);
    assert.deepEqual(t['empty']!.shape, [0, 3]);
    assert.deepEqual(t['scalar']!.shape, []);
    assert.equal(t['scalar']!.item(), 4.5);
    assert.equal(f.metadata['written_by'], 'scripts/golden.py');
    assert.equal(f.storedDTypes['bf16'], 'BF16');
  });

  it('round-trips names, shapes, dtypes and metadata; int32 can be stored as I64', () => {
    const p = join(dir, 'rt.safetensors');
    const src = {
      'a.weight': randn([2, 3], new Rng(0)),
      'b': tensor([1, 2], { dtype: 'float64' }),
      'n': tensor([7], { dtype: 'int32' }),
      'm': tensor([true, false]),
      'u': tensor(new Uint8Array([9])),
    };
    saveSafetensors(p, src, { metadata: { epoch: '3' }, int64: ['n'] });
    const f = loadSafetensors(p);
    assert.deepEqual(Object.keys(f.tensors), Object.keys(src));
    for (const [k, v] of Object.entries(src)) {
      assert.equal(f.tensors[k]!.dtype, v.dtype);
      assert.deepEqual(f.tensors[k]!.toArray(), v.toArray());
    }
    assert.equal(f.storedDTypes['n'], 'I64');
    assert.deepEqual(f.metadata, { epoch: '3' });
    const headerLen = Number(readFileSync(p).readBigUInt64LE(0));
    assert.equal(headerLen % 8, 0, 'header padded to 8 bytes');
  });

  it('module checkpoints load back by name', () => {
    const p = join(dir, 'conv4.safetensors');
    const a = new Conv4({ rng: new Rng(1), hidden: 4 });
    const b = new Conv4({ rng: new Rng(2), hidden: 4 });
    saveModule(p, a, { note: 'x' });
    const r = loadModule(p, b);
    assert.deepEqual(r.missingKeys, []);
    assert.equal(r.metadata['note'], 'x');
    a.eval(); b.eval();
    const x = randn([2, 1, 28, 28], new Rng(3));
    assertClose(noGrad(() => b.call(x)), noGrad(() => a.call(x)));
  });

  it('a failed write leaves the previous file intact and no temporary files behind', () => {
    const p = join(dir, 'keep.safetensors');
    saveSafetensors(p, { x: tensor([1, 2, 3]) });
    const before = readFileSync(p);
    assert.throws(() => saveSafetensors(p, { __metadata__: tensor([1]) }), FormatError);
    assert.deepEqual(readFileSync(p), before);
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    assert.throws(() => saveSafetensors(join(blocker, 'f.safetensors'), { x: tensor([1]) }), FormatError);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
  });

  it('malformed files give typed errors naming the file and the problem', () => {
    const good = Buffer.concat(serializeSafetensors({ w: tensor([1, 2, 3, 4]) }));
    rejects(good.subarray(0, 5), /at least an 8-byte/);
    rejects(good.subarray(0, good.length - 3), /past the 16-byte data section|truncated/);
    rejects(build({}, new Uint8Array(0), 1_000_000n), /runs past the end/);
    rejects(build({}, new Uint8Array(0), 200_000_000n), /exceeds the 100000000-byte limit/);
    rejects(build({}, new Uint8Array(0), 2n ** 63n), /exceeds/);
    const badJson = new Uint8Array(12);
    new DataView(badJson.buffer).setBigUint64(0, 4n, true);
    badJson.set(new TextEncoder().encode('{"a"'), 8);
    rejects(badJson, /not valid UTF-8 JSON/);
    rejects(build([1, 2] as unknown as object), /not a JSON object/);
    rejects(build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /overlaps/);
    rejects(build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /belong to no tensor/);
    rejects(build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(8)), /end of the data section/);
    rejects(build({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /needs 12 bytes but data_offsets span 8/);
    rejects(build({ a: { dtype: 'Q7', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /unknown dtype "Q7"/);
    rejects(build({ a: { dtype: 'U16', shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)), /U16 is not supported/);
    rejects(build({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }), /invalid shape/);
    rejects(build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4)), /invalid data_offsets/);
    rejects(build({ a: { dtype: 'BOOL', shape: [1], data_offsets: [0, 1] } }, new Uint8Array([2])), /neither 0 nor 1/);
    const big = new Uint8Array(8);
    new DataView(big.buffer).setBigInt64(0, 2n ** 40n, true);
    rejects(build({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, big), /does not fit int32/);
    rejects(build({ __metadata__: { a: 1 } }), /not a string/);
  });

  it('missing files and directories are FormatErrors naming the path', () => {
    assert.throws(() => loadSafetensors(join(dir, 'nope.safetensors')), (e: Error) => e instanceof FormatError && e.message.includes('nope.safetensors'));
    assert.throws(() => loadSafetensors(dir), FormatError);
    assert.ok(!existsSync(join(dir, 'nope.safetensors')));
    assert.equal(zeros([1]).numel(), 1);
  });
});

describe('safetensors: names from the file are kept', () => {
  it('a tensor and a metadata key named __proto__ survive a round trip (they used to vanish)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptlab-st-proto-'));
    try {
      const tensors = new Map([['__proto__', tensor([1, 2, 3])], ['constructor', tensor([4])], ['w', tensor([5, 6])]]);
      const meta = JSON.parse('{"__proto__": "p", "epoch": "3"}') as Record<string, string>;
      const file = join(dir, 'proto.safetensors');
      saveSafetensors(file, tensors, { metadata: meta });
      const header = JSON.parse(readFileSync(file).subarray(8, 8 + Number(readFileSync(file).readBigUInt64LE(0))).toString());
      assert.ok(Object.hasOwn(header, '__proto__'), 'the writer keeps the name');
      const f = loadSafetensors(file);
      assert.deepEqual(Object.keys(f.tensors).sort(), ['__proto__', 'constructor', 'w']);
      assert.ok(Object.hasOwn(f.tensors, '__proto__'));
      assert.deepEqual(f.tensors['__proto__']!.toList(), [1, 2, 3]);
      assert.equal(Object.getPrototypeOf(f.tensors), Object.prototype, 'an ordinary object: the prototype was not replaced');
      assert.deepEqual(Object.keys(f.metadata).sort(), ['__proto__', 'epoch']);
      assert.equal(f.metadata['__proto__'], 'p');
      assert.equal(f.storedDTypes['__proto__'], 'F32');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a dtype named toString and a shape nested 100,000 deep are FormatErrors, not TypeErrors or stack overflows', () => {
    const data = Buffer.concat(serializeSafetensors({ a: tensor([1, 2]) }).map((p) => Buffer.from(p)));
    const n = Number(data.readBigUInt64LE(0));
    const header = data.subarray(8, 8 + n).toString();
    const body = data.subarray(8 + n);
    const build = (json: string): Buffer => {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
      return Buffer.concat([len, Buffer.from(json), body]);
    };
    for (const [json, re] of [
      [header.replace('"F32"', '"toString"'), /unknown dtype "toString"/],
      [header.replace('"F32"', '"__proto__"'), /unknown dtype "__proto__"/],
      [header.replace('[2]', '['.repeat(100000) + ']'.repeat(100000)), /invalid shape \[…deeply nested array…\]/],
      [header.replace(/"data_offsets":\[[^\]]*\]/, `"data_offsets":${'['.repeat(100000)}${']'.repeat(100000)}`), /invalid data_offsets/],
    ] as const) {
      assert.throws(() => parseSafetensors(build(json), 'odd.safetensors'), (e: unknown) => e instanceof FormatError && re.test(e.message), json.slice(0, 60));
    }
  });
});


describe('safetensors: F16 writing', () => {
  it('floatToHalf inverts halfToFloat on every non-NaN bit pattern and rounds to nearest, ties to even', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = halfToFloat(h);
      if (Number.isNaN(v)) assert.ok(Number.isNaN(halfToFloat(floatToHalf(v))), `NaN ${h.toString(16)}`);
      else assert.equal(floatToHalf(v), h, `pattern 0x${h.toString(16)} (${v})`);
    }
    assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00, 'a tie between 1 and its successor goes to the even 1');
    assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02, 'a tie between 0x3c01 and 0x3c02 goes to the even 0x3c02');
    assert.equal(floatToHalf(1 + 2 ** -11 + 2 ** -20), 0x3c01, 'above the tie rounds up');
    assert.equal(floatToHalf(65520), 0x7c00, '65520 rounds to Infinity');
    assert.equal(floatToHalf(65519), 0x7bff, '65519 rounds to the largest half');
    assert.equal(floatToHalf(-1e9), 0xfc00);
    assert.equal(floatToHalf(2 ** -25), 0, 'half of the smallest subnormal ties to zero');
    assert.equal(floatToHalf(1.5 * 2 ** -25), 1, 'above it rounds to the smallest subnormal');
    assert.equal(floatToHalf(2 ** -14 - 2 ** -25), 0x0400, 'the largest subnormal plus half a step rounds up to the smallest normal');
    assert.equal(floatToHalf(-0), 0x8000);
  });

  it('float16 stores the chosen float tensors as F16 (half the bytes) and reads them back as float32', () => {
    const rng = new Rng(4);
    const w = randn([3, 5], rng), b = tensor([0.1, -2.5, 70000]), n = tensor(Int32Array.from([7]), { shape: [1] });
    const parts = serializeSafetensors({ w, b, n }, { float16: ['w', 'b'], metadata: { k: 'v' } });
    const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) { bytes.set(p, o); o += p.length; }
    const f = parseSafetensors(bytes);
    assert.deepEqual(f.storedDTypes, { w: 'F16', b: 'F16', n: 'I32' });
    assert.equal(f.tensors['w']!.dtype, 'float32');
    assertClose(f.tensors['w']!, w, { rtol: 2 ** -11, atol: 2 ** -24 });
    assert.deepEqual(Array.from(f.tensors['b']!.data), [halfToFloat(floatToHalf(0.1)), -2.5, Infinity]);
    assert.deepEqual(Array.from(f.tensors['n']!.data), [7]);
    const all = serializeSafetensors({ w, b }, { float16: 'all' });
    const f32 = serializeSafetensors({ w, b });
    const size = (ps: Uint8Array[]): number => ps.slice(2).reduce((a, p) => a + p.length, 0);
    assert.equal(size(all) * 2, size(f32), 'F16 data is half the F32 data');
  });
});
