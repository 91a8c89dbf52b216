// adaptlab for browsers (`adaptlab/browser`): engine on the TypeScript kernels, nn, optim, byte-level safetensors, image transforms, meta-learners, the playground's one-shot helpers.
//
// Nothing on this import path touches node: modules. The one Node-only module below it, the native addon loader
// (backend/native/load.ts, reached through backend/index.ts), is replaced by backend/native/unavailable.ts when
// scripts/build-browser.mjs bundles this file, so `auto` selects the ts kernels and `native` is a BackendError.
// Files, checkpoint directories, datasets and meta-training (meta/train.ts, meta/checkpoint.ts, data/) stay in
// the Node entry (src/index.ts).
export * from './engine/index.js';
export { setBackend, backendInfo, withBackend } from './backend/index.js';
export type { BackendName, BackendInfo } from './backend/index.js';
export * as nn from './nn/index.js';
export * from './nn/index.js';
export * as F from './engine/ops/index.js';
export * as optim from './optim/index.js';
export * from './optim/index.js';
export * from './io/safetensors-bytes.js';
export { resize, invert, rotate90, writeFloat, luma } from './data/transforms.js';
export type { ResizeFilter, Normalize } from './data/transforms.js';
export type { Image } from './data/image.js';
export * from './meta/learner.js';
export * from './meta/losses.js';
export * from './meta/evaluate.js';
export * from './meta/inner-loop.js';
export * from './meta/protonet.js';
export * from './meta/matching-net.js';
export * from './meta/maml.js';
export * from './meta/fomaml.js';
export * from './meta/anil.js';
export * from './meta/meta-sgd.js';
export * from './meta/baselines.js';
export * from './play/preprocess.js';
export * from './play/oneshot.js';
