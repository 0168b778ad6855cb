// The safe unpickler: the state-dict subset decodes to plain values, and hostile or damaged pickles
// are refused with the global or opcode and its byte offset, nothing ever being called.
import { describe, expect, it } from 'vitest';
import { unpickle, type PickleCall } from './pickle';
import { OP, dict, flatten, global, int, pickle, py2str, str, tuple } from './test-checkpoints';
import { errorOf } from '../../testing';

const load = (bytes: Uint8Array, persistentLoad?: (pid: unknown) => unknown) => unpickle(bytes, 0, { source: 'test.pth', persistentLoad }).value;

describe('the state-dict subset', () => {
  it('decodes dicts, lists, tuples, numbers, strings and memo references', () => {
    const bytes = pickle(
      dict([
        [str('list'), [OP.EMPTY_LIST, OP.BINPUT, 1, OP.MARK, int(1), int(300), int(-5), int(70000), OP.APPENDS]],
        [str('same'), [OP.BINGET, 1]],
        [str('tuple'), tuple(OP.NONE, OP.NEWTRUE, OP.NEWFALSE)],
        [py2str('py2'), [0x47, Uint8Array.from([0x3f, 0xf8, 0, 0, 0, 0, 0, 0])]], // BINFLOAT 1.5, big-endian
        [str('long'), [0x8a, 2, 0x00, 0xff]], // LONG1 -256
        [[0x8c, 3, ...new TextEncoder().encode('é!')], OP.EMPTY_TUPLE], // SHORT_BINUNICODE
      ]),
    );
    const v = load(bytes) as Map<string, unknown>;
    expect(v.get('list')).toEqual([1, 300, -5, 70000]);
    expect(v.get('same')).toBe(v.get('list'));
    expect(v.get('tuple')).toEqual([null, true, false]);
    expect(Object.isFrozen(v.get('tuple'))).toBe(true);
    expect(v.get('py2')).toBe(1.5);
    expect(v.get('long')).toBe(-256);
    expect(v.get('é!')).toEqual([]);
  });

  it('reads consecutive pickles, reporting where each ends', () => {
    const first = pickle(int(7));
    const both = flatten([first, pickle(str('next'))]);
    const a = unpickle(both, 0, { source: 'test.pth' });
    expect(a).toEqual({ value: 7, end: first.length });
    expect(unpickle(both, a.end, { source: 'test.pth' }).value).toBe('next');
  });

  it('records calls of allowed functions without making them, and builds OrderedDicts', () => {
    const bytes = pickle(
      global('torch._utils', '_rebuild_parameter'),
      tuple(int(1), OP.NEWTRUE, [global('collections', 'OrderedDict'), OP.EMPTY_TUPLE, OP.REDUCE]),
      OP.REDUCE,
    );
    const call = load(bytes) as PickleCall;
    expect(call.kind).toBe('call');
    expect(call.callee).toBe('torch._utils._rebuild_parameter');
    expect(call.args[0]).toBe(1);
    expect(call.args[2]).toEqual(new Map());
    // Python 2's OrderedDict pickles as OrderedDict([[key, value], ...]) plus a BUILD of its attributes.
    const py2 = pickle(
      global('collections', 'OrderedDict'),
      tuple([OP.EMPTY_LIST, OP.MARK, [OP.EMPTY_LIST, OP.MARK, py2str('w'), int(3), OP.APPENDS], OP.APPENDS]),
      OP.REDUCE,
      dict([[str('_metadata'), OP.NONE]]),
      OP.BUILD,
    );
    expect(load(py2)).toEqual(new Map([['w', 3]]));
  });

  it('hands storage references to persistentLoad', () => {
    const bytes = pickle(tuple(str('storage'), global('torch', 'FloatStorage'), str('0')), OP.BINPERSID);
    const ids: unknown[] = [];
    expect(load(bytes, (pid) => (ids.push(pid), 'resolved'))).toBe('resolved');
    expect(ids).toEqual([['storage', { kind: 'global', name: 'torch.FloatStorage' }, '0']]);
    expect(errorOf(() => load(bytes)).message).toMatch(/unexpected persistent id/);
  });
});

describe('hostile pickles', () => {
  it('refuses os.system via GLOBAL before anything could call it', () => {
    // PROTO 2; GLOBAL 'os' 'system'; SHORT_BINUNICODE 'touch /tmp/pwned'; TUPLE1; REDUCE; STOP
    const evil = flatten([0x80, 2, global('os', 'system'), 0x8c, 16, new TextEncoder().encode('touch /tmp/pwned'), OP.TUPLE1, OP.REDUCE, OP.STOP]);
    const err = errorOf(() => load(evil));
    expect(err.code).toBe('pth-forbidden');
    expect(err.message).toMatch(/^test\.pth: refusing global os\.system: .* at pickle byte 2$/);
  });

  it('refuses forbidden globals named through STACK_GLOBAL, and framed protocol 4 pickles', () => {
    const evil = flatten([0x80, 4, 0x95, new Uint8Array(8), 0x8c, 8, new TextEncoder().encode('builtins'), OP.MEMOIZE, 0x8c, 4, new TextEncoder().encode('eval'), OP.STACK_GLOBAL, OP.STOP]);
    expect(errorOf(() => load(evil)).message).toMatch(/refusing global builtins\.eval: .* at pickle byte 28/);
  });

  it('refuses to call a global that may only be named', () => {
    const bytes = pickle(global('torch', 'FloatStorage'), OP.EMPTY_TUPLE, OP.REDUCE);
    expect(errorOf(() => load(bytes)).message).toMatch(/refusing to call torch\.FloatStorage/);
  });

  it('names opcodes outside the subset (INST, OBJ) and their offset', () => {
    const inst = flatten([0x80, 2, OP.MARK, 0x69, new TextEncoder().encode('os\nsystem\n'), OP.STOP]);
    expect(errorOf(() => load(inst)).message).toBe("test.pth: unsupported pickle opcode 0x69 'i' (INST) at pickle byte 3");
    expect(errorOf(() => load(flatten([0x80, 2, OP.MARK, 0x6f, OP.STOP]))).code).toBe('pth-unsupported');
    expect(errorOf(() => load(flatten([0x80, 2, 0xfe]))).message).toMatch(/unsupported pickle opcode 0xfe at pickle byte 2/);
  });
});

describe('damaged pickles', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated in a string', pickle(str('hello')).subarray(0, 8), /the pickle is truncated at pickle byte 2/],
    ['missing STOP', pickle(int(1)).subarray(0, 4), /the pickle is truncated at pickle byte 4/],
    ['a memo read before its write', pickle([OP.BINGET, 3]), /memo entry 3 is read before it is written at pickle byte 2/],
    ['stack underflow', pickle(OP.TUPLE1), /stack underflows/],
    ['SETITEM on a list', pickle(OP.EMPTY_LIST, int(1), int(2), OP.SETITEM), /SETITEM on something that is not a dict/],
    ['APPEND on a tuple', pickle(OP.EMPTY_TUPLE, int(1), OP.APPEND), /APPEND on something that is not a list/],
    ['TUPLE without MARK', pickle(int(1), OP.TUPLE), /MARK expected/],
    ['values left over', pickle(int(1), int(2)), /ends with 2 values on its stack/],
    ['a GLOBAL without newline', flatten([0x80, 2, 0x63, new Uint8Array(300).fill(0x61)]), /GLOBAL has no newline-terminated name/],
    ['a future protocol', flatten([0x80, 6, OP.NONE, OP.STOP]), /pickle protocol 6 is newer/],
  ];
  for (const [what, bytes, message] of cases) {
    it(`reports ${what}`, () => {
      const err = errorOf(() => load(bytes));
      expect(err.message).toMatch(/^test\.pth: /);
      expect(err.message).toMatch(message);
    });
  }
});
