// Run directories: the on-disk shape of every training run, and reading them back (status, key metric, safe paths).
export * from './run-dir.js';
export * from './inspect.js';
