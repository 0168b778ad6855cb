// Test support: writes pickles, zip archives and both torch.save layouts byte by byte, so the tests can
// cover what the reference fixtures do not (strides, views, float64, Python 2, damage, hostile files).
import zlib from 'node:zlib';

/** Bytes of a pickle under construction: opcodes, operands and nested pieces. */
export type Piece = number | Uint8Array | readonly Piece[];

export const OP = {
  MARK: 0x28, STOP: 0x2e, EMPTY_TUPLE: 0x29, EMPTY_LIST: 0x5d, EMPTY_DICT: 0x7d, TUPLE: 0x74, TUPLE1: 0x85,
  REDUCE: 0x52, BUILD: 0x62, BINPERSID: 0x51, SETITEM: 0x73, SETITEMS: 0x75, APPEND: 0x61, APPENDS: 0x65,
  NONE: 0x4e, NEWTRUE: 0x88, NEWFALSE: 0x89, BINPUT: 0x71, BINGET: 0x68, MEMOIZE: 0x94, STACK_GLOBAL: 0x93,
} as const;

const ascii = (s: string) => new TextEncoder().encode(s);
const le = (n: number | bigint, bytes: number) => Uint8Array.from({ length: bytes }, (_, i) => Number((BigInt(n) >> BigInt(8 * i)) & 0xffn));

export function flatten(piece: Piece): Uint8Array {
  const out: number[] = [];
  const walk = (p: Piece): void => {
    if (typeof p === 'number') out.push(p);
    else if (p instanceof Uint8Array) for (const b of p) out.push(b);
    else p.forEach(walk);
  };
  walk(piece);
  return Uint8Array.from(out);
}

/** PROTO 2, the pieces, STOP. */
export const pickle = (...pieces: Piece[]): Uint8Array => flatten([0x80, 2, pieces, OP.STOP]);

/** BINUNICODE, as Python 3 writes str. */
export const str = (s: string): Piece => {
  const b = ascii(s);
  return [0x58, le(b.length, 4), b];
};
/** SHORT_BINSTRING, as Python 2 writes str. */
export const py2str = (s: string): Piece => [0x55, s.length, ascii(s)];
export const int = (n: number): Piece => (n >= 0 && n < 256 ? [0x4b, n] : n >= 0 && n < 65536 ? [0x4d, le(n, 2)] : [0x4a, le(n, 4)]);
export const global = (module: string, name: string): Piece => [0x63, ascii(`${module}\n${name}\n`)];
export const tuple = (...items: Piece[]): Piece => [OP.MARK, items, OP.TUPLE];
export const dict = (entries: [Piece, Piece][]): Piece => [OP.EMPTY_DICT, OP.MARK, entries, OP.SETITEMS];
const orderedDict = (): Piece => [global('collections', 'OrderedDict'), OP.EMPTY_TUPLE, OP.REDUCE];

/** A persistent storage id: five fields in the zip format, six (with view_metadata) in the legacy one. */
export function storageId(type: string, key: string, numel: number, legacyView?: [number, number] | null): Piece {
  const view = legacyView === undefined ? [] : legacyView === null ? [OP.NONE] : [tuple(str(`${key}-view`), int(legacyView[0]), int(legacyView[1]))];
  return [tuple(str('storage'), global('torch', type), str(key), str('cpu'), int(numel), view), OP.BINPERSID];
}

/** torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks). */
export const tensorV2 = (storage: Piece, offset: number, size: number[], stride: number[]): Piece => [
  global('torch._utils', '_rebuild_tensor_v2'),
  tuple(storage, int(offset), tuple(...size.map(int)), tuple(...stride.map(int)), OP.NEWFALSE, orderedDict()),
  OP.REDUCE,
];

/** PyTorch 0.3's torch._utils._rebuild_tensor(storage, offset, size, stride), as the original GANimation saved. */
export const tensorV1 = (storage: Piece, offset: number, size: number[], stride: number[]): Piece => [
  global('torch._utils', '_rebuild_tensor'),
  tuple(storage, int(offset), tuple(...size.map(int)), tuple(...stride.map(int))),
  OP.REDUCE,
];

export interface StorageData {
  readonly key: string;
  readonly numel: number;
  readonly bytes: Uint8Array;
}

export const f32 = (key: string, values: number[]): StorageData => ({ key, numel: values.length, bytes: new Uint8Array(Float32Array.from(values).buffer) });
export const f64 = (key: string, values: number[]): StorageData => ({ key, numel: values.length, bytes: new Uint8Array(Float64Array.from(values).buffer) });

/** The legacy stream: magic, protocol, sys info, state dict, storage keys, then each storage's count and bytes. */
export function legacyCheckpoint(state: Uint8Array, storages: readonly StorageData[]): Uint8Array {
  const magic = pickle([0x8a, 10, le(0x1950a86a20f9469cfc6cn, 10)]); // LONG1
  const sysInfo = pickle(dict([[str('protocol_version'), int(1001)], [str('little_endian'), OP.NEWTRUE]]));
  const keys = pickle(OP.EMPTY_LIST, OP.MARK, storages.map((s) => str(s.key)), OP.APPENDS);
  return flatten([magic, pickle(int(1001)), sysInfo, state, keys, storages.map((s) => [le(s.numel, 8), s.bytes])]);
}

/** The zip layout: archive/data.pkl, archive/data/<key>, archive/byteorder. */
export function zipCheckpoint(state: Uint8Array, storages: readonly StorageData[], deflate = false): Uint8Array {
  const files: [string, Uint8Array][] = [['archive/data.pkl', state], ...storages.map((s): [string, Uint8Array] => [`archive/data/${s.key}`, s.bytes]), ['archive/byteorder', ascii('little')]];
  return zipArchive(files, deflate);
}

/** A plain zip: local headers and data, central directory, end record. */
export function zipArchive(files: readonly [string, Uint8Array][], deflate = false): Uint8Array {
  const locals: Piece[] = [];
  const central: Piece[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const body = deflate ? new Uint8Array(zlib.deflateRawSync(data)) : data;
    const common = [le(20, 2), le(0, 2), le(deflate ? 8 : 0, 2), le(0, 4), le(zlib.crc32(data), 4), le(body.length, 4), le(data.length, 4), le(name.length, 2), le(0, 2)];
    const local = flatten([le(0x04034b50, 4), common, ascii(name), body]);
    central.push([le(0x02014b50, 4), le(20, 2), common, le(0, 2), le(0, 2), le(0, 2), le(0, 4), le(offset, 4), ascii(name)]);
    locals.push(local);
    offset += local.length;
  }
  const directory = flatten(central);
  const end = [le(0x06054b50, 4), le(0, 4), le(files.length, 2), le(files.length, 2), le(directory.length, 4), le(offset, 4), le(0, 2)];
  return flatten([locals, directory, end]);
}
