// safetensors as bytes: validated parsing and serialisation (F16 in both directions), no file system, so browsers can use it.
import { FormatError } from '../core/errors.js';
import type { DataArray, DType } from '../core/dtype.js';
import { Tensor } from '../engine/tensor.js';
import { preview, setOwn } from './untrusted.js';

/** Whether typed arrays on this host are little-endian (safetensors is little-endian on disk). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Header length cap (100 MB), as in the reference implementation. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Item sizes by dtype name (no prototype: `"toString"` or `"__proto__"` are not dtypes). */
const DTYPE_SIZE: Record<string, number> = Object.assign(Object.create(null) as Record<string, number>, { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1 });
const READABLE = new Set(['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'U8', 'BOOL']);

export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8' | 'BOOL';

/**
 * A parsed file. Every name in the file is an own key of these records, `__proto__` included (it is defined as a
 * property, never assigned, so it cannot replace the prototype and vanish).
 */
export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  /** the `__metadata__` string map */
  metadata: Record<string, string>;
  /** the stored dtype of each tensor (F16/BF16 are widened to float32, I64 narrowed to int32) */
  storedDTypes: Record<string, SafetensorsDType>;
}

/** An IEEE 754 binary16 bit pattern as a number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * Math.pow(2, -14) * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * Math.pow(2, e - 15) * (1 + f / 1024);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The binary16 bit pattern nearest to `v` (after rounding it to float32): round to nearest, ties to even; beyond
 * ±65504 (rounded) is ±Infinity, below 2^-25 is ±0, NaN stays NaN.
 */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000; // subnormal half: the implicit bit becomes explicit
    const shift = 14 - e, half = mant >>> shift, rem = mant & ((1 << shift) - 1), mid = 1 << (shift - 1);
    return sign | (half + (rem > mid || (rem === mid && (half & 1)) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13), rem = mant & 0x1fff;
  return sign | (half + (rem > 0x1000 || (rem === 0x1000 && (half & 1)) ? 1 : 0)); // a carry rounds up the exponent
}

/**
 * Parse a safetensors buffer. Every structural problem (short file, header length beyond the file or over
 * 100 MB, invalid JSON, unknown dtype, shape × size ≠ byte range, ranges out of bounds, overlapping or
 * leaving holes) throws a FormatError naming `source` and the problem.
 */
export function parseSafetensors(buf: Uint8Array, source = '<buffer>'): SafetensorsFile {
  if (!LITTLE_ENDIAN) throw new FormatError(source, 'safetensors support needs a little-endian host');
  if (buf.length < 8) throw new FormatError(source, `file is ${buf.length} bytes; a safetensors file needs at least an 8-byte header length`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const lenBig = dv.getBigUint64(0, true);
  if (lenBig > BigInt(MAX_HEADER_BYTES)) throw new FormatError(source, `header length ${lenBig} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const n = Number(lenBig);
  if (8 + n > buf.length) throw new FormatError(source, `header length ${n} runs past the end of the ${buf.length}-byte file (truncated?)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n)));
  } catch (e) {
    throw new FormatError(source, `header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new FormatError(source, 'header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = buf.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FormatError(source, '__metadata__ must be an object of strings');
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') throw new FormatError(source, `__metadata__["${k}"] is not a string`);
        setOwn(metadata, k, s);
      }
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) throw new FormatError(source, `tensor "${name}": entry is not an object`);
    if (typeof e.dtype !== 'string' || DTYPE_SIZE[e.dtype] === undefined) throw new FormatError(source, `tensor "${name}": unknown dtype ${preview(e.dtype)}`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new FormatError(source, `tensor "${name}": invalid shape ${preview(e.shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[0] > off[1]) {
      throw new FormatError(source, `tensor "${name}": invalid data_offsets ${preview(off)}`);
    }
    // exact while it matters: a product past 2^53 cannot match two safe-integer offsets anyway
    const bytes = (e.shape as number[]).includes(0) ? 0 : (e.shape as number[]).reduce((a, d) => Math.min(a * d, Number.MAX_SAFE_INTEGER + 1), DTYPE_SIZE[e.dtype]!);
    if (off[1] - off[0] !== bytes) {
      throw new FormatError(source, `tensor "${name}": shape [${e.shape}] of ${e.dtype} needs ${bytes} bytes but data_offsets span ${off[1] - off[0]}`);
    }
    if (off[1] > dataLen) throw new FormatError(source, `tensor "${name}": data_offsets [${off}] run past the ${dataLen}-byte data section (truncated?)`);
    entries.push({ name, dtype: e.dtype, shape: e.shape as number[], begin: off[0], end: off[1] });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin < pos) throw new FormatError(source, `tensor "${e.name}": byte range [${e.begin}, ${e.end}) overlaps another tensor`);
    if (e.begin > pos) throw new FormatError(source, `bytes [${pos}, ${e.begin}) of the data section belong to no tensor (hole before "${e.name}")`);
    pos = e.end;
  }
  if (pos !== dataLen) throw new FormatError(source, `bytes [${pos}, ${dataLen}) at the end of the data section belong to no tensor`);
  const tensors: Record<string, Tensor> = {};
  const storedDTypes: Record<string, SafetensorsDType> = {};
  for (const e of entries) {
    if (!READABLE.has(e.dtype)) throw new FormatError(source, `tensor "${e.name}": dtype ${e.dtype} is not supported (F64, F32, F16, BF16, I64, I32, U8, BOOL are)`);
    const bytes = new Uint8Array(buf.subarray(dataStart + e.begin, dataStart + e.end)); // a copy, aligned for typed views
    const ab = bytes.buffer;
    let data: DataArray, dtype: DType;
    switch (e.dtype) {
      case 'F32': data = new Float32Array(ab); dtype = 'float32'; break;
      case 'F64': data = new Float64Array(ab); dtype = 'float64'; break;
      case 'I32': data = new Int32Array(ab); dtype = 'int32'; break;
      case 'U8': data = new Uint8Array(ab); dtype = 'uint8'; break;
      case 'BOOL': {
        data = new Uint8Array(ab);
        for (let i = 0; i < data.length; i++) if (data[i]! > 1) throw new FormatError(source, `tensor "${e.name}": BOOL byte ${data[i]} at ${i} is neither 0 nor 1`);
        dtype = 'bool';
        break;
      }
      case 'I64': {
        const src = new BigInt64Array(ab);
        const out = new Int32Array(src.length);
        for (let i = 0; i < src.length; i++) {
          const v = src[i]!;
          if (v > 2147483647n || v < -2147483648n) throw new FormatError(source, `tensor "${e.name}": I64 value ${v} at ${i} does not fit int32`);
          out[i] = Number(v);
        }
        data = out; dtype = 'int32';
        break;
      }
      case 'F16': case 'BF16': {
        const src = new Uint16Array(ab);
        const out = new Float32Array(src.length);
        const u32 = new Uint32Array(out.buffer);
        if (e.dtype === 'BF16') for (let i = 0; i < src.length; i++) u32[i] = src[i]! << 16;
        else for (let i = 0; i < src.length; i++) out[i] = halfToFloat(src[i]!);
        data = out; dtype = 'float32';
        break;
      }
      default: throw new FormatError(source, `tensor "${e.name}": dtype ${e.dtype} is not supported`);
    }
    setOwn(tensors, e.name, new Tensor(data, e.shape, dtype));
    setOwn(storedDTypes, e.name, e.dtype as SafetensorsDType);
  }
  return { tensors, metadata, storedDTypes };
}

export interface SaveOptions {
  metadata?: Record<string, string>;
  /** names of int32 tensors to store as I64 (PyTorch's integer default, e.g. num_batches_tracked) */
  int64?: Iterable<string> | 'all';
  /**
   * names of float32/float64 tensors to store as F16 (half the bytes of F32; ~3 significant digits, |v| ≤ 65504),
   * or 'all' for every float tensor; read back, they are float32
   */
  float16?: Iterable<string> | 'all';
}

const STORE: Record<DType, SafetensorsDType> = { float32: 'F32', float64: 'F64', int32: 'I32', uint8: 'U8', bool: 'BOOL' };

/** Serialise tensors (and string metadata) to safetensors bytes; the header is padded to 8 bytes. */
export function serializeSafetensors(tensors: Record<string, Tensor> | Map<string, Tensor>, opts: SaveOptions = {}): Uint8Array[] {
  if (!LITTLE_ENDIAN) throw new FormatError('<safetensors>', 'safetensors support needs a little-endian host');
  const list = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const as64 = opts.int64 === 'all' ? null : new Set(opts.int64 ?? []);
  const as16 = opts.float16 === 'all' ? null : new Set(opts.float16 ?? []);
  const header: Record<string, unknown> = {};
  if (opts.metadata && Object.keys(opts.metadata).length) header['__metadata__'] = opts.metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of list) {
    if (name === '__metadata__') throw new FormatError('<safetensors>', 'a tensor cannot be named __metadata__');
    let dtype = STORE[t.dtype];
    let bytes: Uint8Array;
    if (t.dtype === 'int32' && (as64 === null || as64.has(name))) {
      dtype = 'I64';
      const b = new BigInt64Array(t.numel());
      for (let i = 0; i < b.length; i++) b[i] = BigInt(t.data[i]!);
      bytes = new Uint8Array(b.buffer);
    } else if ((t.dtype === 'float32' || t.dtype === 'float64') && (as16 === null || as16.has(name))) {
      dtype = 'F16';
      const h = new Uint16Array(t.numel());
      for (let i = 0; i < h.length; i++) h[i] = floatToHalf(t.data[i]!);
      bytes = new Uint8Array(h.buffer);
    } else {
      bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    }
    setOwn(header, name, { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] });
    offset += bytes.length;
    blobs.push(bytes);
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  const hb = new Uint8Array(json.length + pad).fill(0x20); // padded with spaces, as the reference writer
  hb.set(json);
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(hb.length), true);
  return [len, hb, ...blobs];
}

