// The mouth interior on synthetic faces: taken only from an open mouth, kept exactly through its
// serialised form, laid only inside the opening, upper teeth under the upper lip and the dark of
// the mouth above the lower one, brightness matched to the face's lips.
import { describe, expect, it } from 'vitest';
import { cropTensorBuffer, layMouthInterior, mouthInteriorLayer, parseMouthInterior, rgbBuffer, serializeMouthInterior, takeMouthInterior } from './mouth-interior';
import { faceLandmarks, openMouthPhoto, syntheticMouthInterior as exemplar } from './mouth-interior.fixture';

describe('takeMouthInterior', () => {
  it('takes a patch round an open mouth with its points and lip colour', () => {
    const interior = exemplar();
    expect(interior.source).toBe('synthetic.jpg');
    expect(interior.mouth).toHaveLength(20);
    expect(interior.rgb).toHaveLength(interior.width * interior.height * 3);
    // The lip band is pink (the box round the opening).
    expect(interior.lipColor[0]).toBeGreaterThan(interior.lipColor[2] + 40);
  });

  it('refuses a closed mouth, by name', () => {
    const { photo, landmarks } = openMouthPhoto(200, 0);
    expect(() => takeMouthInterior(photo, landmarks, 'closed.jpg')).toThrow(/closed\.jpg: its mouth is not open/);
  });
});

describe('serialised mouth interiors', () => {
  it('round-trip their pixels exactly', () => {
    const interior = exemplar();
    const back = parseMouthInterior(serializeMouthInterior(interior), 'm.onnx');
    expect(back.rgb).toEqual(interior.rgb);
    expect([back.width, back.height, back.source]).toEqual([interior.width, interior.height, interior.source]);
    back.mouth.forEach((p, i) => {
      expect(p[0]).toBeCloseTo(interior.mouth[i][0], 2);
      expect(p[1]).toBeCloseTo(interior.mouth[i][1], 2);
    });
  });

  it('are refused with the field that is wrong', () => {
    const good = JSON.parse(serializeMouthInterior(exemplar()));
    expect(() => parseMouthInterior('{', 'm.onnx')).toThrow(/m\.onnx is not valid JSON/);
    expect(() => parseMouthInterior(JSON.stringify({ ...good, rgb: good.rgb.slice(0, 40) }), 'm.onnx')).toThrow(/m\.onnx: rgb holds 30 bytes/);
    expect(() => parseMouthInterior(JSON.stringify({ ...good, width: 0 }), 'm.onnx')).toThrow(/width must be a whole number/);
    expect(() => parseMouthInterior(JSON.stringify({ ...good, mouth: good.mouth.slice(1) }), 'm.onnx')).toThrow(/mouth must hold 20/);
    expect(() => parseMouthInterior(JSON.stringify({ ...good, version: 2 }), 'm.onnx')).toThrow(/version/);
  });
});

describe('layMouthInterior', () => {
  const side = 300;
  const target = faceLandmarks(side, 24);
  const grey = () => ({ width: side, height: side, rgb: new Uint8Array(side * side * 3).fill(150) });
  const at = (img: { rgb: Uint8Array }, x: number, y: number) => Array.from(img.rgb.subarray(3 * (Math.round(y) * side + Math.round(x)), 3 * (Math.round(y) * side + Math.round(x)) + 3));

  it('changes nothing at strength 0', () => {
    const img = grey();
    expect(layMouthInterior(exemplar(), rgbBuffer(img), target, 0)).toBe(0);
    expect(img.rgb.every((v) => v === 150)).toBe(true);
  });

  it('lays teeth under the upper lip and the dark of the mouth above the lower one, only inside the opening', () => {
    const img = grey();
    const touched = layMouthInterior(exemplar(), rgbBuffer(img), target, 1);
    expect(touched).toBeGreaterThan(100);
    const x = target[62][0];
    const [upper, lower] = [target[62][1], target[66][1]];
    expect(Math.min(...at(img, x, upper + 3))).toBeGreaterThan(200);
    expect(Math.max(...at(img, x, lower - 3))).toBeLessThan(90);
    // The middle of an opening wider than the exemplar's (24 px at 1.5x against 18 px): its dark.
    expect(Math.max(...at(img, x, (upper + lower) / 2 + 2))).toBeLessThan(90);
    // Nothing outside the inner lips' box changes.
    const inner = [60, 61, 62, 63, 64, 65, 66, 67].map((i) => target[i]);
    const [x0, x1] = [Math.min(...inner.map((p) => p[0])) - 1, Math.max(...inner.map((p) => p[0])) + 1];
    const [y0, y1] = [Math.min(...inner.map((p) => p[1])) - 1, Math.max(...inner.map((p) => p[1])) + 1];
    for (let y = 0; y < side; y++) {
      for (let xx = 0; xx < side; xx++) {
        if (xx >= x0 && xx <= x1 && y >= y0 && y <= y1) continue;
        const i = 3 * (y * side + xx);
        if (img.rgb[i] !== 150 || img.rgb[i + 1] !== 150 || img.rgb[i + 2] !== 150) throw new Error(`pixel ${xx}, ${y} outside the opening changed`);
      }
    }
  });

  it("matches the interior's brightness to the face's lips", () => {
    const bright = grey();
    const dim = { width: side, height: side, rgb: new Uint8Array(side * side * 3).fill(90) };
    layMouthInterior(exemplar(), rgbBuffer(bright), target, 1);
    layMouthInterior(exemplar(), rgbBuffer(dim), target, 1);
    const x = target[62][0];
    const y = target[62][1] + 3;
    expect(at(dim, x, y)[0]).toBeLessThan(at(bright, x, y)[0] - 20);
  });

  it('lays the same interior into a crop tensor in [-1, 1]', () => {
    const size = 96;
    const landmarks = faceLandmarks(size, 8);
    const tensor = new Float32Array(3 * size * size);
    const touched = layMouthInterior(exemplar(), cropTensorBuffer(tensor, size), landmarks, 1);
    expect(touched).toBeGreaterThan(10);
    expect(tensor.every((v) => v >= -1 && v <= 1)).toBe(true);
    const p = Math.round(landmarks[62][1] + 1) * size + Math.round(landmarks[62][0]);
    expect(tensor[p]).toBeGreaterThan(0.5);
    expect(() => cropTensorBuffer(new Float32Array(10), size)).toThrow(/96x96 crop holds/);
  });

  it('as a layer over a crop, gives what laying it into the crop gives', () => {
    const size = 96;
    const landmarks = faceLandmarks(size, 8);
    const crop = Float32Array.from({ length: 3 * size * size }, (_, i) => ((i * 37) % 200) / 100 - 1);
    const laid = Float32Array.from(crop);
    layMouthInterior(exemplar(), cropTensorBuffer(laid, size), landmarks, 0.7);
    const { alpha, colour } = mouthInteriorLayer(exemplar(), crop, size, landmarks, 0.7);
    const plane = size * size;
    let worst = 0;
    for (let i = 0; i < crop.length; i++) worst = Math.max(worst, Math.abs(crop[i] * (1 - alpha[i % plane]) + colour[i] - laid[i]));
    expect(worst).toBeLessThan(1e-5);
    expect(Math.max(...alpha)).toBeGreaterThan(0.5);
    // Far from the mouth nothing is laid.
    expect(alpha[5 * size + 5]).toBe(0);
    expect(mouthInteriorLayer(exemplar(), crop, size, landmarks, 0).alpha.every((a) => a === 0)).toBe(true);
  });
});
