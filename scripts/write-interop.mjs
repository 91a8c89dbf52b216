#!/usr/bin/env node
// For scripts/golden.py: writes a seeded Conv4 checkpoint with its eval-mode logits, in adaptlab's safetensors.
import { Conv4, Rng, randn, noGrad, saveSafetensors, tensor } from '../dist/src/index.js';

const path = process.argv[2];
if (!path) {
  console.error('usage: write-interop.mjs OUT.safetensors');
  process.exit(2);
}
const rng = new Rng(7);
const model = new Conv4({ rng, hidden: 8 });
// non-trivial running statistics so eval mode exercises them
for (const [name, b] of Object.entries(model.stateDict())) {
  if (name.endsWith('running_mean')) b.data.forEach((_, i) => (b.data[i] = rng.normal(0, 0.1)));
  if (name.endsWith('running_var')) b.data.forEach((_, i) => (b.data[i] = rng.uniform(0.5, 1.5)));
}
model.eval();
const input = randn([3, 1, 28, 28], rng);
const logits = noGrad(() => model.call(input));
const tensors = { input, logits };
for (const [k, v] of Object.entries(model.stateDict())) tensors[`weights.${k}`] = v;
tensors.labels = tensor([0, 4, 2], { dtype: 'int32' });
tensors.mask = tensor([true, false]);
tensors.pixels = tensor(new Uint8Array([0, 7, 255]));
saveSafetensors(path, tensors, {
  metadata: { written_by: 'adaptlab' },
  int64: ['labels', ...Object.keys(tensors).filter((k) => k.endsWith('num_batches_tracked'))],
});
