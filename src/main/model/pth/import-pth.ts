// Imports original GANimation checkpoints (net_epoch_N_id_G.pth) in both formats torch.save writes:
// the zip archive (PyTorch >= 1.6) and the legacy pickle stream. Nothing in the file is executed.
import fs from 'node:fs';
import { StudioError } from '../../../shared/errors';
import type { GeneratorConfig } from '../config';
import { unpickle, type Reduced } from './pickle';
import { isZip, readZip } from './zip';

interface Storage {
  readonly dtype: string;
  readonly key: string;
  bytes: Uint8Array | null;
}

const STORAGE_DTYPES: Record<string, { dtype: string; size: number }> = {
  'torch.FloatStorage': { dtype: 'float32', size: 4 },
  'torch.DoubleStorage': { dtype: 'float64', size: 8 },
  'torch.HalfStorage': { dtype: 'float16', size: 2 },
  'torch.BFloat16Storage': { dtype: 'bfloat16', size: 2 },
  'torch.LongStorage': { dtype: 'int64', size: 8 },
  'torch.IntStorage': { dtype: 'int32', size: 4 },
  'torch.ShortStorage': { dtype: 'int16', size: 2 },
  'torch.CharStorage': { dtype: 'int8', size: 1 },
  'torch.ByteStorage': { dtype: 'uint8', size: 1 },
  'torch.BoolStorage': { dtype: 'bool', size: 1 },
};

export interface ImportedStateDict {
  readonly tensors: Map<string, { shape: number[]; data: Float32Array }>;
  /** Entries left out: instance-norm running statistics (the original always used per-image statistics). */
  readonly dropped: string[];
}

/** The magic number torch.save writes first in its legacy format. */
const LEGACY_MAGIC = '119547037146038801333356';

const IGNORED = /\.(running_mean|running_var|num_batches_tracked)$/;

export function importPthStateDict(file: string): ImportedStateDict {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new StudioError('checkpoint-unreadable', `cannot read ${file}: ${(err as Error).message}`);
  }
  if (bytes.length === 0) throw new StudioError('bad-checkpoint', `${file} is empty`);
  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    const [tag, type, key] = pid as [string, { name?: string }, string];
    if (tag !== 'storage' || !type?.name || !(type.name in STORAGE_DTYPES)) throw new StudioError('bad-checkpoint', `${file}: unexpected persistent id ${JSON.stringify(pid)}`);
    let storage = storages.get(key);
    if (!storage) storages.set(key, (storage = { dtype: type.name, key, bytes: null }));
    return storage;
  };
  let root: unknown;
  if (isZip(bytes)) {
    const entries = readZip(bytes, file);
    const pkl = [...entries.keys()].find((n) => n.endsWith('/data.pkl') || n === 'data.pkl');
    if (!pkl) throw new StudioError('bad-checkpoint', `${file}: the zip archive has no data.pkl; is it a torch.save checkpoint?`);
    const prefix = pkl.slice(0, -'data.pkl'.length);
    root = unpickle(entries.get(pkl)!.read(), 0, persistentLoad, file).value;
    for (const s of storages.values()) {
      const entry = entries.get(`${prefix}data/${s.key}`);
      if (!entry) throw new StudioError('bad-checkpoint', `${file}: storage ${s.key} is missing from the archive`);
      s.bytes = entry.read();
    }
  } else {
    root = readLegacy(bytes, file, persistentLoad, storages);
  }
  return toStateDict(root, file);
}

/** Legacy stream: magic, protocol, sys info, the state dict, the storage keys, then each storage's count and bytes. */
function readLegacy(bytes: Uint8Array, file: string, persistentLoad: (pid: unknown) => Storage, storages: Map<string, Storage>): unknown {
  const noStorage = () => {
    throw new StudioError('bad-checkpoint', `${file}: unexpected storage reference in the header`);
  };
  let pos = 0;
  const magic = unpickle(bytes, pos, noStorage, file);
  if (String(magic.value) !== LEGACY_MAGIC) {
    throw new StudioError('bad-checkpoint', `${file} is neither a zip archive nor a legacy torch.save file`);
  }
  pos = unpickle(bytes, magic.end, noStorage, file).end;
  pos = unpickle(bytes, pos, noStorage, file).end;
  const state = unpickle(bytes, pos, persistentLoad, file);
  const keys = unpickle(bytes, state.end, noStorage, file);
  pos = keys.end;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys.value as string[]) {
    const storage = storages.get(key);
    if (!storage) throw new StudioError('bad-checkpoint', `${file}: storage ${key} is listed but never used`);
    if (pos + 8 > bytes.length) throw new StudioError('bad-checkpoint', `${file} is truncated (storage ${key})`);
    const count = Number(view.getBigUint64(pos, true));
    const size = count * STORAGE_DTYPES[storage.dtype].size;
    if (pos + 8 + size > bytes.length) throw new StudioError('bad-checkpoint', `${file} is truncated (storage ${key} needs ${size} bytes)`);
    storage.bytes = bytes.subarray(pos + 8, pos + 8 + size);
    pos += 8 + size;
  }
  return state.value;
}

function toStateDict(root: unknown, file: string): ImportedStateDict {
  if (!(root instanceof Map)) throw new StudioError('bad-checkpoint', `${file}: the checkpoint is not a state dict`);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  const dropped: string[] = [];
  for (const [rawName, value] of root) {
    const name = String(rawName).replace(/^module\./, '');
    if (IGNORED.test(name)) {
      dropped.push(name);
      continue;
    }
    tensors.set(name, materialize(value, `${file}: ${name}`));
  }
  return { tensors, dropped };
}

/** Rebuilds a tensor from its storage, offset, size and stride (contiguous or not), as float32. */
function materialize(value: unknown, what: string): { shape: number[]; data: Float32Array } {
  let r = value as Reduced;
  if (r?.kind === 'reduced' && r.callee === 'torch._utils._rebuild_parameter') r = r.args[0] as Reduced;
  if (r?.kind !== 'reduced' || r.callee !== 'torch._utils._rebuild_tensor_v2') throw new StudioError('bad-checkpoint', `${what} is not a tensor`);
  const [storage, offset, shape, stride] = r.args as [Storage, number, number[], number[]];
  const { dtype, size } = STORAGE_DTYPES[storage.dtype];
  const raw = storage.bytes as Uint8Array;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const read = (i: number): number => {
    const at = (offset + i) * size;
    if (at + size > raw.length) throw new StudioError('bad-checkpoint', `${what}: data runs past its storage`);
    if (dtype === 'float32') return view.getFloat32(at, true);
    if (dtype === 'float64') return view.getFloat64(at, true);
    throw new StudioError('bad-checkpoint', `${what}: ${dtype} tensors are not supported as weights`);
  };
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  const index = new Array(shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src += index[d] * stride[d];
    data[i] = read(src);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return { shape: [...shape], data };
}

/** Reads conv_dim, repeat_num and c_dim off the tensor shapes of a GANimation generator. */
export function inferGeneratorArch(tensors: ReadonlyMap<string, { shape: readonly number[] }>, imageSize = 128): GeneratorConfig {
  const first = tensors.get('main.0.weight')?.shape;
  if (!first || first.length !== 4 || first[2] !== 7 || !tensors.has('img_reg.0.weight') || !tensors.has('attetion_reg.0.weight')) {
    throw new StudioError('not-ganimation', 'this checkpoint is not a GANimation generator (main.0.weight [C, 3 + 17, 7, 7], img_reg and attetion_reg expected)');
  }
  const blocks = new Set([...tensors.keys()].flatMap((k) => /^main\.(\d+)\.main\.0\.weight$/.exec(k)?.[1] ?? []));
  return { imageSize, convDim: first[0], repeatNum: blocks.size, cDim: first[1] - 3 };
}
