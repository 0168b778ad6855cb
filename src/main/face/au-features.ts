// Geometric features of the 68 landmarks that the AU estimator reads, each a distance or ratio
// normalised by the inter-ocular distance and averaged over both sides, so mirroring a face leaves
// them unchanged.
type Point = readonly [number, number];

const dist = (a: Point, b: Point): number => Math.hypot(a[0] - b[0], a[1] - b[1]);
const mid = (a: Point, b: Point): Point => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
const center = (pts: readonly Point[]): Point => [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];

export interface AuFeatures {
  /** Inner brow (20, 21 | 22, 23) height above the eye centre line. */
  readonly innerBrow: number;
  /** Outer brow (17, 18 | 25, 26) height above the eye centre line. */
  readonly outerBrow: number;
  /** Distance between the inner brow ends (21, 22). */
  readonly browGap: number;
  /** Eye opening: lid distance over eye width. */
  readonly eyeOpen: number;
  /** Mouth width (48-54). */
  readonly mouthWidth: number;
  /** Corner height above the lip midline (positive: corners up). */
  readonly cornerLift: number;
  /** Inner lip gap (62-66). */
  readonly lipGap: number;
  /** Nose bottom (33) to chin (8). */
  readonly jaw: number;
  /** Nose bottom (33) to upper lip (51). */
  readonly noseToLip: number;
  /** Lower lip (57) to chin (8). */
  readonly lipToChin: number;
  /** Outer lip heights (upper 50-52 to 61-63, lower 56-58 to 65-67): lip thickness. */
  readonly lipThickness: number;
  /** Nose wing (31, 35) to inner eye corner (39, 42). */
  readonly noseWing: number;
}

/** Features in the face's own frame: points are rotated so the eyes are level. */
export function auFeatures(landmarks: readonly Point[]): AuFeatures {
  const rEye = center(landmarks.slice(36, 42));
  const lEye = center(landmarks.slice(42, 48));
  const iod = dist(rEye, lEye);
  const angle = Math.atan2(lEye[1] - rEye[1], lEye[0] - rEye[0]);
  const c = Math.cos(-angle);
  const s = Math.sin(-angle);
  const origin = mid(rEye, lEye);
  const p = landmarks.map(([x, y]): Point => {
    const dx = x - origin[0];
    const dy = y - origin[1];
    return [(c * dx - s * dy) / iod, (s * dx + c * dy) / iod];
  });
  const above = (i: number) => -p[i][1];
  const eyeOpen = (t1: number, t2: number, b1: number, b2: number, l: number, r: number) =>
    (dist(p[t1], p[b2]) + dist(p[t2], p[b1])) / 2 / dist(p[l], p[r]);
  const lipMid = mid(p[51], p[57]);
  return {
    innerBrow: (above(20) + above(21) + above(22) + above(23)) / 4,
    outerBrow: (above(17) + above(18) + above(25) + above(26)) / 4,
    browGap: dist(p[21], p[22]),
    eyeOpen: (eyeOpen(37, 38, 40, 41, 36, 39) + eyeOpen(43, 44, 46, 47, 42, 45)) / 2,
    mouthWidth: dist(p[48], p[54]),
    cornerLift: lipMid[1] - (p[48][1] + p[54][1]) / 2,
    lipGap: dist(p[62], p[66]),
    jaw: dist(p[33], p[8]),
    noseToLip: dist(p[33], p[51]),
    lipToChin: dist(p[57], p[8]),
    lipThickness: (dist(p[51], p[62]) + dist(p[57], p[66])) / 2,
    noseWing: (dist(p[31], p[39]) + dist(p[35], p[42])) / 2,
  };
}
