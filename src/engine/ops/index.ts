// All tensor ops in one namespace.
export * from './core.js';
export * from './elementwise.js';
export * from './reduce.js';
export * from './shape.js';
export * from './linalg.js';
export * from './conv.js';
export * from './nn.js';
export { zeros, ones, full, zerosLike, onesLike, fullLike, tensor, scalar, arange, linspace, eye, rand, randn, randint } from '../create.js';
