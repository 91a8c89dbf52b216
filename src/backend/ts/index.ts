// The pure-TypeScript backend: every kernel, simple and correct; the reference for all others.
import type { Kernels } from '../types.js';
import { binaryLike, cast, unary, where } from './elementwise.js';
import { conv2d, conv2dBackwardData, conv2dBackwardFilter } from './conv.js';
import { matmul } from './gemm.js';
import { expand, gather, permute, scatterAdd, slice, sliceScatter } from './layout.js';
import { avgPool2d, avgPool2dBackward, maxPool2d } from './pool.js';
import {
  batchNormBackward, batchNormTrainForward, logSoftmax, pairwiseSquaredDistance, reluBackward, softmax, softmaxCrossEntropy,
  softmaxCrossEntropyBackward,
} from './fused.js';
import { argReduce, reduce } from './reduce.js';

export const tsKernels: Kernels = {
  name: 'ts',
  unary,
  binary: binaryLike,
  compare: (op, a, aShape, b, bShape, out, outShape) => binaryLike(op, a, aShape, b, bShape, out, outShape),
  where,
  reduce,
  argReduce,
  permute,
  expand,
  slice,
  sliceScatter,
  gather,
  scatterAdd,
  cast,
  matmul,
  conv2d,
  conv2dBackwardData,
  conv2dBackwardFilter,
  maxPool2d,
  avgPool2d,
  avgPool2dBackward,
  reluBackward,
  batchNormTrainForward,
  batchNormBackward,
  softmax,
  logSoftmax,
  softmaxCrossEntropy,
  softmaxCrossEntropyBackward,
  pairwiseSquaredDistance,
};
