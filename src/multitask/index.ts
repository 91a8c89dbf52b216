// Multi-task learning: a shared trunk with per-task heads, task sampling, loss weighting and gradient surgery, Δ_MTL.
export * from './model.js';
export * from './tasks.js';
export * from './sampling.js';
export * from './train.js';
export * from './metrics.js';
export * from './weighting/index.js';
