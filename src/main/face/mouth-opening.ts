// Where a face's mouth is open: the polygon of its inner lips, rasterised at crop resolution. The
// warm start uses it to tell the generator where a posed photo shows a mouth interior.
import type { Point } from './face-frame';

/** iBUG 68 inner-lip points, in order around the mouth opening. */
const INNER_LIPS = [60, 61, 62, 63, 64, 65, 66, 67] as const;
/** Sub-samples per pixel side when rasterising the mouth opening. */
const MOUTH_SUBSAMPLES = 4;

/**
 * [S, S]: the share of each crop pixel inside the polygon of the inner lips (`landmarks` in crop
 * pixels, pixel edges at integers). A closed mouth's polygon has no area, so it gives ~0 everywhere.
 */
export function mouthOpening(landmarks: readonly Point[], size: number, out: Float32Array = new Float32Array(size * size)): Float32Array {
  const polygon = INNER_LIPS.map((i) => landmarks[i]);
  const xs = polygon.map((p) => p[0]);
  const ys = polygon.map((p) => p[1]);
  out.fill(0);
  const [x0, x1] = [Math.max(0, Math.floor(Math.min(...xs))), Math.min(size - 1, Math.ceil(Math.max(...xs)))];
  const [y0, y1] = [Math.max(0, Math.floor(Math.min(...ys))), Math.min(size - 1, Math.ceil(Math.max(...ys)))];
  const n = MOUTH_SUBSAMPLES;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      let inside = 0;
      for (let sy = 0; sy < n; sy++) for (let sx = 0; sx < n; sx++) if (insidePolygon(polygon, x + (sx + 0.5) / n, y + (sy + 0.5) / n)) inside++;
      out[y * size + x] = inside / (n * n);
    }
  }
  return out;
}

/** Even-odd rule. */
function insidePolygon(polygon: readonly Point[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
