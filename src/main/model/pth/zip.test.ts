// The zip reader: stored and deflated entries, and damaged archives reported with the file name.
import { describe, expect, it } from 'vitest';
import { zipArchive } from './test-checkpoints';
import { isZip, readZip } from './zip';
import { errorOf } from '../../testing';

const text = (s: string) => new TextEncoder().encode(s);
const files: [string, Uint8Array][] = [
  ['a/data.pkl', text('pickle bytes')],
  ['a/data/0', new Uint8Array(1000).map((_, i) => i % 7)],
  ['a/empty', new Uint8Array(0)],
];

describe('readZip', () => {
  for (const deflate of [false, true]) {
    it(`reads ${deflate ? 'deflated' : 'stored'} entries`, () => {
      const zip = zipArchive(files, deflate);
      expect(isZip(zip)).toBe(true);
      const entries = readZip(zip, 'w.pth');
      expect([...entries.keys()]).toEqual(files.map(([name]) => name));
      for (const [name, data] of files) expect(Buffer.from(entries.get(name)!.read()).equals(Buffer.from(data)), name).toBe(true);
    });
  }

  it('reports a truncated archive', () => {
    const zip = zipArchive(files);
    expect(errorOf(() => readZip(zip.subarray(0, zip.length - 30), 'w.pth')).message).toBe('w.pth: the zip archive is truncated (its end-of-directory record is missing)');
  });

  it('reports damaged data through the CRC, for stored and deflated entries', () => {
    for (const deflate of [false, true]) {
      const zip = zipArchive(files, deflate).slice();
      const at = 30 + 'a/data.pkl'.length + (deflate ? 0 : 3);
      zip[at] ^= 0x01;
      const err = errorOf(() => readZip(zip, 'w.pth').get('a/data.pkl')!.read());
      expect(err.code).toBe('pth-corrupt');
      expect(err.message).toMatch(/^w\.pth: zip entry a\/data\.pkl: its (data is damaged \(CRC mismatch\)|deflated data is damaged)/);
    }
  });

  it('reports a damaged directory and local header', () => {
    const zip = zipArchive(files).slice();
    const end = zip.length - 22;
    const directory = new DataView(zip.buffer).getUint32(end + 16, true);
    const broken = zip.slice();
    broken[directory] = 0;
    expect(errorOf(() => readZip(broken, 'w.pth')).message).toBe(`w.pth: the zip directory is damaged at byte ${directory}`);
    zip[0] = 0;
    expect(errorOf(() => readZip(zip, 'w.pth').get('a/data.pkl')!.read()).message).toBe('w.pth: zip entry a/data.pkl: its local header is damaged');
  });

  it('refuses compression methods other than stored and deflate', () => {
    const zip = zipArchive(files).slice();
    const end = zip.length - 22;
    const directory = new DataView(zip.buffer).getUint32(end + 16, true);
    new DataView(zip.buffer).setUint16(directory + 10, 12, true); // bzip2
    expect(errorOf(() => readZip(zip, 'w.pth').get('a/data.pkl')!.read()).message).toMatch(/uses zip compression method 12/);
  });
});
