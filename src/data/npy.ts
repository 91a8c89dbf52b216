// NumPy .npy and .npz readers: header parsing, dtypes (bool, ints, floats incl. float16), byte order, C/Fortran order.
import { FormatError } from '../core/errors.js';
import { preview } from '../io/untrusted.js';
import { readFileBytes, safeProduct } from './io.js';
import { ZipArchive } from './zip.js';

/** The element types the reader supports, named as NumPy names them. */
export type NpyDType = 'bool' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float16' | 'float32' | 'float64';

export type NpyData =
  | Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

/** A decoded array: always C order (row-major) in memory, whatever the file's order. */
export interface NpyArray {
  dtype: NpyDType;
  shape: number[];
  /** Flat values in C order. bool → Uint8Array of 0/1; float16 → Float32Array; (u)int64 → Big(U)Int64Array. */
  data: NpyData;
  /** Whether the file stored the array in Fortran order (it has been reordered to C order). */
  fortranOrder: boolean;
}

/** The header of a .npy file, without its data. */
export interface NpyHeader {
  dtype: NpyDType;
  shape: number[];
  fortranOrder: boolean;
  littleEndian: boolean;
  itemSize: number;
  /** Byte offset where the data starts. */
  dataOffset: number;
}

const KINDS: Record<string, NpyDType> = {
  b1: 'bool', i1: 'int8', u1: 'uint8', i2: 'int16', u2: 'uint16', i4: 'int32', u4: 'uint32',
  i8: 'int64', u8: 'uint64', f2: 'float16', f4: 'float32', f8: 'float64',
};

// ---- a tiny parser for the Python literal in the header: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

/** Deepest nesting the header parser follows (a real header nests 2 deep; structured dtypes a few more). */
const MAX_HEADER_DEPTH = 32;
/** Longest header accepted (NumPy itself refuses headers over 10,000 bytes by default). */
export const MAX_NPY_HEADER_BYTES = 1 << 20;
/** NumPy arrays have at most 64 dimensions (NPY_MAXDIMS in NumPy 2; 32 before). */
const MAX_NDIM = 64;

/**
 * Parse the header literal in one linear pass: nesting is limited to MAX_HEADER_DEPTH (10,000 `[` is a FormatError,
 * not a stack overflow), tokens are matched in place (no quadratic re-slicing), and dicts have no prototype
 * (a `__proto__` key is an ordinary key).
 */
function parsePyLiteral(file: string, s: string): PyValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new FormatError(file, `.npy header is not a valid Python literal (${what} at ${i}): ${JSON.stringify(s.slice(0, 120))}`);
  };
  const ws = (): void => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const token = /True|False|None|-?\d+L?/y;
  const value = (depth: number): PyValue => {
    ws();
    const c = s[i];
    if ((c === '{' || c === '(' || c === '[') && depth >= MAX_HEADER_DEPTH) fail(`nesting deeper than ${MAX_HEADER_DEPTH}`);
    if (c === '{') {
      i++;
      const o: { [k: string]: PyValue } = Object.create(null) as { [k: string]: PyValue };
      for (;;) {
        ws();
        if (s[i] === '}') { i++; return o; }
        const k = value(depth + 1);
        if (typeof k !== 'string') fail('non-string key');
        ws();
        if (s[i] !== ':') fail('expected ":"');
        i++;
        o[k as string] = value(depth + 1);
        ws();
        if (s[i] === ',') i++;
        else if (s[i] !== '}') fail('expected "," or "}"');
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const a: PyValue[] = [];
      for (;;) {
        ws();
        if (s[i] === close) { i++; return a; }
        a.push(value(depth + 1));
        ws();
        if (s[i] === ',') i++;
        else if (s[i] !== close) fail(`expected "," or "${close}"`);
      }
    }
    if (c === "'" || c === '"') {
      const j = s.indexOf(c, i + 1);
      if (j < 0) fail('unterminated string');
      const v = s.slice(i + 1, j);
      i = j + 1;
      return v;
    }
    token.lastIndex = i;
    const m = token.exec(s);
    if (!m) return fail(i >= s.length ? 'unexpected end' : 'unexpected token');
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number.parseInt(m[0], 10);
  };
  const v = value(0);
  ws();
  if (i !== s.length) fail('trailing characters');
  return v;
}

/**
 * Parse the header of a .npy file (NumPy format spec "NEP 1", versions 1.0, 2.0 and 3.0).
 * @example parseNpyHeader(bytes, 'x.npy').shape  // [964, 20, 105, 105]
 */
export function parseNpyHeader(b: Uint8Array, file = '<npy>'): NpyHeader {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (b.length < 10 || magic.some((m, k) => b[k] !== m)) throw new FormatError(file, 'not a .npy file (missing the \\x93NUMPY magic)');
  const major = b[6]!;
  let headerLen: number, start: number;
  if (major === 1) {
    headerLen = b[8]! | (b[9]! << 8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (b.length < 12) throw new FormatError(file, 'truncated .npy header');
    headerLen = (b[8]! | (b[9]! << 8) | (b[10]! << 16) | (b[11]! << 24)) >>> 0;
    start = 12;
  } else throw new FormatError(file, `unsupported .npy format version ${major}.${b[7]}`);
  if (headerLen > MAX_NPY_HEADER_BYTES) throw new FormatError(file, `.npy header length ${headerLen} exceeds the ${MAX_NPY_HEADER_BYTES}-byte limit`);
  if (start + headerLen > b.length) throw new FormatError(file, `truncated .npy header (needs ${start + headerLen} bytes, have ${b.length})`);
  const text = Buffer.from(b.buffer, b.byteOffset + start, headerLen).toString(major === 3 ? 'utf8' : 'latin1').trim();
  const h = parsePyLiteral(file, text);
  if (h === null || typeof h !== 'object' || Array.isArray(h)) throw new FormatError(file, '.npy header is not a dict');
  const descr = h['descr'];
  const fortran = h['fortran_order'];
  const shape = h['shape'];
  if (typeof descr !== 'string') {
    throw new FormatError(file, `unsupported .npy dtype ${preview(descr)} (structured dtypes are not supported)`);
  }
  if (typeof fortran !== 'boolean') throw new FormatError(file, '.npy header lacks a boolean fortran_order');
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new FormatError(file, `.npy header has an invalid shape ${preview(shape)}`);
  }
  if (shape.length > MAX_NDIM) throw new FormatError(file, `.npy shape has ${shape.length} dimensions (NumPy allows at most ${MAX_NDIM})`);
  const m = /^([<>|=]?)([a-zA-Z?])(\d*)$/.exec(descr);
  const kind = m ? (m[2] === '?' ? 'b1' : `${m[2]}${m[3]}`) : '';
  const dtype = KINDS[kind];
  if (!m || !dtype) throw new FormatError(file, `unsupported .npy dtype "${descr}" (supported: bool, int8..int64, uint8..uint64, float16/32/64)`);
  const itemSize = Number(kind.slice(1));
  const order = m[1] || '=';
  const littleEndian = order !== '>';
  return { dtype, shape: shape as number[], fortranOrder: fortran, littleEndian, itemSize, dataOffset: start + headerLen };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Bytes of the data an .npy header declares (`Infinity` beyond 2^53: never NaN, never wrapped). */
export function npyDataBytes(h: NpyHeader): number {
  return safeProduct([...h.shape, h.itemSize]);
}

function decodeData(file: string, h: NpyHeader, bytes: Uint8Array, n: number): NpyData {
  const need = npyDataBytes(h);
  if (bytes.length < need) throw new FormatError(file, `.npy data truncated: shape [${h.shape.join(', ')}] needs ${Number.isFinite(need) ? need : 'more than 2^53'} bytes, found ${bytes.length}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, need);
  const le = h.littleEndian;
  switch (h.dtype) {
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = bytes[i] !== 0 ? 1 : 0;
      return out;
    }
    case 'uint8': return new Uint8Array(bytes.subarray(0, n)); // a plain copy, never a Buffer view
    case 'int8': return new Int8Array(new Uint8Array(bytes.subarray(0, n)).buffer);
    case 'float16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, le));
      return out;
    }
    default: break;
  }
  // multi-byte types: fast path when little-endian on a little-endian host, else element by element
  const ctor = {
    int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
    int64: BigInt64Array, uint64: BigUint64Array, float32: Float32Array, float64: Float64Array,
  }[h.dtype as 'int16'];
  const copy = new Uint8Array(need);
  copy.set(bytes.subarray(0, need));
  if (!le) {
    const w = h.itemSize;
    for (let i = 0; i < need; i += w) {
      for (let a = i, z = i + w - 1; a < z; a++, z--) {
        const t = copy[a]!;
        copy[a] = copy[z]!;
        copy[z] = t;
      }
    }
  }
  return new (ctor as unknown as new (b: ArrayBuffer) => NpyData)(copy.buffer);
}

/** Reorder a Fortran-order (column-major) buffer into C order. */
function fortranToC(data: NpyData, shape: readonly number[]): NpyData {
  const nd = shape.length;
  if (nd < 2) return data;
  const out = new (data.constructor as new (n: number) => NpyData)(data.length);
  const fStride = new Array<number>(nd);
  let s = 1;
  for (let d = 0; d < nd; d++) { fStride[d] = s; s *= shape[d]!; }
  const idx = new Array<number>(nd).fill(0);
  let src = 0;
  for (let i = 0; i < data.length; i++) {
    (out as unknown as number[])[i] = (data as unknown as number[])[src]!;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      src += fStride[d]!;
      if (idx[d]! < shape[d]!) break;
      src -= fStride[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * Decode a .npy file held in memory (NumPy format spec, versions 1–3). Fortran-order arrays are returned
 * in C order; big-endian data is byte-swapped. `file` names the source in errors.
 * @example const a = parseNpy(readFileSync('x.npy'), 'x.npy'); a.shape; a.data
 */
export function parseNpy(b: Uint8Array, file = '<npy>'): NpyArray {
  const h = parseNpyHeader(b, file);
  const n = safeProduct(h.shape);
  let data = decodeData(file, h, b.subarray(h.dataOffset), n);
  if (h.fortranOrder) data = fortranToC(data, h.shape);
  return { dtype: h.dtype, shape: h.shape, data, fortranOrder: h.fortranOrder };
}

/** Read a .npy file from disk. @example loadNpy('labels.npy').shape */
export function loadNpy(file: string): NpyArray {
  return parseNpy(readFileBytes(file), file);
}

/**
 * A NumPy .npz archive (a zip of .npy members, as written by `np.savez`/`np.savez_compressed`).
 * Members are decoded on demand; `header(name)` reads only the start of a member.
 * @example
 * const z = NpzFile.open('images_background.npz');
 * z.names;                 // ['images', 'labels']
 * z.header('images').shape // [964, 20, 105, 105]
 */
export class NpzFile {
  readonly file: string;
  readonly names: readonly string[];
  private readonly zip: ZipArchive;

  private constructor(zip: ZipArchive) {
    this.zip = zip;
    this.file = zip.file;
    this.names = zip.files().filter((e) => e.name.endsWith('.npy')).map((e) => e.name.slice(0, -4));
  }

  static open(file: string): NpzFile {
    return new NpzFile(ZipArchive.open(file));
  }

  private member(name: string): string {
    if (!this.names.includes(name)) throw new FormatError(this.file, `no array "${name}" in the .npz (has: ${this.names.join(', ') || 'none'})`);
    return `${name}.npy`;
  }

  header(name: string): NpyHeader {
    const member = this.member(name);
    const label = `${this.file}:${name}.npy`;
    let pre = this.zip.readPrefix(member);
    // a long (version 2/3) header: read a prefix big enough to hold it, within the header limit
    if (pre.length >= 12 && pre[6]! >= 2) {
      const need = 12 + ((pre[8]! | (pre[9]! << 8) | (pre[10]! << 16) | (pre[11]! << 24)) >>> 0);
      if (need > pre.length && need <= MAX_NPY_HEADER_BYTES + 12) pre = this.zip.readPrefix(member, need + (need >> 4) + 1024);
    }
    return parseNpyHeader(pre, label);
  }

  /**
   * A member's bytes, inflated only after its header is read and checked against the size the zip directory
   * declares: a member holding more (or fewer) bytes than its array needs is refused before it is inflated, so
   * a small .npz cannot inflate into gigabytes behind a small array.
   */
  private readChecked(name: string): { bytes: Buffer; header: NpyHeader; label: string } {
    const label = `${this.file}:${name}.npy`;
    const h = this.header(name);
    const e = this.zip.entry(this.member(name));
    const data = npyDataBytes(h);
    const expected = h.dataOffset + data;
    const declared = `its header declares [${h.shape.join(', ')}] ${h.dtype}: ${Number.isFinite(expected) ? `${expected} bytes` : 'more than 2^53 bytes'}`;
    if (e.size < expected) throw new FormatError(label, `.npy data truncated: the member holds ${e.size} bytes, ${declared}`);
    if (e.size > expected) throw new FormatError(label, `the member holds ${e.size} bytes, ${e.size - expected} more than ${declared}`);
    return { bytes: this.zip.read(e, expected), header: h, label };
  }

  get(name: string): NpyArray {
    const { bytes, label } = this.readChecked(name);
    return parseNpy(bytes, label);
  }

  /**
   * The raw C-order bytes of a one-byte-per-element member (bool/int8/uint8) without copying,
   * for large image arrays. Other dtypes: use `get`.
   */
  getBytes(name: string): { header: NpyHeader; bytes: Uint8Array } {
    const { bytes: b, label } = this.readChecked(name);
    const h = parseNpyHeader(b, label);
    if (h.itemSize !== 1) throw new FormatError(label, `getBytes needs a one-byte dtype, found ${h.dtype}`);
    if (h.fortranOrder && h.shape.length > 1) throw new FormatError(label, 'getBytes needs a C-order array');
    const n = safeProduct(h.shape);
    if (b.length - h.dataOffset < n) throw new FormatError(label, `.npy data truncated: needs ${n} bytes, found ${b.length - h.dataOffset}`);
    return { header: h, bytes: b.subarray(h.dataOffset, h.dataOffset + n) };
  }
}

/** Read all arrays of a .npz file. @example loadNpz('a.npz').get('labels') */
export function loadNpz(file: string): Map<string, NpyArray> {
  const z = NpzFile.open(file);
  return new Map(z.names.map((n) => [n, z.get(n)]));
}

/** Integer labels as Int32Array (int8..int64, uint8..uint64), checking that every value fits. */
export function toInt32(a: NpyArray, file = '<npy>'): Int32Array {
  const out = new Int32Array(a.data.length);
  for (let i = 0; i < a.data.length; i++) {
    const v = Number(a.data[i]!);
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new FormatError(file, `value ${a.data[i]} at ${i} does not fit int32`);
    out[i] = v;
  }
  return out;
}
