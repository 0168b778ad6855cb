// safetensors weights I/O (8-byte little-endian header length, JSON header, raw little-endian data).
// Weights are float32; F64/F16/BF16 are refused unless conversion is asked for. Hosts are little-endian.
import fs from 'node:fs';
import { StudioError } from '../../shared/errors';
import { writeFileAtomic } from '../io/atomic-write';

export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export type FloatDtype = 'F32' | 'F64' | 'F16' | 'BF16';

/** A tensor as read: `dtype` is how the file stored it, `data` is always float32. */
export interface SafeTensor {
  readonly dtype: FloatDtype;
  readonly shape: number[];
  readonly data: Float32Array;
}

export interface ReadOptions {
  /** Convert F64, F16 and BF16 tensors to float32 instead of refusing them. */
  readonly convert?: boolean;
}

export interface TensorInfo {
  readonly name: string;
  readonly dtype: string;
  readonly shape: number[];
}

export interface SafetensorsHeader {
  readonly metadata: Record<string, string>;
  /** In file order. */
  readonly tensors: TensorInfo[];
}

/** Every dtype the format defines, so any valid file's layout can be checked, not only float ones. */
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, I64: 8, U64: 8, F64: 8,
};
const FLOATS = new Set(['F32', 'F64', 'F16', 'BF16']);
/** The reference implementation's limit; a larger "header" means a damaged or foreign file. */
const MAX_HEADER_BYTES = 100_000_000;

interface Entry extends TensorInfo {
  readonly start: number;
  readonly end: number;
}

interface Parsed {
  readonly metadata: Record<string, string>;
  /** Sorted by data offset. */
  readonly entries: Entry[];
  /** Where the data section begins. */
  readonly dataStart: number;
}

const fail = (code: string, message: string): never => {
  throw new StudioError(code, message);
};

/** Reads every tensor (file order) as float32 from a path or the file's bytes. */
export function readSafetensors(source: string | Uint8Array, options: ReadOptions = {}): Map<string, SafeTensor> {
  const name = sourceName(source);
  const bytes = typeof source === 'string' ? readWhole(source) : source;
  const { entries, dataStart } = parseHeader(bytes, bytes.length, name);
  const out = new Map<string, SafeTensor>();
  for (const e of entries) {
    if (!FLOATS.has(e.dtype)) fail('safetensors-dtype', `${name}: tensor ${e.name} is ${e.dtype}; only float tensors can be read as weights`);
    if (e.dtype !== 'F32' && !options.convert) {
      fail('safetensors-dtype', `${name}: tensor ${e.name} is ${e.dtype}; weights must be F32 (convert the file, or read it with conversion enabled)`);
    }
    const raw = bytes.subarray(dataStart + e.start, dataStart + e.end);
    out.set(e.name, { dtype: e.dtype as FloatDtype, shape: e.shape, data: toFloat32(raw, e.dtype as FloatDtype) });
  }
  return out;
}

/** Tensor names, dtypes and shapes plus `__metadata__`, validated; a path is read only up to the data. */
export function readSafetensorsHeader(source: string | Uint8Array): SafetensorsHeader {
  const name = sourceName(source);
  const { metadata, entries } = typeof source === 'string' ? parseFileHeader(source) : parseHeader(source, source.length, name);
  return { metadata, tensors: entries.map(({ name: n, dtype, shape }) => ({ name: n, dtype, shape })) };
}

/** The `__metadata__` map (string to string); empty when the file has none. */
export function readSafetensorsMetadata(source: string | Uint8Array): Record<string, string> {
  return readSafetensorsHeader(source).metadata;
}

const sourceName = (source: string | Uint8Array): string => (typeof source === 'string' ? source : 'safetensors data');

function readWhole(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    return fail('safetensors-unreadable', `cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Reads the length prefix and the JSON header of a file without loading its tensor data. */
function parseFileHeader(file: string): Parsed {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    return fail('safetensors-unreadable', `cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const prefix = Buffer.alloc(Math.min(size, 8));
    fs.readSync(fd, prefix, 0, prefix.length, 0);
    if (size < 8) return parseHeader(prefix, size, file);
    // An implausible length is reported by parseHeader from the prefix alone.
    const length = prefix.readBigUInt64LE(0);
    const bytes = Buffer.alloc(8 + (length <= BigInt(Math.min(size - 8, MAX_HEADER_BYTES)) ? Number(length) : 0));
    fs.readSync(fd, bytes, 0, bytes.length, 0);
    return parseHeader(bytes, size, file);
  } finally {
    fs.closeSync(fd);
  }
}

/** Validates the header in `bytes` (which hold at least the prefix and header) for a file of `fileSize` bytes. */
function parseHeader(bytes: Uint8Array, fileSize: number, name: string): Parsed {
  if (fileSize < 8) fail('safetensors-truncated', `${name}: ${fileSize} bytes is too short for a safetensors file (it starts with an 8-byte header length)`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(fileSize - 8)) {
    fail('safetensors-truncated', `${name}: the header length says ${length} bytes but only ${fileSize - 8} follow; the file is truncated or not safetensors`);
  }
  if (length > MAX_HEADER_BYTES) fail('safetensors-bad-header', `${name}: a ${length}-byte header is implausible; this is not a safetensors file`);
  const dataStart = 8 + Number(length);
  const header = parseJson(bytes.subarray(8, dataStart), name);
  const metadata = parseMetadata(header.__metadata__, name);
  const entries = Object.entries(header)
    .filter(([key]) => key !== '__metadata__')
    .map(([key, value]) => parseEntry(key, value, name))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  checkLayout(entries, fileSize - dataStart, name);
  return { metadata, entries, dataStart };
}

function parseJson(bytes: Uint8Array, name: string): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    fail('safetensors-bad-header', `${name}: the header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('safetensors-bad-header', `${name}: the header is not a JSON object`);
  return header as Record<string, unknown>;
}

function parseMetadata(value: unknown, name: string): Record<string, string> {
  if (value === undefined) return {};
  const ok = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
  if (!ok) fail('safetensors-bad-header', `${name}: __metadata__ must map strings to strings`);
  return { ...(value as Record<string, string>) };
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function parseEntry(key: string, value: unknown, name: string): Entry {
  const e = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  const what = `${name}: tensor ${key}`;
  if (typeof e !== 'object' || e === null) return fail('safetensors-bad-header', `${what} is not described by an object`);
  if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) fail('safetensors-bad-header', `${what} has unknown dtype ${JSON.stringify(e.dtype)}`);
  if (!Array.isArray(e.shape) || !e.shape.every(isCount)) fail('safetensors-bad-header', `${what} has an invalid shape ${JSON.stringify(e.shape)}`);
  const offsets = e.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    fail('safetensors-bad-header', `${what} has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const dtype = e.dtype as string;
  const shape = [...(e.shape as number[])];
  const [start, end] = offsets as [number, number];
  const needed = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
  if (needed !== end - start) fail('safetensors-bad-offsets', `${what} [${shape.join(', ')}] ${dtype} needs ${needed} bytes but its data_offsets span ${end - start}`);
  return { name: key, dtype, shape, start, end };
}

/** The data section must be exactly the tensors' byte ranges back to back: inside the file, no overlap, no holes. */
function checkLayout(entries: readonly Entry[], dataLength: number, name: string): void {
  let cursor = 0;
  let previous = 'the start of the data';
  for (const e of entries) {
    if (e.end > dataLength) {
      fail('safetensors-truncated', `${name}: tensor ${e.name} ends at data byte ${e.end} but the file holds only ${dataLength} data bytes; it is truncated`);
    }
    if (e.start < cursor) fail('safetensors-bad-offsets', `${name}: tensors ${previous} and ${e.name} overlap`);
    if (e.start > cursor) fail('safetensors-bad-offsets', `${name}: ${e.start - cursor} unused bytes between ${previous} and tensor ${e.name}`);
    cursor = e.end;
    previous = e.name;
  }
  if (cursor !== dataLength) fail('safetensors-bad-offsets', `${name}: ${dataLength - cursor} bytes after the last tensor belong to no tensor`);
}

function toFloat32(raw: Uint8Array, dtype: FloatDtype): Float32Array {
  // Copied into a fresh, aligned buffer (Buffer#slice would not copy), so typed views are always legal.
  const copy = new Uint8Array(raw).buffer;
  if (dtype === 'F32') return new Float32Array(copy);
  if (dtype === 'F64') return Float32Array.from(new Float64Array(copy));
  const halves = new Uint16Array(copy);
  if (dtype === 'F16') return Float32Array.from(halves, halfToFloat);
  // bfloat16 is the top half of a float32, so widening is exact.
  return new Float32Array(Uint32Array.from(halves, (h) => h << 16).buffer);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Encodes float32 tensors: keys sorted, header padded with spaces so the data starts 8-byte aligned. */
export function encodeSafetensors(tensors: ReadonlyMap<string, Tensor>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const keys = [...tensors.keys()].sort();
  // Built by hand: a JS object would reorder integer-like keys ahead of the sorted ones.
  const fields = metadata ? [`"__metadata__":${encodeMetadata(metadata)}`] : [];
  let offset = 0;
  for (const key of keys) {
    const t = checkTensor(key, tensors.get(key) as Tensor);
    fields.push(`${JSON.stringify(key)}:${JSON.stringify({ dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] })}`);
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let position = 8 + headerLength;
  for (const key of keys) {
    const { data } = tensors.get(key) as Tensor;
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position);
    position += data.byteLength;
  }
  return out;
}

function encodeMetadata(metadata: Readonly<Record<string, string>>): string {
  const keys = Object.keys(metadata).sort();
  for (const k of keys) if (typeof metadata[k] !== 'string') fail('safetensors-metadata', `metadata ${k} must be a string, not ${typeof metadata[k]}`);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`;
}

function checkTensor(key: string, t: Tensor): Tensor {
  if (key === '' || key === '__metadata__') fail('safetensors-name', `"${key}" cannot name a tensor`);
  if (!(t.data instanceof Float32Array)) fail('safetensors-dtype', `tensor ${key}: data must be a Float32Array`);
  if (!t.shape.every((d) => isCount(d))) fail('safetensors-shape', `tensor ${key}: invalid shape [${t.shape.join(', ')}]`);
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) fail('safetensors-shape', `tensor ${key}: shape [${t.shape.join(', ')}] needs ${count} values, has ${t.data.length}`);
  return t;
}

/** Writes atomically (temporary file in the same folder, fsync, rename); a failure leaves any existing file intact. */
export function writeSafetensors(file: string, tensors: ReadonlyMap<string, Tensor>, metadata?: Readonly<Record<string, string>>): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}
