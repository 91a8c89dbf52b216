// The local dashboard over run directories.
export * from './server.js';
export * from './live.js';
