// Face steps on real photos: precomputed detections stand in for detection (same crop, labels and
// landmarks), landmarks land on the face in crop pixels, and a line for a different image is ignored.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDetections } from '../face/precomputed';
import { detectedFaceStep } from './face-steps';

const DATA = path.resolve(__dirname, '../../../../shared/data');
const have = fs.existsSync(path.join(DATA, 'tw-expressions', 'faces.jsonl.gz')) && fs.existsSync(path.join(DATA, 'utkface', 'faces.jsonl.gz'));
if (!have) console.warn(`skipping face-step tests on real photos: ${DATA} not found`);

const SIZE = 96;
const mean = (lm: Float32Array, from: number, to: number) => {
  let [x, y] = [0, 0];
  for (let i = from; i < to; i++) [x, y] = [x + lm[2 * i] / (to - from), y + lm[2 * i + 1] / (to - from)];
  return [x, y];
};

describe.skipIf(!have)('detectedFaceStep with precomputed detections', () => {
  it('gives the crop, AUs and landmarks that detecting gives, for a photo in the wild', async () => {
    const file = path.join(DATA, 'tw-expressions', 'images', '0101a02.jpg');
    const bytes = fs.readFileSync(file);
    const detections = readDetections(path.join(DATA, 'tw-expressions', 'faces.jsonl.gz'));
    const fast = await detectedFaceStep(SIZE, { aligned: false, detections })(file, bytes);
    const slow = await detectedFaceStep(SIZE, { aligned: false })(file, bytes);
    if (!fast.ok || !slow.ok) throw new Error('expected a face in both');
    const maxLandmarkGap = Math.max(...Array.from(fast.landmarks!, (v, i) => Math.abs(v - slow.landmarks![i])));
    expect(maxLandmarkGap).toBeLessThan(0.5);
    expect(Math.max(...Array.from(fast.aus, (v, i) => Math.abs(v - slow.aus[i])))).toBeLessThan(0.02);
    // The shared recipe centres the crop a little below the eyes: the eyes sit in its upper half.
    const [, eyeY] = mean(fast.landmarks!, 36, 48);
    const [mouthX, mouthY] = mean(fast.landmarks!, 48, 68);
    expect(eyeY).toBeGreaterThan(SIZE * 0.2);
    expect(eyeY).toBeLessThan(SIZE * 0.5);
    expect(mouthY).toBeGreaterThan(eyeY);
    expect(Math.abs(mouthX - SIZE / 2)).toBeLessThan(SIZE * 0.1);
  }, 120_000);

  it('maps an aligned crop\'s landmarks into the resized crop', async () => {
    const file = path.join(DATA, 'utkface', 'images', fs.readdirSync(path.join(DATA, 'utkface', 'images')).sort()[0]);
    const detections = readDetections(path.join(DATA, 'utkface', 'faces.jsonl.gz'));
    const line = detections.get(path.basename(file))!;
    const result = await detectedFaceStep(SIZE, { aligned: true, detections })(file, fs.readFileSync(file));
    if (!result.ok || line.faces.length === 0) throw new Error('expected a face');
    const scale = SIZE / line.width;
    const [x, y] = line.faces[0].landmarks[30];
    expect(result.landmarks![60]).toBeCloseTo(x * scale, 4);
    expect(result.landmarks![61]).toBeCloseTo(y * scale, 4);
  });

  it('detects again when the line was made for an image of another size', async () => {
    const file = path.join(DATA, 'tw-expressions', 'images', '0101a02.jpg');
    const real = readDetections(path.join(DATA, 'tw-expressions', 'faces.jsonl.gz')).get('0101a02.jpg')!;
    const wrong = new Map([['0101a02.jpg', { ...real, width: real.width + 1, faces: [] }]]);
    const result = await detectedFaceStep(SIZE, { aligned: false, detections: wrong })(file, fs.readFileSync(file));
    expect(result.ok).toBe(true);
  }, 120_000);
});
