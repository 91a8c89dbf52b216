// Checkpoints: module state dicts and optimiser state as safetensors files (atomic writes).
import { FormatError } from '../core/errors.js';
import { Tensor } from '../engine/tensor.js';
import type { LoadResult, Module } from '../nn/module.js';
import type { Optimizer, OptimizerStateDict, ParamState } from '../optim/optimizer.js';
import { setOwn } from './untrusted.js';
import { loadSafetensors, saveSafetensors } from './safetensors.js';

/** Save a module's state dict (num_batches_tracked stored as I64, as PyTorch does). */
export function saveModule(path: string, module: Module, metadata: Record<string, string> = {}): void {
  const sd = module.stateDict();
  saveSafetensors(path, sd, { metadata, int64: Object.keys(sd).filter((k) => k.endsWith('num_batches_tracked')) });
}

/** Load a state dict saved by saveModule or by PyTorch's safetensors.torch.save_file into a module. */
export function loadModule(path: string, module: Module, opts: { strict?: boolean } = {}): LoadResult & { metadata: Record<string, string> } {
  const f = loadSafetensors(path);
  return { ...module.loadStateDict(f.tensors, opts), metadata: f.metadata };
}

/** Save an optimiser's state: tensors as `state.<index>.<key>`, hyper-parameters and counters in metadata. */
export function saveOptimizer(path: string, opt: Optimizer, metadata: Record<string, string> = {}): void {
  const sd = opt.stateDict();
  const tensors: Record<string, Tensor> = {};
  const scalars: Record<string, Record<string, number>> = {};
  for (const [idx, st] of Object.entries(sd.state)) {
    for (const [k, v] of Object.entries(st)) {
      if (v instanceof Tensor) tensors[`state.${idx}.${k}`] = v;
      else (scalars[idx] ??= {})[k] = v;
    }
  }
  saveSafetensors(path, tensors, { metadata: { ...metadata, 'adaptlab.optimizer': JSON.stringify({ paramGroups: sd.paramGroups, scalars }) } });
}

/** Restore optimiser state saved by saveOptimizer into an optimiser over the same parameters. */
export function loadOptimizer(path: string, opt: Optimizer): void {
  const f = loadSafetensors(path);
  const raw = f.metadata['adaptlab.optimizer'];
  if (!raw) throw new FormatError(path, 'no adaptlab.optimizer metadata: not an optimizer checkpoint');
  let meta: { paramGroups: OptimizerStateDict['paramGroups']; scalars: Record<string, Record<string, number>> };
  try {
    meta = JSON.parse(raw);
  } catch (e) {
    throw new FormatError(path, `adaptlab.optimizer metadata is not JSON: ${(e as Error).message}`);
  }
  // keys are defined, not assigned: one named __proto__ stays an ordinary key instead of replacing a prototype
  const state: Record<number, ParamState> = {};
  const slot = (idx: number): ParamState => (state[idx] ??= {});
  for (const [name, t] of Object.entries(f.tensors)) {
    const m = /^state\.(\d+)\.(.+)$/.exec(name);
    if (!m) throw new FormatError(path, `unexpected tensor "${name}" in an optimizer checkpoint`);
    setOwn(slot(Number(m[1])), m[2]!, t);
  }
  if (meta === null || typeof meta !== 'object') throw new FormatError(path, 'adaptlab.optimizer metadata is not a JSON object');
  for (const [idx, sc] of Object.entries(meta.scalars ?? {})) {
    if (sc === null || typeof sc !== 'object') throw new FormatError(path, `adaptlab.optimizer scalars of parameter ${idx} are not an object`);
    for (const [k, v] of Object.entries(sc)) setOwn(slot(Number(idx)), k, v);
  }
  opt.loadStateDict({ state, paramGroups: meta.paramGroups });
}
