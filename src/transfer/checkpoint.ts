// Source checkpoints of transfer learning: a model architecture spec beside its weights, rebuilt by name.
import { FormatError } from '../core/errors.js';
import type { FloatDType } from '../core/dtype.js';
import { Rng } from '../engine/rng.js';
import { loadModule, saveModule } from '../io/checkpoint.js';
import { loadSafetensors } from '../io/safetensors.js';
import { Conv4 } from '../nn/models/conv4.js';
import { MLP } from '../nn/models/mlp.js';
import { ResNet } from '../nn/models/resnet.js';
import type { SourceModel } from './pretrain.js';

/** What a source model is: enough to rebuild it before loading weights. */
export interface ModelSpec {
  kind: 'conv4' | 'resnet' | 'mlp';
  inChannels: number;
  imageSize: number;
  numClasses: number;
  hidden?: number;
  dtype?: FloatDType;
}

/** Build a model from its spec (weights from `seed`; load a checkpoint over them). */
export function buildSourceModel(spec: ModelSpec, seed = 0): SourceModel {
  const rng = new Rng(seed).fork('init');
  switch (spec.kind) {
    case 'conv4': return new Conv4({ rng, inChannels: spec.inChannels, imageSize: spec.imageSize, numClasses: spec.numClasses, hidden: spec.hidden ?? 64, ...(spec.dtype ? { dtype: spec.dtype } : {}) });
    case 'resnet': return new ResNet({ rng, inChannels: spec.inChannels, numClasses: spec.numClasses, ...(spec.dtype ? { dtype: spec.dtype } : {}) }) as unknown as SourceModel;
    case 'mlp': {
      const h = spec.hidden ?? 256;
      return new MLP([spec.inChannels * spec.imageSize * spec.imageSize, h, h, spec.numClasses], { rng, ...(spec.dtype ? { dtype: spec.dtype } : {}) }) as unknown as SourceModel;
    }
  }
}

/** Save a source model's weights with its spec and provenance in the safetensors metadata (atomic). */
export function saveSourceCheckpoint(path: string, model: SourceModel, spec: ModelSpec, provenance: Record<string, unknown>): void {
  saveModule(path, model, { 'adaptlab.model': JSON.stringify(spec), 'adaptlab.provenance': JSON.stringify(provenance) });
}

/** Rebuild and load a source checkpoint written by saveSourceCheckpoint. */
export function loadSourceCheckpoint(path: string): { model: SourceModel; spec: ModelSpec; provenance: Record<string, unknown> } {
  const meta = loadSafetensors(path).metadata;
  const raw = meta['adaptlab.model'];
  if (!raw) throw new FormatError(path, 'no adaptlab.model metadata: not a checkpoint written by `adaptlab pretrain`');
  let spec: ModelSpec, provenance: Record<string, unknown>;
  try {
    spec = JSON.parse(raw) as ModelSpec;
    provenance = JSON.parse(meta['adaptlab.provenance'] ?? '{}') as Record<string, unknown>;
  } catch (e) {
    throw new FormatError(path, `model metadata is not JSON: ${(e as Error).message}`);
  }
  if (!['conv4', 'resnet', 'mlp'].includes(spec.kind)) throw new FormatError(path, `unknown model kind "${String(spec.kind)}"`);
  const model = buildSourceModel(spec);
  loadModule(path, model, { strict: true });
  return { model, spec, provenance };
}
