// Paste-back: the generator's color and attention, upsampled to the crop's footprint in the photo,
// blended into the full-resolution photo with a feathered border. Pixels outside the footprint are
// left bit-identical. The geometry (which photo pixel reads which crop taps, with what weights) is
// computed once per face as a plan, so an animation pays only the blend per frame.
import { photoToCrop, type CropTransform } from './crop';
import type { RgbImage } from './image-io';

/** One face's generator output in crop space: color [3, S, S] in [-1, 1], attention [1, S, S] in [0, 1]. */
export interface FaceLayer {
  readonly transform: CropTransform;
  readonly color: Float32Array;
  readonly attention: Float32Array;
}

/** Share of the crop side over which the blend fades out to the photo. */
export const FEATHER = 0.1;

/**
 * For each covered photo pixel: its byte offset, the top-left crop tap, and five weights packed
 * together (the four bilinear tap weights, then the feather weight) so the blend reads one stream.
 */
export interface PastePlan {
  readonly size: number;
  readonly pixel: Int32Array;
  readonly tap: Int32Array;
  /** [w00, w10, w01, w11, feather] per pixel. */
  readonly weights: Float32Array;
}

/** Floats per pixel in PastePlan.weights. */
const WEIGHTS_PER_PIXEL = 5;

/** Photo-space bounding box of a crop's footprint, clipped to the photo. */
function footprint(t: CropTransform, photo: Pick<RgbImage, 'width' | 'height'>): [number, number, number, number] {
  const corners = [[0, 0], [t.size, 0], [0, t.size], [t.size, t.size]].map(([u, v]) => {
    const h = t.size / 2;
    const c = Math.cos(t.angle);
    const s = Math.sin(t.angle);
    return [t.centerX + t.scale * (c * (u - h) - s * (v - h)), t.centerY + t.scale * (s * (u - h) + c * (v - h))];
  });
  const xs = corners.map((p) => p[0]);
  const ys = corners.map((p) => p[1]);
  return [
    Math.max(0, Math.floor(Math.min(...xs))),
    Math.max(0, Math.floor(Math.min(...ys))),
    Math.min(photo.width, Math.ceil(Math.max(...xs))),
    Math.min(photo.height, Math.ceil(Math.max(...ys))),
  ];
}

export function planPaste(photo: Pick<RgbImage, 'width' | 'height'>, t: CropTransform): PastePlan {
  const size = t.size;
  const feather = FEATHER * size;
  const [x0, y0, x1, y1] = footprint(t, photo);
  const capacity = Math.max(0, (x1 - x0) * (y1 - y0));
  const pixel = new Int32Array(capacity);
  const tap = new Int32Array(capacity);
  const weights = new Float32Array(capacity * WEIGHTS_PER_PIXEL);
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const [u, v] = photoToCrop(t, x + 0.5, y + 0.5);
      const edge = Math.min(u, v, size - u, size - v);
      if (edge <= 0) continue;
      const cx = Math.min(Math.max(u - 0.5, 0), size - 1.000001);
      const cy = Math.min(Math.max(v - 0.5, 0), size - 1.000001);
      const ix = Math.floor(cx);
      const iy = Math.floor(cy);
      const fx = cx - ix;
      const fy = cy - iy;
      pixel[n] = (y * photo.width + x) * 3;
      tap[n] = iy * size + ix;
      const k = n * WEIGHTS_PER_PIXEL;
      weights[k] = (1 - fx) * (1 - fy);
      weights[k + 1] = fx * (1 - fy);
      weights[k + 2] = (1 - fx) * fy;
      weights[k + 3] = fx * fy;
      weights[k + 4] = Math.min(1, edge / feather);
      n++;
    }
  }
  return { size, pixel: pixel.slice(0, n), tap: tap.slice(0, n), weights: weights.slice(0, n * WEIGHTS_PER_PIXEL) };
}

/**
 * Blends one face's output into `out` (RGB bytes of the photo) following a plan. `base` holds the
 * pixels to blend over (default: `out` itself); passing the clean photo lets an animation write each
 * frame without first restoring the previous frame's footprint. Hot loop: kept flat, and written
 * through a clamped view so the store does the rounding and clamping (3x faster than Math.round).
 */
export function applyPaste(plan: PastePlan, out: Uint8Array, color: Float32Array, attention: Float32Array, base: Uint8Array = out): void {
  const { size, pixel, tap, weights } = plan;
  const green = size * size;
  const blue = 2 * green;
  const dst = new Uint8ClampedArray(out.buffer, out.byteOffset, out.length);
  for (let i = 0, k = 0; i < pixel.length; i++, k += WEIGHTS_PER_PIXEL) {
    const t00 = tap[i];
    const t10 = t00 + 1;
    const t01 = t00 + size;
    const t11 = t01 + 1;
    const w00 = weights[k];
    const w10 = weights[k + 1];
    const w01 = weights[k + 2];
    const w11 = weights[k + 3];
    const w = weights[k + 4];
    const a = attention[t00] * w00 + attention[t10] * w10 + attention[t01] * w01 + attention[t11] * w11;
    const keep = w * a + (1 - w);
    const paint = w * (1 - a) * 127.5;
    const p = pixel[i];
    dst[p] = keep * base[p] + paint * (color[t00] * w00 + color[t10] * w10 + color[t01] * w01 + color[t11] * w11 + 1);
    dst[p + 1] = keep * base[p + 1] + paint * (color[t00 + green] * w00 + color[t10 + green] * w10 + color[t01 + green] * w01 + color[t11 + green] * w11 + 1);
    dst[p + 2] = keep * base[p + 2] + paint * (color[t00 + blue] * w00 + color[t10 + blue] * w10 + color[t01 + blue] * w01 + color[t11 + blue] * w11 + 1);
  }
}

/** A new photo with every layer blended in; the input is not modified. */
export function pasteBack(photo: RgbImage, layers: readonly FaceLayer[]): RgbImage {
  const out = new Uint8Array(photo.data);
  for (const layer of layers) applyPaste(planPaste(photo, layer.transform), out, layer.color, layer.attention);
  return { width: photo.width, height: photo.height, data: out };
}
