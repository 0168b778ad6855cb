// A minimal protobuf wire-format Writer and Reader, enough to write and read ONNX models
// without a protobuf library; the writer handles multi-hundred-megabyte tensors in linear time.

export const WireType = {
  Varint: 0,
  Fixed64: 1,
  LengthDelimited: 2,
  StartGroup: 3,
  EndGroup: 4,
  Fixed32: 5,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

const TWO_32 = 4294967296;
const INT64_MIN = -(1n << 63n);
const UINT64_LIMIT = 1n << 64n;
// Small writes go into scratch chunks of this size; payloads larger than BIG_BYTES are kept
// by reference and copied exactly once, by finish().
const CHUNK = 64 * 1024;
const BIG_BYTES = 4 * 1024;
const EMPTY = new Uint8Array(0);
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Any integer a protobuf int64/uint64/int32/enum field can hold: a safe-integer number or a bigint. */
export type Int64 = number | bigint;

/** Splits a 64-bit integer into two's-complement low/high 32-bit words (negatives become 10-byte varints). */
function splitInt64(value: Int64): [lo: number, hi: number] {
  if (typeof value === 'bigint') {
    if (value < INT64_MIN || value >= UINT64_LIMIT) throw new RangeError(`${value} does not fit in 64 bits`);
    const u = BigInt.asUintN(64, value);
    return [Number(u & 0xffffffffn), Number(u >> 32n)];
  }
  // Beyond 2^53 a number has already lost precision, so writing it would silently corrupt it.
  if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not a safe integer; pass a bigint`);
  return [value >>> 0, Math.floor(value / TWO_32) >>> 0];
}

function lengthPrefix(length: number): Uint8Array {
  const bytes: number[] = [];
  while (length > 0x7f) {
    bytes.push((length % 128) | 0x80);
    length = Math.floor(length / 128);
  }
  bytes.push(length);
  return Uint8Array.from(bytes);
}

/**
 * Builds a protobuf message. Bytes accumulate as a list of parts (views into scratch chunks,
 * or caller-owned large arrays kept by reference) and finish() concatenates them once.
 * A sub-message's length prefix is computed after its body is written and slotted into the
 * part list in front of it, so nesting never moves bytes that were already written.
 */
export class Writer {
  private readonly parts: Uint8Array[] = [];
  /** Total bytes in `parts`. */
  private sealedBytes = 0;
  private chunk = new Uint8Array(CHUNK);
  private view = new DataView(this.chunk.buffer);
  /** Start of the chunk region not yet moved to `parts`. */
  private chunkStart = 0;
  private pos = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.sealedBytes + this.pos - this.chunkStart;
  }

  /** Writes a field key. */
  tag(field: number, wireType: WireType): this {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) throw new RangeError(`bad field number ${field}`);
    return this.rawVarint(field * 8 + wireType);
  }

  /** Writes a bare varint (no key); negative values take ten bytes, as int64/int32 require. */
  rawVarint(value: Int64): this {
    this.reserve(10);
    const buf = this.chunk;
    let pos = this.pos;
    if (typeof value === 'number' && value >= 0 && value < 0x80000000 && Number.isInteger(value)) {
      while (value > 0x7f) {
        buf[pos++] = (value & 0x7f) | 0x80;
        value >>>= 7;
      }
      buf[pos++] = value;
    } else {
      let [lo, hi] = splitInt64(value);
      while (hi !== 0 || lo > 0x7f) {
        buf[pos++] = (lo & 0x7f) | 0x80;
        lo = ((lo >>> 7) | (hi << 25)) >>> 0;
        hi >>>= 7;
      }
      buf[pos++] = lo;
    }
    this.pos = pos;
    return this;
  }

  /** An int64 / int32 / uint64 / enum / bool field. */
  int64(field: number, value: Int64): this {
    return this.tag(field, WireType.Varint).rawVarint(value);
  }

  /** A `float` field (fixed32, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WireType.Fixed32).reserve(4);
    this.view.setFloat32(this.pos, value, true);
    this.pos += 4;
    return this;
  }

  /**
   * A `bytes` field. Large arrays are kept by reference until finish(), so the caller must
   * not modify them before then.
   */
  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WireType.LengthDelimited).rawVarint(data.length);
    if (data.length >= BIG_BYTES) {
      this.seal();
      this.parts.push(data);
      this.sealedBytes += data.length;
    } else {
      this.reserve(data.length);
      this.chunk.set(data, this.pos);
      this.pos += data.length;
    }
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8Encoder.encode(value));
  }

  /** A sub-message field whose body is whatever `body` writes to this writer. */
  message(field: number, body: (w: this) => void): this {
    this.tag(field, WireType.LengthDelimited).seal();
    const slot = this.parts.length;
    this.parts.push(EMPTY);
    const before = this.length;
    body(this);
    const bodyLength = this.length - before;
    // The prefix goes into its own small array so it can sit in front of the finished body.
    const prefix = lengthPrefix(bodyLength);
    this.parts[slot] = prefix;
    this.sealedBytes += prefix.length;
    return this;
  }

  /** A packed repeated int64 field; nothing is written for an empty list (the proto3 default). */
  packedInt64(field: number, values: ArrayLike<Int64>): this {
    if (values.length === 0) return this;
    return this.message(field, (w) => {
      for (let i = 0; i < values.length; i++) w.rawVarint(values[i]);
    });
  }

  /** A packed repeated float field; nothing is written for an empty list. */
  packedFloat(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    this.tag(field, WireType.LengthDelimited).rawVarint(values.length * 4);
    this.reserve(values.length * 4);
    const view = this.view;
    for (let i = 0; i < values.length; i++) view.setFloat32(this.pos + 4 * i, values[i], true);
    this.pos += values.length * 4;
    return this;
  }

  /** The encoded message, as one freshly allocated array. */
  finish(): Uint8Array {
    this.seal();
    const out = new Uint8Array(this.sealedBytes);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  /** Makes room for `n` more bytes in the current chunk, starting a new chunk if needed. */
  private reserve(n: number): this {
    if (this.pos + n > this.chunk.length) {
      this.seal();
      this.chunk = new Uint8Array(Math.max(CHUNK, n));
      this.view = new DataView(this.chunk.buffer);
      this.chunkStart = this.pos = 0;
    }
    return this;
  }

  /** Moves the pending chunk region into `parts`, so a part can be appended after it. */
  private seal(): void {
    if (this.pos === this.chunkStart) return;
    this.parts.push(this.chunk.subarray(this.chunkStart, this.pos));
    this.sealedBytes += this.pos - this.chunkStart;
    this.chunkStart = this.pos;
  }
}

export class ProtobufError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufError';
  }
}

/**
 * Reads a protobuf message field by field:
 *   while (!r.done) switch (r.tag()) { case 1: x = r.string(); break; default: r.skip(); }
 * Typed reads check the wire type of the field just read by tag(). bytes() and message()
 * return views into the input, never copies.
 */
export class Reader {
  /** Wire type of the field last returned by tag(). */
  private wireType: WireType = WireType.Varint;
  private field = 0;
  private pos: number;
  private readonly end: number;
  private lo = 0;
  private hi = 0;

  constructor(private readonly buf: Uint8Array) {
    this.pos = 0;
    this.end = buf.length;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads the next field key and returns its field number. */
  tag(): number {
    this.varint();
    const key = this.hi * TWO_32 + this.lo;
    const wireType = key % 8;
    this.field = Math.floor(key / 8);
    if (this.field === 0 || this.field > 0x1fffffff) throw new ProtobufError(`bad field number ${this.field}`);
    if (wireType > WireType.Fixed32) throw new ProtobufError(`field ${this.field}: bad wire type ${wireType}`);
    this.wireType = wireType as WireType;
    return this.field;
  }

  /** An int64/int32/enum field as a number; throws if it is beyond ±(2^53 - 1). */
  int64(): number {
    this.expect(WireType.Varint);
    return this.varintNumber();
  }

  /** An int64 field, exactly. */
  int64BigInt(): bigint {
    this.expect(WireType.Varint);
    return this.varintBigInt();
  }

  float(): number {
    this.expect(WireType.Fixed32);
    return this.fixed32Float();
  }

  double(): number {
    this.expect(WireType.Fixed64);
    return this.fixed64Double();
  }

  /** A bytes field, as a view into the input. */
  bytes(): Uint8Array {
    this.expect(WireType.LengthDelimited);
    return this.slice();
  }

  string(): string {
    return utf8Decoder.decode(this.bytes());
  }

  /** A sub-message field, as a Reader over a view of the input. */
  message(): Reader {
    return new Reader(this.bytes());
  }

  /** Appends the value(s) of a repeated int64/int32 field, packed or not. */
  int64s(out: number[]): void {
    this.repeated(WireType.Varint, () => out.push(this.varintNumber()));
  }

  /** Appends the value(s) of a repeated int64 field, packed or not, exactly. */
  int64sBigInt(out: bigint[]): void {
    this.repeated(WireType.Varint, () => out.push(this.varintBigInt()));
  }

  /** Appends the value(s) of a repeated float field, packed or not. */
  floats(out: number[]): void {
    this.repeated(WireType.Fixed32, () => out.push(this.fixed32Float()));
  }

  /** Appends the value(s) of a repeated double field, packed or not. */
  doubles(out: number[]): void {
    this.repeated(WireType.Fixed64, () => out.push(this.fixed64Double()));
  }

  /** Skips the field last returned by tag(), whatever its wire type. */
  skip(): void {
    switch (this.wireType) {
      case WireType.Varint:
        this.varint();
        break;
      case WireType.Fixed64:
        this.advance(8);
        break;
      case WireType.LengthDelimited:
        this.slice();
        break;
      case WireType.Fixed32:
        this.advance(4);
        break;
      case WireType.StartGroup:
        this.skipGroup();
        break;
      case WireType.EndGroup:
        throw new ProtobufError(`unexpected end of group ${this.field}`);
    }
  }

  /** Groups (deprecated proto2) end at the matching end-group key; nested groups recurse via skip(). */
  private skipGroup(): void {
    const group = this.field;
    for (;;) {
      if (this.done) throw new ProtobufError(`group ${group} is not terminated`);
      this.tag();
      if (this.wireType === WireType.EndGroup) {
        if (this.field !== group) throw new ProtobufError(`group ${group} ended by field ${this.field}`);
        return;
      }
      this.skip();
    }
  }

  private expect(wireType: WireType): void {
    if (this.wireType !== wireType) {
      throw new ProtobufError(`field ${this.field}: expected wire type ${wireType}, got ${this.wireType}`);
    }
  }

  private repeated(elementWireType: WireType, readOne: () => void): void {
    if (this.wireType === elementWireType) {
      readOne();
      return;
    }
    this.expect(WireType.LengthDelimited);
    const length = this.length();
    const stop = this.pos + length;
    while (this.pos < stop) readOne();
    if (this.pos !== stop) throw new ProtobufError(`field ${this.field}: packed element overruns its field`);
  }

  /** Reads a varint of up to ten bytes into lo/hi (the low and high 32-bit words). */
  private varint(): void {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError('truncated varint');
      const b = buf[this.pos++];
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw new ProtobufError('varint longer than ten bytes');
  }

  private varintNumber(): number {
    this.varint();
    const value = (this.hi | 0) * TWO_32 + this.lo;
    if (!Number.isSafeInteger(value)) {
      throw new ProtobufError(`field ${this.field}: int64 ${this.varintBigIntFromWords()} is beyond 2^53`);
    }
    return value;
  }

  private varintBigInt(): bigint {
    this.varint();
    return this.varintBigIntFromWords();
  }

  private varintBigIntFromWords(): bigint {
    return BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(this.lo));
  }

  private fixed32Float(): number {
    const at = this.advance(4);
    return new DataView(this.buf.buffer, this.buf.byteOffset + at, 4).getFloat32(0, true);
  }

  private fixed64Double(): number {
    const at = this.advance(8);
    return new DataView(this.buf.buffer, this.buf.byteOffset + at, 8).getFloat64(0, true);
  }

  /** Reads a length prefix and checks it fits in what is left. */
  private length(): number {
    this.varint();
    if (this.hi !== 0 || this.lo > this.end - this.pos) throw new ProtobufError(`field ${this.field}: length runs past the end`);
    return this.lo;
  }

  private slice(): Uint8Array {
    const length = this.length();
    const at = this.advance(length);
    return this.buf.subarray(at, at + length);
  }

  /** Moves past `n` bytes and returns where they start. */
  private advance(n: number): number {
    if (n > this.end - this.pos) throw new ProtobufError(`field ${this.field}: truncated`);
    const at = this.pos;
    this.pos += n;
    return at;
  }
}
