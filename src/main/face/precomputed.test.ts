// Precomputed detections: parsing, clear errors naming the file and line, and the shared data's own files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing';
import { largestFace, parseDetections, readDetections } from './precomputed';

const DATA = path.resolve(__dirname, '../../../../shared/data');
const have = fs.existsSync(path.join(DATA, 'tw-expressions', 'faces.jsonl.gz'));
if (!have) console.warn(`skipping precomputed-detection tests on real data: ${DATA} not found`);

const landmarks = (dx: number) => Array.from({ length: 68 }, (_, i) => [dx + i, 50 + (i % 7)]);
const face = (x: number, side: number) => ({ box: { x, y: 10, width: side, height: side }, score: 0.9, landmarks: landmarks(x), expressions: { happy: 0.7, neutral: 0.3 } });

describe('parseDetections', () => {
  it('numbers faces left to right, fills missing expressions with 0 and keeps errors', () => {
    const text = [
      JSON.stringify({ file: 'a.jpg', width: 300, height: 200, faces: [face(150, 60), face(20, 90)] }),
      '',
      JSON.stringify({ file: 'b.jpg', width: 10, height: 10, error: 'not an image' }),
      JSON.stringify({ file: 'c.jpg', width: 10, height: 10, faces: [] }),
    ].join('\n');
    const d = parseDetections(text, 'x.jsonl');
    const a = d.get('a.jpg')!;
    expect(a.faces.map((f) => [f.id, f.box.x])).toEqual([[0, 20], [1, 150]]);
    expect(a.faces[0].expressions.happy).toBe(0.7);
    expect(a.faces[0].expressions.angry).toBe(0);
    expect(a.faces[0].tooSmall).toBe(false);
    expect(a.faces[1].tooSmall).toBe(true);
    expect(largestFace(a.faces)?.box.x).toBe(20);
    expect(d.get('b.jpg')).toMatchObject({ faces: [], error: 'not an image' });
    expect(d.get('c.jpg')?.faces).toEqual([]);
    expect(largestFace([])).toBeNull();
  });

  it('names the file and the line of a bad record', () => {
    const good = JSON.stringify({ file: 'a.jpg', width: 1, height: 1, faces: [] });
    expect(errorOf(() => parseDetections(`${good}\n{not json`, 'd.jsonl')).message).toMatch(/^d\.jsonl line 2: not JSON/);
    const short = JSON.stringify({ file: 'a.jpg', width: 1, height: 1, faces: [{ ...face(0, 80), landmarks: landmarks(0).slice(0, 5) }] });
    expect(errorOf(() => parseDetections(short, 'd.jsonl')).message).toBe('d.jsonl line 1: a face does not have 68 finite [x, y] landmarks');
    expect(errorOf(() => parseDetections(JSON.stringify({ width: 1 }), 'd.jsonl')).message).toBe('d.jsonl line 1: no file name');
    expect(errorOf(() => parseDetections(JSON.stringify({ file: 'a.jpg' }), 'd.jsonl')).message).toBe('d.jsonl line 1: neither faces nor error');
  });

  it('reads gzip and plain files, and says when a file is missing or not gzip', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-detections-'));
    const line = JSON.stringify({ file: 'a.jpg', width: 300, height: 200, faces: [face(20, 90)] });
    fs.writeFileSync(path.join(dir, 'f.jsonl.gz'), zlib.gzipSync(line));
    fs.writeFileSync(path.join(dir, 'f.jsonl'), line);
    expect(readDetections(path.join(dir, 'f.jsonl.gz')).get('a.jpg')?.faces.length).toBe(1);
    expect(readDetections(path.join(dir, 'f.jsonl')).get('a.jpg')?.faces.length).toBe(1);
    fs.writeFileSync(path.join(dir, 'cut.gz'), zlib.gzipSync(line).subarray(0, 12));
    expect(errorOf(() => readDetections(path.join(dir, 'cut.gz'))).message).toMatch(/cut\.gz is not a valid gzip file/);
    expect(errorOf(() => readDetections(path.join(dir, 'none.gz'))).message).toMatch(/cannot read .*none\.gz/);
  });
});

describe.skipIf(!have)('the shared data sets', () => {
  it('have a line for every photo, with 68 landmarks per face', () => {
    const tw = readDetections(path.join(DATA, 'tw-expressions', 'faces.jsonl.gz'));
    expect(tw.size).toBe(984);
    const withFaces = [...tw.values()].filter((p) => p.faces.length > 0);
    expect(withFaces.length).toBe(984 - 16);
    expect(withFaces.every((p) => p.faces.every((f) => f.landmarks.length === 68))).toBe(true);
  });
});
