// The mouth opening on hand-made inner lips: whole pixels, half pixels, and a closed mouth.
import { describe, expect, it } from 'vitest';
import type { Point } from './face-frame';
import { CANONICAL_FACE } from './mesh';
import { dilateOnce, innerLipGap, mouthOpening } from './mouth-opening';

const size = 32;
const face: Point[] = CANONICAL_FACE.map(([x, y]): Point => [x * size, y * size]);

describe('mouthOpening', () => {
  it('rasterises the mouth opening as the share of each pixel inside the inner lips, and nothing for a closed mouth', () => {
    // Inner lips as an axis-aligned rectangle from (10, 20) to (14, 22): 8 whole pixels inside.
    const open = face.map((p, i): Point => (i < 60 ? p : ([[10, 20], [12, 20], [14, 20], [14, 21], [14, 22], [12, 22], [10, 22], [10, 21]] as Point[])[i - 60]));
    const mouth = mouthOpening(open, size);
    expect(mouth.reduce((a, v) => a + v, 0)).toBeCloseTo(8, 5);
    expect(mouth[20 * size + 10]).toBe(1);
    expect(mouth[22 * size + 10]).toBe(0);
    // Half a pixel in: the rectangle shifted by 0.5 covers edge pixels by half.
    const shifted = mouthOpening(open.map(([x, y]): Point => [x + 0.5, y]), size);
    expect(shifted[20 * size + 10]).toBeCloseTo(0.5, 5);
    const closed = face.map((p, i): Point => (i < 60 ? p : [12 + (i % 4), 21]));
    expect(mouthOpening(closed, size).every((v) => v === 0)).toBe(true);
  });

  it('measures the gap between the inner lips and dilates a mask by one pixel', () => {
    const parted = face.map(([x, y], i): Point => ([65, 66, 67].includes(i) ? [x, y + 3] : [x, y]));
    expect(innerLipGap(parted) - innerLipGap(face)).toBeGreaterThan(2);
    const dot = new Float32Array(size * size);
    dot[5 * size + 5] = 0.5;
    const grown = dilateOnce(dot, size);
    expect(grown.reduce((a, v) => a + v, 0)).toBeCloseTo(9 * 0.5, 6);
    expect(grown[4 * size + 6]).toBe(0.5);
    expect(grown[3 * size + 5]).toBe(0);
  });
});
