// The warp mesh: the 68 iBUG landmarks plus a fixed ring of anchors on the crop square, with one
// triangulation for every face (so no triangle flips from re-triangulating), and the fold-over guard
// that scales a landmark displacement back until no triangle flips or collapses.
import { StudioError } from '../../shared/errors';
import { cropToPhoto, type CropTransform } from './crop';
import { LANDMARK_COUNT, type Point } from './face-frame';

/** A fixed topology over landmark points 0-67 followed by the anchor ring. */
export interface WarpMesh {
  /** Landmarks plus anchors. */
  readonly pointCount: number;
  /** Anchor positions in crop units (u / size, v / size), [u0, v0, u1, v1, ...]. */
  readonly ring: Float64Array;
  /** Vertex index triples, counter-clockwise on screen (positive cross product with y down) in the canonical shape. */
  readonly triangles: Uint16Array;
}

/**
 * Median landmark positions of the tw-expressions detections (faces.jsonl.gz, 968 photos with a
 * face) in crop units of cropTransform with the default extent, no roll: where landmarks sit in the
 * crop of a typical frontal face. Only the triangulation is built from it.
 */
export const CANONICAL_FACE: readonly Point[] = [
  [0.112, 0.375], [0.12, 0.471], [0.135, 0.56], [0.152, 0.638], [0.187, 0.717], [0.243, 0.775], [0.309, 0.809], [0.388, 0.842],
  [0.496, 0.863], [0.603, 0.844], [0.678, 0.812], [0.741, 0.779], [0.795, 0.72], [0.831, 0.643], [0.85, 0.565], [0.866, 0.478],
  [0.874, 0.383], [0.203, 0.308], [0.252, 0.283], [0.313, 0.276], [0.367, 0.282], [0.417, 0.3], [0.592, 0.301], [0.641, 0.285],
  [0.693, 0.279], [0.752, 0.287], [0.798, 0.312], [0.504, 0.385], [0.504, 0.438], [0.504, 0.487], [0.504, 0.537], [0.44, 0.569],
  [0.468, 0.576], [0.501, 0.585], [0.535, 0.577], [0.562, 0.57], [0.279, 0.378], [0.314, 0.364], [0.362, 0.364], [0.403, 0.386],
  [0.365, 0.398], [0.316, 0.397], [0.599, 0.388], [0.641, 0.366], [0.689, 0.367], [0.722, 0.381], [0.686, 0.4], [0.637, 0.4],
  [0.37, 0.675], [0.417, 0.653], [0.472, 0.636], [0.501, 0.642], [0.529, 0.636], [0.583, 0.654], [0.627, 0.678], [0.58, 0.705],
  [0.541, 0.719], [0.5, 0.723], [0.458, 0.718], [0.418, 0.703], [0.381, 0.675], [0.461, 0.666], [0.5, 0.667], [0.54, 0.667],
  [0.616, 0.677], [0.538, 0.679], [0.5, 0.68], [0.461, 0.679],
];

/**
 * Anchor ring inset from the crop edge, in crop sides. On tw-expressions the median face's contour
 * sits 0.11 of the side from the crop's left edge and 0.14 from the bottom (5% of faces: 0.04 and
 * 0.055), and only 49% of faces keep every landmark out of the paste feather (0.1), so a ring
 * outside the feather would cut through the cheeks. At 0.025 the ring stays inside the crop (the
 * crop-size warp never samples outside it) and outside all landmarks of 96% of faces; the rest
 * (mostly misdetections) still warp, their folded source triangles held as they are by foldGuard.
 */
export const RING_INSET = 0.025;
/** Anchor segments per side of the ring square (corners shared): 20 anchors 0.19 sides apart. */
const RING_SEGMENTS = 5;

/** Smallest area a triangle may keep, as a fraction of its source area, before the guard clamps. */
export const MIN_AREA_FRACTION = 0.1;

function squareRing(inset: number, segments: number): Float64Array {
  const lo = inset;
  const hi = 1 - inset;
  const at = (k: number) => lo + ((hi - lo) * k) / segments;
  const ring: number[] = [];
  for (let k = 0; k < segments; k++) ring.push(at(k), lo); // top, left to right
  for (let k = 0; k < segments; k++) ring.push(hi, at(k)); // right, top to bottom
  for (let k = segments; k > 0; k--) ring.push(at(k), hi); // bottom, right to left
  for (let k = segments; k > 0; k--) ring.push(lo, at(k)); // left, bottom to top
  return Float64Array.from(ring);
}

/** Twice the signed area of triangle (a, b, c) of flat points; positive when counter-clockwise on screen. */
export function doubleArea(p: ArrayLike<number>, a: number, b: number, c: number): number {
  return (p[2 * b] - p[2 * a]) * (p[2 * c + 1] - p[2 * a + 1]) - (p[2 * c] - p[2 * a]) * (p[2 * b + 1] - p[2 * a + 1]);
}

/** Bowyer-Watson Delaunay triangulation of flat points, triangles oriented positive. O(n^2): for ~90 points at load. */
function delaunay(points: Float64Array): Uint16Array {
  const n = points.length / 2;
  let minX = Infinity;
  let minY = Infinity;
  let span = 0;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, points[2 * i]);
    minY = Math.min(minY, points[2 * i + 1]);
  }
  for (let i = 0; i < n; i++) span = Math.max(span, points[2 * i] - minX, points[2 * i + 1] - minY);
  // A super triangle far enough out that its circumcircles never decide an edge between real points.
  const big = 1000 * span;
  const all = Float64Array.from([...points, minX - big, minY - big, minX + 2 * big, minY - big, minX - big, minY + 2 * big]);
  type Tri = { v: [number, number, number]; cx: number; cy: number; r2: number };
  const make = (a: number, b: number, c: number): Tri => {
    const [ax, ay, bx, by, cx, cy] = [all[2 * a], all[2 * a + 1], all[2 * b], all[2 * b + 1], all[2 * c], all[2 * c + 1]];
    const d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by));
    const a2 = ax * ax + ay * ay;
    const b2 = bx * bx + by * by;
    const c2 = cx * cx + cy * cy;
    const ux = (a2 * (by - cy) + b2 * (cy - ay) + c2 * (ay - by)) / d;
    const uy = (a2 * (cx - bx) + b2 * (ax - cx) + c2 * (bx - ax)) / d;
    return { v: [a, b, c], cx: ux, cy: uy, r2: (ax - ux) ** 2 + (ay - uy) ** 2 };
  };
  let tris: Tri[] = [make(n, n + 1, n + 2)];
  for (let p = 0; p < n; p++) {
    const [px, py] = [all[2 * p], all[2 * p + 1]];
    const bad = tris.filter((t) => (px - t.cx) ** 2 + (py - t.cy) ** 2 < t.r2);
    const edges = new Map<string, [number, number]>();
    for (const t of bad) {
      for (const [a, b] of [[t.v[0], t.v[1]], [t.v[1], t.v[2]], [t.v[2], t.v[0]]]) {
        const key = a < b ? `${a},${b}` : `${b},${a}`;
        if (edges.has(key)) edges.delete(key);
        else edges.set(key, [a, b]);
      }
    }
    tris = tris.filter((t) => !bad.includes(t));
    for (const [a, b] of edges.values()) tris.push(make(a, b, p));
  }
  const out: number[] = [];
  for (const { v } of tris) {
    if (v.some((i) => i >= n)) continue;
    const [a, b, c] = v;
    if (doubleArea(points, a, b, c) > 0) out.push(a, b, c);
    else out.push(a, c, b);
  }
  return Uint16Array.from(out);
}

/** The canonical shape with its ring must be tiled exactly: every triangle positive, areas summing to the ring square. */
function checkTiling(points: Float64Array, triangles: Uint16Array, inset: number): void {
  let total = 0;
  for (let t = 0; t < triangles.length; t += 3) {
    const a = doubleArea(points, triangles[t], triangles[t + 1], triangles[t + 2]);
    if (!(a > 0)) throw new Error(`warp mesh: canonical triangle ${t / 3} is degenerate`);
    total += a / 2;
  }
  const square = (1 - 2 * inset) ** 2;
  if (Math.abs(total - square) > 1e-9) throw new Error(`warp mesh: triangles cover ${total} of the ring square's ${square}`);
}

function buildFaceMesh(): WarpMesh {
  const ring = squareRing(RING_INSET, RING_SEGMENTS);
  const canonical = Float64Array.from([...CANONICAL_FACE.flat(), ...ring]);
  const triangles = delaunay(canonical);
  checkTiling(canonical, triangles, RING_INSET);
  return { pointCount: LANDMARK_COUNT + ring.length / 2, ring, triangles };
}

/** The studio's face mesh, triangulated once at load (Delaunay of CANONICAL_FACE and the ring). */
export const FACE_MESH: WarpMesh = buildFaceMesh();

/** Inner-lip pairs (upper, lower), left to right. */
const INNER_LIPS: readonly (readonly [number, number])[] = [[61, 67], [62, 66], [63, 65]];

/**
 * On a closed mouth the detector often puts an upper inner-lip point a pixel below its lower partner
 * (266 of 968 tw-expressions faces), which folds the triangles between them before anything moves
 * and would make the guard refuse every opening of the mouth. Lips cannot cross, so such a pair is
 * merged at its midpoint ("down" is perpendicular to the line of the outer mouth corners).
 */
function untangleLips(points: Float64Array): void {
  const ux = points[2 * 54] - points[2 * 48];
  const uy = points[2 * 54 + 1] - points[2 * 48 + 1];
  for (const [upper, lower] of INNER_LIPS) {
    const dx = points[2 * lower] - points[2 * upper];
    const dy = points[2 * lower + 1] - points[2 * upper + 1];
    if (-uy * dx + ux * dy >= 0) continue;
    const mx = points[2 * upper] + dx / 2;
    const my = points[2 * upper + 1] + dy / 2;
    points[2 * upper] = points[2 * lower] = mx;
    points[2 * upper + 1] = points[2 * lower + 1] = my;
  }
}

/** Flat mesh points [x0, y0, ...] from 68 landmarks (inner lips untangled) and the ring placed by `place` (crop units -> output space). */
function meshPoints(mesh: WarpMesh, landmarks: readonly Point[], place: (u: number, v: number) => readonly [number, number]): Float64Array {
  if (landmarks.length !== LANDMARK_COUNT) throw new StudioError('warp-bad-points', `the warp needs ${LANDMARK_COUNT} landmarks, got ${landmarks.length}`);
  const out = new Float64Array(2 * mesh.pointCount);
  landmarks.forEach(([x, y], i) => {
    out[2 * i] = x;
    out[2 * i + 1] = y;
  });
  for (let k = 0; k < mesh.ring.length / 2; k++) {
    const [x, y] = place(mesh.ring[2 * k], mesh.ring[2 * k + 1]);
    out[2 * (LANDMARK_COUNT + k)] = x;
    out[2 * (LANDMARK_COUNT + k) + 1] = y;
  }
  untangleLips(out);
  return out;
}

/** Mesh points in photo pixels: landmarks as given, the ring on the face's crop square (`transform` from cropTransform). */
export function meshPointsInPhoto(mesh: WarpMesh, landmarks: readonly Point[], transform: CropTransform): Float64Array {
  return meshPoints(mesh, landmarks, (u, v) => cropToPhoto(transform, u * transform.size, v * transform.size));
}

/** Mesh points in crop pixels of a size x size crop: landmarks already mapped into the crop (photoToCrop). */
export function meshPointsInCrop(mesh: WarpMesh, cropLandmarks: readonly Point[], size: number): Float64Array {
  return meshPoints(mesh, cropLandmarks, (u, v) => [u * size, v * size]);
}

/** The 68 landmarks at the head of mesh points (meshPointsInPhoto, meshPointsInCrop). */
export const meshLandmarks = (points: Float64Array): Point[] => Array.from({ length: 68 }, (_, i): Point => [points[2 * i], points[2 * i + 1]]);

/**
 * Throws a StudioError unless src and dst are finite mesh points and the source landmarks all lie in
 * a width x height image (anchors may leave it: a crop near the photo edge). The caller then warps
 * nothing for that face: its pixels beyond the edge are not there to move. Target landmarks may leave
 * the image (a jaw drop on a face near the bottom edge): the rasteriser clips the moved triangles
 * to it, as a camera's frame would.
 */
export function checkWarpPoints(mesh: WarpMesh, src: Float64Array, dst: Float64Array, width: number, height: number): void {
  for (const [name, p] of [['source', src], ['target', dst]] as const) {
    if (p.length !== 2 * mesh.pointCount) throw new StudioError('warp-bad-points', `the warp's ${name} points number ${p.length / 2}, the mesh has ${mesh.pointCount}`);
    for (let i = 0; i < mesh.pointCount; i++) {
      const [x, y] = [p[2 * i], p[2 * i + 1]];
      if (!Number.isFinite(x) || !Number.isFinite(y)) throw new StudioError('warp-bad-points', `the warp's ${name} point ${i} is not finite (${x}, ${y})`);
      if (name === 'source' && i < LANDMARK_COUNT && (x < 0 || y < 0 || x > width || y > height)) {
        throw new StudioError('warp-outside-photo', `landmark ${i} of the warp's ${name} lies outside the ${width}x${height} photo at (${x.toFixed(1)}, ${y.toFixed(1)}); the face is not warped`);
      }
    }
  }
}

/** src + t * (dst - src). */
export function scaleDisplacement(src: Float64Array, dst: Float64Array, t: number): Float64Array {
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] + t * (dst[i] - src[i]);
  return out;
}

/** Smallest root of c0 + c1 t + c2 t^2 in (0, 1], or Infinity; c0 > 0. */
function firstRoot(c0: number, c1: number, c2: number): number {
  const scale = Math.abs(c0) + Math.abs(c1) + Math.abs(c2);
  if (Math.abs(c2) <= 1e-12 * scale) return c1 < 0 ? -c0 / c1 : Infinity;
  const disc = c1 * c1 - 4 * c2 * c0;
  if (disc < 0) return Infinity;
  // Stable form: q = -(c1 + sign(c1) sqrt(disc)) / 2, roots q / c2 and c0 / q.
  const q = -0.5 * (c1 + (c1 >= 0 ? 1 : -1) * Math.sqrt(disc));
  const roots = [q / c2, q !== 0 ? c0 / q : Infinity].filter((r) => r > 0);
  return roots.length ? Math.min(...roots) : Infinity;
}

export interface FoldGuard {
  /** The largest t in [0, 1] such that src + s * (dst - src) is fold-free for every s <= t. */
  readonly scale: number;
  /** True when scale < 1: the displacement was cut back. */
  readonly clamped: boolean;
  /** src + scale * (dst - src), the target to warp to. */
  readonly points: Float64Array;
}

/**
 * Fold-over guard. A triangle folds when its signed area along the path src + t * (dst - src)
 * falls below minAreaFraction of its source area (orientation kept, no collapse). The area is a
 * quadratic in t, so the first crossing is solved exactly rather than searched; a triangle
 * degenerate in the source (zero area: nothing to keep) is left out of the test.
 */
export function foldGuard(mesh: WarpMesh, src: Float64Array, dst: Float64Array, minAreaFraction = MIN_AREA_FRACTION): FoldGuard {
  const tri = mesh.triangles;
  let limit = 1;
  for (let t = 0; t < tri.length; t += 3) {
    const [a, b, c] = [tri[t], tri[t + 1], tri[t + 2]];
    const e1x = src[2 * b] - src[2 * a];
    const e1y = src[2 * b + 1] - src[2 * a + 1];
    const e2x = src[2 * c] - src[2 * a];
    const e2y = src[2 * c + 1] - src[2 * a + 1];
    const d1x = dst[2 * b] - dst[2 * a] - e1x;
    const d1y = dst[2 * b + 1] - dst[2 * a + 1] - e1y;
    const d2x = dst[2 * c] - dst[2 * a] - e2x;
    const d2y = dst[2 * c + 1] - dst[2 * a + 1] - e2y;
    const area0 = e1x * e2y - e2x * e1y;
    if (area0 === 0) continue;
    // Signed by the source orientation, so the test reads "keeps at least minAreaFraction of its area".
    const sign = area0 > 0 ? 1 : -1;
    const c1 = sign * (e1x * d2y - e2x * d1y + d1x * e2y - d2x * e1y);
    const c2 = sign * (d1x * d2y - d2x * d1y);
    limit = Math.min(limit, firstRoot((1 - minAreaFraction) * Math.abs(area0), c1, c2));
  }
  if (limit >= 1) return { scale: 1, clamped: false, points: Float64Array.from(dst) };
  // Step back from the exact crossing so rounding in the scaled points cannot land past it.
  const scale = Math.max(0, limit * (1 - 1e-6));
  return { scale, clamped: true, points: scaleDisplacement(src, dst, scale) };
}
