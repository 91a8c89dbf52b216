// Drives the op table: forward values against naive references, first- and second-order gradient checks (float64).
import { describe, it } from 'node:test';
import { Rng } from '../src/index.js';
import { assertClose, gradcheck, gradgradcheck } from './helpers.js';
import { arr, OPS } from './op-table.js';

describe('op table', () => {
  OPS.forEach((op, k) => {
    describe(op.name, () => {
      it('forward matches the reference', () => {
        if (!op.ref) return;
        const inputs = op.inputs(new Rng(1000 + k));
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
