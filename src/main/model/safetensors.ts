// safetensors read and write (8-byte little-endian header length, JSON header, raw little-endian
// data). Weights are float32; other float types are refused unless conversion is asked for.
import fs from 'node:fs';
import { writeFileAtomic } from '../io/atomic-write';

export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export class SafetensorsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const BYTES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };

export interface ReadOptions {
  /** Convert F64, F16 and BF16 tensors to float32 instead of refusing them. */
  readonly convert?: boolean;
}

function parseHeader(bytes: Uint8Array, source: string): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8) throw new SafetensorsError('safetensors-truncated', `${source}: too short to be a safetensors file (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = Number(view.getBigUint64(0, true));
  if (length > bytes.length - 8) throw new SafetensorsError('safetensors-truncated', `${source}: header says ${length} bytes but the file has ${bytes.length - 8} after it`);
  try {
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<string, unknown>;
    return { header, dataStart: 8 + length };
  } catch (err) {
    throw new SafetensorsError('safetensors-bad-header', `${source}: the header is not valid JSON (${(err as Error).message})`);
  }
}

function toFloat32(raw: Uint8Array, dtype: string): Float32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = raw.byteLength / BYTES[dtype];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (dtype === 'F32') out[i] = view.getFloat32(i * 4, true);
    else if (dtype === 'F64') out[i] = view.getFloat64(i * 8, true);
    else if (dtype === 'BF16') out[i] = new Float32Array(new Uint32Array([view.getUint16(i * 2, true) << 16]).buffer)[0];
    else out[i] = halfToFloat(view.getUint16(i * 2, true));
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Reads every tensor of a safetensors file (path or bytes) as float32. */
export function readSafetensors(source: string | Uint8Array, options: ReadOptions = {}): Map<string, Tensor & { dtype: 'F32' }> {
  const name = typeof source === 'string' ? source : 'safetensors data';
  const bytes = typeof source === 'string' ? readFile(source) : source;
  const { header, dataStart } = parseHeader(bytes, name);
  const dataLength = bytes.length - dataStart;
  const out = new Map<string, Tensor & { dtype: 'F32' }>();
  const spans: [number, number, string][] = [];
  for (const [key, value] of Object.entries(header)) {
    if (key === '__metadata__') continue;
    const entry = value as HeaderEntry;
    if (!entry || !Array.isArray(entry.shape) || !Array.isArray(entry.data_offsets)) {
      throw new SafetensorsError('safetensors-bad-header', `${name}: tensor ${key} lacks dtype, shape or data_offsets`);
    }
    if (!(entry.dtype in BYTES)) throw new SafetensorsError('safetensors-dtype', `${name}: tensor ${key} has dtype ${entry.dtype}; only float tensors are supported`);
    if (entry.dtype !== 'F32' && !options.convert) {
      throw new SafetensorsError('safetensors-dtype', `${name}: tensor ${key} is ${entry.dtype}; weights must be F32 (convert the file, or import with conversion enabled)`);
    }
    const [start, end] = entry.data_offsets;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (!(start >= 0 && end <= dataLength && end - start === count * BYTES[entry.dtype])) {
      throw new SafetensorsError('safetensors-bad-offsets', `${name}: tensor ${key} [${entry.shape}] ${entry.dtype} does not fit its byte range ${start}-${end} of ${dataLength}`);
    }
    spans.push([start, end, key]);
    out.set(key, { dtype: 'F32', shape: entry.shape, data: toFloat32(bytes.subarray(dataStart + start, dataStart + end), entry.dtype) });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1]) throw new SafetensorsError('safetensors-bad-offsets', `${name}: tensors ${spans[i - 1][2]} and ${spans[i][2]} overlap`);
  }
  return out;
}

export function readSafetensorsMetadata(source: string | Uint8Array): Record<string, string> {
  const bytes = typeof source === 'string' ? readFile(source) : source;
  const { header } = parseHeader(bytes, typeof source === 'string' ? source : 'safetensors data');
  return (header.__metadata__ as Record<string, string> | undefined) ?? {};
}

function readFile(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new SafetensorsError('safetensors-unreadable', `cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Encodes float32 tensors, keys sorted, header padded with spaces to 8-byte alignment. */
export function encodeSafetensors(tensors: ReadonlyMap<string, Tensor>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const keys = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const key of keys) {
    const t = tensors.get(key) as Tensor;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new SafetensorsError('safetensors-shape', `tensor ${key}: shape [${t.shape}] needs ${count} values, has ${t.data.length}`);
    header[key] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
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

/** Writes atomically (temporary file, fsync, rename); a failure leaves any existing file intact. */
export function writeSafetensors(file: string, tensors: ReadonlyMap<string, Tensor>, metadata?: Readonly<Record<string, string>>): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}
