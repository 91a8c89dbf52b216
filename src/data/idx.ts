// IDX reader (MNIST, Fashion-MNIST): gzip or raw, big-endian header, every IDX element type, header/size checks.
import { FormatError } from '../core/errors.js';
import { constants, gunzipSync } from 'node:zlib';
import { inflateBounded, isGzip, MAX_BUFFER_BYTES, readFileBytes, readHead, safeProduct } from './io.js';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** A decoded IDX array (C order). uint8 stays a Uint8Array view-free copy; other types are host-endian arrays. */
export interface IdxArray {
  type: IdxType;
  shape: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, [IdxType, number]> = {
  0x08: ['uint8', 1], 0x09: ['int8', 1], 0x0b: ['int16', 2], 0x0c: ['int32', 4], 0x0d: ['float32', 4], 0x0e: ['float64', 8],
};

interface IdxHead { type: IdxType; size: number; shape: number[]; headerLen: number; count: number }

/** Magic and dimensions; `count` is the element count (0 if any dimension is 0, Infinity past 2^53: never NaN). */
function readIdxHead(b: Uint8Array, file: string): IdxHead {
  if (b.length < 4) throw new FormatError(file, `too short for an IDX file (${b.length} bytes)`);
  const magic = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const t = TYPES[b[2]!];
  const nd = b[3]!;
  if (b[0] !== 0 || b[1] !== 0 || !t || nd === 0) {
    throw new FormatError(file, `wrong IDX magic number ${magic} (0x${magic.toString(16).padStart(8, '0')}); expected 00 00 <type> <ndim>, e.g. 2051 for images, 2049 for labels`);
  }
  const headerLen = 4 + 4 * nd;
  if (b.length < headerLen) throw new FormatError(file, `truncated IDX header (${nd} dimensions need ${headerLen} bytes)`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < nd; d++) shape.push(dv.getUint32(4 + 4 * d, false));
  return { type: t[0], size: t[1], shape, headerLen, count: safeProduct(shape) };
}

function describe(h: IdxHead): string {
  const bytes = h.count * h.size;
  return `${h.shape.join('×')} ${h.type} values (${Number.isFinite(bytes) ? `${bytes} bytes` : 'more than 2^53 bytes'})`;
}

/**
 * Decode IDX bytes (LeCun et al., "THE MNIST DATABASE", file format section): magic `00 00 TT ND`,
 * then ND big-endian uint32 dimensions, then the data. MNIST images are magic 2051 (uint8, 3 dims), labels 2049.
 * A wrong magic, a header that claims more data than the file holds, or trailing bytes are `FormatError`s.
 * @example parseIdx(gunzipSync(readFileSync('t10k-labels-idx1-ubyte.gz'))).shape  // [10000]
 */
export function parseIdx(b: Uint8Array, file = '<idx>'): IdxArray {
  const h = readIdxHead(b, file);
  const { type, size, shape, headerLen, count: n } = h;
  const have = b.length - headerLen;
  if (n * size > have) throw new FormatError(file, `IDX header claims ${describe(h)} but the file holds ${have} bytes of data`);
  if (n * size < have) throw new FormatError(file, `IDX file has ${have - n * size} bytes after the ${shape.join('×')} values the header declares`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let data: IdxArray['data'];
  switch (type) {
    case 'uint8': data = new Uint8Array(b.subarray(headerLen, headerLen + n)); break; // a plain copy, never a Buffer view
    case 'int8': data = new Int8Array(new Uint8Array(b.subarray(headerLen, headerLen + n)).buffer); break;
    case 'int16': data = new Int16Array(n); for (let i = 0; i < n; i++) data[i] = dv.getInt16(headerLen + 2 * i, false); break;
    case 'int32': data = new Int32Array(n); for (let i = 0; i < n; i++) data[i] = dv.getInt32(headerLen + 4 * i, false); break;
    case 'float32': data = new Float32Array(n); for (let i = 0; i < n; i++) data[i] = dv.getFloat32(headerLen + 4 * i, false); break;
    case 'float64': data = new Float64Array(n); for (let i = 0; i < n; i++) data[i] = dv.getFloat64(headerLen + 8 * i, false); break;
  }
  return { type, shape, data };
}

/** The first bytes of a gzip stream, inflated without needing the rest (a 4 KB prefix inflates to at most ~4 MB). */
function gunzipPrefix(file: string, b: Uint8Array): Buffer {
  try {
    return gunzipSync(b.subarray(0, 4096), { finishFlush: constants.Z_SYNC_FLUSH });
  } catch (err) {
    throw new FormatError(file, `corrupt gzip data (${(err as Error).message})`);
  }
}

/**
 * Read an IDX file, gzipped (`.gz`, detected by magic) or raw. A gzipped file is inflated only up to the size its
 * IDX header declares: a stream that would inflate to more is refused as soon as it passes that size.
 * @example loadIdx('train-labels-idx1-ubyte.gz')
 */
export function loadIdx(file: string): IdxArray {
  const b = readFileBytes(file);
  if (!isGzip(b)) return parseIdx(b, file);
  const h = readIdxHead(gunzipPrefix(file, b), file);
  const total = h.headerLen + h.count * h.size;
  if (total > MAX_BUFFER_BYTES) throw new FormatError(file, `IDX header claims ${describe(h)}, more than one buffer can hold`);
  return parseIdx(inflateBounded(file, b, 'gzip', total, 'gzip data', `the size its IDX header declares (${describe(h)})`), file);
}

/** Read only the IDX header (type and shape) from the first bytes of a file, gzipped or raw. */
export function idxHeader(file: string): { type: IdxType; shape: number[] } {
  let b: Uint8Array = readHead(file, 4096);
  if (isGzip(b)) b = gunzipPrefix(file, b);
  const h = readIdxHead(b, file);
  return { type: h.type, shape: h.shape };
}
