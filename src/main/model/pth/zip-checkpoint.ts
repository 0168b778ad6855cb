// The torch.save zip format (PyTorch >= 1.6): <name>/data.pkl pickles the state dict, whose storage
// references name the entries <name>/data/<key> holding each storage's raw little-endian bytes.
import { StudioError } from '../../../shared/errors';
import { unpickle } from './pickle';
import { StorageTable } from './storage';
import { readZip, type ZipEntry } from './zip';

/** The unpickled root object, with every storage it references filled in. */
export function readZipCheckpoint(bytes: Uint8Array, file: string): unknown {
  const entries = readZip(bytes, file);
  const pickles = [...entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    throw new StudioError('pth-not-checkpoint', `${file} is a zip archive but not a torch.save checkpoint (it has no <name>/data.pkl)`);
  }
  const prefix = pickles[0].slice(0, -'data.pkl'.length);
  checkByteOrder(entries.get(`${prefix}byteorder`), file);
  const table = new StorageTable(file);
  const { value } = unpickle(entries.get(pickles[0])!.read(), 0, { source: `${file} (${pickles[0]})`, persistentLoad: table.load });
  for (const storage of table.storages.values()) {
    const entry = entries.get(`${prefix}data/${storage.key}`);
    if (!entry) throw new StudioError('pth-corrupt', `${file}: storage ${storage.key} is missing from the archive`);
    table.fill(storage, entry.read());
  }
  return value;
}

/** Newer PyTorch records the byte order; older archives are always little-endian. */
function checkByteOrder(entry: ZipEntry | undefined, file: string): void {
  const order = entry ? new TextDecoder().decode(entry.read()).trim() : 'little';
  if (order !== 'little') throw new StudioError('pth-unsupported', `${file} was saved on a ${order}-endian machine; only little-endian checkpoints are supported`);
}
