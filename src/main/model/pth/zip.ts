// A minimal zip reader for torch.save archives: central directory, stored and deflated entries.
import zlib from 'node:zlib';
import { StudioError } from '../../../shared/errors';

export interface ZipEntry {
  readonly name: string;
  read(): Uint8Array;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export const isZip = (bytes: Uint8Array): boolean => bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;

export function readZip(bytes: Uint8Array, source: string): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new StudioError('bad-checkpoint', `${source}: the zip archive is truncated (no end-of-directory record)`);
  const count = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || offset === 0xffffffff) throw new StudioError('bad-checkpoint', `${source}: zip64 archives are not supported`);
  const entries = new Map<string, ZipEntry>();
  for (let n = 0; n < count; n++) {
    if (offset + 46 > bytes.length || view.getUint32(offset, true) !== CENTRAL) throw new StudioError('bad-checkpoint', `${source}: damaged zip directory at byte ${offset}`);
    const method = view.getUint16(offset + 10, true);
    const compressedSize = view.getUint32(offset + 20, true);
    const size = view.getUint32(offset + 24, true);
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    const local = view.getUint32(offset + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(offset + 46, offset + 46 + nameLength));
    entries.set(name, { name, read: () => readEntry(bytes, view, local, method, compressedSize, size, `${source}: ${name}`) });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function readEntry(bytes: Uint8Array, view: DataView, local: number, method: number, compressedSize: number, size: number, what: string): Uint8Array {
  if (local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL) throw new StudioError('bad-checkpoint', `${what}: damaged local header`);
  const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
  if (start + compressedSize > bytes.length) throw new StudioError('bad-checkpoint', `${what}: the archive is truncated`);
  const raw = bytes.subarray(start, start + compressedSize);
  if (method === 0) return raw;
  if (method === 8) {
    const out = zlib.inflateRawSync(raw);
    if (out.length !== size) throw new StudioError('bad-checkpoint', `${what}: inflated to ${out.length} bytes, expected ${size}`);
    return out;
  }
  throw new StudioError('bad-checkpoint', `${what}: unsupported zip compression method ${method}`);
}
