// Weighting methods by name: the CLI spelling of each (uniform, static:W,…, uncertainty, gradnorm, pcgrad, cagrad, nash-mtl).
import { ArgumentError } from '../../core/errors.js';
import { CAGrad } from './cagrad.js';
import { GradNorm } from './gradnorm.js';
import { NashMTL } from './nash-mtl.js';
import { PCGrad } from './pcgrad.js';
import { StaticWeighting } from './static.js';
import { UncertaintyWeighting } from './uncertainty.js';
import { UniformWeighting } from './uniform.js';
import type { Weighting } from './weighting.js';

export { taskGradients, setSharedGradient, setTaskGradients, type Weighting, type WeightingStep } from './weighting.js';
export { UniformWeighting } from './uniform.js';
export { StaticWeighting } from './static.js';
export { UncertaintyWeighting, type UncertaintyForm } from './uncertainty.js';
export { GradNorm } from './gradnorm.js';
export { PCGrad, pcgradDirection } from './pcgrad.js';
export { CAGrad, cagradDirection, cagradWeights } from './cagrad.js';
export { NashMTL, nashWeights } from './nash-mtl.js';

export const WEIGHTING_SYNTAX = 'uniform|static:W1,W2,..|uncertainty[:regression]|gradnorm[:ALPHA]|pcgrad|cagrad[:C]|nash-mtl';

/** The method names `parseWeighting` knows. */
export const WEIGHTING_NAMES = ['uniform', 'static', 'uncertainty', 'gradnorm', 'pcgrad', 'cagrad', 'nash-mtl'] as const;

function number(spec: string, what: string, value: string, check: (v: number) => boolean): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || !check(v)) throw new ArgumentError('weighting', `${what} in "${spec}" is not valid (${WEIGHTING_SYNTAX})`);
  return v;
}

/**
 * A weighting method for `numTasks` tasks from its CLI spelling: `uniform`, `static:1,2,1` (one weight per task,
 * rescaled to sum to T), `uncertainty` (or `uncertainty:regression`), `gradnorm` (α = 1.5) or `gradnorm:0.12`,
 * `pcgrad`, `cagrad` (c = 0.4) or `cagrad:0.2`, `nash-mtl`. A fresh object each call: learned weights start over.
 * @example parseWeighting('static:2,1,1', 3).name   // 'static:2,1,1'
 */
export function parseWeighting(spec: string, numTasks: number): Weighting {
  const colon = spec.indexOf(':');
  const [name, arg] = colon < 0 ? [spec, undefined] : [spec.slice(0, colon), spec.slice(colon + 1)];
  const noArg = (w: () => Weighting): Weighting => {
    if (arg !== undefined) throw new ArgumentError('weighting', `${name} takes no argument, got "${spec}" (${WEIGHTING_SYNTAX})`);
    return w();
  };
  switch (name) {
    case 'uniform': return noArg(() => new UniformWeighting());
    case 'pcgrad': return noArg(() => new PCGrad());
    case 'nash-mtl': return noArg(() => new NashMTL());
    case 'static': {
      if (arg === undefined) throw new ArgumentError('weighting', `static needs one weight per task, e.g. static:${Array.from({ length: numTasks }, (_, i) => (i === 0 ? 2 : 1)).join(',')}`);
      const w = arg.split(',').map((v) => number(spec, 'a weight', v, (x) => x >= 0));
      if (w.length !== numTasks) throw new ArgumentError('weighting', `"${spec}" has ${w.length} weights for ${numTasks} tasks`);
      return new StaticWeighting(w);
    }
    case 'uncertainty': {
      if (arg !== undefined && arg !== 'classification' && arg !== 'regression') throw new ArgumentError('weighting', `uncertainty's form must be classification or regression, got "${arg}"`);
      return new UncertaintyWeighting(numTasks, { form: arg ?? 'classification' });
    }
    case 'gradnorm': return new GradNorm(numTasks, arg === undefined ? {} : { alpha: number(spec, 'alpha', arg, (x) => x >= 0) });
    case 'cagrad': return new CAGrad(arg === undefined ? {} : { c: number(spec, 'c', arg, (x) => x >= 0) });
    default:
      throw new ArgumentError('weighting', `unknown weighting "${spec}" (${WEIGHTING_SYNTAX})`);
  }
}
