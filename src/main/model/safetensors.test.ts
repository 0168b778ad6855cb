// safetensors: bit-exact round trips, atomic writes, dtype conversion, every kind of damaged file,
// and the reference fixtures in ../shared (skipped with a note when that folder is absent).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeSafetensors, readSafetensors, readSafetensorsHeader, readSafetensorsMetadata, writeSafetensors } from './safetensors';
import { errorOf } from '../testing';

const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = path.resolve(PROJECT_ROOT, '../shared', 'fixtures');
const NO_FIXTURES = `reference fixtures not found at ${FIXTURES}`;

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'safetensors-'));

/** A file from a hand-written header and data section, to fake what no writer of ours would produce. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('encode and write', () => {
  const nanWithPayload = new Float32Array(new Uint32Array([0x7fc01234]).buffer)[0];
  const tensors = new Map([
    ['b', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
    ['10', { shape: [], data: Float32Array.from([-0]) }],
    ['2', { shape: [0, 3], data: new Float32Array(0) }],
    ['a', { shape: [3], data: Float32Array.from([nanWithPayload, Infinity, 1e-45]) }],
  ]);

  it('round-trips tensors bit for bit, with keys sorted and metadata', () => {
    const dir = tempDir();
    const file = path.join(dir, 'w.safetensors');
    writeSafetensors(file, tensors, { note: 'hi', epoch: '30' });
    const back = readSafetensors(file);
    expect([...back.keys()]).toEqual(['10', '2', 'a', 'b']);
    for (const [key, t] of tensors) {
      expect(back.get(key)!.shape, key).toEqual(t.shape);
      expect(bytesOf(back.get(key)!.data).equals(bytesOf(t.data)), key).toBe(true);
      expect(back.get(key)!.dtype).toBe('F32');
    }
    expect(readSafetensorsMetadata(file)).toEqual({ note: 'hi', epoch: '30' });
    expect(fs.readdirSync(dir)).toEqual(['w.safetensors']);
  });

  it('pads the header with spaces to 8-byte alignment and writes keys in sorted order', () => {
    const bytes = encodeSafetensors(tensors, { z: '1', a: '2' });
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(length % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + length));
    expect(header).toMatch(/^\{"__metadata__":\{"a":"2","z":"1"\},"10":.*,"2":.*,"a":.*,"b":.*\} *$/);
    expect(header.trimEnd().length).toBeGreaterThan(length - 8);
  });

  it('refuses tensors whose data does not match their shape, before touching the file', () => {
    const dir = tempDir();
    const file = path.join(dir, 'w.safetensors');
    writeSafetensors(file, tensors);
    const before = fs.readFileSync(file);
    const bad = new Map([['x', { shape: [2, 2], data: new Float32Array(3) }]]);
    expect(errorOf(() => writeSafetensors(file, bad)).message).toMatch(/tensor x: shape \[2, 2\] needs 4 values, has 3/);
    expect(() => encodeSafetensors(new Map([['__metadata__', { shape: [1], data: new Float32Array(1) }]]))).toThrow(/cannot name a tensor/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('leaves no temporary file when the final rename fails', () => {
    const dir = tempDir();
    const target = path.join(dir, 'taken.safetensors');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep'), 'x');
    expect(errorOf(() => writeSafetensors(target, tensors)).message).toContain(target);
    expect(fs.readdirSync(dir)).toEqual(['taken.safetensors']);
  });
});

describe('dtypes', () => {
  const f64 = rawFile({ x: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }, new Uint8Array(Float64Array.from([1.5, 1 / 3]).buffer));
  const f16 = rawFile({ h: { dtype: 'F16', shape: [5], data_offsets: [0, 10] } }, new Uint8Array(Uint16Array.from([0x3c00, 0xc000, 0x0001, 0x7c00, 0x3555]).buffer));
  const bf16 = rawFile({ b: { dtype: 'BF16', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(Uint16Array.from([0x3fc0, 0xc2f7]).buffer));

  it('refuses F64, F16 and BF16 unless conversion is asked for', () => {
    expect(errorOf(() => readSafetensors(f64)).message).toMatch(/tensor x is F64; weights must be F32/);
    expect(errorOf(() => readSafetensors(f16)).code).toBe('safetensors-dtype');
    expect(errorOf(() => readSafetensors(bf16)).code).toBe('safetensors-dtype');
  });

  it('converts them to float32 when asked', () => {
    const x = readSafetensors(f64, { convert: true }).get('x')!;
    expect(x.dtype).toBe('F64');
    expect(Array.from(x.data)).toEqual([1.5, Math.fround(1 / 3)]);
    expect(Array.from(readSafetensors(f16, { convert: true }).get('h')!.data)).toEqual([1, -2, 2 ** -24, Infinity, Math.fround(0.333251953125)]);
    expect(Array.from(readSafetensors(bf16, { convert: true }).get('b')!.data)).toEqual([1.5, -123.5]);
  });

  it('lists integer tensors in the header but never reads them as weights', () => {
    const i64 = rawFile({ n: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(readSafetensorsHeader(i64).tensors).toEqual([{ name: 'n', dtype: 'I64', shape: [1] }]);
    expect(errorOf(() => readSafetensors(i64, { convert: true })).message).toMatch(/tensor n is I64; only float tensors/);
  });
});

describe('damaged files', () => {
  const good = encodeSafetensors(new Map([['w', { shape: [2], data: Float32Array.from([1, 2]) }], ['v', { shape: [1], data: Float32Array.from([3]) }]]));
  const entry = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });
  const cases: [string, Uint8Array, string, RegExp][] = [
    ['empty', new Uint8Array(0), 'safetensors-truncated', /0 bytes is too short/],
    ['cut inside the length', good.subarray(0, 5), 'safetensors-truncated', /5 bytes is too short/],
    ['cut inside the header', good.subarray(0, 20), 'safetensors-truncated', /header length says \d+ bytes but only 12 follow/],
    ['cut inside the data', good.subarray(0, good.length - 3), 'safetensors-truncated', /tensor w ends at data byte 12 but the file holds only 9/],
    ['absurd header length', (() => { const b = good.slice(); new DataView(b.buffer).setBigUint64(0, 2n ** 62n, true); return b; })(), 'safetensors-truncated', /header length says 4611686018427387904/],
    ['not JSON', rawFile('{"w": {'), 'safetensors-bad-header', /header is not valid JSON/],
    ['not UTF-8', rawFile(Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), 'safetensors-bad-header', /not valid JSON/],
    ['a JSON array', rawFile([1, 2]), 'safetensors-bad-header', /not a JSON object/],
    ['unknown dtype', rawFile({ w: entry('F128', [1], [0, 16]) }, new Uint8Array(16)), 'safetensors-bad-header', /tensor w has unknown dtype "F128"/],
    ['negative dimension', rawFile({ w: entry('F32', [-1], [0, 4]) }, new Uint8Array(4)), 'safetensors-bad-header', /tensor w has an invalid shape \[-1\]/],
    ['offsets backwards', rawFile({ w: entry('F32', [1], [4, 0]) }, new Uint8Array(4)), 'safetensors-bad-header', /invalid data_offsets \[4,0\]/],
    ['shape vs bytes', rawFile({ w: entry('F32', [3], [0, 8]) }, new Uint8Array(8)), 'safetensors-bad-offsets', /tensor w \[3\] F32 needs 12 bytes but its data_offsets span 8/],
    ['overlap', rawFile({ a: entry('F32', [2], [0, 8]), b: entry('F32', [1], [4, 8]) }, new Uint8Array(8)), 'safetensors-bad-offsets', /tensors a and b overlap/],
    ['hole', rawFile({ a: entry('F32', [1], [0, 4]), b: entry('F32', [1], [8, 12]) }, new Uint8Array(12)), 'safetensors-bad-offsets', /4 unused bytes between a and tensor b/],
    ['trailing bytes', rawFile({ a: entry('F32', [1], [0, 4]) }, new Uint8Array(6)), 'safetensors-bad-offsets', /2 bytes after the last tensor/],
    ['bad metadata', rawFile({ __metadata__: { n: 1 } }), 'safetensors-bad-header', /__metadata__ must map strings to strings/],
  ];

  for (const [what, bytes, code, message] of cases) {
    it(`reports ${what} with the file name`, () => {
      const file = path.join(tempDir(), 'damaged.safetensors');
      fs.writeFileSync(file, bytes);
      for (const read of [() => readSafetensors(file), () => readSafetensorsMetadata(file)]) {
        const err = errorOf(read);
        expect(err.code, err.message).toBe(code);
        expect(err.message).toContain(file);
        expect(err.message).toMatch(message);
      }
    });
  }

  it('names a file it cannot open', () => {
    expect(errorOf(() => readSafetensors('/nonexistent/w.safetensors')).message).toMatch(/cannot read \/nonexistent\/w\.safetensors/);
    expect(errorOf(() => readSafetensorsMetadata('/nonexistent/w.safetensors')).code).toBe('safetensors-unreadable');
  });
});

describe('reference fixtures', () => {
  const have = fs.existsSync(FIXTURES);
  const params = (file: string) => readSafetensorsHeader(file).tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);

  it('reads the tiny generator', ({ skip }) => {
    skip(!have, NO_FIXTURES);
    const file = path.join(FIXTURES, 'ganimation-tiny/generator.safetensors');
    const t = readSafetensors(file);
    expect(t.size).toBe(29);
    expect(t.get('main.0.weight')!.shape).toEqual([8, 20, 7, 7]);
    expect(t.get('main.9.main.0.weight')!.shape).toEqual([32, 32, 3, 3]);
    expect(t.get('attetion_reg.0.weight')!.shape).toEqual([1, 8, 7, 7]);
    expect(readSafetensorsHeader(file).tensors.map((i) => [i.name, i.shape])).toEqual([...t].map(([k, v]) => [k, v.shape]));
  });

  it('reads every paper-size file and lists its tensors', ({ skip }) => {
    skip(!have, NO_FIXTURES);
    const dir = path.join(FIXTURES, 'ganimation-128');
    const listing = Object.fromEntries(
      fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort().map((f) => [f, readSafetensorsHeader(path.join(dir, f)).tensors.map((t) => `${t.name} [${t.shape.join('x')}]`)]),
    );
    expect(listing['batch.safetensors']).toEqual(['real [2x3x128x128]', 'real_cond [2x17]', 'desired_cond [2x17]']);
    expect(listing['expected.safetensors']).toEqual(['G/color [2x3x128x128]', 'G/attention [2x1x128x128]', 'G/composite [2x3x128x128]']);
    expect(listing['generator.safetensors']).toHaveLength(53);
    expect(listing['generator.safetensors']).toContain('main.0.weight [64x20x7x7]');
    expect(listing['generator.safetensors']).toContain('main.14.main.3.weight [256x256x3x3]');
    expect(params(path.join(dir, 'generator.safetensors'))).toBe(8_471_296);
    const weights = readSafetensors(path.join(dir, 'generator.safetensors'));
    expect([...weights.values()].reduce((n, t) => n + t.data.length, 0)).toBe(8_471_296);
    expect(weights.get('main.0.weight')!.data.every(Number.isFinite)).toBe(true);
  });
});
