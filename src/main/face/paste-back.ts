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

/** For each covered photo pixel: its offset, the top-left crop tap, bilinear fractions and the feather weight. */
export interface PastePlan {
  readonly size: number;
  readonly pixel: Int32Array;
  readonly tap: Int32Array;
  readonly fx: Float32Array;
  readonly fy: Float32Array;
  readonly weight: Float32Array;
}

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
  const fx = new Float32Array(capacity);
  const fy = new Float32Array(capacity);
  const weight = new Float32Array(capacity);
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
      pixel[n] = (y * photo.width + x) * 3;
      tap[n] = iy * size + ix;
      fx[n] = cx - ix;
      fy[n] = cy - iy;
      weight[n] = Math.min(1, edge / feather);
      n++;
    }
  }
  return { size, pixel: pixel.subarray(0, n), tap: tap.subarray(0, n), fx: fx.subarray(0, n), fy: fy.subarray(0, n), weight: weight.subarray(0, n) };
}

/**
 * Blends one face's output into `out` (RGB bytes of the photo) following a plan. `base` holds the
 * pixels to blend over (default: `out` itself); passing the clean photo lets an animation write each
 * frame without first restoring the previous frame's footprint. Hot loop: kept flat, and written
 * through a clamped view so the store does the rounding and clamping (3x faster than Math.round).
 */
export function applyPaste(plan: PastePlan, out: Uint8Array, color: Float32Array, attention: Float32Array, base: Uint8Array = out): void {
  const { size, pixel, tap, fx: fxs, fy: fys, weight } = plan;
  const plane = size * size;
  const dst = new Uint8ClampedArray(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < pixel.length; i++) {
    const t = tap[i];
    const fx = fxs[i];
    const fy = fys[i];
    const w00 = (1 - fx) * (1 - fy);
    const w10 = fx * (1 - fy);
    const w01 = (1 - fx) * fy;
    const w11 = fx * fy;
    const a = attention[t] * w00 + attention[t + 1] * w10 + attention[t + size] * w01 + attention[t + size + 1] * w11;
    const w = weight[i];
    const keep = w * a + (1 - w);
    const paint = w * (1 - a) * 127.5;
    const p = pixel[i];
    const g = t + plane;
    const b = g + plane;
    dst[p] = keep * base[p] + paint * (color[t] * w00 + color[t + 1] * w10 + color[t + size] * w01 + color[t + size + 1] * w11 + 1);
    dst[p + 1] = keep * base[p + 1] + paint * (color[g] * w00 + color[g + 1] * w10 + color[g + size] * w01 + color[g + size + 1] * w11 + 1);
    dst[p + 2] = keep * base[p + 2] + paint * (color[b] * w00 + color[b + 1] * w10 + color[b + size] * w01 + color[b + size + 1] * w11 + 1);
  }
}

/** A new photo with every layer blended in; the input is not modified. */
export function pasteBack(photo: RgbImage, layers: readonly FaceLayer[]): RgbImage {
  const out = new Uint8Array(photo.data);
  for (const layer of layers) applyPaste(planPaste(photo, layer.transform), out, layer.color, layer.attention);
  return { width: photo.width, height: photo.height, data: out };
}
