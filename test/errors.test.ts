// Bad input gives typed errors that name the op or parameter and the shapes involved.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ArgumentError, Conv4, conv2d, crossEntropy, DTypeError, functionalCall, gather, Linear, matmul, MLP, Rng,
  ShapeError, StateDictError, tensor, zeros,
} from '../src/index.js';

function throwsWith(fn: () => unknown, type: new (...a: never[]) => Error, ...parts: (string | RegExp)[]): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${e.constructor.name}: ${e.message}`);
    for (const p of parts) assert.match(e.message, typeof p === 'string' ? new RegExp(p.replace(/[[\]]/g, '\\$&')) : p);
    return true;
  });
}

describe('typed errors', () => {
  it('mismatched broadcast names the op and both shapes', () => {
    throwsWith(() => zeros([2, 3]).add(zeros([4])), ShapeError, 'add', '[2,3]', '[4]');
  });

  it('matmul inner dimension mismatch', () => {
    throwsWith(() => matmul(zeros([2, 3]), zeros([4, 5])), ShapeError, 'matmul', 'inner', '[2,3]', '[4,5]');
  });

  it('conv2d channel mismatch and too-small input', () => {
    throwsWith(() => conv2d(zeros([1, 3, 5, 5]), zeros([2, 4, 3, 3])), ShapeError, 'conv2d', '[1,3,5,5]');
    throwsWith(() => conv2d(zeros([1, 1, 2, 2]), zeros([1, 1, 3, 3])), ShapeError, 'too small');
  });

  it('wrong dtypes: float labels for cross-entropy, float index for gather', () => {
    throwsWith(() => crossEntropy(zeros([2, 3]), tensor([0, 1])), DTypeError, 'crossEntropy', 'int32', '[2]');
    throwsWith(() => gather(zeros([2, 3]), 1, zeros([2, 1])), DTypeError, 'gather', 'int32');
  });

  it('out-of-range labels and indices', () => {
    throwsWith(() => crossEntropy(zeros([2, 3]), tensor([0, 3], { dtype: 'int32' })), ArgumentError, 'target 3');
    throwsWith(() => gather(zeros([2, 3]), 1, tensor([[5], [0]], { dtype: 'int32' })), ArgumentError, 'index 5');
  });

  it('reshape to an incompatible size', () => {
    throwsWith(() => zeros([2, 3]).reshape(4, 2), ShapeError, 'reshape', '6 elements');
  });

  it('a Linear layer fed the wrong feature count names both shapes', () => {
    const l = new Linear(3, 2, { rng: new Rng(0) });
    throwsWith(() => l.call(zeros([5, 4])), ShapeError, 'linear', '[5,4]', '[2,3]');
  });

  it('state dicts: unknown keys, missing keys and shape mismatches name the key', () => {
    const m = new MLP([2, 3, 1], { rng: new Rng(0) });
    const sd = { ...m.stateDict(), 'extra.weight': zeros([1]) };
    throwsWith(() => m.loadStateDict(sd), StateDictError, 'unexpected keys: extra.weight');
    const { ['0.bias']: _drop, ...partial } = m.stateDict();
    throwsWith(() => m.loadStateDict(partial), StateDictError, 'missing keys: 0.bias');
    throwsWith(() => m.loadStateDict({ ...m.stateDict(), '0.weight': zeros([2, 2]) }), StateDictError, '0.weight', '[2,2]', '[3,2]');
    const r = m.loadStateDict(sd, { strict: false });
    assert.deepEqual(r, { missingKeys: [], unexpectedKeys: ['extra.weight'] });
  });

  it('functionalCall with an unknown name or a wrong shape', () => {
    const m = new Conv4({ rng: new Rng(0), hidden: 4 });
    throwsWith(() => functionalCall(m, { 'features.9.weight': zeros([1]) }, zeros([1, 1, 28, 28])), ArgumentError, 'features.9');
    throwsWith(() => functionalCall(m, { 'classifier.weight': zeros([2, 2]) }, zeros([1, 1, 28, 28])), StateDictError, 'classifier.weight', '[2,2]');
  });

  it('errors are catchable and carry a stable code', () => {
    try {
      zeros([2]).add(zeros([3]));
      assert.fail('should throw');
    } catch (e) {
      assert.equal((e as { code?: string }).code, 'E_SHAPE');
    }
  });
});
