// Parameter maps by dotted name: sub-maps by prefix, block maps, and freezing/unfreezing by name pattern.
import { ArgumentError } from '../core/errors.js';
import type { Tensor } from '../engine/tensor.js';
import type { AnyModule } from './module.js';
import { hasBlocks } from './models/blocks.js';
import { matchName, type NamePattern } from './names.js';

/** Dotted name → tensor: the "fast weights" of meta-learning, and the argument of functionalCall. */
export type ParamMap = Map<string, Tensor>;

/**
 * The entries under `prefix` with the prefix removed, to run a submodule under fast weights:
 * `functionalCall(model.getSubmodule('features'), subParams(fast, 'features'), x)`.
 * Throws when nothing lives under the prefix (a typo would otherwise run the module's own weights).
 */
export function subParams(params: ParamMap, prefix: string): ParamMap {
  if (!prefix) return new Map(params);
  const p = `${prefix}.`;
  const out: ParamMap = new Map();
  for (const [n, t] of params) if (n.startsWith(p)) out.set(n.slice(p.length), t);
  if (out.size === 0) throw new ArgumentError('subParams', `no entry under "${prefix}" (names: ${[...params.keys()].slice(0, 6).join(', ')}${params.size > 6 ? ', …' : ''})`);
  return out;
}

/** The same entries with `prefix.` in front of every name (the inverse of subParams). */
export function prefixParams(params: ParamMap, prefix: string): ParamMap {
  if (!prefix) return new Map(params);
  return new Map([...params].map(([n, t]) => [`${prefix}.${n}`, t]));
}

/**
 * The entries of `params` (default: the model's parameters) that belong to the named blocks of a model
 * with blocks() (Conv4's block1…block4, head; ResNet's stem, layer1.0, …): the map ANIL adapts (`head`) or
 * surgical fine-tuning trains.
 * @example const head = blockParams(model, 'head'); // { 'classifier.weight', 'classifier.bias' }
 */
export function blockParams(model: AnyModule, blocks: string | string[], params?: ParamMap): ParamMap {
  if (!hasBlocks(model)) throw new ArgumentError('blockParams', `${model.constructor.name} does not list blocks()`);
  const all = model.blocks();
  const wanted = Array.isArray(blocks) ? blocks : [blocks];
  const prefixes: string[] = [];
  for (const name of wanted) {
    const b = all.find((x) => x.name === name);
    if (!b) throw new ArgumentError('blockParams', `no block "${name}" (blocks: ${all.map((x) => x.name).join(', ')})`);
    prefixes.push(...b.modules);
  }
  const src = params ?? new Map(model.namedParameters());
  return new Map([...src].filter(([n]) => prefixes.some((m) => m === '' || n === m || n.startsWith(`${m}.`))));
}

function setRequiresGrad(model: AnyModule, patterns: NamePattern | NamePattern[], flag: boolean, where: string): string[] {
  const ps = Array.isArray(patterns) ? patterns : [patterns];
  const named = model.namedParameters();
  const hits: string[] = [];
  for (const p of ps) {
    const matched = named.filter(([n]) => matchName(p, n));
    if (matched.length === 0) {
      throw new ArgumentError(where, `pattern ${String(p)} matches no parameter of ${model.constructor.name} (names: ${named.slice(0, 6).map(([n]) => n).join(', ')}${named.length > 6 ? ', …' : ''})`);
    }
    for (const [n, t] of matched) {
      t.requiresGrad = flag;
      if (!flag) t.grad = null;
      if (!hits.includes(n)) hits.push(n);
    }
  }
  return hits;
}

/**
 * Stop gradients to the parameters whose dotted names match any pattern (globs as in names.ts: `*` one
 * segment, `**` any; a prefix matches everything below it; or a RegExp). Returns the names frozen. A pattern
 * that matches nothing is an error, so a typo never leaves a layer silently trainable.
 * @example freeze(model, ['features.0.*', 'features.1']); // the first two Conv-4 blocks
 */
export function freeze(model: AnyModule, patterns: NamePattern | NamePattern[] = '**'): string[] {
  return setRequiresGrad(model, patterns, false, 'freeze');
}

/** Let gradients reach the matching parameters again; returns the names. */
export function unfreeze(model: AnyModule, patterns: NamePattern | NamePattern[] = '**'): string[] {
  return setRequiresGrad(model, patterns, true, 'unfreeze');
}
