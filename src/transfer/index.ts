// Transfer learning: transferability scores of frozen source models on a target, and ranking of source checkpoints.
export * from './transferability.js';
export * from './score-checkpoints.js';
