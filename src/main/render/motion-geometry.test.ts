// Geometry from a motion basis on a real portrait: the face's own AUs move nothing (bit for bit),
// other AUs warp the face region inside its bounds and the crop the same way, and a face that cannot
// be warped falls back to no warp with a notice.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../face';
import { readDetections } from '../face/precomputed';
import type { MotionBasis } from '../face/motion-model';
import type { WarpKernel } from '../face/mesh-warp';
import { takeMouthInterior } from '../face/mouth-interior';
import { motionGeometry } from './motion-geometry';
import { Scene } from './scene';

const DATA = path.resolve(__dirname, '../../../../shared/data/tw-expressions');
const have = fs.existsSync(path.join(DATA, 'faces.jsonl.gz'));
if (!have) console.warn(`skipping motion-geometry tests: ${DATA} not found`);

const AU12 = 8;
/** AU12 pulls the mouth corners (48, 54) out and up by 0.15 inter-ocular units per unit. */
function smileBasis(): MotionBasis {
  const linear = new Float32Array(17 * 136);
  const row = AU12 * 136;
  linear[row + 2 * 48] = -0.15;
  linear[row + 2 * 48 + 1] = -0.1;
  linear[row + 2 * 54] = 0.15;
  linear[row + 2 * 54 + 1] = -0.1;
  return { linear, terms: [] };
}

const own = Float32Array.from({ length: 17 }, () => 0.1);
const smiling = Float32Array.from(own, (v, k) => (k === AU12 ? 1 : v));

describe.skipIf(!have)('motionGeometry', () => {
  it('moves nothing for the face\'s own AUs and warps the face region and the crop for others', async () => {
    const photo = await decodeImage(path.join(DATA, 'images', '0101a02.jpg'));
    const face = readDetections(path.join(DATA, 'faces.jsonl.gz')).get('0101a02.jpg')!.faces[0];
    const notices: string[] = [];
    const scene = new Scene(photo, [{ ...face, sourceAus: own }], 96, motionGeometry(smileBasis(), (_id, why) => notices.push(why)));
    const { warp } = scene.faces[0];
    expect(notices).toEqual([]);
    expect(warp.bounds).not.toBeNull();
    expect(warp.warpedRegion(own)).toBeNull();
    const crop = warp.cropTensor(own);
    expect(warp.cropTensor(own)).toEqual(crop);

    const region = warp.warpedRegion(smiling)!;
    const b = warp.bounds!;
    expect(region.rect).toEqual(b);
    // The corners moved, so pixels near them changed; the region's border (the anchor ring's edge) did not.
    const at = (x: number, y: number) => 3 * ((y - b.y0) * (b.x1 - b.x0) + (x - b.x0));
    const [cx, cy] = face.landmarks[48].map(Math.round);
    let changedNearCorner = 0;
    for (let y = cy - 4; y <= cy + 4; y++) for (let x = cx - 4; x <= cx + 4; x++) changedNearCorner += region.rgb[at(x, y)] !== photo.data[3 * (y * photo.width + x)] ? 1 : 0;
    expect(changedNearCorner).toBeGreaterThan(10);
    for (let x = b.x0; x < b.x1; x++) expect(region.rgb[at(x, b.y0)]).toBe(photo.data[3 * (b.y0 * photo.width + x)]);
    const warpedCrop = warp.cropTensor(smiling);
    expect(warpedCrop).not.toEqual(crop);
    expect(warpedCrop.length).toBe(crop.length);
  });

  it('samples the photo with the kernel it is given (bicubic by default, bilinear for the live preview)', async () => {
    const photo = await decodeImage(path.join(DATA, 'images', '0101a02.jpg'));
    const face = readDetections(path.join(DATA, 'faces.jsonl.gz')).get('0101a02.jpg')!.faces[0];
    const regionWith = (kernel?: WarpKernel) => {
      const scene = new Scene(photo, [{ ...face, sourceAus: own }], 96, motionGeometry(smileBasis(), undefined, kernel));
      return Uint8Array.from(scene.faces[0].warp.warpedRegion(smiling)!.rgb);
    };
    const cubic = regionWith();
    const bilinear = regionWith('bilinear');
    expect(regionWith('cubic')).toEqual(cubic);
    expect(bilinear).not.toEqual(cubic);
    // Both are the same warp: they differ only where pixels were resampled, and by little there.
    let far = 0;
    for (let i = 0; i < cubic.length; i++) far += Math.abs(cubic[i] - bilinear[i]) > 40 ? 1 : 0;
    expect(far / cubic.length).toBeLessThan(1e-3);
  });

  it('warps motion that carries a landmark past the photo edge, clipped there, without a notice', async () => {
    const photo = await decodeImage(path.join(DATA, 'images', '0101a02.jpg'));
    const face = readDetections(path.join(DATA, 'faces.jsonl.gz')).get('0101a02.jpg')!.faces[0];
    const [chinX, chinY] = face.landmarks[8];
    const eye = (from: number) => face.landmarks.slice(from, from + 6).reduce(([x, y], [px, py]) => [x + px / 6, y + py / 6], [0, 0]);
    const [right, left] = [eye(36), eye(42)];
    // The face frame's unit (eye centre to eye centre); its eye line is nearly level here.
    const iod = Math.hypot(left[0] - right[0], left[1] - right[1]);
    // AU26 (index 15) drops the chin to 4 px below the photo's bottom edge at intensity 1.
    const linear = new Float32Array(17 * 136);
    linear[15 * 136 + 2 * 8 + 1] = (photo.height + 4 - chinY) / iod;
    const notices: string[] = [];
    const scene = new Scene(photo, [{ ...face, sourceAus: own }], 96, motionGeometry({ linear, terms: [] }, (_id, why) => notices.push(why)));
    const { warp } = scene.faces[0];
    const dropped = Float32Array.from(own, (v, k) => (k === 15 ? 1 : v));
    const region = warp.warpedRegion(dropped);
    expect(notices).toEqual([]);
    expect(region).not.toBeNull();
    // Pixels just above the old chin now show what lay higher up: the jaw moved down.
    const b = warp.bounds!;
    const y = Math.min(photo.height - 1, Math.round(chinY) + 2);
    const x = Math.round(chinX);
    const at = 3 * ((y - b.y0) * (b.x1 - b.x0) + (x - b.x0));
    let differs = 0;
    for (let dx = -3; dx <= 3; dx++) differs += region!.rgb[at + 3 * dx] !== photo.data[3 * (y * photo.width + x + dx)] ? 1 : 0;
    expect(differs).toBeGreaterThan(0);
  });

  it('falls back to no warp, with a notice, for a face whose landmarks leave the photo', async () => {
    const photo = await decodeImage(path.join(DATA, 'images', '0101a02.jpg'));
    const face = readDetections(path.join(DATA, 'faces.jsonl.gz')).get('0101a02.jpg')!.faces[0];
    const outside = { ...face, landmarks: face.landmarks.map(([x, y], i) => (i === 8 ? [x, photo.height + 30] as const : [x, y] as const)) };
    const notices: string[] = [];
    const scene = new Scene(photo, [{ ...outside, sourceAus: own }], 96, motionGeometry(smileBasis(), (id, why) => notices.push(`${id}: ${why}`)));
    expect(scene.faces[0].warp.bounds).toBeNull();
    expect(notices).toEqual([expect.stringMatching(/^0: landmark 8 .* lies outside the 256x256 photo/)]);
  });

  it("with the mouth-opening repaint region, lets the generator repaint only the opening the warp makes", async () => {
    const photo = await decodeImage(path.join(DATA, 'images', '0101a02.jpg'));
    const face = readDetections(path.join(DATA, 'faces.jsonl.gz')).get('0101a02.jpg')!.faces[0];
    // AU26 (index 15) lowers the lower inner lip (65-67) by 0.3 inter-ocular units: the mouth opens.
    const linear = new Float32Array(17 * 136);
    for (const i of [65, 66, 67, 56, 57, 58]) linear[15 * 136 + 2 * i + 1] = 0.3;
    const basis: MotionBasis = { linear, terms: [] };
    const dropped = Float32Array.from(own, (v, k) => (k === 15 ? 1 : v));
    const gated = new Scene(photo, [{ ...face, sourceAus: own }], 96, motionGeometry(basis, undefined, 'cubic', { repaintRegion: 'mouth-opening' })).faces[0].warp;
    expect(gated.repaintGate).toBeDefined();
    // Its own AUs: the photo's closed mouth, nothing to repaint.
    expect(gated.repaintGate!(own).every((v) => v === 0)).toBe(true);
    const gate = gated.repaintGate!(dropped);
    expect(gate).toHaveLength(96 * 96);
    const open = gate.filter((v) => v > 0.5).length;
    expect(open).toBeGreaterThan(20);
    // Only around the mouth: nothing in the upper half of the crop.
    expect(gate.subarray(0, 48 * 96).every((v) => v === 0)).toBe(true);
    // A smile moves the corners but does not part the lips: nothing to repaint either.
    const smile = new Scene(photo, [{ ...face, sourceAus: own }], 96, motionGeometry(smileBasis(), undefined, 'cubic', { repaintRegion: 'mouth-opening' })).faces[0].warp;
    expect(smile.repaintGate!(smiling).every((v) => v === 0)).toBe(true);
    // The default region: no gate at all.
    expect(new Scene(photo, [{ ...face, sourceAus: own }], 96, motionGeometry(basis)).faces[0].warp.repaintGate).toBeUndefined();
  });

  it('lays a mouth interior into a mouth the warp opens, and nowhere else', async () => {
    const detections = readDetections(path.join(DATA, 'faces.jsonl.gz'));
    const open = detections.get('0811b10.jpg')!.faces[0];
    const interior = takeMouthInterior(await decodeImage(path.join(DATA, 'images', '0811b10.jpg')), open.landmarks, '0811b10.jpg');
    const photo = await decodeImage(path.join(DATA, 'images', '0101a02.jpg'));
    const face = { ...detections.get('0101a02.jpg')!.faces[0], sourceAus: own };
    const linear = new Float32Array(17 * 136);
    for (const i of [65, 66, 67, 56, 57, 58]) linear[15 * 136 + 2 * i + 1] = 0.3;
    const basis: MotionBasis = { linear, terms: [] };
    const dropped = Float32Array.from(own, (v, k) => (k === 15 ? 1 : v));
    const plain = new Scene(photo, [face], 96, motionGeometry(basis)).faces[0].warp;
    const withMouth = new Scene(photo, [face], 96, motionGeometry(basis, undefined, 'cubic', { mouthInterior: interior })).faces[0].warp;
    // Its own AUs move nothing, with or without an interior.
    expect(withMouth.warpedRegion(own)).toBeNull();
    expect(withMouth.cropTensor(own)).toEqual(plain.cropTensor(own));
    const a = plain.warpedRegion(dropped)!;
    const b = withMouth.warpedRegion(dropped)!;
    expect(b.rect).toEqual(a.rect);
    // Only pixels between the mouth corners and below the upper inner lip (which this basis does
    // not move; the lower lip drops) differ, and many of them do.
    const lips = [60, 61, 62, 63, 64].map((i) => face.landmarks[i]);
    const width = a.rect.x1 - a.rect.x0;
    let changed = 0;
    for (let i = 0; i < a.rgb.length; i += 3) {
      if (a.rgb[i] === b.rgb[i] && a.rgb[i + 1] === b.rgb[i + 1] && a.rgb[i + 2] === b.rgb[i + 2]) continue;
      changed++;
      const x = a.rect.x0 + ((i / 3) % width);
      const y = a.rect.y0 + Math.floor(i / 3 / width);
      expect(x).toBeGreaterThanOrEqual(Math.min(...lips.map((p) => p[0])) - 1);
      expect(x).toBeLessThanOrEqual(Math.max(...lips.map((p) => p[0])) + 1);
      expect(y).toBeGreaterThanOrEqual(Math.min(...lips.map((p) => p[1])) - 1);
    }
    expect(changed).toBeGreaterThan(50);
    // The generator reads the laid interior too.
    expect(withMouth.cropTensor(dropped)).not.toEqual(plain.cropTensor(dropped));
    // A smile parts no lips: the same pixels as without an interior.
    const smilePlain = new Scene(photo, [face], 96, motionGeometry(smileBasis())).faces[0].warp.warpedRegion(smiling)!;
    const smileMouth = new Scene(photo, [face], 96, motionGeometry(smileBasis(), undefined, 'cubic', { mouthInterior: interior })).faces[0].warp.warpedRegion(smiling)!;
    expect(smileMouth.rgb).toEqual(smilePlain.rgb);
  });
});
