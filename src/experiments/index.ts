// Experiments: canned studies over the method layers (the multi-task study and its transfer comparison).
export * from './multitask-study.js';
