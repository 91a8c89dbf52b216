// adaptlab: transfer, multi-task and meta-learning on an engine with higher-order autograd.
export * from './engine/index.js';
export { setBackend, backendInfo, withBackend, setThreads } from './backend/index.js';
export type { BackendName, BackendInfo } from './backend/index.js';
export * as nn from './nn/index.js';
export * from './nn/index.js';
export * as F from './engine/ops/index.js';
export * as optim from './optim/index.js';
export * from './optim/index.js';
export * from './io/index.js';
export * from './data/index.js';
export * as meta from './meta/index.js';
export * from './meta/index.js';
export * as transfer from './transfer/index.js';
export * from './transfer/index.js';
export * as multitask from './multitask/index.js';
export * from './multitask/index.js';
export * as experiments from './experiments/index.js';
export * from './experiments/index.js';
