// A safe interpreter for the pickle subset PyTorch state dicts use. It never executes anything: GLOBAL
// resolves only an allowlist to inert markers, calls become records, and any other global or opcode
// is an error naming it and its byte offset.
import { StudioError } from '../../../shared/errors';
import { storageTypeOf } from './storage';

/** An allowed global, resolved to an inert marker. */
export interface PickleGlobal {
  readonly kind: 'global';
  readonly name: string;
}

/** A call of an allowed function (REDUCE / NEWOBJ): recorded, never made. */
export interface PickleCall {
  readonly kind: 'call';
  readonly callee: string;
  readonly args: readonly unknown[];
}

export interface UnpickleOptions {
  /** Names the file (and entry) in errors. */
  readonly source: string;
  /** Resolves BINPERSID ids (torch storages); without it a persistent id is an error. */
  readonly persistentLoad?: (pid: unknown) => unknown;
}

export interface PickleResult {
  readonly value: unknown;
  /** Offset just past STOP, where the next pickle of a legacy checkpoint begins. */
  readonly end: number;
}

/** The functions a state dict calls; OrderedDict builds a Map, the others become PickleCall records. */
const CALLABLE = new Set(['collections.OrderedDict', 'torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter']);

/** Names for opcodes outside the subset, so a refusal says what the file tried. */
const UNSUPPORTED_NAMES: Record<number, string> = {
  0x69: 'INST', 0x6f: 'OBJ', 0x92: 'NEWOBJ_EX', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x50: 'PERSID',
  0x49: 'INT', 0x4c: 'LONG', 0x46: 'FLOAT', 0x53: 'STRING', 0x56: 'UNICODE', 0x8b: 'LONG4',
  0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x67: 'GET', 0x70: 'PUT', 0x64: 'DICT', 0x6c: 'LIST',
  0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

const STOP = 0x2e;
const MAX_PROTOCOL = 5;

/** Tuples are frozen arrays, lists plain ones, so APPEND can refuse to grow a tuple. */
const tuple = (items: unknown[]): readonly unknown[] => Object.freeze(items);
const isTuple = (v: unknown): v is readonly unknown[] => Array.isArray(v) && Object.isFrozen(v);
const isGlobal = (v: unknown): v is PickleGlobal => (v as PickleGlobal | null)?.kind === 'global';

/** Unpickles one object starting at `start`. Dicts become Maps, lists arrays, tuples frozen arrays. */
export function unpickle(bytes: Uint8Array, start: number, options: UnpickleOptions): PickleResult {
  return new Unpickler(bytes, start, options).run();
}

class Unpickler {
  readonly memo = new Map<number, unknown>();
  private readonly stack: unknown[] = [];
  /** Stack heights at each MARK (a metastack, as CPython keeps), so no marker object can leak into values. */
  private readonly marks: number[] = [];
  private readonly view: DataView;
  private pos: number;
  private opStart: number;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = this.opStart = start;
  }

  run(): PickleResult {
    for (;;) {
      this.opStart = this.pos;
      const op = this.u8();
      if (op === STOP) return { value: this.finish(), end: this.pos };
      const handler = OPS[op];
      if (!handler) this.fail('pth-unsupported', `unsupported pickle opcode ${describeOpcode(op)}`);
      handler(this);
    }
  }

  fail(code: string, problem: string): never {
    throw new StudioError(code, `${this.options.source}: ${problem} at pickle byte ${this.opStart}`);
  }

  take(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.bytes.length) this.fail('pth-corrupt', 'the pickle is truncated');
    this.pos += n;
    return this.bytes.subarray(this.pos - n, this.pos);
  }

  u8 = (): number => this.take(1)[0];
  u16 = (): number => (this.take(2), this.view.getUint16(this.pos - 2, true));
  u32 = (): number => (this.take(4), this.view.getUint32(this.pos - 4, true));
  i32 = (): number => (this.take(4), this.view.getInt32(this.pos - 4, true));
  f64 = (): number => (this.take(8), this.view.getFloat64(this.pos - 8, false));
  text = (n: number): string => new TextDecoder().decode(this.take(n));

  /** A newline-terminated name of GLOBAL; short, so a damaged file cannot make it scan far. */
  line(): string {
    const end = this.bytes.subarray(this.pos, this.pos + 256).indexOf(0x0a);
    if (end < 0) this.fail('pth-corrupt', 'GLOBAL has no newline-terminated name');
    const s = this.text(end);
    this.pos++;
    return s;
  }

  protocol(): void {
    const version = this.u8();
    if (version > MAX_PROTOCOL) this.fail('pth-unsupported', `pickle protocol ${version} is newer than this reader (up to ${MAX_PROTOCOL})`);
  }

  push(v: unknown): void {
    this.stack.push(v);
  }

  pop(): unknown {
    if (this.stack.length <= (this.marks.at(-1) ?? 0)) this.fail('pth-corrupt', 'the pickle stack underflows');
    return this.stack.pop();
  }

  popN(n: number): unknown[] {
    const items = Array.from({ length: n }, () => this.pop());
    return items.reverse();
  }

  top(): unknown {
    if (this.stack.length <= (this.marks.at(-1) ?? 0)) this.fail('pth-corrupt', 'the pickle stack is empty');
    return this.stack[this.stack.length - 1];
  }

  mark(): void {
    this.marks.push(this.stack.length);
  }

  popMark(): unknown[] {
    const at = this.marks.pop();
    if (at === undefined) this.fail('pth-corrupt', 'MARK expected');
    return this.stack.splice(at);
  }

  memoGet(key: number): unknown {
    if (!this.memo.has(key)) this.fail('pth-corrupt', `memo entry ${key} is read before it is written`);
    return this.memo.get(key);
  }

  dictOnTop(): Map<unknown, unknown> {
    const d = this.top();
    return d instanceof Map ? d : this.fail('pth-corrupt', 'SETITEM on something that is not a dict');
  }

  listOnTop(): unknown[] {
    const l = this.top();
    return Array.isArray(l) && !isTuple(l) ? l : this.fail('pth-corrupt', 'APPEND on something that is not a list');
  }

  resolve(module: unknown, name: unknown): PickleGlobal {
    const full = `${String(module)}.${String(name)}`;
    if (typeof module !== 'string' || typeof name !== 'string' || !(CALLABLE.has(full) || storageTypeOf(full))) {
      this.fail('pth-forbidden', `refusing global ${full}: a state dict only names tensors, storages and OrderedDict, so this file may try to run code`);
    }
    return Object.freeze({ kind: 'global', name: full });
  }

  call(callee: unknown, args: unknown): unknown {
    if (!isGlobal(callee) || !CALLABLE.has(callee.name)) this.fail('pth-forbidden', `refusing to call ${isGlobal(callee) ? callee.name : 'a non-function'}`);
    if (!isTuple(args)) this.fail('pth-corrupt', `${callee.name} is called without an argument tuple`);
    if (callee.name === 'collections.OrderedDict') return this.orderedDict(args);
    return Object.freeze({ kind: 'call', callee: callee.name, args } satisfies PickleCall);
  }

  /** OrderedDict() (items follow via SETITEMS), or Python 2's OrderedDict([[key, value], ...]). */
  private orderedDict(args: readonly unknown[]): Map<unknown, unknown> {
    if (args.length === 0) return new Map();
    const pairs = args[0];
    if (args.length !== 1 || !Array.isArray(pairs) || !pairs.every((p) => Array.isArray(p) && p.length === 2)) {
      this.fail('pth-corrupt', 'OrderedDict is called with arguments other than key-value pairs');
    }
    return new Map(pairs as [unknown, unknown][]);
  }

  /** BUILD sets attributes; only an OrderedDict's (its _metadata, which weights do not need) are expected. */
  build(): void {
    this.pop();
    if (!(this.top() instanceof Map)) this.fail('pth-unsupported', 'BUILD on something other than an OrderedDict');
  }

  persistentLoad(pid: unknown): unknown {
    const load = this.options.persistentLoad;
    return load ? load(pid) : this.fail('pth-corrupt', 'unexpected persistent id (storage reference)');
  }

  private finish(): unknown {
    if (this.stack.length !== 1 || this.marks.length) this.fail('pth-corrupt', `the pickle ends with ${this.stack.length} values on its stack`);
    return this.stack[0];
  }
}

function describeOpcode(op: number): string {
  const char = op >= 0x21 && op < 0x7f ? ` '${String.fromCharCode(op)}'` : '';
  return `0x${op.toString(16).padStart(2, '0')}${char}${UNSUPPORTED_NAMES[op] ? ` (${UNSUPPORTED_NAMES[op]})` : ''}`;
}

/** LONG1: n little-endian two's-complement bytes; a number, or a bigint beyond 2^53 (the legacy magic). */
function long1(bytes: Uint8Array): number | bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  if (bytes.length && bytes[bytes.length - 1] & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const OPS: Record<number, (u: Unpickler) => void> = {
  0x80: (u) => u.protocol(), // PROTO
  0x95: (u) => void u.take(8), // FRAME: only a length hint
  0x7d: (u) => u.push(new Map()), // EMPTY_DICT
  0x5d: (u) => u.push([]), // EMPTY_LIST
  0x29: (u) => u.push(tuple([])), // EMPTY_TUPLE
  0x28: (u) => u.mark(), // MARK
  0x74: (u) => u.push(tuple(u.popMark())), // TUPLE
  0x85: (u) => u.push(tuple(u.popN(1))), // TUPLE1
  0x86: (u) => u.push(tuple(u.popN(2))), // TUPLE2
  0x87: (u) => u.push(tuple(u.popN(3))), // TUPLE3
  0x58: (u) => u.push(u.text(u.u32())), // BINUNICODE
  0x8c: (u) => u.push(u.text(u.u8())), // SHORT_BINUNICODE
  0x54: (u) => u.push(u.text(u.i32())), // BINSTRING: a Python 2 str
  0x55: (u) => u.push(u.text(u.u8())), // SHORT_BINSTRING
  0x4b: (u) => u.push(u.u8()), // BININT1
  0x4d: (u) => u.push(u.u16()), // BININT2
  0x4a: (u) => u.push(u.i32()), // BININT
  0x8a: (u) => u.push(long1(u.take(u.u8()))), // LONG1
  0x47: (u) => u.push(u.f64()), // BINFLOAT
  0x88: (u) => u.push(true), // NEWTRUE
  0x89: (u) => u.push(false), // NEWFALSE
  0x4e: (u) => u.push(null), // NONE
  0x71: (u) => u.memo.set(u.u8(), u.top()), // BINPUT
  0x72: (u) => u.memo.set(u.u32(), u.top()), // LONG_BINPUT
  0x94: (u) => u.memo.set(u.memo.size, u.top()), // MEMOIZE
  0x68: (u) => u.push(u.memoGet(u.u8())), // BINGET
  0x6a: (u) => u.push(u.memoGet(u.u32())), // LONG_BINGET
  0x73: (u) => { const [k, v] = u.popN(2); u.dictOnTop().set(k, v); }, // SETITEM
  0x75: (u) => setItems(u, u.popMark()), // SETITEMS
  0x61: (u) => { const v = u.pop(); u.listOnTop().push(v); }, // APPEND
  0x65: (u) => { const items = u.popMark(); u.listOnTop().push(...items); }, // APPENDS
  0x63: (u) => { const module = u.line(); u.push(u.resolve(module, u.line())); }, // GLOBAL
  0x93: (u) => { const [module, name] = u.popN(2); u.push(u.resolve(module, name)); }, // STACK_GLOBAL
  0x52: (u) => { const [callee, args] = u.popN(2); u.push(u.call(callee, args)); }, // REDUCE
  0x81: (u) => { const [cls, args] = u.popN(2); u.push(u.call(cls, args)); }, // NEWOBJ
  0x62: (u) => u.build(), // BUILD
  0x51: (u) => u.push(u.persistentLoad(u.pop())), // BINPERSID
};

function setItems(u: Unpickler, items: unknown[]): void {
  if (items.length % 2) u.fail('pth-corrupt', 'SETITEMS with a key but no value');
  const dict = u.dictOnTop();
  for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
}
