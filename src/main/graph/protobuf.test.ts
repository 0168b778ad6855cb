// Tests for the protobuf wire codec: varint edge cases against a bigint reference encoder,
// nesting, chunk boundaries, packed fields, skipping every wire type, and malformed input.

import { describe, expect, it } from 'vitest';
import { ProtobufError, Reader, WireType, Writer } from './protobuf';

/** Reference varint encoder: the 64-bit two's-complement value, seven bits at a time. */
function refVarint(value: bigint): number[] {
  let u = BigInt.asUintN(64, value);
  const out: number[] = [];
  while (u > 0x7fn) {
    out.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  out.push(Number(u));
  return out;
}

const bytes = (w: Writer): number[] => [...w.finish()];

/** Reads every field of a flat message into [field, value] pairs using `read`. */
function fields<T>(data: Uint8Array, read: (r: Reader, field: number) => T): [number, T][] {
  const r = new Reader(data);
  const out: [number, T][] = [];
  while (!r.done) {
    const field = r.tag();
    out.push([field, read(r, field)]);
  }
  return out;
}

describe('Writer varints', () => {
  const cases: bigint[] = [
    0n, 1n, 127n, 128n, 300n, 16383n, 16384n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n,
    2n ** 53n - 1n, -1n, -2n, -128n, -(2n ** 31n), -(2n ** 32n), -(2n ** 32n) - 1n, -(2n ** 53n) + 1n,
  ];

  it.each(cases)('encodes the number %s like the reference and reads it back', (v) => {
    const w = new Writer().int64(1, Number(v));
    expect(bytes(w)).toEqual([0x08, ...refVarint(v)]);
    const r = new Reader(w.finish());
    expect(r.tag()).toBe(1);
    expect(r.int64()).toBe(Number(v));
    expect(r.done).toBe(true);
  });

  it('writes known vectors', () => {
    expect(bytes(new Writer().rawVarint(300))).toEqual([0xac, 0x02]);
    expect(bytes(new Writer().rawVarint(-1))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(bytes(new Writer().rawVarint(2 ** 53 - 1))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it.each([2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n, -(2n ** 53n), 2n ** 64n - 1n, 0n, -1n])(
    'encodes the bigint %s like the reference and reads it back exactly',
    (v) => {
      const w = new Writer().int64(3, v);
      expect(bytes(w)).toEqual([0x18, ...refVarint(v)]);
      const r = new Reader(w.finish());
      r.tag();
      expect(r.int64BigInt()).toBe(BigInt.asIntN(64, v));
    },
  );

  it('refuses values it cannot represent exactly', () => {
    expect(() => new Writer().rawVarint(2 ** 53)).toThrow(RangeError);
    expect(() => new Writer().rawVarint(-(2 ** 53))).toThrow(RangeError);
    expect(() => new Writer().rawVarint(1.5)).toThrow(RangeError);
    expect(() => new Writer().rawVarint(Number.NaN)).toThrow(RangeError);
    expect(() => new Writer().rawVarint(2n ** 64n)).toThrow(RangeError);
    expect(() => new Writer().rawVarint(-(2n ** 63n) - 1n)).toThrow(RangeError);
    expect(() => new Writer().tag(0, WireType.Varint)).toThrow(RangeError);
  });

  it('reads an int64 beyond 2^53 only as a bigint', () => {
    const data = new Writer().int64(1, 2n ** 62n).finish();
    const r = new Reader(data);
    r.tag();
    expect(() => r.int64()).toThrow(/beyond 2\^53/);
    const again = new Reader(data);
    again.tag();
    expect(again.int64BigInt()).toBe(2n ** 62n);
  });
});

describe('Writer fields', () => {
  it('writes floats as little-endian fixed32', () => {
    expect(bytes(new Writer().float(2, 1))).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
    const data = new Writer().float(2, -0.1).float(2, Number.POSITIVE_INFINITY).finish();
    expect(fields(data, (r) => r.float())).toEqual([
      [2, Math.fround(-0.1)],
      [2, Number.POSITIVE_INFINITY],
    ]);
  });

  it('writes UTF-8 strings and bytes', () => {
    const text = 'héllo ✓ 😀';
    const data = new Writer().string(4, text).bytes(5, Uint8Array.of(0, 255, 7)).string(6, '').finish();
    const r = new Reader(data);
    expect(r.tag()).toBe(4);
    expect(r.string()).toBe(text);
    expect(r.tag()).toBe(5);
    expect([...r.bytes()]).toEqual([0, 255, 7]);
    expect(r.tag()).toBe(6);
    expect(r.string()).toBe('');
    expect(r.done).toBe(true);
  });

  it('prefixes sub-messages with their length, including multi-byte lengths and nesting', () => {
    const small = new Writer().message(1, (w) => w.int64(1, 150)).finish();
    expect([...small]).toEqual([0x0a, 0x03, 0x08, 0x96, 0x01]);

    const long = 'x'.repeat(200);
    const data = new Writer()
      .int64(1, 7)
      .message(2, (outer) => {
        outer.string(1, long);
        outer.message(2, (inner) => inner.message(3, () => {}).int64(4, -1));
      })
      .int64(3, 9)
      .finish();
    const r = new Reader(data);
    expect(r.tag()).toBe(1);
    expect(r.int64()).toBe(7);
    expect(r.tag()).toBe(2);
    const outer = r.message();
    expect(outer.tag()).toBe(1);
    expect(outer.string()).toBe(long);
    expect(outer.tag()).toBe(2);
    const inner = outer.message();
    expect(inner.tag()).toBe(3);
    expect(inner.message().done).toBe(true);
    expect(inner.tag()).toBe(4);
    expect(inner.int64()).toBe(-1);
    expect(inner.done && outer.done).toBe(true);
    expect(r.tag()).toBe(3);
    expect(r.int64()).toBe(9);
    expect(r.done).toBe(true);
    // Layout: [08 07] [12 <2-byte length> <outer body>] [18 09].
    expect(data[2]).toBe(0x12);
    expect([...data.subarray(3, 5)]).toEqual(refVarint(BigInt(data.length - 7)));
  });

  it('keeps everything in order across chunk boundaries, large payloads and nested messages', () => {
    const w = new Writer();
    const big = new Uint8Array(100_000).map((_, i) => i * 7);
    const expected: [number, number][] = [];
    for (let i = 0; i < 30_000; i++) {
      w.int64(1, i * 1000 - 5);
      expected.push([1, i * 1000 - 5]);
      if (i % 5000 === 0) {
        w.bytes(2, big);
        expected.push([2, big.length]);
      }
      if (i % 777 === 0) {
        w.message(3, (m) => m.string(1, `m${i}`).bytes(2, big.subarray(0, i % 9000)));
        expected.push([3, i]);
      }
    }
    const data = w.finish();
    expect(data.length).toBe(w.length);
    const got = fields(data, (r, field) => {
      if (field === 1) return r.int64();
      if (field === 2) {
        const payload = r.bytes();
        expect(Buffer.from(payload).equals(big)).toBe(true);
        return payload.length;
      }
      const m = r.message();
      m.tag();
      const label = m.string();
      m.tag();
      const payload = m.bytes();
      const i = Number(label.slice(1));
      expect(Buffer.from(payload).equals(big.subarray(0, i % 9000))).toBe(true);
      return i;
    });
    expect(got).toEqual(expected);
  });

  it('returns bytes fields as views into the input, not copies', () => {
    const data = new Writer().bytes(1, new Uint8Array(10_000).fill(3)).finish();
    const r = new Reader(data);
    r.tag();
    const view = r.bytes();
    expect(view.buffer).toBe(data.buffer);
    expect(view.byteOffset).toBe(3);
  });

  it('writes packed repeated int64 and float, and skips empty lists', () => {
    const w = new Writer().packedInt64(1, [1, -1, 300]).packedFloat(2, Float32Array.of(1, -2.5)).packedInt64(3, []).packedFloat(4, []);
    expect(bytes(w)).toEqual([
      0x0a, 13, 0x01, ...refVarint(-1n), 0xac, 0x02,
      0x12, 8, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0,
    ]);
    const ints: number[] = [];
    const floats: number[] = [];
    const r = new Reader(w.finish());
    r.tag();
    r.int64s(ints);
    r.tag();
    r.floats(floats);
    expect(ints).toEqual([1, -1, 300]);
    expect(floats).toEqual([1, -2.5]);
    expect(r.done).toBe(true);
  });
});

describe('Reader', () => {
  it('reads repeated scalars both packed and unpacked', () => {
    const w = new Writer().int64(1, 5).packedInt64(1, [6, 2n ** 60n]).int64(1, -7).float(2, 0.5).packedFloat(2, [1.5, 2]);
    // double_data: one unpacked fixed64 and a packed run of two.
    const d = new DataView(new ArrayBuffer(24));
    d.setFloat64(0, Math.PI, true);
    d.setFloat64(8, -1e300, true);
    d.setFloat64(16, 0.25, true);
    const doubles = new Uint8Array(d.buffer);
    w.tag(3, WireType.Fixed64);
    const head = w.finish();
    const data = Uint8Array.from([...head, ...doubles.subarray(0, 8), 0x1a, 16, ...doubles.subarray(8)]);

    const big: bigint[] = [];
    const fl: number[] = [];
    const db: number[] = [];
    const r = new Reader(data);
    while (!r.done) {
      const field = r.tag();
      if (field === 1) r.int64sBigInt(big);
      else if (field === 2) r.floats(fl);
      else r.doubles(db);
    }
    expect(big).toEqual([5n, 6n, 2n ** 60n, -7n]);
    expect(fl).toEqual([0.5, 1.5, 2]);
    expect(db).toEqual([Math.PI, -1e300, 0.25]);

    const r2 = new Reader(data.subarray(0, 2));
    r2.tag();
    expect(r2.double.bind(r2)).toThrow(ProtobufError);
  });

  it('skips unknown fields of every wire type, including nested groups', () => {
    const data = Uint8Array.from([
      0x08, 0x96, 0x01, // 1: varint 150
      0x11, 1, 2, 3, 4, 5, 6, 7, 8, // 2: fixed64
      0x1a, 0x03, 9, 9, 9, // 3: length-delimited
      0x23, // 4: start group
      0x08, 0x01, // 1: varint inside
      0x2b, 0x0d, 1, 2, 3, 4, 0x2c, // 5: nested group holding a fixed32
      0x24, // 4: end group
      0x2d, 1, 2, 3, 4, // 5: fixed32
      0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, // 6: varint -1
      0x3a, 0x02, 0x68, 0x69, // 7: string "hi"
    ]);
    const r = new Reader(data);
    const seen: number[] = [];
    let text = '';
    while (!r.done) {
      const field = r.tag();
      seen.push(field);
      if (field === 7) text = r.string();
      else r.skip();
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(text).toBe('hi');
  });

  it.each([
    ['a truncated varint', [0x08, 0x96]],
    ['a varint longer than ten bytes', [0x08, ...new Array<number>(10).fill(0xff), 0x01]],
    ['a length past the end', [0x0a, 0x05, 1, 2]],
    ['a truncated fixed32', [0x15, 1, 2]],
    ['a truncated fixed64', [0x11, 1, 2, 3]],
    ['wire type 6', [0x0e]],
    ['wire type 7', [0x0f]],
    ['field number 0', [0x00, 0x01]],
    ['an unterminated group', [0x0b, 0x08, 0x01]],
    ['a group closed by another field', [0x0b, 0x14]],
    ['a stray end-group', [0x0c]],
  ])('rejects %s', (_label, input) => {
    const r = new Reader(Uint8Array.from(input));
    expect(() => {
      while (!r.done) {
        r.tag();
        r.skip();
      }
    }).toThrow(ProtobufError);
  });

  it('rejects a read of the wrong wire type', () => {
    const r = new Reader(new Writer().int64(1, 3).finish());
    r.tag();
    expect(() => r.string()).toThrow(/expected wire type 2, got 0/);
  });

  it('rejects a packed element that overruns its field', () => {
    // Field 1, packed length 1, but the varint inside needs two bytes.
    const r = new Reader(Uint8Array.from([0x0a, 0x01, 0x96, 0x01]));
    r.tag();
    expect(() => r.int64s([])).toThrow(ProtobufError);
  });

  it('rejects invalid UTF-8 in strings', () => {
    const r = new Reader(new Writer().bytes(1, Uint8Array.of(0xc3, 0x28)).finish());
    r.tag();
    expect(() => r.string()).toThrow();
  });
});
