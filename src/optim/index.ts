// Optimisers, schedules, clipping, parameter groups and differentiable inner-loop updates.
export { Optimizer } from './optimizer.js';
export type { ParamGroup, ParamGroupSpec, ParamsArg, ParamState, OptimizerStateDict } from './optimizer.js';
export { SGD } from './sgd.js';
export type { SGDOptions } from './sgd.js';
export { Adam, AdamW } from './adam.js';
export type { AdamOptions } from './adam.js';
export * from './schedulers.js';
export * from './clip.js';
export * from './groups.js';
export * from './inner.js';
