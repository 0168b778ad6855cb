// The SIMD kernel against the reference blend (applyPaste via pasteBack), frame after frame.
import { describe, expect, it } from 'vitest';
import { pasteBack, planPaste } from './paste-back';
import { PasteKernel } from './paste-kernel';

const photo = { width: 203, height: 151, data: Uint8Array.from({ length: 203 * 151 * 3 }, (_, i) => (i * 37) % 251) };
const size = 24;
const transforms = [
  { size, centerX: 80, centerY: 70, scale: 3.5, angle: 0.2 },
  { size, centerX: 120, centerY: 60, scale: 3, angle: -0.3 },
  { size, centerX: 195, centerY: 140, scale: 2, angle: 0 }, // runs off the photo's corner
];
const output = (seed: number) => ({
  color: Float32Array.from({ length: 3 * size * size }, (_, i) => Math.sin(i * seed)),
  attention: Float32Array.from({ length: size * size }, (_, i) => (1 + Math.cos(i * seed * 0.7)) / 2),
});

describe('PasteKernel', () => {
  it('writes each frame as the reference paste-back does (within one level), over whatever the frame held', () => {
    const kernel = new PasteKernel(photo, transforms.map((t) => planPaste(photo, t)));
    for (const seed of [3, 7, 11]) {
      const outputs = transforms.map((_, k) => output(seed + k));
      kernel.composite(outputs);
      const want = pasteBack(photo, transforms.map((transform, k) => ({ transform, ...outputs[k] })));
      let differing = 0;
      for (let i = 0; i < want.data.length; i++) {
        const d = Math.abs(kernel.frame[i] - want.data[i]);
        expect(d).toBeLessThanOrEqual(1);
        if (d) differing++;
      }
      // Float32 against float64 arithmetic: a rounding step now and then, no more.
      expect(differing).toBeLessThan(want.data.length / 500);
    }
  });

  it('shows the photo where a face is left out of a frame, and the other faces as if pasted alone', () => {
    const plans = transforms.map((t) => planPaste(photo, t));
    const kernel = new PasteKernel(photo, plans);
    kernel.composite(transforms.map((_, k) => output(2 + k)));
    const [, second, third] = transforms.map((_, k) => output(9 + k));
    kernel.composite([null, second, third]);
    const want = pasteBack(photo, [{ transform: transforms[1], ...second }, { transform: transforms[2], ...third }]);
    for (let i = 0; i < want.data.length; i++) expect(Math.abs(kernel.frame[i] - want.data[i])).toBeLessThanOrEqual(1);
    kernel.composite([null, null, null]);
    expect(Buffer.from(kernel.frame).equals(Buffer.from(photo.data))).toBe(true);
  });

  it('leaves every pixel outside the faces bit-identical to the photo', () => {
    const plans = transforms.map((t) => planPaste(photo, t));
    const kernel = new PasteKernel(photo, plans);
    kernel.composite(transforms.map((_, k) => output(5 + k)));
    const covered = new Set(plans.flatMap((p) => Array.from(p.pixel)));
    for (let p = 0; p < photo.data.length; p += 3) {
      if (covered.has(p)) continue;
      expect([kernel.frame[p], kernel.frame[p + 1], kernel.frame[p + 2]]).toEqual([photo.data[p], photo.data[p + 1], photo.data[p + 2]]);
    }
    expect(covered.size).toBeGreaterThan(1000);
  });

  it('keeps the photo where attention is 1 and paints the color where it is 0 (away from the feathered edge)', () => {
    const plan = planPaste(photo, transforms[0]);
    const kernel = new PasteKernel(photo, [plan]);
    kernel.composite([{ color: new Float32Array(3 * size * size).fill(1), attention: new Float32Array(size * size).fill(1) }]);
    expect(Buffer.from(kernel.frame).equals(Buffer.from(photo.data))).toBe(true);
    kernel.composite([{ color: new Float32Array(3 * size * size).fill(1), attention: new Float32Array(size * size).fill(0) }]);
    const centre = 3 * (70 * photo.width + 80);
    expect([kernel.frame[centre], kernel.frame[centre + 1], kernel.frame[centre + 2]]).toEqual([255, 255, 255]);
  });
});
