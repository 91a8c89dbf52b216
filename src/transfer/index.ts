// Transfer learning: pre-training, fine-tuning strategies, parameter-efficient adapters, transferability.
export * from './lora.js';
export * from './strategies.js';
export * from './finetune.js';
