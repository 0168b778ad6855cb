// torch storages and tensors inside a state-dict pickle: storage types, the persistent ids that name
// storage bytes, and rebuilding a tensor from storage, offset, size and stride as float32.
import { StudioError } from '../../../shared/errors';
import type { PickleCall, PickleGlobal } from './pickle';

export interface StorageType {
  readonly dtype: string;
  readonly bytes: number;
}

/** One storage of the checkpoint; its bytes arrive once the format's loader finds them. */
export interface Storage {
  readonly key: string;
  readonly type: StorageType;
  readonly numel: number;
  bytes: Uint8Array | null;
}

/** What a persistent id resolves to: elements [offset, offset + numel) of a storage (a legacy view, or all of it). */
export interface StorageSlice {
  readonly kind: 'storage';
  readonly storage: Storage;
  readonly offset: number;
  readonly numel: number;
}

export interface ImportedTensor {
  readonly shape: number[];
  readonly data: Float32Array;
}

const TYPES: Record<string, StorageType> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ShortStorage: { dtype: 'int16', bytes: 2 },
  CharStorage: { dtype: 'int8', bytes: 1 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
};

/** torch.<T>Storage, and torch.cuda.<T>Storage, which GPU-trained legacy checkpoints name. */
export function storageTypeOf(globalName: string): StorageType | undefined {
  const short = /^torch\.(?:cuda\.)?(\w+Storage)$/.exec(globalName)?.[1];
  return short && Object.hasOwn(TYPES, short) ? TYPES[short] : undefined;
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isCounts = (v: unknown): v is readonly number[] => Array.isArray(v) && v.every(isCount);

function fail(code: string, message: string): never {
  throw new StudioError(code, message);
}

const corrupt = (message: string): never => fail('pth-corrupt', message);

/** The storages one checkpoint names, keyed as in its persistent ids. */
export class StorageTable {
  readonly storages = new Map<string, Storage>();

  constructor(private readonly source: string) {}

  /**
   * The unpickler's persistentLoad: ('storage', type, key, location, numel) in zip checkpoints; legacy
   * ones add view_metadata, None or (view_key, offset, numel) for a view into the storage.
   */
  readonly load = (pid: unknown): StorageSlice => {
    const [tag, type, key, , numel, view] = Array.isArray(pid) ? pid : [];
    const storageType = (type as PickleGlobal | null)?.kind === 'global' ? storageTypeOf((type as PickleGlobal).name) : undefined;
    if (tag !== 'storage' || !storageType || typeof key !== 'string' || !isCount(numel)) {
      corrupt(`${this.source}: a persistent id is not a storage reference`);
    }
    const storage = this.storage(key as string, storageType as StorageType, numel as number);
    if (view === undefined || view === null) return { kind: 'storage', storage, offset: 0, numel: storage.numel };
    const [, offset, viewNumel] = Array.isArray(view) ? view : [];
    if (!isCount(offset) || !isCount(viewNumel) || offset + viewNumel > storage.numel) corrupt(`${this.source}: storage ${key} has an invalid view`);
    return { kind: 'storage', storage, offset: offset as number, numel: viewNumel as number };
  };

  /** Sets a storage's bytes once the loader has found them; the length must match its element count. */
  fill(storage: Storage, bytes: Uint8Array): void {
    const expected = storage.numel * storage.type.bytes;
    if (bytes.length !== expected) corrupt(`${this.source}: storage ${storage.key} holds ${bytes.length} bytes, ${expected} expected`);
    storage.bytes = bytes;
  }

  private storage(key: string, type: StorageType, numel: number): Storage {
    const known = this.storages.get(key);
    if (!known) {
      const storage: Storage = { key, type, numel, bytes: null };
      this.storages.set(key, storage);
      return storage;
    }
    if (known.type.dtype !== type.dtype || known.numel !== numel) corrupt(`${this.source}: storage ${key} is described two different ways`);
    return known;
  }
}

const REBUILDERS = new Set(['torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2']);

const asCall = (v: unknown): PickleCall | null => ((v as PickleCall | null)?.kind === 'call' ? (v as PickleCall) : null);

/** A pickled tensor (or Parameter) as float32, honouring storage offset, size and stride; float64 is rounded. */
export function rebuildTensor(value: unknown, what: string): ImportedTensor {
  let call = asCall(value);
  if (call?.callee === 'torch._utils._rebuild_parameter') call = asCall(call.args[0]);
  if (!call || !REBUILDERS.has(call.callee)) return fail('pth-not-state-dict', `${what} is not a tensor`);
  const [slice, offset, size, stride] = call.args as [StorageSlice, unknown, unknown, unknown];
  if (slice?.kind !== 'storage' || !isCount(offset) || !isCounts(size) || !isCounts(stride) || size.length !== stride.length) {
    return corrupt(`${what}: the tensor's storage, offset, size or stride is malformed`);
  }
  const { storage } = slice;
  if (!storage.bytes) return corrupt(`${what}: the data of storage ${storage.key} is missing`);
  if (storage.type.dtype !== 'float32' && storage.type.dtype !== 'float64') {
    return fail('pth-dtype', `${what} is ${storage.type.dtype}; only float32 and float64 weights can be imported`);
  }
  const numel = size.reduce((a, b) => a * b, 1);
  const span = numel === 0 ? 0 : 1 + size.reduce((s, n, d) => s + (n - 1) * stride[d], 0);
  if (offset + span > slice.numel) corrupt(`${what}: the tensor runs past the end of its storage`);
  const first = (slice.offset + offset) * storage.type.bytes;
  // Copies only the elements this tensor spans, into an aligned buffer (Buffer#slice would not copy).
  const region = new Uint8Array(storage.bytes.subarray(first, first + span * storage.type.bytes)).buffer;
  const elements = storage.type.dtype === 'float32' ? new Float32Array(region) : new Float64Array(region);
  return { shape: [...size], data: gather(elements, size, stride, numel) };
}

/** Reads a strided tensor in row-major order; a contiguous one is one copy (bit-exact for float32). */
function gather(src: Float32Array | Float64Array, size: readonly number[], stride: readonly number[], numel: number): Float32Array {
  const out = new Float32Array(numel);
  if (isContiguous(size, stride)) {
    out.set(src.subarray(0, numel));
    return out;
  }
  const index = new Array<number>(size.length).fill(0);
  let at = 0;
  for (let i = 0; i < numel; i++) {
    out[i] = src[at];
    for (let d = size.length - 1; d >= 0; d--) {
      at += stride[d];
      if (++index[d] < size[d]) break;
      at -= stride[d] * size[d];
      index[d] = 0;
    }
  }
  return out;
}

/** Row-major strides; dimensions of size 1 may carry any stride, as PyTorch allows. */
function isContiguous(size: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) return false;
    expected *= size[d];
  }
  return true;
}
