// Backend availability runs in both CI modes: with the addon (info, threads, ISA) and without it (clean fallback).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { backendInfo, setBackend, setThreads } from '../../src/backend/index.js';
import { loadNative } from '../../src/backend/native/load.js';
import { OP_FAMILIES } from '../../src/backend/native/opcodes.js';
import { probeNativeDTypes } from '../../src/backend/native/probe.js';
import type { NativeAddon } from '../../src/backend/native/addon.js';
import { BackendError } from '../../src/core/errors.js';

const st = loadNative();

describe('native backend availability', () => {
  after(() => setBackend('auto'));

  it('auto selects native when the addon loads and ts (with the reason) when it does not', () => {
    const info = setBackend('auto');
    if (st.loaded) {
      assert.equal(info.name, 'native');
      assert.match(info.reason, /native addon loaded/);
    } else {
      assert.equal(info.name, 'ts');
      assert.ok(st.error && st.error.length > 0, 'a reason is reported');
      assert.match(info.reason, /unavailable/);
    }
  });

  it('an explicit native request fails with a BackendError only when the addon is missing', () => {
    if (st.loaded) assert.equal(setBackend('native').name, 'native');
    else assert.throws(() => setBackend('native'), BackendError);
    assert.equal(setBackend('ts').name, 'ts');
  });

  it('reports per dtype which kernels run natively: float32 on the addon when loaded, float64 always on TypeScript', () => {
    const auto = setBackend('auto');
    if (st.loaded) {
      assert.deepEqual(auto.nativeDTypes, ['float32']);
      assert.deepEqual(auto.dtypes.float32.ts, []);
      assert.ok(auto.dtypes.float32.native.includes('matmul'));
    } else {
      assert.deepEqual(auto.nativeDTypes, []);
      assert.deepEqual(auto.dtypes.float32.native, []);
    }
    assert.deepEqual(auto.dtypes.float64.native, []);
    assert.ok(auto.dtypes.float64.ts.includes('matmul') && auto.dtypes.float64.ts.includes('conv2d'));
    const ts = setBackend('ts');
    assert.deepEqual(ts.nativeDTypes, []);
    assert.deepEqual(ts.dtypes.float32.native, []);
  });

  it('the dtype probe reads the native table\'s dispatch (with a stand-in addon, so it runs without the build too)', () => {
    const opcodes = Object.fromEntries(Object.entries(OP_FAMILIES).map(([f, names]) => [f, Object.fromEntries(names.map((n, i) => [n, i]))]));
    const noop = (): void => { throw new Error('the probe must not run the stand-in addon'); };
    const fake = new Proxy({ opcodes }, { get: (t, p) => (p === 'opcodes' ? t.opcodes : noop) }) as unknown as NativeAddon;
    const d = probeNativeDTypes(fake);
    assert.deepEqual(d.float32, { native: ['matmul', 'conv2d', 'unary', 'binary', 'reduce'], ts: [] });
    assert.deepEqual(d.float64, { native: [], ts: ['matmul', 'conv2d', 'unary', 'binary', 'reduce'] });
  });

  it('reports the instruction set and resizes the thread pool when loaded', () => {
    setThreads(1);
    if (!st.loaded) {
      assert.equal(backendInfo().native.threads, null);
      return;
    }
    const a = st.addon!;
    assert.match(a.info().isa, /avx512|avx2|baseline/);
    assert.equal(a.info().threads, 1);
    setThreads(2);
    assert.equal(a.info().threads, 2);
    assert.throws(() => setThreads(0), BackendError);
    assert.throws(() => a.setThreads(0), /threads must be/);
    assert.throws(() => a.setIsa('sse9' as 'avx2'), /isa must be/);
    const detected = a.info().detectedIsa;
    assert.equal(a.setIsa('baseline').isa.startsWith('baseline'), true);
    a.setIsa(detected.startsWith('avx512') ? 'avx512' : detected.startsWith('avx2') ? 'avx2' : 'baseline');
    assert.equal(a.info().isa, detected);
  });
});
