// The face frame and the stable-point alignment on synthetic landmarks with known transforms.
import { describe, expect, it } from 'vitest';
import { alignLandmarks, applySimilarity, faceFrameOf, fitSimilarity, fromFaceFrame, invertSimilarity, LANDMARK_COUNT, MIRROR_INDEX, STABLE_POINTS, toFaceFrame, vectorsToPhoto, type Point } from './face-frame';
import { Rng } from '../../shared/random';

/** A rough upright face: 68 points with the eyes at (80, 100) and (140, 100), jittered so no two coincide. */
function syntheticFace(seed = 1): Point[] {
  const rng = new Rng(seed);
  return Array.from({ length: LANDMARK_COUNT }, (_, i): Point => {
    const eye = i >= 36 && i < 48 ? (i < 42 ? 80 : 140) : null;
    if (eye !== null) {
      const a = (((i - 36) % 6) / 6) * 2 * Math.PI;
      return [eye + 12 * Math.cos(a), 100 + 5 * Math.sin(a)];
    }
    return [40 + (i * 37) % 140 + rng.next(), 60 + (i * 53) % 160 + rng.next()];
  });
}

const close = (a: readonly Point[], b: readonly Point[], digits: number) => a.forEach((p, i) => {
  expect(p[0]).toBeCloseTo(b[i][0], digits);
  expect(p[1]).toBeCloseTo(b[i][1], digits);
});

describe('face frame', () => {
  it('puts the eye midpoint at the origin, the eye line on x and the inter-ocular distance at 1', () => {
    const face = applySimilarity({ a: 1.3 * Math.cos(0.4), b: 1.3 * Math.sin(0.4), tx: 17, ty: -5 }, syntheticFace());
    const frame = faceFrameOf(face);
    expect(frame.iodPx).toBeCloseTo(60 * 1.3, 9);
    const p = toFaceFrame(frame, face);
    const mean = (from: number) => [0, 1].map((k) => p.slice(from, from + 6).reduce((s, q) => s + q[k], 0) / 6);
    const [left, right] = [mean(36), mean(42)];
    expect(left[0]).toBeCloseTo(-0.5, 9);
    expect(right[0]).toBeCloseTo(0.5, 9);
    expect(left[1]).toBeCloseTo(0, 9);
    expect(right[1]).toBeCloseTo(0, 9);
  });

  it('maps photo -> face frame -> photo back to the same points, and vectors by rotation and scale only', () => {
    const face = applySimilarity({ a: 0.8 * Math.cos(-2.5), b: 0.8 * Math.sin(-2.5), tx: 300, ty: 40 }, syntheticFace(3));
    const frame = faceFrameOf(face);
    close(fromFaceFrame(frame, toFaceFrame(frame, face)), face, 9);
    const moved = toFaceFrame(frame, face).map(([u, v]): Point => [u + 0.1, v - 0.05]);
    const shift = vectorsToPhoto(frame, [[0.1, -0.05]])[0];
    close(fromFaceFrame(frame, moved), face.map(([x, y]): Point => [x + shift[0], y + shift[1]]), 9);
    expect(Math.hypot(...shift)).toBeCloseTo(Math.hypot(0.1, 0.05) * frame.iodPx, 9);
  });

  it('refuses landmark sets of the wrong size and faces whose eyes coincide', () => {
    expect(() => faceFrameOf(syntheticFace().slice(0, 67))).toThrow(/expected 68 points, got 67/);
    expect(() => faceFrameOf(Array.from({ length: 68 }, (): Point => [5, 5]))).toThrow(/eye centres coincide/);
  });
});

describe('similarity alignment', () => {
  it('recovers a known rotation, scale and shift from the stable points', () => {
    const face = syntheticFace(5);
    const truth = { a: 1.2 * Math.cos(0.3), b: 1.2 * Math.sin(0.3), tx: -20, ty: 33 };
    const fitted = fitSimilarity(face, applySimilarity(truth, face));
    expect(fitted.a).toBeCloseTo(truth.a, 9);
    expect(fitted.b).toBeCloseTo(truth.b, 9);
    expect(fitted.tx).toBeCloseTo(truth.tx, 9);
    expect(fitted.ty).toBeCloseTo(truth.ty, 9);
  });

  it('carries a moved copy back onto the original however the mobile points moved', () => {
    const face = syntheticFace(7);
    const expressive = face.map(([x, y], i): Point => (STABLE_POINTS.includes(i) ? [x, y] : [x + 4 * Math.sin(i), y + 3 * Math.cos(i)]));
    const posed = applySimilarity({ a: 0.9 * Math.cos(-0.2), b: 0.9 * Math.sin(-0.2), tx: 12, ty: 8 }, expressive);
    close(alignLandmarks(posed, face), expressive, 9);
  });

  it('inverts a similarity: applying it and then its inverse returns every point', () => {
    const face = syntheticFace(9);
    const s = { a: 0.8 * Math.cos(1.1), b: 0.8 * Math.sin(1.1), tx: 7, ty: -15 };
    close(applySimilarity(invertSimilarity(s), applySimilarity(s, face)), face, 9);
    expect(() => invertSimilarity({ a: 0, b: 0, tx: 1, ty: 1 })).toThrow(/scale 0/);
  });
});

describe('mirror index', () => {
  it('is an involution that swaps the two eyes, brows and mouth corners and fixes the midline', () => {
    MIRROR_INDEX.forEach((m, i) => expect(MIRROR_INDEX[m]).toBe(i));
    expect([MIRROR_INDEX[36], MIRROR_INDEX[39], MIRROR_INDEX[17], MIRROR_INDEX[48], MIRROR_INDEX[0]]).toEqual([45, 42, 26, 54, 16]);
    for (const i of [8, 27, 30, 33, 51, 57, 62, 66]) expect(MIRROR_INDEX[i]).toBe(i);
  });
});
