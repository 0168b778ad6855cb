// The transfer editors: "output = input" returns the photo itself; the oracle undoes the similarity
// between the posed and the neutral photo; the generator editor changes only the crop's footprint.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AU_ORDER } from '../../shared/aus';
import { cropTransform, decodeImage, encodeImage, type Face, type RgbImage } from '../face';
import type { Point } from '../face/face-frame';
import { readDetections } from '../face/precomputed';
import { disposeAllSessions, GeneratorEngine } from '../infer/generator-engine';
import { PRESETS } from '../model/config';
import { exportGeneratorModel, writeFileAtomic } from '../model/model-file';
import { readSafetensors } from '../model/safetensors';
import { generatorEditor, identityEditor, oracleEditor, type TransferPair } from './transfer-editors';

const SHARED = path.resolve(__dirname, '../../../../shared');
const TW = path.join(SHARED, 'data/tw-expressions');
const TINY = path.join(SHARED, 'fixtures/ganimation-tiny/generator.safetensors');
const have = fs.existsSync(path.join(TW, 'faces.jsonl.gz')) && fs.existsSync(TINY);
if (!have) console.warn(`skipping the transfer-editor tests on real photos: ${SHARED} not found`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-editors-'));
afterAll(async () => {
  await disposeAllSessions();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function texture(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set([(i * 37) % 251, (i * 11) % 241, ((i % width) * 5) % 256], i * 3);
  return { width, height, data };
}

/** A face record around landmarks, with the flags the pipeline does not read here. */
const faceOf = (landmarks: readonly Point[]): Face => ({
  id: 0,
  box: { x: 20, y: 20, width: 60, height: 60 },
  score: 1,
  landmarks,
  expressions: { neutral: 1, happy: 0, sad: 0, angry: 0, fearful: 0, disgusted: 0, surprised: 0 },
  tooSmall: false,
  cutByBorder: false,
});

const pairOf = (posedFile: string, posedLandmarks: readonly Point[]): TransferPair => ({ performer: '01', expression: 'happy', neutralFile: 'n.png', posedFile, posedLandmarks });
const noAus = new Float32Array(AU_ORDER.length);

describe('reference editors', () => {
  it('"output = input" returns the very photo it was given', async () => {
    const photo = texture(16, 16);
    await expect(identityEditor(photo, faceOf([]), noAus, pairOf('', []))).resolves.toBe(photo);
  });

  it('the oracle carries the posed photo back onto the neutral one', async () => {
    const neutral = texture(64, 48);
    // The posed photo is the neutral one moved right by 3 px and down by 2 px, landmarks with it.
    const posed = { ...neutral, data: new Uint8Array(neutral.data.length) };
    for (let y = 2; y < 48; y++) for (let x = 3; x < 64; x++) posed.data.set(neutral.data.subarray(((y - 2) * 64 + x - 3) * 3, ((y - 2) * 64 + x - 2) * 3), (y * 64 + x) * 3);
    const file = path.join(tmp, 'posed.png');
    await encodeImage(posed, file);
    const landmarks = Array.from({ length: 68 }, (_, i): Point => [10 + ((i * 7) % 40), 8 + ((i * 3) % 30)]);
    const out = await oracleEditor(neutral, faceOf(landmarks), noAus, pairOf(file, landmarks.map(([x, y]): Point => [x + 3, y + 2])));
    expect([out.width, out.height]).toEqual([64, 48]);
    let worst = 0;
    for (let y = 0; y < 45; y++) for (let x = 0; x < 60; x++) for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(out.data[(y * 64 + x) * 3 + c] - neutral.data[(y * 64 + x) * 3 + c]));
    expect(worst).toBeLessThanOrEqual(1);
  });
});

describe.skipIf(!have)('generatorEditor', () => {
  it('repaints the crop footprint of the face and leaves the rest of the photo bit-identical', async () => {
    const weights = new Map([...readSafetensors(TINY)].map(([k, t]) => [k, t.data]));
    const model = path.join(tmp, 'tiny.onnx');
    writeFileAtomic(model, exportGeneratorModel(weights, PRESETS.tiny.generator, { provenance: { importedFrom: 'fixture' } }));
    const engine = await GeneratorEngine.load(model, { device: 'cpu' });
    const photo = await decodeImage(path.join(TW, 'images/1701a02.jpg'));
    const [detected] = readDetections(path.join(TW, 'faces.jsonl.gz')).get('1701a02.jpg')?.faces ?? [];
    const smile = new Float32Array(AU_ORDER.length);
    smile[AU_ORDER.indexOf('AU12')] = 1;
    const out = await generatorEditor(engine)(photo, detected, smile, pairOf('', []));
    expect([out.width, out.height]).toEqual([photo.width, photo.height]);
    const t = cropTransform(detected, { size: engine.imageSize });
    const half = (t.size / 2) * t.scale + 1;
    let changedInside = 0;
    let changedOutside = 0;
    for (let y = 0; y < photo.height; y++) {
      for (let x = 0; x < photo.width; x++) {
        const differs = [0, 1, 2].some((c) => out.data[(y * photo.width + x) * 3 + c] !== photo.data[(y * photo.width + x) * 3 + c]);
        const outside = Math.abs(x + 0.5 - t.centerX) > half || Math.abs(y + 0.5 - t.centerY) > half;
        if (differs && outside) changedOutside++;
        if (differs && !outside) changedInside++;
      }
    }
    expect(changedOutside).toBe(0);
    expect(changedInside).toBeGreaterThan(1000);
  }, 120_000);
});
