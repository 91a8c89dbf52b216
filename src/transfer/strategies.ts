// Fine-tuning strategies as values, each expressed through three switches: requires-grad, module mode, optimiser groups.
import { ArgumentError } from '../core/errors.js';
import { hasBlocks } from '../nn/models/blocks.js';
import type { AnyModule } from '../nn/module.js';
import { matchName } from '../nn/names.js';

/**
 * A fine-tuning strategy (REFERENCE §1). Values, so studies can sweep them and reports can name them:
 * `full` (everything), `linear-probe` (new head on frozen features), `lp-ft` (linear probe, then everything from
 * that head; Kumar et al. 2022), `surgical` (only the named blocks; Lee et al. 2023), `auto-rgn` (every non-BN
 * tensor, lr ∝ ‖g‖/‖θ‖ recomputed each epoch), `auto-snr` (tensors whose gradient signal-to-noise passes a
 * threshold), `layerwise-lr` (lr × decay^(depth from the head); ULMFiT/BEiT), `gradual-unfreeze` (one more block
 * per epoch, from the head backwards or from the input forwards), `l2-sp` (everything, pulled towards the
 * pre-trained weights; Li et al. 2018), `bn-only`, `bias-only` (BitFit; Ben Zaken et al. 2022), `lora` (low-rank
 * adapters on every Linear and Conv2d; Hu et al. 2021).
 */
export type Strategy =
  | { kind: 'full' }
  | { kind: 'linear-probe' }
  | { kind: 'lp-ft' }
  | { kind: 'surgical'; blocks: string[] }
  | { kind: 'auto-rgn' }
  | { kind: 'auto-snr'; threshold: number }
  | { kind: 'layerwise-lr'; decay: number }
  | { kind: 'gradual-unfreeze'; direction: 'forward' | 'backward' }
  | { kind: 'l2-sp'; lambda: number }
  | { kind: 'bn-only' }
  | { kind: 'bias-only' }
  | { kind: 'lora'; rank: number };

export const STRATEGY_SYNTAX = 'full|linear-probe|lp-ft|surgical:BLOCK[,BLOCK]|auto-rgn|auto-snr[:THRESHOLD]|layerwise-lr:DECAY|gradual-unfreeze[:forward|backward]|l2-sp:LAMBDA|bn-only|bias-only|lora:RANK';

function num(s: string, what: string, check: (v: number) => boolean): number {
  const v = Number(s);
  if (s.trim() === '' || !Number.isFinite(v) || !check(v)) throw new ArgumentError('strategy', `${what}: "${s}" is not valid`);
  return v;
}

/**
 * Parse the CLI spelling of a strategy (`surgical:block1`, `lora:4`, `l2-sp:0.01`, …). With a model that lists
 * blocks, surgical block names are checked against them.
 */
export function parseStrategy(spec: string, model?: AnyModule): Strategy {
  const [name, arg] = spec.includes(':') ? [spec.slice(0, spec.indexOf(':')), spec.slice(spec.indexOf(':') + 1)] : [spec, undefined];
  const noArg = (s: Strategy): Strategy => {
    if (arg !== undefined) throw new ArgumentError('strategy', `${name} takes no argument (got "${spec}")`);
    return s;
  };
  switch (name) {
    case 'full': return noArg({ kind: 'full' });
    case 'linear-probe': return noArg({ kind: 'linear-probe' });
    case 'lp-ft': return noArg({ kind: 'lp-ft' });
    case 'auto-rgn': return noArg({ kind: 'auto-rgn' });
    case 'bn-only': return noArg({ kind: 'bn-only' });
    case 'bias-only': return noArg({ kind: 'bias-only' });
    case 'auto-snr': return { kind: 'auto-snr', threshold: arg === undefined ? 1 : num(arg, 'auto-snr threshold', (v) => v >= 0) };
    case 'layerwise-lr': return { kind: 'layerwise-lr', decay: num(arg ?? '', 'layerwise-lr decay', (v) => v > 0 && v <= 1) };
    case 'l2-sp': return { kind: 'l2-sp', lambda: num(arg ?? '', 'l2-sp lambda', (v) => v >= 0) };
    case 'lora': return { kind: 'lora', rank: num(arg ?? '', 'lora rank', (v) => Number.isInteger(v) && v >= 1) };
    case 'gradual-unfreeze': {
      const d = arg ?? 'backward';
      if (d !== 'forward' && d !== 'backward') throw new ArgumentError('strategy', `gradual-unfreeze direction must be forward or backward, got "${d}"`);
      return { kind: 'gradual-unfreeze', direction: d };
    }
    case 'surgical': {
      const blocks = (arg ?? '').split(',').map((b) => b.trim()).filter(Boolean);
      if (!blocks.length) throw new ArgumentError('strategy', 'surgical needs block names, e.g. surgical:block1');
      if (model) {
        if (!hasBlocks(model)) throw new ArgumentError('strategy', `${model.constructor.name} does not list blocks for surgical fine-tuning`);
        const known = model.blocks().map((b) => b.name);
        for (const b of blocks) if (!known.includes(b)) throw new ArgumentError('strategy', `unknown block "${b}" (blocks: ${known.join(', ')})`);
      }
      return { kind: 'surgical', blocks };
    }
    default:
      throw new ArgumentError('strategy', `unknown strategy "${spec}" (${STRATEGY_SYNTAX})`);
  }
}

/** The CLI spelling of a strategy (the inverse of parseStrategy). */
export function formatStrategy(s: Strategy): string {
  switch (s.kind) {
    case 'surgical': return `surgical:${s.blocks.join(',')}`;
    case 'auto-snr': return `auto-snr:${s.threshold}`;
    case 'layerwise-lr': return `layerwise-lr:${s.decay}`;
    case 'gradual-unfreeze': return `gradual-unfreeze:${s.direction}`;
    case 'l2-sp': return `l2-sp:${s.lambda}`;
    case 'lora': return `lora:${s.rank}`;
    default: return s.kind;
  }
}

/** The module paths of a model's blocks, input → output (the head last). */
export function blockPaths(model: AnyModule): { name: string; modules: string[] }[] {
  if (!hasBlocks(model)) throw new ArgumentError('strategy', `${model.constructor.name} does not list blocks()`);
  return model.blocks();
}

/** Whether a parameter name lies in one of the modules. */
export function inModules(name: string, modules: readonly string[]): boolean {
  return modules.some((m) => m === '' || matchName(m, name));
}

/** Parameters of BatchNorm layers (their affine weight and bias), by name. */
export function batchNormParamNames(model: AnyModule): Set<string> {
  const out = new Set<string>();
  for (const [path, m] of model.namedModules()) {
    if (!/BatchNorm/.test(m.constructor.name)) continue;
    for (const [n] of m.namedParameters(path, false)) out.add(n);
  }
  return out;
}
