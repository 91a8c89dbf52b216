// The derivative table: one reverse-mode rule per primitive, written with differentiable ops.
import type { RuleContext } from './autograd.js';
import type { Prim, PrimParams } from './prims.js';
import type { Tensor } from './tensor.js';
import * as o from './ops/index.js';

interface Ctx<P extends Prim> extends RuleContext {
  params: PrimParams[P];
}
type Rule<P extends Prim> = (g: Tensor, ctx: Ctx<P>) => (Tensor | null)[];

const constMask = (t: Tensor, dtype: Tensor['dtype']): Tensor => o.cast(t, dtype);

/**
 * Every primitive's vector–Jacobian product. Rules only use ops, so when the backward pass is
 * recorded (createGraph) gradients of gradients follow from this same table. `needs[i]` says whether
 * input i wants a gradient; rules return null for the rest.
 */
export const rules: { [P in Prim]: Rule<P> } = {
  neg: (g) => [o.neg(g)],
  exp: (g, { output }) => [o.mul(g, output)],
  log: (g, { inputs: [x] }) => [o.div(g, x!)],
  sqrt: (g, { output }) => [o.div(g, o.mul(output, 2))],
  abs: (g, { inputs: [x] }) => [o.mul(g, o.sign(x!))],
  sin: (g, { inputs: [x] }) => [o.mul(g, o.cos(x!))],
  cos: (g, { inputs: [x] }) => [o.neg(o.mul(g, o.sin(x!)))],
  tanh: (g, { output }) => [o.mul(g, o.sub(1, o.mul(output, output)))],
  sigmoid: (g, { output }) => [o.mul(g, o.mul(output, o.sub(1, output)))],
  relu: (g, { inputs: [x] }) => [o.reluBackward(g, x!)],
  reluBackward: (g, { inputs: [, x] }) => [o.reluBackward(g, x!), null],
  erf: (g, { inputs: [x] }) => [o.mul(g, o.mul(o.exp(o.neg(o.mul(x!, x!))), 2 / Math.sqrt(Math.PI)))],

  add: (g, { inputs: [a, b], needs }) => [needs[0] ? o.sumTo(g, a!.shape) : null, needs[1] ? o.sumTo(g, b!.shape) : null],
  sub: (g, { inputs: [a, b], needs }) => [needs[0] ? o.sumTo(g, a!.shape) : null, needs[1] ? o.sumTo(o.neg(g), b!.shape) : null],
  mul: (g, { inputs: [a, b], needs }) => [
    needs[0] ? o.sumTo(o.mul(g, b!), a!.shape) : null,
    needs[1] ? o.sumTo(o.mul(g, a!), b!.shape) : null,
  ],
  div: (g, { inputs: [a, b], needs }) => [
    needs[0] ? o.sumTo(o.div(g, b!), a!.shape) : null,
    needs[1] ? o.sumTo(o.neg(o.div(o.mul(g, a!), o.mul(b!, b!))), b!.shape) : null,
  ],
  pow: (g, { inputs: [a, b], output, needs }) => [
    needs[0] ? o.sumTo(o.mul(g, o.mul(b!, o.pow(a!, o.sub(b!, 1)))), a!.shape) : null,
    needs[1] ? o.sumTo(o.mul(g, o.mul(output, o.log(a!))), b!.shape) : null,
  ],
  maximum: (g, { inputs: [a, b], needs }) => {
    const half = o.mul(constMask(o.eq(a!, b!), g.dtype), 0.5);
    return [
      needs[0] ? o.sumTo(o.mul(g, o.add(constMask(o.gt(a!, b!), g.dtype), half)), a!.shape) : null,
      needs[1] ? o.sumTo(o.mul(g, o.add(constMask(o.lt(a!, b!), g.dtype), half)), b!.shape) : null,
    ];
  },
  minimum: (g, { inputs: [a, b], needs }) => {
    const half = o.mul(constMask(o.eq(a!, b!), g.dtype), 0.5);
    return [
      needs[0] ? o.sumTo(o.mul(g, o.add(constMask(o.lt(a!, b!), g.dtype), half)), a!.shape) : null,
      needs[1] ? o.sumTo(o.mul(g, o.add(constMask(o.gt(a!, b!), g.dtype), half)), b!.shape) : null,
    ];
  },
  where: (g, { inputs: [c, a, b], needs }) => [
    null,
    needs[1] ? o.sumTo(o.where(c!, g, 0), a!.shape) : null,
    needs[2] ? o.sumTo(o.where(c!, 0, g), b!.shape) : null,
  ],

  sum: (g, { inputs: [x], params }) => [o.expand(o.reshape(g, keepShape(x!, params.axes)), x!.shape)],
  max: (g, ctx) => [extremumGrad(g, ctx)],
  min: (g, ctx) => [extremumGrad(g, ctx)],

  reshape: (g, { inputs: [x] }) => [o.reshape(g, x!.shape)],
  permute: (g, { params }) => {
    const inv = new Array<number>(params.perm.length);
    params.perm.forEach((p, i) => (inv[p] = i));
    return [o.permute(g, inv)];
  },
  expand: (g, { inputs: [x] }) => [o.sumTo(g, x!.shape)],
  slice: (g, { inputs: [x], params }) => [o.sliceScatterPrim(g, params.starts, params.steps, x!.shape.slice())],
  sliceScatter: (g, { inputs: [x], params }) => [o.slicePrim(g, params.starts, params.steps, x!.shape.slice())],
  concat: (g, { inputs, params, needs }) => {
    let off = 0;
    return inputs.map((t, i) => {
      const part = needs[i] ? o.sliceAxis(g, params.axis, off, off + t.shape[params.axis]!) : null;
      off += t.shape[params.axis]!;
      return part;
    });
  },
  gather: (g, { inputs: [x, idx], params }) => [o.scatterAddPrim(x!.shape.slice(), params.axis, idx!, g), null],
  scatterAdd: (g, { inputs: [idx], params }) => [null, o.gather(g, params.axis, idx!)],
  cast: (g, { inputs: [x] }) => [o.cast(g, x!.dtype)],

  matmul: (g, { inputs: [a, b], params: { transA, transB }, needs }) => {
    let ga: Tensor | null = null, gb: Tensor | null = null;
    if (!transA && !transB) {
      if (needs[0]) ga = o.matmulPrim(g, b!, false, true);
      if (needs[1]) gb = o.matmulPrim(a!, g, true, false);
    } else if (transA && !transB) {
      if (needs[0]) ga = o.matmulPrim(b!, g, false, true);
      if (needs[1]) gb = o.matmulPrim(a!, g, false, false);
    } else if (!transA && transB) {
      if (needs[0]) ga = o.matmulPrim(g, b!, false, false);
      if (needs[1]) gb = o.matmulPrim(g, a!, true, false);
    } else {
      if (needs[0]) ga = o.matmulPrim(b!, g, true, true);
      if (needs[1]) gb = o.matmulPrim(g, a!, true, true);
    }
    return [ga && o.sumTo(ga, a!.shape), gb && o.sumTo(gb, b!.shape)];
  },
  conv2d: (g, { inputs: [x, w], params, needs }) => [
    needs[0] ? o.conv2dBackwardDataPrim(g, w!, { ...convOnly(params), inputShape: x!.shape.slice() }) : null,
    needs[1] ? o.conv2dBackwardFilterPrim(x!, g, { ...convOnly(params), weightShape: w!.shape.slice() }) : null,
    ...(params.hasBias ? [needs[2] ? o.sum(g, [0, 2, 3]) : null] : []),
  ],
  // dx = D(dy, w) is bilinear: <G, D(dy, w)> = <dy, conv(G, w)>
  conv2dBackwardData: (g, { inputs: [dy, w], params, needs }) => [
    needs[0] ? o.conv2dPrim(g, w!, convOnly(params)) : null,
    needs[1] ? o.conv2dBackwardFilterPrim(g, dy!, { ...convOnly(params), weightShape: w!.shape.slice() }) : null,
  ],
  // dw = F(x, dy) is bilinear: <G, F(x, dy)> = <dy, conv(x, G)>
  conv2dBackwardFilter: (g, { inputs: [x, dy], params, needs }) => [
    needs[0] ? o.conv2dBackwardDataPrim(dy!, g, { ...convOnly(params), inputShape: x!.shape.slice() }) : null,
    needs[1] ? o.conv2dPrim(x!, g, convOnly(params)) : null,
  ],
  avgPool2d: (g, { inputs: [x], params }) => [o.avgPool2dBackwardPrim(g, { ...poolOnly(params), inputShape: x!.shape.slice() })],
  avgPool2dBackward: (g, { params }) => [o.avgPool2dPrim(g, poolOnly(params))],
  batchNormTrain: (g, { inputs, params, needs }) => o.batchNormTrainGrads(g, inputs, params, needs),
  softmax: (g, { output, params }) => [o.mul(output, o.sub(g, o.sum(o.mul(g, output), params.axis, true)))],
  logSoftmax: (g, { output, params }) => [o.sub(g, o.mul(o.exp(output), o.sum(g, params.axis, true)))],
  softmaxCrossEntropy: (g, { inputs: [logits, targets], params }) => [o.softmaxCrossEntropyGrad(g, logits!, targets!, params), null],
  pairwiseSquaredDistance: (g, { inputs: [a, b], output, needs }) => {
    // d_ij = ‖a_i‖² − 2 a_i·b_j + ‖b_j‖², zero gradient where the result was clamped to 0
    const gm = o.mul(g, o.cast(o.gt(output, 0), g.dtype));
    return [
      needs[0] ? o.mul(o.sub(o.mul(o.sum(gm, -1, true), a!), o.matmulPrim(gm, b!)), 2) : null,
      needs[1] ? o.mul(o.sub(o.mul(o.unsqueeze(o.sum(gm, -2), -1), b!), o.matmulPrim(gm, a!, true, false)), 2) : null,
    ];
  },
};

function keepShape(x: Tensor, axes: readonly number[]): number[] {
  return x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** amax/amin gradient: split evenly among the positions that attain the extremum. */
function extremumGrad(g: Tensor, { inputs: [x], params, output }: Ctx<'max'> | Ctx<'min'>): Tensor {
  const ks = keepShape(x!, params.axes);
  const mask = o.cast(o.eq(x!, o.reshape(output, ks)), g.dtype);
  const count = o.sum(mask, params.axes, true);
  return o.mul(o.expand(o.reshape(o.div(o.reshape(g, ks), count), ks), x!.shape), mask);
}

function convOnly(p: PrimParams['conv2d']): PrimParams['conv2d'] {
  return { stride: p.stride, padding: p.padding, dilation: p.dilation, groups: p.groups };
}

function poolOnly(p: PrimParams['avgPool2d']): PrimParams['avgPool2d'] {
  return { kernel: p.kernel, stride: p.stride, padding: p.padding, countIncludePad: p.countIncludePad };
}

/**
 * What each rule reads besides shapes: the indices of inputs whose values it uses and whether it uses the
 * output. Autograd checks exactly these against in-place writes (as PyTorch checks its saved tensors):
 * `y = x + 1; x.copy_(…)` still differentiates, `y = x * w; w.copy_(…)` raises at backward.
 */
export const saved: { [P in Prim]: { inputs: readonly number[]; output: boolean } } = {
  neg: none(), exp: out(), log: ins(0), sqrt: out(), abs: ins(0), sin: ins(0), cos: ins(0),
  tanh: out(), sigmoid: out(), relu: ins(0), reluBackward: ins(1), erf: ins(0),
  add: none(), sub: none(), mul: ins(0, 1), div: ins(0, 1), pow: { inputs: [0, 1], output: true },
  maximum: ins(0, 1), minimum: ins(0, 1), where: ins(0),
  sum: none(), max: { inputs: [0], output: true }, min: { inputs: [0], output: true },
  reshape: none(), permute: none(), expand: none(), slice: none(), sliceScatter: none(), concat: none(),
  gather: ins(1), scatterAdd: ins(0), cast: none(),
  matmul: ins(0, 1), conv2d: ins(0, 1), conv2dBackwardData: ins(0, 1), conv2dBackwardFilter: ins(0, 1),
  avgPool2d: none(), avgPool2dBackward: none(),
  batchNormTrain: ins(0, 1), softmax: out(), logSoftmax: out(), softmaxCrossEntropy: ins(0, 1),
  pairwiseSquaredDistance: { inputs: [0, 1], output: true },
};

function none(): { inputs: readonly number[]; output: boolean } {
  return { inputs: [], output: false };
}
function out(): { inputs: readonly number[]; output: boolean } {
  return { inputs: [], output: true };
}
function ins(...inputs: number[]): { inputs: readonly number[]; output: boolean } {
  return { inputs, output: false };
}
