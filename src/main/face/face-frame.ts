// The face frame of 68 iBUG landmarks (origin between the eye centres, x along the eye line, unit the
// inter-ocular distance) and the similarity alignment of one landmark set onto another on stable points.
import { StudioError } from '../../shared/errors';

export type Point = readonly [number, number];

export const LANDMARK_COUNT = 68;

/**
 * Points whose place on the skull barely changes with expression: the four eye corners and the nose
 * bridge (27-30). Measured on tw-expressions 01-16, posed photos aligned to the neutral on this set
 * (median over pairs): these points move 0.009-0.028 inter-ocular units, brows 0.036, mouth 0.067.
 * Adding the upper contour (0, 1, 15, 16), which moves 0.07-0.11 (loosely placed by the detector),
 * drags the bridge to 0.04-0.07; the eye corners alone leave the bridge moving 0.03-0.06. Two neutral
 * photos of one person differ by 0.013 after any of these alignments.
 */
export const STABLE_POINTS: readonly number[] = [27, 28, 29, 30, 36, 39, 42, 45];

/**
 * Points that carry an expression and that motion is scored on: brows 17-26, eyes 36-47, mouth 48-67.
 * The lower jaw contour moves too but the detector places it loosely; leaving it out also matches the
 * issue's reference figures and `ganimation eval`.
 */
export const MOBILE_POINTS: readonly number[] = [...range(17, 27), ...range(36, 68)];

/** iBUG index of each point's left/right mirror image. */
export const MIRROR_INDEX: readonly number[] = mirrorIndex();

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function mirrorIndex(): number[] {
  const m = range(0, LANDMARK_COUNT);
  const pairs: [number, number][] = [
    ...range(0, 8).map((i): [number, number] => [i, 16 - i]),
    ...range(17, 22).map((i): [number, number] => [i, 43 - i]),
    [31, 35], [32, 34],
    [36, 45], [37, 44], [38, 43], [39, 42], [40, 47], [41, 46],
    [48, 54], [49, 53], [50, 52], [55, 59], [56, 58],
    [60, 64], [61, 63], [65, 67],
  ];
  for (const [a, b] of pairs) {
    m[a] = b;
    m[b] = a;
  }
  return m;
}

/** Where a face frame sits in the photo: its origin (px), x axis (unit vector) and unit length (px). */
export interface FaceFrame {
  readonly originX: number;
  readonly originY: number;
  readonly cos: number;
  readonly sin: number;
  /** Inter-ocular distance in pixels: one face-frame unit. */
  readonly iodPx: number;
}

function mean(points: readonly Point[], from: number, to: number): Point {
  let x = 0;
  let y = 0;
  for (let i = from; i < to; i++) {
    x += points[i][0];
    y += points[i][1];
  }
  return [x / (to - from), y / (to - from)];
}

/** Throws unless there are 68 finite points: every later step indexes them by iBUG number. */
export function checkLandmarks(landmarks: readonly Point[], what = 'landmarks'): void {
  if (landmarks.length !== LANDMARK_COUNT) throw new StudioError('bad-landmarks', `${what}: expected ${LANDMARK_COUNT} points, got ${landmarks.length}`);
  for (const p of landmarks) {
    if (!Number.isFinite(p[0]) || !Number.isFinite(p[1])) throw new StudioError('bad-landmarks', `${what}: a point is not a finite number`);
  }
}

/** The face frame of 68 landmarks; the eye centres are the means of 36-41 and 42-47. */
export function faceFrameOf(landmarks: readonly Point[]): FaceFrame {
  checkLandmarks(landmarks);
  const [ax, ay] = mean(landmarks, 36, 42);
  const [bx, by] = mean(landmarks, 42, 48);
  const iodPx = Math.hypot(bx - ax, by - ay);
  if (!(iodPx > 1e-6)) throw new StudioError('bad-landmarks', 'landmarks: the two eye centres coincide, so the face has no frame');
  return { originX: (ax + bx) / 2, originY: (ay + by) / 2, cos: (bx - ax) / iodPx, sin: (by - ay) / iodPx, iodPx };
}

/** Photo pixels -> face frame (y points down the face, as in the photo when it is upright). */
export function toFaceFrame(frame: FaceFrame, points: readonly Point[]): Point[] {
  return points.map(([x, y]): Point => {
    const dx = x - frame.originX;
    const dy = y - frame.originY;
    return [(frame.cos * dx + frame.sin * dy) / frame.iodPx, (-frame.sin * dx + frame.cos * dy) / frame.iodPx];
  });
}

/** Face frame -> photo pixels; the exact inverse of toFaceFrame. */
export function fromFaceFrame(frame: FaceFrame, points: readonly Point[]): Point[] {
  return points.map(([u, v]): Point => {
    const x = u * frame.iodPx;
    const y = v * frame.iodPx;
    return [frame.originX + frame.cos * x - frame.sin * y, frame.originY + frame.sin * x + frame.cos * y];
  });
}

/** A face-frame displacement (unit: inter-ocular distance) as a photo displacement in pixels. */
export function vectorsToPhoto(frame: FaceFrame, vectors: readonly Point[]): Point[] {
  return vectors.map(([u, v]): Point => [frame.iodPx * (frame.cos * u - frame.sin * v), frame.iodPx * (frame.sin * u + frame.cos * v)]);
}

/** x' = a x - b y + tx, y' = b x + a y + ty: rotation and scale by the complex number a + ib, then a shift. */
export interface Similarity {
  readonly a: number;
  readonly b: number;
  readonly tx: number;
  readonly ty: number;
}

export function applySimilarity(s: Similarity, points: readonly Point[]): Point[] {
  return points.map(([x, y]): Point => [s.a * x - s.b * y + s.tx, s.b * x + s.a * y + s.ty]);
}

/** The similarity undoing `s`: z = (z' - t) / (a + ib). */
export function invertSimilarity(s: Similarity): Similarity {
  const norm = s.a * s.a + s.b * s.b;
  if (!(norm > 1e-12)) throw new StudioError('bad-landmarks', 'a similarity of scale 0 has no inverse');
  const a = s.a / norm;
  const b = -s.b / norm;
  return { a, b, tx: -(a * s.tx - b * s.ty), ty: -(b * s.tx + a * s.ty) };
}

/** The least-squares similarity taking `source[i]` onto `target[i]` over the given indices. */
export function fitSimilarity(source: readonly Point[], target: readonly Point[], indices: readonly number[] = STABLE_POINTS): Similarity {
  if (indices.length < 2) throw new StudioError('bad-landmarks', 'a similarity alignment needs at least two points');
  let sx = 0, sy = 0, qx = 0, qy = 0;
  for (const i of indices) {
    sx += source[i][0];
    sy += source[i][1];
    qx += target[i][0];
    qy += target[i][1];
  }
  const n = indices.length;
  sx /= n; sy /= n; qx /= n; qy /= n;
  let dot = 0, cross = 0, norm = 0;
  for (const i of indices) {
    const px = source[i][0] - sx;
    const py = source[i][1] - sy;
    const tx = target[i][0] - qx;
    const ty = target[i][1] - qy;
    dot += px * tx + py * ty;
    cross += px * ty - py * tx;
    norm += px * px + py * py;
  }
  if (!(norm > 1e-12)) throw new StudioError('bad-landmarks', 'the alignment points coincide, so no similarity fits them');
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: qx - (a * sx - b * sy), ty: qy - (b * sx + a * sy) };
}

/** `moving` carried onto `fixed` by the similarity that best matches their stable points. */
export function alignLandmarks(moving: readonly Point[], fixed: readonly Point[], indices: readonly number[] = STABLE_POINTS): Point[] {
  checkLandmarks(moving, 'landmarks to align');
  checkLandmarks(fixed, 'reference landmarks');
  return applySimilarity(fitSimilarity(moving, fixed, indices), moving);
}
