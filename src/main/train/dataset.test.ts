// Dataset building on small generated files: good, duplicate, empty, text-as-JPEG and truncated
// images; skip reasons, cache reuse and the train/validation split.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { buildDataset, loadDataset, scanImages, type FaceStep } from './dataset';

const SIZE = 16;

/** Treats each image as an aligned crop; AUs from the mean brightness so labels differ per file. */
const alignedStep = (calls: string[]): FaceStep => async (file, bytes) => {
  calls.push(path.basename(file));
  try {
    const { data } = await sharp(bytes).removeAlpha().resize(SIZE, SIZE).raw().toBuffer({ resolveWithObject: true });
    const mean = data.reduce((a, b) => a + b, 0) / data.length / 255;
    return { ok: true, crop: new Uint8Array(data), aus: new Float32Array(17).fill(mean) };
  } catch (err) {
    return { ok: false, reason: 'corrupt', detail: (err as Error).message };
  }
};

async function makeFolder(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-dataset-'));
  fs.mkdirSync(path.join(dir, 'nested'));
  const png = (r: number) => sharp({ create: { width: 40, height: 40, channels: 3, background: { r, g: 100, b: 50 } } }).png().toBuffer();
  fs.writeFileSync(path.join(dir, 'a.png'), await png(10));
  fs.writeFileSync(path.join(dir, 'nested', 'b.png'), await png(200));
  fs.writeFileSync(path.join(dir, 'copy-of-a.png'), await png(10));
  fs.writeFileSync(path.join(dir, 'empty.jpg'), '');
  fs.writeFileSync(path.join(dir, 'notes.jpg'), 'this is text, not a JPEG');
  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).jpeg().toBuffer();
  fs.writeFileSync(path.join(dir, 'truncated.jpg'), jpeg.subarray(0, 40));
  fs.writeFileSync(path.join(dir, 'readme.txt'), 'ignored: not an image extension');
  return dir;
}

describe('buildDataset', () => {
  it('keeps good images, reports every skipped file with its reason, and reuses the cache', async () => {
    const folder = await makeFolder();
    const cacheDir = path.join(folder, '..', `${path.basename(folder)}-cache`);
    const calls: string[] = [];
    const manifest = await buildDataset({ folder, cacheDir, size: SIZE, recipe: 'test', faceStep: alignedStep(calls), validationFraction: 0 });
    expect(manifest.items.map((i) => i.file).sort()).toEqual(['a.png', path.join('nested', 'b.png')]);
    const reasons = Object.fromEntries(manifest.skipped.map((s) => [s.file, s.reason]));
    expect(reasons).toEqual({ 'copy-of-a.png': 'duplicate', 'empty.jpg': 'empty', 'notes.jpg': 'corrupt', 'truncated.jpg': 'corrupt' });

    fs.writeFileSync(path.join(folder, 'c.png'), await sharp({ create: { width: 30, height: 30, channels: 3, background: '#fff' } }).png().toBuffer());
    calls.length = 0;
    const again = await buildDataset({ folder, cacheDir, size: SIZE, recipe: 'test', faceStep: alignedStep(calls), validationFraction: 0 });
    expect(calls).not.toContain('a.png');
    expect(calls).toContain('c.png');
    expect(again.items.length).toBe(3);

    const { train, validation, manifestHash } = loadDataset(cacheDir);
    expect(train.count + validation.count).toBe(3);
    expect(train.pixels.length).toBe(train.count * SIZE * SIZE * 3);
    expect(manifestHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('splits by file content and fails clearly on a missing folder or cache', async () => {
    const folder = await makeFolder();
    const cacheDir = `${folder}-cache`;
    const m = await buildDataset({ folder, cacheDir, size: SIZE, recipe: 'test', faceStep: alignedStep([]), validationFraction: 1 });
    expect(m.items.every((i) => i.split === 'validation')).toBe(true);
    await expect(buildDataset({ folder: path.join(folder, 'nope'), cacheDir, size: SIZE, recipe: 'test', faceStep: alignedStep([]), validationFraction: 0 })).rejects.toMatchObject({ code: 'no-such-folder', message: expect.stringMatching(/does not exist/) });
    expect(() => loadDataset(path.join(folder, 'no-cache'))).toThrow(expect.objectContaining({ code: 'no-dataset-cache', message: expect.stringMatching(/no dataset cache/) }));
  });

  it('follows symbolic links to images and folders without looping', async () => {
    const folder = await makeFolder();
    const linked = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-linked-'));
    fs.symlinkSync(path.join(folder, 'a.png'), path.join(linked, 'link-to-a.png'));
    fs.symlinkSync(path.join(folder, 'nested'), path.join(linked, 'nested-link'));
    fs.symlinkSync(linked, path.join(linked, 'loop'));
    expect(scanImages(linked).map((f) => path.relative(linked, f))).toEqual(['link-to-a.png', path.join('nested-link', 'b.png')]);
  });

  it('saves partial progress while building, so a killed build resumes without redoing work', async () => {
    const folder = await makeFolder();
    const cacheDir = `${folder}-cache`;
    const controller = new AbortController();
    const calls: string[] = [];
    // Abort after the second face step: cancelling saves what is done.
    const step: FaceStep = async (file, bytes) => {
      const r = await alignedStep(calls)(file, bytes);
      if (calls.length === 2) controller.abort();
      return r;
    };
    await expect(buildDataset({ folder, cacheDir, size: SIZE, recipe: 'test', faceStep: step, validationFraction: 0, signal: controller.signal, flushEveryMs: 60_000 })).rejects.toMatchObject({ code: 'cancelled', message: expect.stringMatching(/cancelled/) });
    const partial = JSON.parse(fs.readFileSync(path.join(cacheDir, 'manifest.json'), 'utf8'));
    expect(partial.items.length).toBe(2);
    const rest: string[] = [];
    const full = await buildDataset({ folder, cacheDir, size: SIZE, recipe: 'test', faceStep: alignedStep(rest), validationFraction: 0 });
    expect(full.items.length).toBe(2);
    expect(rest).not.toContain('a.png');
  });

  it('trains on several caches together and refuses mixed crop sizes', async () => {
    const a = await makeFolder();
    const b = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-dataset-b-'));
    fs.writeFileSync(path.join(b, 'd.png'), await sharp({ create: { width: 20, height: 20, channels: 3, background: '#123456' } }).png().toBuffer());
    await buildDataset({ folder: a, cacheDir: `${a}-cache`, size: SIZE, recipe: 'test', faceStep: alignedStep([]), validationFraction: 0 });
    await buildDataset({ folder: b, cacheDir: `${b}-cache`, size: SIZE, recipe: 'aligned', faceStep: alignedStep([]), validationFraction: 0 });
    const both = loadDataset([`${a}-cache`, `${b}-cache`]);
    expect(both.train.count).toBe(3);
    // Each crop names its source image by basename, in crop order (warm-start pairs look crops up by it).
    expect(both.train.files).toEqual(['a.png', 'b.png', 'd.png']);
    expect(both.manifests.map((m) => m.items.length)).toEqual([2, 1]);
    const last = both.train.pixels.subarray(2 * SIZE * SIZE * 3, 2 * SIZE * SIZE * 3 + 3);
    expect(Array.from(last)).toEqual([0x12, 0x34, 0x56]);
    expect(both.manifestHash).not.toBe(loadDataset(`${a}-cache`).manifestHash);
    const c = `${b}-big`;
    await buildDataset({ folder: b, cacheDir: c, size: SIZE * 2, recipe: 'aligned', faceStep: async () => ({ ok: true, crop: new Uint8Array(SIZE * SIZE * 12), aus: new Float32Array(17) }), validationFraction: 0 });
    expect(() => loadDataset([`${a}-cache`, c])).toThrow(expect.objectContaining({ code: 'dataset-sizes-differ', message: expect.stringMatching(/px crops/) }));
  });

  it('keeps landmarks in crop pixels when the face step gives them, and none when any crop lacks them', async () => {
    const folder = await makeFolder();
    const withMarks: FaceStep = async (file, bytes) => {
      const r = await alignedStep([])(file, bytes);
      return r.ok ? { ...r, landmarks: Float32Array.from({ length: 136 }, (_, i) => i / 3) } : r;
    };
    await buildDataset({ folder, cacheDir: `${folder}-marks`, size: SIZE, recipe: 'test', faceStep: withMarks, validationFraction: 0 });
    const { train } = loadDataset(`${folder}-marks`);
    expect(train.landmarks?.length).toBe(2 * 136);
    expect(train.landmarks?.[136 + 4]).toBeCloseTo(1.33, 5);
    fs.writeFileSync(path.join(folder, 'c.png'), await sharp({ create: { width: 30, height: 30, channels: 3, background: '#fff' } }).png().toBuffer());
    await buildDataset({ folder, cacheDir: `${folder}-marks`, size: SIZE, recipe: 'test', faceStep: alignedStep([]), validationFraction: 0 });
    expect(loadDataset(`${folder}-marks`).train.landmarks).toBeNull();
  });
});
