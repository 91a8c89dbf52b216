#!/usr/bin/env python3
# Writes the small NumPy fixtures in test/data/fixtures/ used by test/data/npy.test.ts (run once; outputs are committed).
import os
import numpy as np

out = os.path.join(os.path.dirname(__file__), '..', 'test', 'data', 'fixtures')
os.makedirs(out, exist_ok=True)
a = np.arange(24).reshape(2, 3, 4)
np.save(os.path.join(out, 'i4_c.npy'), a.astype('<i4'))
np.save(os.path.join(out, 'f8_fortran.npy'), np.asfortranarray((a / 7).astype('<f8')))
np.save(os.path.join(out, 'u2_big.npy'), a.astype('>u2'))
np.save(os.path.join(out, 'f2.npy'), np.array([0.5, -2.0, 65504.0, 1e-7, np.inf], dtype='<f2'))
np.save(os.path.join(out, 'bool.npy'), np.array([[True, False, True], [False, False, True]]))
np.save(os.path.join(out, 'i8.npy'), np.array([-3, 0, 2**40], dtype='<i8'))
np.save(os.path.join(out, 'u1_scalar.npy'), np.array(7, dtype='u1'))
np.save(os.path.join(out, 'c8.npy'), np.array([1 + 2j], dtype='<c8'))
np.save(os.path.join(out, 'structured.npy'), np.zeros(2, dtype=[('x', '<f4'), ('y', '<i4')]))
np.lib.format.write_array(open(os.path.join(out, 'f4_v2.npy'), 'wb'), np.array([1.5, 2.5], dtype='<f4'), version=(2, 0))
np.savez_compressed(os.path.join(out, 'pair.npz'), images=np.array([[[True, False], [False, True]]]), labels=np.array([5], dtype='<i8'))
np.savez(os.path.join(out, 'stored.npz'), x=np.arange(5, dtype='<i2'))
