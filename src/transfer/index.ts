// Transfer learning: fine-tuning strategies, parameter-efficient adapters, transferability scores of source checkpoints.
export * from './lora.js';
export * from './strategies.js';
export * from './finetune.js';
export * from './transferability.js';
export * from './score-checkpoints.js';
export * from './pretrain.js';
export * from './protocol.js';
export * from './checkpoint.js';
