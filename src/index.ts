// adaptlab: transfer, multi-task and meta-learning on an engine with higher-order autograd.
export * from './engine/index.js';
export { setBackend, backendInfo, withBackend, setThreads } from './backend/index.js';
export type { BackendName, BackendInfo } from './backend/index.js';
