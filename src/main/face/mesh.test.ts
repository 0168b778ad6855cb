// The warp mesh: its fixed triangulation, the anchor ring on real faces, point checks and the fold-over guard.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorOf, movedPoints as moved } from '../testing';
import { cropTransform, photoToCrop } from './crop';
import { CANONICAL_FACE, checkWarpPoints, doubleArea, FACE_MESH, foldGuard, meshPointsInCrop, meshPointsInPhoto, MIN_AREA_FRACTION, RING_INSET, scaleDisplacement } from './mesh';
import { largestFace, readDetections } from './precomputed';

const DETECTIONS = path.resolve(__dirname, '../../../../shared/data/tw-expressions/faces.jsonl.gz');
const have = fs.existsSync(DETECTIONS);
if (!have) console.warn(`skipping mesh tests on real faces: ${DETECTIONS} not found`);

const SIZE = 256;
/** The canonical face drawn in a 256 px crop: a face whose crop is the unit square scaled by 256. */
const face = CANONICAL_FACE.map(([u, v]) => [u * SIZE, v * SIZE] as const);
const src = meshPointsInCrop(FACE_MESH, face, SIZE);

/** Least area ratio dst / src over triangles with a source area. */
function leastAreaRatio(a: Float64Array, b: Float64Array): number {
  const t = FACE_MESH.triangles;
  let least = Infinity;
  for (let i = 0; i < t.length; i += 3) {
    const before = doubleArea(a, t[i], t[i + 1], t[i + 2]);
    if (before !== 0) least = Math.min(least, doubleArea(b, t[i], t[i + 1], t[i + 2]) / before);
  }
  return least;
}


describe('FACE_MESH', () => {
  it('is one triangulation over all 88 points whose boundary is exactly the anchor ring', () => {
    const t = FACE_MESH.triangles;
    expect(FACE_MESH.pointCount).toBe(68 + FACE_MESH.ring.length / 2);
    expect(new Set(t).size).toBe(FACE_MESH.pointCount);
    const edges = new Map<string, number>();
    for (let i = 0; i < t.length; i += 3) {
      for (const [a, b] of [[t[i], t[i + 1]], [t[i + 1], t[i + 2]], [t[i + 2], t[i]]]) {
        const key = `${Math.min(a, b)}-${Math.max(a, b)}`;
        edges.set(key, (edges.get(key) ?? 0) + 1);
      }
    }
    const boundary = [...edges].filter(([, n]) => n === 1).map(([k]) => k.split('-').map(Number));
    expect([...edges.values()].every((n) => n === 1 || n === 2)).toBe(true);
    expect(boundary.length).toBe(FACE_MESH.ring.length / 2);
    expect(boundary.every(([a, b]) => a >= 68 && b >= 68)).toBe(true);
    // Every triangle is positive on the canonical face.
    expect(leastAreaRatio(src, src)).toBe(1);
    for (let i = 0; i < t.length; i += 3) expect(doubleArea(src, t[i], t[i + 1], t[i + 2])).toBeGreaterThan(0);
  });

  it('places the ring on the crop square, in photo and in crop pixels alike', () => {
    const transform = { size: 128, centerX: 300, centerY: 200, scale: 2.5, angle: 0.3 };
    const photo = meshPointsInPhoto(FACE_MESH, face, transform);
    const crop = meshPointsInCrop(FACE_MESH, face, 128);
    for (let k = 68; k < FACE_MESH.pointCount; k++) {
      const [u, v] = photoToCrop(transform, photo[2 * k], photo[2 * k + 1]);
      expect(u).toBeCloseTo(crop[2 * k], 9);
      expect(v).toBeCloseTo(crop[2 * k + 1], 9);
      expect(Math.min(u, v, 128 - u, 128 - v)).toBeCloseTo(RING_INSET * 128, 9);
    }
  });

  it('merges crossed inner lips at their midpoint, so a closed mouth folds nothing before it moves', () => {
    const crossed = face.map((p) => [...p] as [number, number]);
    crossed[62] = [128, 171];
    crossed[66] = [128, 169];
    const points = meshPointsInCrop(FACE_MESH, crossed, SIZE);
    expect([points[124], points[125], points[132], points[133]]).toEqual([128, 170, 128, 170]);
    expect(foldGuard(FACE_MESH, points, points)).toMatchObject({ scale: 1, clamped: false });
  });
});

describe.skipIf(!have)('the ring on real faces (tw-expressions detections)', () => {
  const faces = [...readDetections(DETECTIONS).values()].map((p) => largestFace(p.faces)).filter((f) => f !== null);

  it('lies inside every crop footprint and outside the face contour of nearly all faces', () => {
    const size = 128;
    let inside = 0;
    let foldFree = 0;
    for (const f of faces) {
      const transform = cropTransform(f, { size });
      const points = meshPointsInPhoto(FACE_MESH, f.landmarks, transform);
      for (let k = 68; k < FACE_MESH.pointCount; k++) {
        const [u, v] = photoToCrop(transform, points[2 * k], points[2 * k + 1]);
        expect(Math.min(u, v, size - u, size - v)).toBeGreaterThan(0.02 * size);
      }
      const margin = Math.min(...f.landmarks.map(([x, y]) => photoToCrop(transform, x, y)).map(([u, v]) => Math.min(u, v, size - u, size - v))) / size - RING_INSET;
      if (margin > 0.01) inside++;
      if (foldGuard(FACE_MESH, points, points).scale === 1) foldFree++;
    }
    // Measured: 919 of 968 faces (94.9%) keep all landmarks 0.01 sides inside the ring (927 inside it
    // at all); only 478 (49%) would clear a ring outside the paste feather (0.1 sides in).
    expect(faces.length).toBeGreaterThan(900);
    expect(inside / faces.length).toBeGreaterThan(0.94);
    // Whatever the source, standing still never counts as a fold.
    expect(foldFree).toBe(faces.length);
  });
});

describe('checkWarpPoints', () => {
  it('refuses non-finite points and source landmarks outside the photo, and lets anchors and moved landmarks leave it', () => {
    const ok = Float64Array.from(src);
    expect(() => checkWarpPoints(FACE_MESH, src, ok, SIZE, SIZE)).not.toThrow();
    const nan = moved(src, [[30, NaN, 0]]);
    expect(errorOf(() => checkWarpPoints(FACE_MESH, src, nan, SIZE, SIZE))).toMatchObject({ code: 'warp-bad-points', message: expect.stringMatching(/target point 30 is not finite/) });
    const outside = moved(src, [[8, 0, 60]]);
    expect(errorOf(() => checkWarpPoints(FACE_MESH, outside, src, SIZE, SIZE))).toMatchObject({ code: 'warp-outside-photo', message: expect.stringMatching(/landmark 8 .*source.*256x256/) });
    expect(() => checkWarpPoints(FACE_MESH, src, outside, SIZE, SIZE)).not.toThrow();
    const anchorsOut = Float64Array.from(src);
    anchorsOut[2 * 68] = -40;
    expect(() => checkWarpPoints(FACE_MESH, anchorsOut, anchorsOut, SIZE, SIZE)).not.toThrow();
    expect(errorOf(() => checkWarpPoints(FACE_MESH, src.subarray(2), src, SIZE, SIZE)).code).toBe('warp-bad-points');
    expect(errorOf(() => meshPointsInCrop(FACE_MESH, face.slice(1), SIZE)).code).toBe('warp-bad-points');
  });
});

describe('foldGuard', () => {
  it('passes a smile-sized displacement untouched', () => {
    const smile = moved(src, [[48, -6, -5], [54, 6, -5], [60, -5, -4], [64, 5, -4], [57, 0, 3], [8, 0, 4]]);
    const g = foldGuard(FACE_MESH, src, smile);
    expect(g).toMatchObject({ scale: 1, clamped: false });
    expect(g.points).toEqual(smile);
  });

  it('clamps a fold to the largest fold-free scale', () => {
    // The chin pushed 40 px down, past the anchor ring 28 px below it.
    const fold = moved(src, [[8, 0, 40], [7, 0, 30], [9, 0, 30]]);
    expect(leastAreaRatio(src, fold)).toBeLessThan(0);
    const g = foldGuard(FACE_MESH, src, fold);
    expect(g.clamped).toBe(true);
    expect(g.scale).toBeGreaterThan(0.3);
    expect(g.scale).toBeLessThan(1);
    expect(g.points).toEqual(scaleDisplacement(src, fold, g.scale));
    // Fold-free at the scale and all the way to it; a hair further is not.
    for (const s of [g.scale, g.scale / 2]) expect(leastAreaRatio(src, scaleDisplacement(src, fold, s))).toBeGreaterThanOrEqual(MIN_AREA_FRACTION);
    expect(leastAreaRatio(src, scaleDisplacement(src, fold, g.scale + 1e-4))).toBeLessThan(MIN_AREA_FRACTION);
  });

  it('keeps the whole path up to the scale fold-free, not only its end', () => {
    // The lower lip swung up through the upper lip to above the nose.
    const swing = moved(src, [[57, 0, -130]]);
    const g = foldGuard(FACE_MESH, src, swing);
    expect(g.clamped).toBe(true);
    for (let s = 0; s <= g.scale; s += g.scale / 50) expect(leastAreaRatio(src, scaleDisplacement(src, swing, s))).toBeGreaterThanOrEqual(MIN_AREA_FRACTION - 1e-9);
  });

  it('takes its area floor as an option', () => {
    const squeeze = moved(src, [[57, 0, -4], [66, 0, -1]]);
    expect(foldGuard(FACE_MESH, src, squeeze, 0.1).clamped).toBe(false);
    expect(foldGuard(FACE_MESH, src, squeeze, 0.9).clamped).toBe(true);
  });
});
