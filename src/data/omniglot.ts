// Omniglot (Lake et al. 2015) from the official PNG zips, an extracted tree or the .npz arrays, decoded once and cached.
import { basename, join } from 'node:path';
import { ArgumentError, FormatError } from '../core/errors.js';
import { cacheKey, DatasetCache, defaultCacheDir } from './cache.js';
import { checkIndex, type ClassificationDataset, type LabeledImage } from './dataset.js';
import { decodePng, maxImageFileBytes } from './image.js';
import { dirExists, fileExists, listDir, readFileBytes, sha256File, walkFiles } from './io.js';
import { NpzFile } from './npy.js';
import { OMNIGLOT_ALPHABETS } from './omniglot-alphabets.js';
import { resize, type ResizeFilter } from './transforms.js';
import { ZipArchive } from './zip.js';

/** One Omniglot character (a class): its global id, set, alphabet and number within the alphabet. */
export interface OmniglotCharacter {
  /** Global id 1..1623, as in the official file names `XXXX_YY.png`. */
  id: number;
  set: 'background' | 'evaluation';
  alphabet: string;
  /** NN of the folder `characterNN` (1-based within the alphabet). */
  number: number;
  /** `Alphabet/characterNN`, the name used by the Vinyals split files. */
  name: string;
}

const BY_ID: OmniglotCharacter[] = [];
for (const a of OMNIGLOT_ALPHABETS) {
  for (let k = 0; k < a.count; k++) {
    const id = a.firstId + k;
    BY_ID[id] = { id, set: a.set, alphabet: a.name, number: k + 1, name: `${a.name}/character${String(k + 1).padStart(2, '0')}` };
  }
}
/** Number of characters in the background (964) and evaluation (659) sets. */
export const OMNIGLOT_COUNTS = { background: 964, evaluation: 659, drawers: 20, size: 105 } as const;

/** The catalogue entry of a global character id (1..1623). */
export function omniglotCharacter(id: number): OmniglotCharacter {
  const c = BY_ID[id];
  if (!c) throw new ArgumentError('omniglotCharacter', `no Omniglot character with id ${id} (valid: 1..1623)`);
  return c;
}

/** All 1,623 characters in global-id order. */
export function omniglotCharacters(): OmniglotCharacter[] {
  return BY_ID.filter((c) => c !== undefined);
}

/** Decoding options. Defaults follow every few-shot pipeline: invert (ink = 255) and resize 105→28, anti-aliased. */
export interface OmniglotOptions {
  /** Output side in pixels; `null` keeps the native 105. Default 28. */
  size?: number | null;
  /** Ink bright on a dark background (1 − x). Default true. */
  invert?: boolean;
  /** Resize filter. Default `triangle` (bilinear with antialias, torchvision's default). */
  filter?: ResizeFilter;
  /** Cache directory for decoded images; `false` disables caching. Default `defaultCacheDir()`. */
  cacheDir?: string | false;
}

type Set = 'background' | 'evaluation';

/** One source file (or folder) of Omniglot images. */
export interface OmniglotSource {
  kind: 'npz' | 'zip' | 'tree';
  path: string;
}

interface PartListing {
  source: OmniglotSource;
  ids: Int32Array; // global character id per example (part order)
  drawers: Uint8Array;
  /** zip entry names or file paths per example (zip/tree) */
  names?: string[];
}

const PNG_PATH = /^(?:.*\/)?([^/]+)\/character(\d+)\/(\d{4})_(\d{2})\.png$/;

function listPngs(source: OmniglotSource, paths: string[], label: string): PartListing {
  const rows: { id: number; drawer: number; name: string }[] = [];
  for (const p of paths) {
    const m = PNG_PATH.exec(p);
    if (!m) continue;
    const id = Number(m[3]), drawer = Number(m[4]);
    const c = BY_ID[id];
    if (!c) throw new FormatError(label, `"${p}": character id ${id} is not an Omniglot id (1..1623)`);
    if (c.alphabet !== m[1] || c.number !== Number(m[2])) {
      throw new FormatError(label, `"${p}": id ${id} belongs to ${c.name}, not ${m[1]}/character${m[2]}`);
    }
    if (drawer < 1 || drawer > 20) throw new FormatError(label, `"${p}": drawer ${drawer} outside 1..20`);
    rows.push({ id, drawer, name: p });
  }
  if (rows.length === 0) throw new FormatError(label, 'no Omniglot images (<Alphabet>/characterNN/XXXX_YY.png) found');
  rows.sort((a, b) => a.id - b.id || a.drawer - b.drawer);
  for (let i = 1; i < rows.length; i++) {
    if (rows[i]!.id === rows[i - 1]!.id && rows[i]!.drawer === rows[i - 1]!.drawer) throw new FormatError(label, `"${rows[i]!.name}" duplicates "${rows[i - 1]!.name}"`);
  }
  return { source, ids: Int32Array.from(rows, (r) => r.id), drawers: Uint8Array.from(rows, (r) => r.drawer), names: rows.map((r) => r.name) };
}

function npzSet(path: string, characters: number): Set {
  const b = basename(path);
  if (b.includes('background')) return 'background';
  if (b.includes('evaluation')) return 'evaluation';
  if (characters === OMNIGLOT_COUNTS.background) return 'background';
  if (characters === OMNIGLOT_COUNTS.evaluation) return 'evaluation';
  throw new FormatError(path, `cannot tell whether this .npz is the background or evaluation set (${characters} characters)`);
}

function listPart(source: OmniglotSource): PartListing {
  if (source.kind === 'npz') {
    const z = NpzFile.open(source.path);
    const h = z.header('images');
    const [C, D, H, W] = h.shape;
    if (h.shape.length !== 4 || H !== 105 || W !== 105 || (h.dtype !== 'bool' && h.dtype !== 'uint8')) {
      throw new FormatError(source.path, `images.npy must be bool or uint8 [characters, drawers, 105, 105], found ${h.dtype} [${h.shape.join(', ')}]`);
    }
    const set = npzSet(source.path, C!);
    if (C !== OMNIGLOT_COUNTS[set]) throw new FormatError(source.path, `the ${set} set has ${OMNIGLOT_COUNTS[set]} characters, images.npy holds ${C}`);
    if (D! > 20) throw new FormatError(source.path, `${D} drawers per character (Omniglot has 20)`);
    const first = set === 'background' ? 1 : OMNIGLOT_COUNTS.background + 1;
    const n = C! * D!;
    const ids = new Int32Array(n), drawers = new Uint8Array(n);
    for (let c = 0, i = 0; c < C!; c++) for (let d = 0; d < D!; d++, i++) { ids[i] = first + c; drawers[i] = d + 1; }
    return { source, ids, drawers };
  }
  if (source.kind === 'zip') {
    const zip = ZipArchive.open(source.path);
    return listPngs(source, zip.files().map((e) => e.name), source.path);
  }
  if (!dirExists(source.path)) throw new FormatError(source.path, 'no such folder');
  return listPngs(source, walkFiles(source.path), source.path);
}

/** Map 105×105 white-background gray (0/255) to the requested output. */
function prepare(gray: Uint8Array, opts: Required<Omit<OmniglotOptions, 'cacheDir'>>, out: Uint8Array, offset: number): void {
  if (opts.invert) for (let i = 0; i < gray.length; i++) gray[i] = 255 - gray[i]!;
  if (opts.size === null || opts.size === 105) {
    out.set(gray, offset);
    return;
  }
  const r = resize({ data: gray, channels: 1, height: 105, width: 105 }, opts.size, opts.size, opts.filter);
  out.set(r.data, offset);
}

function decodePart(part: PartListing, opts: Required<Omit<OmniglotOptions, 'cacheDir'>>): Uint8Array {
  const side = opts.size ?? 105;
  const n = part.ids.length;
  const out = new Uint8Array(n * side * side);
  const gray = new Uint8Array(105 * 105);
  const { source } = part;
  if (source.kind === 'npz') {
    const z = NpzFile.open(source.path);
    const { header, bytes } = z.getBytes('images');
    const isBool = header.dtype === 'bool';
    for (let i = 0; i < n; i++) {
      const src = bytes.subarray(i * 11025, (i + 1) * 11025);
      if (isBool) for (let k = 0; k < 11025; k++) gray[k] = src[k] ? 255 : 0;
      else gray.set(src);
      prepare(gray, opts, out, i * side * side);
    }
    return out;
  }
  const zip = source.kind === 'zip' ? ZipArchive.open(source.path) : null;
  for (let i = 0; i < n; i++) {
    const name = part.names![i]!;
    const label = zip ? `${source.path}:${name}` : join(source.path, name);
    const bytes = zip ? zip.read(name, maxImageFileBytes()) : readFileBytes(join(source.path, name));
    const img = decodePng(bytes, label, 1);
    if (img.width !== 105 || img.height !== 105) throw new FormatError(label, `Omniglot images are 105×105, this one is ${img.width}×${img.height}`);
    gray.set(img.data);
    prepare(gray, opts, out, i * side * side);
  }
  return out;
}

/**
 * Find Omniglot sources in a folder laid out like shared/data/omniglot: for each set the `.npz`, else the official
 * zip, else an extracted `images_<set>/` tree. The `_small1/_small2` zips are used only when nothing else is there.
 */
export function findOmniglotSources(dir: string): OmniglotSource[] {
  const out: OmniglotSource[] = [];
  for (const set of ['background', 'evaluation']) {
    const npz = join(dir, `images_${set}.npz`), zip = join(dir, `images_${set}.zip`), tree = join(dir, `images_${set}`);
    if (fileExists(npz)) out.push({ kind: 'npz', path: npz });
    else if (fileExists(zip)) out.push({ kind: 'zip', path: zip });
    else if (dirExists(tree)) out.push({ kind: 'tree', path: tree });
  }
  if (out.length === 0) {
    for (const s of ['small1', 'small2']) {
      const zip = join(dir, `images_background_${s}.zip`);
      if (fileExists(zip)) { out.push({ kind: 'zip', path: zip }); break; }
    }
  }
  if (out.length === 0) throw new FormatError(dir, 'no Omniglot files here (expected images_background.npz/.zip or an images_background/ folder, and the same for evaluation)');
  return out;
}

/** Turn a path (a folder laid out like shared/data/omniglot, an extracted tree, a .npz or a .zip) into sources. */
export function omniglotSources(path: string): OmniglotSource[] {
  if (fileExists(path)) {
    if (path.endsWith('.npz')) return [{ kind: 'npz', path }];
    if (path.endsWith('.zip')) return [{ kind: 'zip', path }];
    throw new FormatError(path, 'not an Omniglot file (expected .npz or .zip)');
  }
  if (!dirExists(path)) throw new FormatError(path, 'no such file or folder');
  const names = listDir(path);
  if (names.some((n) => n.startsWith('images_'))) return findOmniglotSources(path);
  return [{ kind: 'tree', path }];
}

/**
 * Omniglot characters as an image classification dataset (Lake, Salakhutdinov & Tenenbaum 2015, *Science*):
 * one class per character, ordered by global id; 20 drawers each. Labels, characters and alphabets are known
 * without decoding; pixels are decoded (or read from the cache) on the first `get` or on `load()`.
 * @example
 * const ds = loadOmniglot('data/omniglot');     // both sets, 28×28 inverted
 * ds.classes.length; ds.length;                 // 1623, 32460
 * ds.get(0).image;                              // { data: Uint8Array(784), channels: 1, height: 28, width: 28 }
 */
export class OmniglotDataset implements ClassificationDataset {
  readonly characters: readonly OmniglotCharacter[];
  readonly classes: readonly string[];
  readonly labels: Int32Array;
  readonly drawers: Uint8Array;
  readonly alphabets: readonly string[];
  /** Alphabet index (into `alphabets`) of every class. */
  readonly alphabetOfClass: Int32Array;
  readonly imageShape: readonly [number, number, number];
  readonly length: number;
  readonly sources: readonly OmniglotSource[];
  readonly options: Readonly<Required<Omit<OmniglotOptions, 'cacheDir'>>>;
  private readonly parts: PartListing[];
  private readonly cache: DatasetCache | null;
  private pixels: Uint8Array | null = null;
  private readonly partOffset: Int32Array; // per part: first example in global order (parts are sorted, disjoint)

  constructor(sources: readonly OmniglotSource[], opts: OmniglotOptions = {}) {
    if (sources.length === 0) throw new ArgumentError('OmniglotDataset', 'no sources');
    const size = opts.size === undefined ? 28 : opts.size;
    if (size !== null && (!Number.isInteger(size) || size < 1)) throw new ArgumentError('OmniglotDataset', `size must be a positive integer or null, got ${size}`);
    this.options = { size, invert: opts.invert ?? true, filter: opts.filter ?? 'triangle' };
    this.cache = opts.cacheDir === false ? null : new DatasetCache(opts.cacheDir ?? defaultCacheDir());
    this.sources = sources;
    this.parts = sources.map(listPart).sort((a, b) => a.ids[0]! - b.ids[0]!);
    for (let p = 1; p < this.parts.length; p++) {
      const prev = this.parts[p - 1]!, cur = this.parts[p]!;
      if (cur.ids[0]! <= prev.ids[prev.ids.length - 1]!) {
        throw new ArgumentError('OmniglotDataset', `sources overlap in characters: ${prev.source.path} and ${cur.source.path}`);
      }
    }
    const n = this.parts.reduce((a, p) => a + p.ids.length, 0);
    this.length = n;
    this.partOffset = new Int32Array(this.parts.length);
    const ids = new Int32Array(n);
    this.drawers = new Uint8Array(n);
    let off = 0;
    this.parts.forEach((p, k) => {
      this.partOffset[k] = off;
      ids.set(p.ids, off);
      this.drawers.set(p.drawers, off);
      off += p.ids.length;
    });
    const chars: OmniglotCharacter[] = [];
    this.labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (i === 0 || ids[i] !== ids[i - 1]) chars.push(BY_ID[ids[i]!]!);
      this.labels[i] = chars.length - 1;
    }
    this.characters = chars;
    this.classes = chars.map((c) => c.name);
    const alphabets: string[] = [];
    this.alphabetOfClass = new Int32Array(chars.length);
    chars.forEach((c, k) => {
      let a = alphabets.indexOf(c.alphabet);
      if (a < 0) a = alphabets.push(c.alphabet) - 1;
      this.alphabetOfClass[k] = a;
    });
    this.alphabets = alphabets;
    const side = size ?? 105;
    this.imageShape = [1, side, side];
  }

  private keyOf(part: PartListing): string {
    return cacheKey(`omniglot-${part.source.kind}`, sha256File(...this.partFiles(part)), this.options);
  }

  private partFiles(part: PartListing): string[] {
    return part.source.kind === 'tree' ? part.names!.map((n) => join(part.source.path, n)) : [part.source.path];
  }

  /** Whether each source's decoded images are in the cache. */
  cacheState(): { path: string; cached: boolean; key: string | null }[] {
    return this.parts.map((p) => {
      if (!this.cache) return { path: p.source.path, cached: false, key: null };
      const key = this.keyOf(p);
      return { path: p.source.path, cached: this.cache.has(key), key };
    });
  }

  /** Decode all images now (or read them from the cache). Returns this. */
  load(): this {
    if (this.pixels) return this;
    const side = this.imageShape[1];
    const pixels = new Uint8Array(this.length * side * side);
    this.parts.forEach((part, k) => {
      let data: Uint8Array | null = null;
      const key = this.cache ? this.keyOf(part) : null;
      if (this.cache && key) {
        const hit = this.cache.read(key);
        const px = hit?.arrays['pixels'];
        if (px instanceof Uint8Array && px.length === part.ids.length * side * side) data = px;
      }
      if (!data) {
        data = decodePart(part, this.options);
        if (this.cache && key) this.cache.write(key, { kind: 'omniglot', source: part.source, options: this.options, count: part.ids.length }, { pixels: data });
      }
      pixels.set(data, this.partOffset[k]! * side * side);
    });
    this.pixels = pixels;
    return this;
  }

  /** All pixels, N×1×S×S uint8 (decodes on first use). */
  get images(): Uint8Array {
    return this.load().pixels!;
  }

  get(i: number): LabeledImage {
    checkIndex('OmniglotDataset.get', i, this.length);
    const px = this.images;
    const side = this.imageShape[1];
    const size = side * side;
    return { image: { data: px.subarray(i * size, (i + 1) * size), channels: 1, height: side, width: side }, label: this.labels[i]! };
  }

  /** Class ids of the characters of one set. */
  classesOfSet(set: Set): number[] {
    const out: number[] = [];
    this.characters.forEach((c, k) => { if (c.set === set) out.push(k); });
    return out;
  }

  /** Class id of a character name `Alphabet/characterNN`, or -1. */
  classOf(name: string): number {
    return this.classes.indexOf(name);
  }
}

/**
 * Load Omniglot from a folder laid out like shared/data/omniglot, an extracted tree, a `.npz` or an official zip.
 * @example loadOmniglot('../shared/data/omniglot', { size: 28 }).classes.length   // 1623
 */
export function loadOmniglot(path: string, opts: OmniglotOptions = {}): OmniglotDataset {
  return new OmniglotDataset(omniglotSources(path), opts);
}
