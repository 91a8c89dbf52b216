// nn: modules, layers, initialisers, functional call and the reference models.
export { Module, functionalCall } from './module.js';
export type { StateDict, LoadResult, LoadStateDictOptions, ForwardHook, AnyModule, FunctionalCallOptions } from './module.js';
export { withBatchNormPolicy, batchNormPolicy } from './batchnorm-policy.js';
export type { BatchNormPolicy } from './batchnorm-policy.js';
export * from './params.js';
export * from './init.js';
export * from './layers/linear.js';
export * from './layers/conv.js';
export * from './layers/norm.js';
export * from './layers/activation.js';
export * from './layers/pooling.js';
export * from './layers/container.js';
export * from './layers/recurrent.js';
export * from './models/blocks.js';
export * from './models/mlp.js';
export * from './models/conv4.js';
export * from './models/resnet.js';
export * from './names.js';
