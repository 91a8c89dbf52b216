// safetensors files: validated reads and atomic writes (the byte-level format is in safetensors-bytes.ts).
import type { Tensor } from '../engine/tensor.js';
import { writeFileAtomic } from './atomic.js';
import { readRegularFile } from './files.js';
import { parseSafetensors, serializeSafetensors, type SafetensorsFile, type SaveOptions } from './safetensors-bytes.js';

export * from './safetensors-bytes.js';

/** Read and validate a .safetensors file. @example const { tensors } = loadSafetensors('model.safetensors'); */
export function loadSafetensors(path: string): SafetensorsFile {
  return parseSafetensors(readRegularFile(path), path);
}


/**
 * Write tensors to a .safetensors file atomically (names and metadata preserved).
 * @example saveSafetensors('ckpt.safetensors', model.stateDict(), { metadata: { epoch: '3' } });
 */
export function saveSafetensors(path: string, tensors: Record<string, Tensor> | Map<string, Tensor>, opts: SaveOptions = {}): void {
  writeFileAtomic(path, serializeSafetensors(tensors, opts));
}
