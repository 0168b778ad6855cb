// Sharpness kept: identity is exactly 1, blur falls well below 1, sharpening rises above 1, on a
// seeded texture and on a real portrait's face region; the hull mask covers what it should.
import fs from 'node:fs';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, type RgbImage } from '../face';
import { readDetections } from '../face/precomputed';
import { convexHull, hullMask, bandEnergy, sharpnessKept } from './sharpness';

const TW = path.resolve(__dirname, '../../../../shared/data/tw-expressions');
const haveTw = fs.existsSync(path.join(TW, 'faces.jsonl.gz'));
if (!haveTw) console.warn(`skipping the portrait sharpness test: ${TW} not found`);

/** Smoothed seeded noise: texture at several scales, like skin and hair. */
function texture(size: number, seed: number): RgbImage {
  let state = seed;
  const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    const v = 60 + 120 * random() + 40 * Math.sin((i % size) / 5);
    data.set([v, v * 0.8, v * 0.6], i * 3);
  }
  return { width: size, height: size, data };
}

async function through(image: RgbImage, op: (s: Sharp) => Sharp): Promise<RgbImage> {
  const data = await op(sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })).raw().toBuffer();
  return { width: image.width, height: image.height, data: new Uint8Array(data) };
}

describe('hullMask', () => {
  it('covers the pixels inside the convex hull of the points and none outside', () => {
    const square: [number, number][] = [[10, 10], [30, 10], [30, 30], [10, 30], [20, 20], [15, 25]];
    expect(convexHull(square)).toHaveLength(4);
    const mask = hullMask(40, 40, square);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(400);
    expect(mask[20 * 40 + 20]).toBe(1);
    expect(mask[5 * 40 + 20]).toBe(0);
    expect(mask[20 * 40 + 35]).toBe(0);
  });

  it('is empty for a degenerate region', () => {
    expect(hullMask(10, 10, [[1, 1], [5, 5]]).every((v) => v === 0)).toBe(true);
  });
});

describe('sharpnessKept', () => {
  const image = texture(64, 7);
  const region: [number, number][] = [[12, 12], [52, 12], [52, 52], [12, 52]];

  it('is exactly 1 for an identical output', () => {
    expect(sharpnessKept(image, { ...image, data: new Uint8Array(image.data) }, region)).toBe(1);
  });

  it('falls well below 1 for a Gaussian-blurred copy and rises above 1 for a sharpened one', async () => {
    expect(sharpnessKept(image, await through(image, (s) => s.blur(1.2)), region)).toBeLessThan(0.7);
    expect(sharpnessKept(image, await through(image, (s) => s.sharpen({ sigma: 1, m1: 2, m2: 2 })), region)).toBeGreaterThan(1);
  });

  it('reads only the region and the filter\'s reach around it: blur farther out changes nothing', async () => {
    const blurred = await through(image, (s) => s.blur(2));
    const mixed = new Uint8Array(image.data);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) if (x < 6 || x >= 58 || y < 6 || y >= 58) for (let c = 0; c < 3; c++) mixed[(y * 64 + x) * 3 + c] = blurred.data[(y * 64 + x) * 3 + c];
    expect(sharpnessKept(image, { ...image, data: mixed }, region)).toBe(1);
  });

  it('is NaN on a flat input and refuses images of different sizes', () => {
    const flat = { width: 8, height: 8, data: new Uint8Array(192).fill(100) };
    expect(bandEnergy(flat)).toBe(0);
    expect(sharpnessKept(flat, flat)).toBeNaN();
    expect(() => sharpnessKept(flat, image)).toThrow(/64x64 but the input 8x8/);
  });

  it.skipIf(!haveTw)('tells a blurred portrait face from a sharpened one over the landmarks hull', async () => {
    const photo = await decodeImage(path.join(TW, 'images/1701a02.jpg'));
    const [face] = readDetections(path.join(TW, 'faces.jsonl.gz')).get('1701a02.jpg')?.faces ?? [];
    expect(face).toBeDefined();
    expect(sharpnessKept(photo, photo, face.landmarks)).toBe(1);
    const blurred = sharpnessKept(photo, await through(photo, (s) => s.blur(1.5)), face.landmarks);
    const sharpened = sharpnessKept(photo, await through(photo, (s) => s.sharpen({ sigma: 1, m1: 2, m2: 2 })), face.landmarks);
    expect(blurred).toBeLessThan(0.7);
    expect(sharpened).toBeGreaterThan(1);
  });
});
