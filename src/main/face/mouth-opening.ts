// Where a face's mouth is open: the polygon of its inner lips, rasterised at crop resolution. The
// warm start uses it to tell the generator where a posed photo shows a mouth interior; a model
// limited to the mouth opening repaints only where a warp opens it (mouthRepaintGate), in the
// studio and in the training step graphs alike.
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

/** Upper and lower inner-lip points facing each other across the opening (iBUG 68). */
const LIP_PAIRS = [[61, 67], [62, 66], [63, 65]] as const;

/** The mean distance across the mouth opening between the inner lips, in the landmarks' units. */
export function innerLipGap(landmarks: readonly Point[]): number {
  let sum = 0;
  for (const [upper, lower] of LIP_PAIRS) sum += Math.hypot(landmarks[lower][0] - landmarks[upper][0], landmarks[lower][1] - landmarks[upper][1]);
  return sum / LIP_PAIRS.length;
}

/** Each pixel's maximum over its 3x3 neighbourhood, [S, S]: the mask one pixel wider all round. */
export function dilateOnce(mask: Float32Array, size: number): Float32Array {
  const out = new Float32Array(mask.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let m = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= size) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < size && mask[yy * size + xx] > m) m = mask[yy * size + xx];
        }
      }
      out[y * size + x] = m;
    }
  }
  return out;
}

/** 0 for a lip gap up to 1.5 px of a 96 px crop, 1 from 3.5 px: below that the "opening" is the lip line itself. */
const gapRamp = (gapPx96: number): number => Math.min(1, Math.max(0, (gapPx96 - 1.5) / 2));

/**
 * How far moving a face's landmarks from `source` to `target` (68 points, pixels of a `size` crop)
 * opens its mouth: 1 where the lips of a closed mouth part by 3.5 px of a 96 px crop or more, 0
 * where they stay within the lip line or the mouth is open already (it shows its own interior).
 */
export function mouthOpenedBy(source: readonly Point[], target: readonly Point[], size: number): number {
  return gapRamp(innerLipGap(target) * (96 / size)) * (1 - gapRamp(innerLipGap(source) * (96 / size)));
}

/**
 * [S, S]: where a generator limited to the mouth opening may repaint a face moved onto `target`: the
 * opening there, one pixel wider, times `opened` (mouthOpenedBy). A closed or barely parted mouth
 * (the lip line of a smile) is never repainted, and a mouth that was open shows its own interior.
 */
export function mouthRepaintGate(target: readonly Point[], opened: number, size: number): Float32Array {
  if (!(opened > 0)) return new Float32Array(size * size);
  return dilateOnce(mouthOpening(target, size), size).map((v) => v * opened);
}
