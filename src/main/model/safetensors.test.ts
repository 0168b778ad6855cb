import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeSafetensors, readSafetensors, readSafetensorsMetadata, writeSafetensors } from './safetensors';

const FIXTURE = path.resolve(__dirname, '../../../../shared/fixtures/ganimation-tiny/generator.safetensors');

describe('safetensors', () => {
  it('round-trips tensors and metadata through an atomic write', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-'));
    const file = path.join(dir, 'w.safetensors');
    const tensors = new Map([
      ['b', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ['a', { shape: [1], data: Float32Array.from([-0.5]) }],
    ]);
    writeSafetensors(file, tensors, { note: 'hi' });
    const back = readSafetensors(file);
    expect([...back.keys()]).toEqual(['a', 'b']);
    expect(Array.from(back.get('b')!.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(readSafetensorsMetadata(file)).toEqual({ note: 'hi' });
    expect(fs.readdirSync(dir)).toEqual(['w.safetensors']);
  });

  it('refuses other dtypes unless converting, and damaged files with a clear message', () => {
    const bytes = encodeSafetensors(new Map([['x', { shape: [2], data: Float32Array.from([1, 2]) }]]));
    const header = JSON.stringify({ x: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } });
    const f64 = new Uint8Array(8 + header.length + 16);
    new DataView(f64.buffer).setBigUint64(0, BigInt(header.length), true);
    f64.set(new TextEncoder().encode(header), 8);
    new DataView(f64.buffer).setFloat64(8 + header.length, 1.5, true);
    expect(() => readSafetensors(f64)).toThrow(/F64; weights must be F32/);
    expect(readSafetensors(f64, { convert: true }).get('x')!.data[0]).toBe(1.5);
    expect(() => readSafetensors(bytes.subarray(0, bytes.length - 3))).toThrow(/does not fit/);
    expect(() => readSafetensors(bytes.subarray(0, 5))).toThrow(/too short/);
    expect(() => readSafetensors('/nonexistent/w.safetensors')).toThrow(/cannot read \/nonexistent/);
  });

  it.skipIf(!fs.existsSync(FIXTURE))('reads the reference fixture', () => {
    const t = readSafetensors(FIXTURE);
    expect(t.get('main.0.weight')!.shape).toEqual([8, 20, 7, 7]);
    expect(t.size).toBe(29);
  });
});
