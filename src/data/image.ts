// Images held compactly (planar uint8 CHW) and their codecs: a fast PNG decoder, JPEG via jpeg-js, a PNG encoder.
import { crc32, deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { ArgumentError, FormatError } from '../core/errors.js';
import { inflateBounded, readFileBytes, writeFileAtomic } from './io.js';
import { luma } from './transforms.js';

/** An image in planar layout (channel-major, CHW), one byte per sample (0..255) or float32. */
export interface Image<A extends Uint8Array | Float32Array = Uint8Array> {
  data: A;
  channels: number;
  height: number;
  width: number;
}

/** How many channels to decode into: 1 = grayscale (ITU-R 601-2 luma, as PIL's convert('L')), 3 = RGB. */
export type ChannelMode = 1 | 3;

/**
 * The default pixel cap for decoding (2^24 = 16,777,216 pixels, e.g. 4096×4096): far above the images few-shot and
 * transfer-learning datasets hold (28×28 … a few megapixels), far below what exhausts memory. A PNG or JPEG declaring
 * more is a `FormatError` raised from its header, before any pixel memory is allocated. Override per call with
 * `{ maxPixels }` or for the process with `$ADAPTLAB_MAX_IMAGE_PIXELS`.
 */
export const DEFAULT_MAX_IMAGE_PIXELS = 1 << 24;

/** Decoder options. */
export interface DecodeOptions {
  /** Largest width × height accepted (default `$ADAPTLAB_MAX_IMAGE_PIXELS`, else `DEFAULT_MAX_IMAGE_PIXELS`). */
  maxPixels?: number;
}

/** The pixel cap in force: `opts.maxPixels`, else `$ADAPTLAB_MAX_IMAGE_PIXELS`, else 2^24. */
export function maxImagePixels(opts: DecodeOptions = {}): number {
  if (opts.maxPixels !== undefined) {
    if (!Number.isSafeInteger(opts.maxPixels) || opts.maxPixels < 1) throw new ArgumentError('maxPixels', `must be a positive integer, got ${opts.maxPixels}`);
    return opts.maxPixels;
  }
  const env = process.env['ADAPTLAB_MAX_IMAGE_PIXELS'];
  if (env === undefined || env === '') return DEFAULT_MAX_IMAGE_PIXELS;
  if (!/^\d+$/.test(env.trim()) || !Number.isSafeInteger(Number(env)) || Number(env) < 1) {
    throw new ArgumentError('ADAPTLAB_MAX_IMAGE_PIXELS', `must be a positive integer, got "${env}"`);
  }
  return Number(env);
}

/**
 * The largest image file read out of an archive: what a 16-bit RGBA PNG at the pixel cap needs (8 bytes a pixel) plus
 * 1 MiB for ancillary chunks. A zip member declaring more is refused before it is inflated.
 */
export function maxImageFileBytes(opts: DecodeOptions = {}): number {
  return maxImagePixels(opts) * 8 + (1 << 20);
}

function checkPixels(file: string, kind: string, w: number, h: number, cap: number): void {
  if (w * h > cap) {
    throw new FormatError(file, `${kind} declares ${w}×${h} = ${w * h} pixels, over the ${cap}-pixel cap (raise it with { maxPixels } or $ADAPTLAB_MAX_IMAGE_PIXELS)`);
  }
}

/** Bytes of one filtered PNG scanline (without its filter byte), computed in doubles: never wraps at 2^32. */
function pngStride(w: number, spp: number, depth: number): number {
  return Math.ceil((w * spp * depth) / 8);
}

/** Adam7 passes: [x start, y start, x step, y step]. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

/** Size of the inflated image data a PNG header implies: rows × (stride + filter byte), per Adam7 pass if interlaced. */
function pngRawBytes(w: number, h: number, spp: number, depth: number, interlaced: boolean): number {
  if (!interlaced) return h * (pngStride(w, spp, depth) + 1);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const pw = w > x0 ? Math.ceil((w - x0) / dx) : 0;
    const ph = h > y0 ? Math.ceil((h - y0) / dy) : 0;
    if (pw > 0 && ph > 0) total += ph * (pngStride(pw, spp, depth) + 1);
  }
  return total;
}

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && PNG_SIG.every((v, i) => b[i] === v);
}

export function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/** Interleaved RGB(A) rows → planar gray or RGB. */
function fromInterleaved(src: Uint8Array, w: number, h: number, srcChannels: number, channels: ChannelMode): Image {
  const n = w * h;
  const out = new Uint8Array(channels * n);
  if (channels === 1) {
    if (srcChannels === 1) out.set(src.subarray(0, n));
    else for (let i = 0, j = 0; i < n; i++, j += srcChannels) out[i] = luma(src[j]!, src[j + 1]!, src[j + 2]!);
  } else if (srcChannels === 1) {
    for (let i = 0; i < n; i++) out[i] = out[n + i] = out[2 * n + i] = src[i]!;
  } else {
    for (let i = 0, j = 0; i < n; i++, j += srcChannels) {
      out[i] = src[j]!;
      out[n + i] = src[j + 1]!;
      out[2 * n + i] = src[j + 2]!;
    }
  }
  return { data: out, channels, height: h, width: w };
}

const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/**
 * Decode a PNG (W3C PNG specification, 2nd ed.): every colour type and bit depth, palette, 16-bit (high byte kept).
 * Chunk CRCs are verified; a bad signature, bad CRC, missing chunk or short image data is a `FormatError` naming
 * `file`. Interlaced (Adam7) files are decoded by pngjs. Alpha is ignored, as PIL's convert('L'/'RGB') does.
 * @example const img = decodePng(readFileSync('0108_01.png'), '0108_01.png', 1); img.width // 105
 */
export function decodePng(b: Uint8Array, file = '<png>', channels: ChannelMode = 1, opts: DecodeOptions = {}): Image {
  if (!isPng(b)) throw new FormatError(file, 'not a PNG file (bad signature)');
  const cap = maxImagePixels(opts);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 8;
  let w = 0, h = 0, depth = 0, ctype = -1, interlace = 0;
  let palette: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let sawEnd = false;
  while (p < b.length) {
    if (p + 12 > b.length) throw new FormatError(file, 'PNG truncated inside a chunk header');
    const len = dv.getUint32(p, false);
    const type = String.fromCharCode(b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!);
    if (p + 12 + len > b.length) throw new FormatError(file, `PNG truncated inside chunk ${type}`);
    const body = b.subarray(p + 8, p + 8 + len);
    const stored = dv.getUint32(p + 8 + len, false);
    const actual = crc32(b.subarray(p + 4, p + 8 + len)) >>> 0;
    if (stored !== actual) throw new FormatError(file, `PNG chunk ${type} has a bad CRC (stored 0x${stored.toString(16)}, computed 0x${actual.toString(16)})`);
    if (type === 'IHDR') {
      if (len !== 13) throw new FormatError(file, 'PNG IHDR has the wrong length');
      if (ctype >= 0) throw new FormatError(file, 'PNG has two IHDR chunks');
      w = dv.getUint32(p + 8, false);
      h = dv.getUint32(p + 12, false);
      depth = body[8]!;
      ctype = body[9]!;
      interlace = body[12]!;
      if (!DEPTHS[ctype]?.includes(depth)) throw new FormatError(file, `PNG colour type ${ctype} with bit depth ${depth} is invalid`);
      if (w === 0 || h === 0 || w > 0x7fffffff || h > 0x7fffffff) throw new FormatError(file, `PNG size ${w}×${h} is invalid (each side must be 1 … 2^31−1)`);
      if (body[10] !== 0 || body[11] !== 0 || body[12]! > 1) throw new FormatError(file, `PNG IHDR has an unknown compression, filter or interlace method (${body[10]}, ${body[11]}, ${body[12]})`);
      checkPixels(file, 'PNG', w, h, cap);
    } else if (type === 'PLTE') palette = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') { sawEnd = true; break; }
    p += 12 + len;
  }
  if (ctype < 0) throw new FormatError(file, 'PNG has no IHDR chunk');
  if (idat.length === 0) throw new FormatError(file, 'PNG has no IDAT chunk');
  if (!sawEnd) throw new FormatError(file, 'PNG has no IEND chunk (truncated)');
  if (ctype === 3 && !palette) throw new FormatError(file, 'palette PNG without a PLTE chunk');
  const spp = SAMPLES[ctype]!;
  // the image data inflates to exactly what the header implies; zlib stops as soon as a stream passes that size
  const expected = pngRawBytes(w, h, spp, depth, interlace === 1);
  const raw = inflateBounded(file, idat.length === 1 ? idat[0]! : Buffer.concat(idat), 'zlib', expected, 'PNG image data', `the ${expected} bytes its ${w}×${h} header implies`);
  if (raw.length < expected) throw new FormatError(file, `PNG image data too short (${raw.length} bytes, its ${w}×${h} header implies ${expected})`);
  if (interlace === 1) return decodeWithPngjs(b, file, channels);
  const bpp = Math.max(1, (spp * depth) >> 3); // bytes per complete pixel for filtering
  const stride = pngStride(w, spp, depth);
  unfilter(file, raw, h, stride, bpp);
  // expand to 8-bit samples, interleaved
  const n = w * h;
  const outSpp = ctype === 3 ? 3 : spp;
  const px = new Uint8Array(n * outSpp);
  for (let y = 0; y < h; y++) {
    const row = y * (stride + 1) + 1;
    const o = y * w * outSpp;
    if (depth === 8 && ctype !== 3) px.set(raw.subarray(row, row + w * spp), o);
    else if (depth === 16) for (let x = 0; x < w * spp; x++) px[o + x] = raw[row + 2 * x]!;
    else {
      const per = 8 / depth, mask = (1 << depth) - 1, scale = ctype === 3 ? 1 : 255 / mask;
      for (let x = 0; x < w; x++) {
        const byte = raw[row + ((x / per) | 0)]!;
        const v = (byte >> (8 - depth * ((x % per) + 1))) & mask;
        if (ctype === 3) {
          if (3 * v + 2 >= palette!.length) throw new FormatError(file, `palette index ${v} outside the ${palette!.length / 3}-entry PLTE`);
          px[o + 3 * x] = palette![3 * v]!;
          px[o + 3 * x + 1] = palette![3 * v + 1]!;
          px[o + 3 * x + 2] = palette![3 * v + 2]!;
        } else px[o + x] = v * scale;
      }
    }
  }
  // gray+alpha / RGBA: drop alpha by picking the colour samples
  if (ctype === 4 || ctype === 6) {
    const c = ctype === 4 ? 1 : 3;
    const tmp = new Uint8Array(n * c);
    for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) tmp[i * c + k] = px[i * spp + k]!;
    return fromInterleaved(tmp, w, h, c, channels);
  }
  return fromInterleaved(px, w, h, outSpp, channels);
}

function unfilter(file: string, raw: Uint8Array, h: number, stride: number, bpp: number): void {
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)]!;
    const r = y * (stride + 1) + 1;
    const u = r - stride - 1; // previous row's data start
    const hasUp = y > 0;
    switch (f) {
      case 0: break;
      case 1: for (let x = bpp; x < stride; x++) raw[r + x] = (raw[r + x]! + raw[r + x - bpp]!) & 255; break;
      case 2: if (hasUp) for (let x = 0; x < stride; x++) raw[r + x] = (raw[r + x]! + raw[u + x]!) & 255; break;
      case 3:
        for (let x = 0; x < stride; x++) {
          const a = x >= bpp ? raw[r + x - bpp]! : 0;
          const up = hasUp ? raw[u + x]! : 0;
          raw[r + x] = (raw[r + x]! + ((a + up) >> 1)) & 255;
        }
        break;
      case 4:
        for (let x = 0; x < stride; x++) {
          const a = x >= bpp ? raw[r + x - bpp]! : 0;
          const up = hasUp ? raw[u + x]! : 0;
          const c = hasUp && x >= bpp ? raw[u + x - bpp]! : 0;
          const pa = Math.abs(up - c), pb = Math.abs(a - c), pc = Math.abs(a + up - 2 * c);
          raw[r + x] = (raw[r + x]! + (pa <= pb && pa <= pc ? a : pb <= pc ? up : c)) & 255;
        }
        break;
      default: throw new FormatError(file, `PNG row ${y} has an invalid filter type ${f}`);
    }
  }
}

function decodeWithPngjs(b: Uint8Array, file: string, channels: ChannelMode): Image {
  let png: { width: number; height: number; data: Buffer };
  try {
    png = pngjs.PNG.sync.read(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  } catch (err) {
    throw new FormatError(file, `corrupt PNG (${(err as Error).message})`);
  }
  return fromInterleaved(png.data, png.width, png.height, 4, channels);
}

/**
 * Width and height of every frame header (SOF0–SOF15 except DHT/JPG/DAC) before the first scan, read by walking the
 * marker segments (ITU-T T.81 B.1.1): cheap, and done before jpeg-js allocates anything.
 */
function jpegFrames(b: Uint8Array, file: string): { width: number; height: number; huffman: boolean }[] {
  const frames: { width: number; height: number; huffman: boolean }[] = [];
  let p = 2;
  while (p + 4 <= b.length) {
    if (b[p] !== 0xff) break; // not at a marker: leave the diagnosis to the decoder
    const m = b[p + 1]!;
    if (m === 0xff) { p++; continue; } // fill byte
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { p += 2; continue; } // no length
    if (m === 0xd9 || m === 0xda) break; // end of image / start of scan
    const len = (b[p + 2]! << 8) | b[p + 3]!;
    if (len < 2) throw new FormatError(file, `JPEG marker 0xFF${m.toString(16).toUpperCase()} has an invalid length ${len}`);
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (p + 9 > b.length) throw new FormatError(file, 'JPEG truncated inside its frame header');
      frames.push({ height: (b[p + 5]! << 8) | b[p + 6]!, width: (b[p + 7]! << 8) | b[p + 8]!, huffman: m < 0xc8 });
    }
    p += 2 + len;
  }
  return frames;
}

/**
 * Decode a baseline or progressive JPEG with jpeg-js. The frame size is checked against the pixel cap (see
 * `DEFAULT_MAX_IMAGE_PIXELS`) before decoding, and jpeg-js gets the same cap and a memory budget derived from it.
 * @example decodeJpeg(bytes, 'a.jpg', 3).channels // 3
 */
export function decodeJpeg(b: Uint8Array, file = '<jpeg>', channels: ChannelMode = 3, opts: DecodeOptions = {}): Image {
  const cap = maxImagePixels(opts);
  for (const f of jpegFrames(b, file)) {
    checkPixels(file, 'JPEG', f.width, f.height, cap);
    // Huffman-coded data spends at least one bit on every 8×8 block of the full-resolution component (its DC code),
    // so a file claiming more blocks than 8 × its size is truncated or edited: refuse it before jpeg-js allocates them
    const blocks = Math.ceil(f.width / 8) * Math.ceil(f.height / 8);
    if (f.huffman && b.length * 8 < blocks) {
      throw new FormatError(file, `JPEG declares ${f.width}×${f.height} (${blocks} blocks of 8×8) but is only ${b.length} bytes; its coded data needs at least one bit a block (truncated or edited file)`);
    }
  }
  let img: { width: number; height: number; data: Uint8Array };
  try {
    // jpeg-js needs about 2 bytes per pixel and component for coefficients, plus its output: 16 bytes per pixel is ample
    img = jpeg.decode(b, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: cap / 1e6, maxMemoryUsageInMB: Math.ceil((cap * 16) / 2 ** 20) + 64 });
  } catch (err) {
    throw new FormatError(file, `corrupt JPEG (${(err as Error).message})`);
  }
  if (img.width * img.height === 0) throw new FormatError(file, `JPEG decodes to an empty ${img.width}×${img.height} image`);
  const src = img.data.length === img.width * img.height ? 1 : 3;
  return fromInterleaved(img.data, img.width, img.height, src, channels);
}

/** Decode PNG or JPEG bytes by their signature. */
export function decodeImage(b: Uint8Array, file = '<image>', channels: ChannelMode = 1, opts: DecodeOptions = {}): Image {
  if (isPng(b)) return decodePng(b, file, channels, opts);
  if (isJpeg(b)) return decodeJpeg(b, file, channels, opts);
  throw new FormatError(file, 'neither a PNG nor a JPEG (unknown signature)');
}

/** Read and decode an image file. @example readImage('cat/1.png', 3) */
export function readImage(file: string, channels: ChannelMode = 1, opts: DecodeOptions = {}): Image {
  return decodeImage(readFileBytes(file), file, channels, opts);
}

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  out.set(body, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)) >>> 0, 8 + body.length);
  return out;
}

/**
 * Encode an image as PNG: 8-bit grayscale (1 channel) or RGB (3 channels); `bitDepth: 1` writes a 1-bit
 * grayscale image (values ≥ 128 are white), like the official Omniglot files. Float images are taken as 0..1.
 * @example writeFileSync('x.png', encodePng({ data, channels: 1, height: 28, width: 28 }))
 */
export function encodePng(img: Image<Uint8Array | Float32Array>, opts: { bitDepth?: 1 | 8 } = {}): Buffer {
  const { channels: c, height: h, width: w } = img;
  if (c !== 1 && c !== 3) throw new ArgumentError('encodePng', `need 1 or 3 channels, got ${c}`);
  if (img.data.length !== c * h * w) throw new ArgumentError('encodePng', `data has ${img.data.length} values, ${c}×${h}×${w} needs ${c * h * w}`);
  const depth = opts.bitDepth ?? 8;
  if (depth === 1 && c !== 1) throw new ArgumentError('encodePng', '1-bit output needs a 1-channel image');
  const get = img.data instanceof Float32Array
    ? (i: number) => Math.max(0, Math.min(255, Math.round((img.data[i] as number) * 255)))
    : (i: number) => img.data[i] as number;
  const stride = depth === 1 ? (w + 7) >> 3 : w * c;
  const raw = new Uint8Array(h * (stride + 1));
  const n = h * w;
  for (let y = 0; y < h; y++) {
    const r = y * (stride + 1) + 1;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (depth === 1) { if (get(i) >= 128) raw[r + (x >> 3)] |= 0x80 >> (x & 7); }
      else if (c === 1) raw[r + x] = get(i);
      else { raw[r + 3 * x] = get(i); raw[r + 3 * x + 1] = get(n + i); raw[r + 3 * x + 2] = get(2 * n + i); }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = depth;
  ihdr[9] = c === 1 ? 0 : 2;
  return Buffer.concat([Buffer.from(PNG_SIG), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** Write an image as a PNG file atomically. */
export function writePng(file: string, img: Image<Uint8Array | Float32Array>): void {
  writeFileAtomic(file, encodePng(img));
}
