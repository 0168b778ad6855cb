// A safe interpreter for the pickle subset that PyTorch state dicts use. It never executes anything:
// GLOBAL resolves only an allowlist of names to inert markers, and any other global or opcode is
// an error naming it and its byte offset.
import { StudioError } from '../../../shared/errors';

/** A global the state dict may name, resolved to an inert marker. */
export interface GlobalRef {
  readonly kind: 'global';
  readonly name: string;
}

export interface Reduced {
  readonly kind: 'reduced';
  readonly callee: string;
  readonly args: readonly unknown[];
}

export type PersistentLoad = (pid: unknown) => unknown;

const ALLOWED_GLOBALS = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch.FloatStorage', 'torch.DoubleStorage', 'torch.HalfStorage', 'torch.BFloat16Storage',
  'torch.LongStorage', 'torch.IntStorage', 'torch.ShortStorage', 'torch.CharStorage', 'torch.ByteStorage', 'torch.BoolStorage',
]);

const MARK = Symbol('mark');

export interface PickleResult {
  readonly value: unknown;
  /** Byte offset just past STOP, where the next pickle (legacy format) begins. */
  readonly end: number;
}

/** Unpickles one object starting at `start`. Dicts become Maps; calls of allowed globals become `Reduced` records. */
export function unpickle(bytes: Uint8Array, start: number, persistentLoad: PersistentLoad, source: string): PickleResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let pos = start;
  const fail = (message: string): never => {
    throw new StudioError('bad-checkpoint', `${source}: ${message} (byte ${pos})`);
  };
  const need = (n: number) => (pos + n <= bytes.length ? undefined : fail('the pickle is truncated'));
  const u8 = () => (need(1), bytes[pos++]);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const text = (n: number) => (need(n), (pos += n), new TextDecoder().decode(bytes.subarray(pos - n, pos)));
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('the pickle is truncated');
    const s = new TextDecoder().decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const popMark = (): unknown[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail('MARK expected on the stack');
    const items = stack.slice(at + 1);
    stack.length = at;
    return items;
  };
  const pop = () => (stack.length ? stack.pop() : fail('stack underflow'));
  const resolveGlobal = (module: string, name: string): GlobalRef => {
    const full = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(full)) fail(`refusing global ${full}: only state-dict types are allowed`);
    return { kind: 'global', name: full };
  };
  const setItems = (dict: unknown, items: unknown[]) => {
    if (!(dict instanceof Map)) fail('SETITEM on something that is not a dict');
    for (let i = 0; i + 1 < items.length; i += 2) (dict as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: need(8); pos += 8; break; // FRAME
      case 0x2e: return { value: pop(), end: pos }; // STOP
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x28: stack.push(MARK); break; // MARK
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); stack.push([pop(), b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); stack.push([pop(), b, c]); break; } // TUPLE3
      case 0x58: stack.push(text(u32())); break; // BINUNICODE
      case 0x8c: stack.push(text(u8())); break; // SHORT_BINUNICODE
      case 0x55: stack.push(text(u8())); break; // SHORT_BINSTRING
      case 0x54: stack.push(text(u32())); break; // BINSTRING
      case 0x43: { const n = u8(); need(n); stack.push(bytes.slice(pos, pos + n)); pos += n; break; } // SHORT_BINBYTES
      case 0x42: { const n = u32(); need(n); stack.push(bytes.slice(pos, pos + n)); pos += n; break; } // BINBYTES
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: need(4); stack.push(view.getInt32(pos, true)); pos += 4; break; // BININT
      case 0x8a: { const n = u8(); need(n); stack.push(readLong(bytes, pos, n)); pos += n; break; } // LONG1
      case 0x47: need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; // BINFLOAT
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4e: stack.push(null); break; // NONE
      case 0x71: memo.set(u8(), stack[stack.length - 1]); break; // BINPUT
      case 0x72: memo.set(u32(), stack[stack.length - 1]); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, stack[stack.length - 1]); break; // MEMOIZE
      case 0x68: stack.push(memoGet(memo, u8(), fail)); break; // BINGET
      case 0x6a: stack.push(memoGet(memo, u32(), fail)); break; // LONG_BINGET
      case 0x73: { const v = pop(); const k = pop(); setItems(stack[stack.length - 1], [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(stack[stack.length - 1], items); break; } // SETITEMS
      case 0x61: { const v = pop(); (stack[stack.length - 1] as unknown[]).push(v); break; } // APPEND
      case 0x65: { const items = popMark(); (stack[stack.length - 1] as unknown[]).push(...items); break; } // APPENDS
      case 0x63: { const module = line(); stack.push(resolveGlobal(module, line())); break; } // GLOBAL
      case 0x93: { const name = pop() as string; stack.push(resolveGlobal(pop() as string, name)); break; } // STACK_GLOBAL
      case 0x52: case 0x81: { // REDUCE, NEWOBJ
        const args = pop() as unknown[];
        const callee = pop() as GlobalRef;
        if (callee?.kind !== 'global') fail('call of something that is not an allowed global');
        stack.push(callee.name === 'collections.OrderedDict' ? new Map() : ({ kind: 'reduced', callee: callee.name, args } satisfies Reduced));
        break;
      }
      case 0x62: pop(); break; // BUILD: state of an OrderedDict (its _metadata), not needed
      case 0x51: stack.push(persistentLoad(pop())); break; // BINPERSID
      default:
        pos = at;
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

function memoGet(memo: Map<number, unknown>, key: number, fail: (m: string) => never): unknown {
  if (!memo.has(key)) fail(`memo key ${key} is not defined`);
  return memo.get(key);
}

/** LONG1: little-endian two's complement of n bytes; returned as a number (or bigint beyond 2^53). */
function readLong(bytes: Uint8Array, at: number, n: number): number | bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
  if (n > 0 && bytes[at + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
