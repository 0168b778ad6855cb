// The legacy torch.save format (before PyTorch 1.6, and the original GANimation's): pickles of a magic
// number, the protocol version, system info and the state dict, a pickled list of storage keys, then
// each storage as an 8-byte little-endian element count followed by its raw bytes.
import { StudioError } from '../../../shared/errors';
import { unpickle } from './pickle';
import { StorageTable } from './storage';

const MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;
const PROTO = 0x80;

/** The unpickled root object, with every storage it references filled in. */
export function readLegacyCheckpoint(bytes: Uint8Array, file: string): unknown {
  if (bytes[0] !== PROTO) throw notCheckpoint(bytes, file);
  const plain = { source: file };
  const magic = unpickle(bytes, 0, plain);
  if (magic.value !== MAGIC) throw notCheckpoint(bytes, file);
  const protocol = unpickle(bytes, magic.end, plain);
  if (protocol.value !== PROTOCOL_VERSION) {
    throw new StudioError('pth-unsupported', `${file}: torch.save protocol ${String(protocol.value)} is not supported (only ${PROTOCOL_VERSION})`);
  }
  const sysInfo = unpickle(bytes, protocol.end, plain);
  if (!(sysInfo.value instanceof Map) || sysInfo.value.get('little_endian') !== true) {
    throw new StudioError('pth-unsupported', `${file} was saved on a big-endian machine; only little-endian checkpoints are supported`);
  }
  const table = new StorageTable(file);
  const state = unpickle(bytes, sysInfo.end, { source: file, persistentLoad: table.load });
  const keys = unpickle(bytes, state.end, plain);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) {
    throw new StudioError('pth-corrupt', `${file}: the list of storage keys is malformed`);
  }
  readStorages(bytes, keys.end, keys.value as string[], table, file);
  return state.value;
}

function readStorages(bytes: Uint8Array, start: number, keys: readonly string[], table: StorageTable, file: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = start;
  for (const key of keys) {
    const storage = table.storages.get(key);
    if (!storage) throw new StudioError('pth-corrupt', `${file}: storage ${key} has data but no tensor refers to it`);
    if (pos + 8 > bytes.length) throw truncated(file, key);
    const count = view.getBigUint64(pos, true);
    if (count !== BigInt(storage.numel)) throw new StudioError('pth-corrupt', `${file}: storage ${key} holds ${count} elements, its tensors expect ${storage.numel}`);
    const end = pos + 8 + storage.numel * storage.type.bytes;
    if (end > bytes.length) throw truncated(file, key);
    table.fill(storage, bytes.subarray(pos + 8, end));
    pos = end;
  }
}

const truncated = (file: string, key: string) => new StudioError('pth-corrupt', `${file} is truncated: the data of storage ${key} is incomplete`);

/** Very old checkpoints (PyTorch < 0.1.10) were tar archives; say so rather than "not a checkpoint". */
function notCheckpoint(bytes: Uint8Array, file: string): StudioError {
  const tar = new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar';
  return tar
    ? new StudioError('pth-unsupported', `${file} is a tar-format checkpoint from PyTorch before 0.1.10; re-save it with a newer torch.save`)
    : new StudioError('pth-not-checkpoint', `${file} is neither a zip archive nor a legacy torch.save checkpoint`);
}
