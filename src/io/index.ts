// IO: safetensors, checkpoints and atomic writes.
export * from './safetensors.js';
export * from './checkpoint.js';
export { writeFileAtomic } from './atomic.js';
