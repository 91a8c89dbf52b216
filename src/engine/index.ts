// The engine's public surface: Tensor, constructors, ops, autograd and the RNG.
export { Tensor } from './tensor.js';
export type { TensorLike, NestedArray } from './tensor.js';
export * from './create.js';
export * from '../core/errors.js';
export * from '../core/dtype.js';
export { Rng } from './rng.js';
export type { RngState } from './rng.js';
export { grad, backward, noGrad, enableGrad, isGradEnabled } from './autograd.js';
export type { GradOptions, GradNode } from './autograd.js';
export type { Prim, PrimParams } from './prims.js';
export { rules } from './rules.js';
export * as ops from './ops/index.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export * from './ops/shape.js';
export * from './ops/linalg.js';
export * from './ops/conv.js';
export * from './ops/nn.js';
