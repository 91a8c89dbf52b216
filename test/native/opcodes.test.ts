// Op codes are defined once (native/src/opcodes.h): the addon's table must match the TypeScript op names, or loading fails.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/package.js';
import { loadNative } from '../../src/backend/native/load.js';
import { nativeKernels } from '../../src/backend/native/kernels.js';
import { OP_FAMILIES, opcodeTables } from '../../src/backend/native/opcodes.js';

/** A well-formed table as the addon would export it: each family's names numbered in order. */
function table(): Record<string, Record<string, number>> {
  const t: Record<string, Record<string, number>> = {};
  for (const [family, names] of Object.entries(OP_FAMILIES)) t[family] = Object.fromEntries(names.map((n, i) => [n, i]));
  return t;
}

describe('op codes (TypeScript side, runs without the addon too)', () => {
  it('accepts a table with exactly the TypeScript op names and distinct codes', () => {
    const t = table();
    t['unary'] = Object.fromEntries(Object.entries(t['unary']!).reverse().map(([n], i) => [n, i + 100]));
    const codes = opcodeTables(t);
    assert.equal(codes.unary.neg, 100 + OP_FAMILIES.unary.length - 1);
    assert.equal(codes.argReduce.argmin, 1);
  });

  it('rejects every kind of disagreement, naming it', () => {
    const cases: [string, (t: Record<string, Record<string, number>>) => void, RegExp][] = [
      ['missing op', (t) => { delete t['unary']!['exp']; }, /unary op "exp" is missing from the addon/],
      ['extra op', (t) => { t['binary']!['atan2'] = 7; }, /binary op "atan2" of the addon is unknown to TypeScript/],
      ['shared code', (t) => { t['compare']!['ne'] = t['compare']!['eq']!; }, /compare ops "eq" and "ne" share code 0/],
      ['bad code', (t) => { t['reduce']!['sum'] = -1; }, /reduce op "sum" has code -1/],
      ['missing family', (t) => { delete t['argReduce']; }, /no argReduce op codes/],
      ['unknown family', (t) => { t['ternary'] = {}; }, /unknown family "ternary"/],
    ];
    for (const [what, tamper, message] of cases) {
      const t = table();
      tamper(t);
      assert.throws(() => opcodeTables(t), message, what);
    }
    assert.throws(() => opcodeTables(undefined), /exports no opcodes table/);
  });
});

describe('op codes of the built addon', () => {
  const built = existsSync(join(packageRoot(), 'build', 'Release', 'adaptlab.node'));
  const st = loadNative();

  it('a built addon loads (a table mismatch would fail the load, and then this test)', () => {
    if (!built) return;
    assert.equal(st.error, null);
    assert.equal(st.loaded, true);
  });

  it('the addon numbers exactly the TypeScript ops, and a tampered table fails the kernel table', { skip: st.addon ? false : 'addon not built' }, () => {
    const addon = st.addon!;
    const codes = opcodeTables(addon.opcodes);
    for (const [family, names] of Object.entries(OP_FAMILIES)) {
      assert.deepEqual(Object.keys(addon.opcodes[family]!).sort(), [...names].sort(), family);
      assert.deepEqual(Object.values(codes[family as keyof typeof codes]).sort((a, b) => a - b), names.map((_, i) => i), `${family} codes are 0..n-1`);
    }
    // an addon built from an older list (an op renamed) must not give a kernel table
    const { sqrt, ...unary } = addon.opcodes['unary']!;
    const tampered = { ...addon.opcodes, unary: { ...unary, squareRoot: sqrt! } };
    assert.throws(() => nativeKernels({ ...addon, opcodes: tampered }), /unary op "sqrt" is missing from the addon; unary op "squareRoot" of the addon is unknown/);
    assert.throws(() => addon.unary(OP_FAMILIES.unary.length, new Float32Array(1), new Float32Array(1)), /unknown unary op/);
    assert.throws(() => addon.reduce(OP_FAMILIES.reduce.length, new Float32Array(1), 1, 1, 1, new Float32Array(1)), /unknown reduce op/);
    assert.throws(() => addon.argReduce(OP_FAMILIES.argReduce.length, new Float32Array(1), 1, 1, 1, new Int32Array(1)), /unknown argReduce op/);
  });
});
