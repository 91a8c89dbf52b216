// Blocks: the input→output partition of a model's modules that surgical fine-tuning and reports work with.
import { ArgumentError } from '../../core/errors.js';
import type { Tensor } from '../../engine/tensor.js';
import type { AnyModule } from '../module.js';

/** A named group of submodules (dotted paths), e.g. `{ name: 'block1', modules: ['features.0'] }`. */
export interface Block {
  name: string;
  modules: string[];
}

/** A model that lists its blocks in input→output order (stem, block1…, head). */
export interface HasBlocks {
  blocks(): Block[];
}

export function hasBlocks(m: AnyModule): m is AnyModule & HasBlocks {
  return typeof (m as Partial<HasBlocks>).blocks === 'function';
}

/** The (dotted name, parameter) pairs that belong to a block. */
export function blockParameters(model: AnyModule & HasBlocks, blockName: string): [string, Tensor][] {
  const block = model.blocks().find((b) => b.name === blockName);
  if (!block) throw new ArgumentError('blockParameters', `no block "${blockName}" (blocks: ${model.blocks().map((b) => b.name).join(', ')})`);
  return model.namedParameters().filter(([n]) => block.modules.some((m) => m === '' || n === m || n.startsWith(`${m}.`)));
}

/** The block each parameter belongs to (throws if a parameter is in no block, which would be a model bug). */
export function parameterBlocks(model: AnyModule & HasBlocks): Map<string, string> {
  const out = new Map<string, string>();
  const blocks = model.blocks();
  for (const [n] of model.namedParameters()) {
    const b = blocks.find((bl) => bl.modules.some((m) => n === m || n.startsWith(`${m}.`)));
    if (!b) throw new ArgumentError('parameterBlocks', `parameter "${n}" belongs to no block of ${model.constructor.name}`);
    out.set(n, b.name);
  }
  return out;
}
