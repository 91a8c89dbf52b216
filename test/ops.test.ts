// Drives the op table: forward values against naive references, first- and second-order gradient checks (float64).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng, withBackend } from '../src/index.js';
import { assertClose, availableBackends, derivatives, gradcheck, gradgradcheck } from './helpers.js';
import { arr, OPS } from './op-table.js';

describe('op table', () => {
  OPS.forEach((op, k) => {
    describe(op.name, () => {
      it('forward matches the reference', () => {
        assert.ok(op.ref, `${op.name} has no forward reference: add one to test/op-table.ts`);
        const inputs = op.inputs(new Rng(1000 + k));
        if (!op.noGrad) assert.ok(inputs.some((t) => t.requiresGrad), `${op.name}: differentiable ops need an input to check`);
        const out = op.fn(...inputs);
        const ref = op.ref(...inputs.map(arr));
        assertClose(out.shape, ref.shape, { msg: `${op.name} shape` });
        assertClose(out, ref.data, { rtol: 1e-9, atol: 1e-9, msg: op.name });
      });
      if (op.noGrad) return;
      it('first-order gradient matches finite differences', () => {
        gradcheck(op.fn, op.inputs(new Rng(2000 + k)), { name: op.name });
      });
      if (op.noSecond) return;
      it('second-order gradient matches finite differences', () => {
        gradgradcheck(op.fn, op.inputs(new Rng(3000 + k)), { name: op.name });
      });
    });
  });
});

describe('op table in float32 on every backend', () => {
  for (const backend of availableBackends()) {
    OPS.forEach((op, k) => {
      it(`${backend}: ${op.name} — forward, first- and second-order gradients match float64`, () => {
        const inputs = op.inputs(new Rng(4000 + k));
        const ref = withBackend('ts', () => derivatives(op.fn, inputs, 'float64'));
        const got = withBackend(backend, () => derivatives(op.fn, inputs, 'float32'));
        const tol = { rtol: 2e-3, atol: 2e-4 };
        assertClose(got.out, ref.out.toList(), { ...tol, msg: `${op.name} forward` });
        got.first.forEach((g, i) => assertClose(g ? g.toList() : [], ref.first[i] ? ref.first[i]!.toList() : [], { ...tol, msg: `${op.name} first-order input ${i}` }));
        got.second.forEach((g, i) => {
          const r = ref.second[i];
          if (!g && !r) return;
          assertClose(g ? g.toList() : new Array(r!.numel()).fill(0), r ? r.toList() : new Array(g!.numel()).fill(0), { ...tol, msg: `${op.name} second-order input ${i}` });
        });
      });
    });
  }
});
