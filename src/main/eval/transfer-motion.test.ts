// The landmark comparison behind expression transfer: doing nothing scores ratio 1 and cosine 0,
// reaching the pose ratio 0 and cosine 1, whatever similarity the photos differ by; summaries count
// lost faces instead of dropping them.
import { describe, expect, it } from 'vitest';
import type { Point } from '../face/face-frame';
import { compareMotion, summarizeByExpression, summarizePairs, TRANSFER_POINTS, type MotionComparison, type PairResult } from './transfer-motion';

/** A face-like set of 68 points: a seeded scatter with the eyes where the iBUG order puts them. */
function neutralFace(): Point[] {
  let state = 11;
  const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: 68 }, (_, i): Point => {
    if (i >= 36 && i < 42) return [80 + 6 * (i - 36), 100 + random()];
    if (i >= 42 && i < 48) return [140 + 6 * (i - 42), 100 + random()];
    return [60 + 140 * random(), 60 + 140 * random()];
  });
}

/** The posed face: mobile points moved, stable points (27-30, 36, 39, 42, 45) left in place. */
function posedFrom(neutral: readonly Point[]): Point[] {
  return neutral.map(([x, y], i): Point => (TRANSFER_POINTS.includes(i) && ![36, 39, 42, 45].includes(i) ? [x + 3 * Math.sin(i), y + 4 * Math.cos(i)] : [x, y]));
}

const blend = (a: readonly Point[], b: readonly Point[], t: number): Point[] => a.map(([x, y], i): Point => [x + t * (b[i][0] - x), y + t * (b[i][1] - y)]);
/** Rotated by 10 degrees, scaled 1.3x and shifted: the same face in another photo. */
const moved = (points: readonly Point[]): Point[] => points.map(([x, y]): Point => [1.3 * (Math.cos(0.17) * x - Math.sin(0.17) * y) + 40, 1.3 * (Math.sin(0.17) * x + Math.cos(0.17) * y) - 25]);

describe('compareMotion', () => {
  const neutral = neutralFace();
  const posed = posedFrom(neutral);

  it('scores an output that did not move as ratio 1, cosine 0', () => {
    const m = compareMotion(neutral, posed, neutral);
    expect(m.errorRatio).toBe(1);
    expect(m.cosine).toBe(0);
    expect(m.errorIod).toBeCloseTo(m.posedMotionIod, 12);
  });

  it('scores an output that reached the pose as ratio 0, cosine 1, through any similarity between the photos', () => {
    const m = compareMotion(neutral, moved(posed), moved(posed));
    expect(m.errorRatio).toBeLessThan(1e-9);
    expect(m.cosine).toBeCloseTo(1, 9);
  });

  it('scores half the motion as ratio 0.5 and the opposite motion as cosine -1, ratio 2', () => {
    const half = compareMotion(neutral, posed, blend(neutral, posed, 0.5));
    expect(half.errorRatio).toBeCloseTo(0.5, 9);
    expect(half.cosine).toBeCloseTo(1, 9);
    const opposite = compareMotion(neutral, posed, blend(neutral, posed, -1));
    expect(opposite.errorRatio).toBeCloseTo(2, 9);
    expect(opposite.cosine).toBeCloseTo(-1, 9);
  });

  it('measures in inter-ocular units of the neutral face', () => {
    const iod = 155 - 95; // eye centres at x = 95 and 155
    const shifted = neutral.map(([x, y], i): Point => (i === 50 ? [x + iod, y] : [x, y]));
    const m = compareMotion(neutral, shifted, neutral);
    expect(m.posedMotionIod).toBeCloseTo(1 / Math.sqrt(TRANSFER_POINTS.length), 2);
  });
});

describe('summaries', () => {
  const motion = (errorRatio: number, cosine: number): MotionComparison => ({ errorRatio, cosine, errorIod: errorRatio / 10, posedMotionIod: 0.1 });
  const results: PairResult[] = [
    { expression: 'happy', motion: motion(0.2, 0.9), sharpness: 0.9 },
    { expression: 'happy', motion: motion(0.6, 0.5), sharpness: 0.8 },
    { expression: 'happy', motion: null, sharpness: 0.4 },
    { expression: 'sad', motion: motion(1.5, -0.1), sharpness: 1 },
  ];

  it('counts lost faces and keeps them out of the motion figures, not out of the count', () => {
    const row = summarizePairs(results);
    expect(row.pairs).toBe(4);
    expect(row.facesLost).toBe(1);
    expect(row.meanCosine).toBeCloseTo((0.9 + 0.5 - 0.1) / 3, 12);
    expect(row.medianErrorRatio).toBe(0.6);
    expect(row.meanSharpness).toBeCloseTo(0.775, 12);
  });

  it("gives one row per expression in face-api's order whatever the sample's, and NaN where every face was lost", () => {
    const { overall, byExpression } = summarizeByExpression([{ expression: 'smirk', motion: null, sharpness: 1 }, { expression: 'angry', motion: null, sharpness: 0.5 }, ...results]);
    expect(Object.keys(byExpression)).toEqual(['happy', 'sad', 'angry', 'smirk']);
    expect(byExpression.happy.medianErrorRatio).toBeCloseTo(0.4, 12);
    expect(byExpression.angry.facesLost).toBe(1);
    expect(byExpression.angry.meanCosine).toBeNaN();
    expect(overall.pairs).toBe(6);
  });
});
