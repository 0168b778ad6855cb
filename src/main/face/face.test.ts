// The face pipeline on real portraits from ../shared/data and on generated bad input.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { applyPaste, cropFace, decodeImage, detectFaces, estimateAus, pasteBack, planPaste, rgbToTensor, type RgbImage } from '.';

const PORTRAITS = path.resolve(__dirname, '../../../../shared/data/tw-expressions/images');
const have = fs.existsSync(PORTRAITS);
if (!have) console.warn(`skipping face tests on real photos: ${PORTRAITS} not found`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-face-'));
const file = (name: string, bytes: Buffer | string) => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, bytes);
  return p;
};
const portrait = (name = '0101a02.jpg') => path.join(PORTRAITS, name);

describe('decodeImage', () => {
  it('names the file and the problem for empty, non-image, truncated and missing files', async () => {
    await expect(decodeImage(file('empty.jpg', ''))).rejects.toThrow(/empty\.jpg is empty/);
    await expect(decodeImage(file('notes.jpg', 'hello'))).rejects.toThrow(/notes\.jpg is not an image/);
    const jpeg = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#777' } }).jpeg().toBuffer();
    await expect(decodeImage(file('cut.jpg', jpeg.subarray(0, jpeg.length / 2)))).rejects.toThrow(/cut\.jpg/);
    await expect(decodeImage(path.join(tmp, 'missing.png'))).rejects.toThrow(/missing\.png: no such file/);
  });
  it('refuses photos over the size limit', async () => {
    const huge = await sharp({ create: { width: 8000, height: 7000, channels: 3, background: '#000' } }).jpeg({ quality: 20 }).toBuffer();
    await expect(decodeImage(file('huge.jpg', huge))).rejects.toThrow(/huge\.jpg is 8000x7000 \(56 MP\); the limit is 50 MP/);
  });
  it('converts grayscale, CMYK, 16-bit and alpha images to 8-bit RGB', async () => {
    const base = sharp({ create: { width: 20, height: 10, channels: 4, background: { r: 200, g: 100, b: 50, alpha: 0.5 } } });
    const variants = {
      'gray.png': await base.clone().greyscale().png().toBuffer(),
      'cmyk.jpg': await base.clone().toColourspace('cmyk').jpeg().toBuffer(),
      'deep.png': await base.clone().toColourspace('rgb16').png().toBuffer(),
      'alpha.png': await base.clone().png().toBuffer(),
      'photo.webp': await base.clone().webp().toBuffer(),
    };
    for (const [name, bytes] of Object.entries(variants)) {
      const img = await decodeImage(file(name, bytes));
      expect([img.width, img.height, img.data.length], name).toEqual([20, 10, 600]);
    }
  });
  it.skipIf(!have)('applies EXIF orientation', async () => {
    // Pixels stored turned a quarter left, with the EXIF tag that tells viewers to turn them back.
    const upright = await sharp(portrait()).extract({ left: 0, top: 0, width: 256, height: 220 }).toBuffer();
    const stored = await sharp(await sharp(upright).rotate(270).toBuffer()).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const img = await decodeImage(file('rotated.jpg', stored));
    expect([img.width, img.height]).toEqual([256, 220]);
    expect((await detectFaces(img)).length).toBe(1);
  });
});

describe.skipIf(!have)('detectFaces and estimateAus', () => {
  it('finds one face with 68 landmarks in a portrait, none in a blank image', async () => {
    const faces = await detectFaces(await decodeImage(portrait()));
    expect(faces.length).toBe(1);
    expect(faces[0].id).toBe(0);
    expect(faces[0].landmarks.length).toBe(68);
    expect(faces[0].tooSmall).toBe(false);
    const blank: RgbImage = { width: 200, height: 200, data: new Uint8Array(200 * 200 * 3).fill(128) };
    expect(await detectFaces(blank)).toEqual([]);
  });
  it('estimates the same AUs on repeat runs and on a mirrored face (within 0.05)', async () => {
    const photo = await decodeImage(portrait('0111b01.jpg'));
    const [face] = await detectFaces(photo);
    const aus = estimateAus(face);
    expect(Array.from(estimateAus((await detectFaces(photo))[0]))).toEqual(Array.from(aus));
    const mirrored = await decodeImage(await sharp(portrait('0111b01.jpg')).flop().toBuffer());
    const flipped = estimateAus((await detectFaces(mirrored))[0]);
    aus.forEach((v, i) => expect(Math.abs(v - flipped[i]), `AU index ${i}`).toBeLessThan(0.05));
  });
  it('sees a smile in a happy face and not in a neutral one', async () => {
    const neutral = estimateAus((await detectFaces(await decodeImage(portrait('0101a02.jpg'))))[0]);
    const happy = estimateAus((await detectFaces(await decodeImage(portrait('0111b01.jpg'))))[0]);
    expect(happy[8]).toBeGreaterThan(neutral[8] + 0.15);
  });
  it('flags a tiny face', async () => {
    const small = await decodeImage(await sharp(portrait()).resize(64).extend({ top: 150, bottom: 150, left: 150, right: 150, background: '#808080' }).toBuffer());
    const faces = await detectFaces(small);
    expect(faces.length).toBe(1);
    expect(faces[0].tooSmall).toBe(true);
  });
});

describe.skipIf(!have)('crop and paste-back', () => {
  it('pads a crop that leaves the photo, and paste-back keeps pixels outside the crop bit-identical', async () => {
    const full = await decodeImage(portrait());
    const edge = await decodeImage(await sharp(portrait()).extract({ left: 90, top: 0, width: 166, height: 256 }).toBuffer());
    const [face] = await detectFaces(edge);
    expect(face.cutByBorder || face.box.x < 20).toBe(true);
    const { crop, transform } = cropFace(edge, face, { size: 64 });
    expect(crop.data.length).toBe(64 * 64 * 3);
    const color = rgbToTensor(crop);
    const attention = new Float32Array(64 * 64).fill(0.5);
    const out = pasteBack(edge, [{ transform, color: color.map((v) => -v), attention }]);
    let changed = 0;
    const [x0, x1] = [transform.centerX - 32 * transform.scale, transform.centerX + 32 * transform.scale];
    for (let y = 0; y < edge.height; y++) {
      for (let x = 0; x < edge.width; x++) {
        const i = (y * edge.width + x) * 3;
        const inside = x >= Math.floor(x0) && x <= Math.ceil(x1) && Math.abs(y + 0.5 - transform.centerY) <= 32 * transform.scale + 1;
        if (!inside) expect(out.data[i]).toBe(edge.data[i]);
        else if (out.data[i] !== edge.data[i]) changed++;
      }
    }
    expect(changed).toBeGreaterThan(100);
    void full;
  });
  it('reproduces the photo when the generator returns the crop itself with attention 0', async () => {
    const photo = await decodeImage(portrait());
    const [face] = await detectFaces(photo);
    const { crop, transform } = cropFace(photo, face, { size: 128 });
    const out = pasteBack(photo, [{ transform, color: rgbToTensor(crop), attention: new Float32Array(128 * 128) }]);
    let err = 0;
    for (let i = 0; i < out.data.length; i++) err += Math.abs(out.data[i] - photo.data[i]);
    expect(err / out.data.length).toBeLessThan(4);
  });
  it('blending over a separate base writes the same bytes as blending in place, over a dirty buffer', async () => {
    const photo = await decodeImage(portrait());
    const [face] = await detectFaces(photo);
    const { crop, transform } = cropFace(photo, face, { size: 64 });
    const plan = planPaste(photo, transform);
    const color = rgbToTensor(crop).map((v, i) => Math.sin(i) * v);
    const attention = Float32Array.from({ length: 64 * 64 }, (_, i) => (i % 7) / 6);
    const inPlace = new Uint8Array(photo.data);
    applyPaste(plan, inPlace, color, attention);
    const dirty = new Uint8Array(photo.data.length).fill(17);
    applyPaste(plan, dirty, color, attention, photo.data);
    for (const p of plan.pixel) for (let c = 0; c < 3; c++) expect(dirty[p + c]).toBe(inPlace[p + c]);
    expect(plan.pixel.length).toBeGreaterThan(1000);
  });
});
