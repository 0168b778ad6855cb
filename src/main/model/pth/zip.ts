// A minimal reader for the zip archives torch.save writes (PyTorch >= 1.6): central directory, stored
// or deflated entries, CRC-checked so a damaged checkpoint fails here instead of yielding bad weights.
import zlib from 'node:zlib';
import { StudioError } from '../../../shared/errors';

export interface ZipEntry {
  readonly name: string;
  /** The entry's bytes (a view into the archive when stored, fresh when deflated), CRC verified. */
  read(): Uint8Array;
}

const END_OF_DIRECTORY = 0x06054b50;
const CENTRAL_HEADER = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
/** 22-byte record plus the longest possible archive comment. */
const END_SEARCH = 22 + 0xffff;

interface CentralRecord {
  readonly name: string;
  readonly method: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localOffset: number;
}

export const isZip = (bytes: Uint8Array): boolean => bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;

const corrupt = (source: string, problem: string): never => {
  throw new StudioError('pth-corrupt', `${source}: ${problem}`);
};

/** Lists the archive's entries from its central directory; `source` names the file in errors. */
export function readZip(bytes: Uint8Array, source: string): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = findEndOfDirectory(view);
  if (end < 0) corrupt(source, 'the zip archive is truncated (its end-of-directory record is missing)');
  const count = view.getUint16(end + 10, true);
  const directorySize = view.getUint32(end + 12, true);
  const directoryOffset = view.getUint32(end + 16, true);
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    throw new StudioError('pth-unsupported', `${source}: zip64 archives (over 4 GiB or 65535 entries) are not supported`);
  }
  if (directoryOffset + directorySize > end) corrupt(source, 'the zip directory points past the end of the archive');
  const entries = new Map<string, ZipEntry>();
  let at = directoryOffset;
  for (let i = 0; i < count; i++) {
    const record = readCentralRecord(bytes, view, at, source);
    entries.set(record.name, { name: record.name, read: () => readEntry(bytes, view, record, `${source}: zip entry ${record.name}`) });
    at += 46 + view.getUint16(at + 28, true) + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return entries;
}

function findEndOfDirectory(view: DataView): number {
  for (let i = view.byteLength - 22; i >= Math.max(0, view.byteLength - END_SEARCH); i--) {
    if (view.getUint32(i, true) === END_OF_DIRECTORY) return i;
  }
  return -1;
}

function readCentralRecord(bytes: Uint8Array, view: DataView, at: number, source: string): CentralRecord {
  if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL_HEADER) corrupt(source, `the zip directory is damaged at byte ${at}`);
  const nameLength = view.getUint16(at + 28, true);
  if (at + 46 + nameLength > bytes.length) corrupt(source, `the zip directory is damaged at byte ${at}`);
  const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
  if (view.getUint16(at + 8, true) & 1) throw new StudioError('pth-unsupported', `${source}: zip entry ${name} is encrypted`);
  return {
    name,
    method: view.getUint16(at + 10, true),
    crc: view.getUint32(at + 16, true),
    compressedSize: view.getUint32(at + 20, true),
    size: view.getUint32(at + 24, true),
    localOffset: view.getUint32(at + 42, true),
  };
}

/** Sizes come from the central directory: torch's writer may leave them out of local headers (data descriptors). */
function readEntry(bytes: Uint8Array, view: DataView, r: CentralRecord, what: string): Uint8Array {
  if (r.localOffset + 30 > bytes.length || view.getUint32(r.localOffset, true) !== LOCAL_HEADER) corrupt(what, 'its local header is damaged');
  const start = r.localOffset + 30 + view.getUint16(r.localOffset + 26, true) + view.getUint16(r.localOffset + 28, true);
  if (start + r.compressedSize > bytes.length) corrupt(what, 'the archive is truncated');
  const data = decompress(bytes.subarray(start, start + r.compressedSize), r, what);
  if (data.length !== r.size) corrupt(what, `holds ${data.length} bytes, the directory says ${r.size}`);
  if (zlib.crc32(data) >>> 0 !== r.crc) corrupt(what, 'its data is damaged (CRC mismatch)');
  return data;
}

function decompress(raw: Uint8Array, r: CentralRecord, what: string): Uint8Array {
  if (r.method === 0) return raw;
  if (r.method !== 8) throw new StudioError('pth-unsupported', `${what} uses zip compression method ${r.method}; only stored and deflated entries are supported`);
  try {
    // Capped at the declared size, so a hostile entry cannot inflate without bound.
    return zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, r.size) });
  } catch (err) {
    return corrupt(what, `its deflated data is damaged (${(err as Error).message})`);
  }
}
