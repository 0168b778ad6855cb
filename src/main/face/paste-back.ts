// Paste-back: the generator's color and attention, upsampled to the crop's footprint in the photo,
// blended into the full-resolution photo with a feathered border. Pixels outside the footprint are
// left bit-identical.
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

function bilinear(plane: Float32Array, size: number, u: number, v: number): number {
  const x = Math.min(Math.max(u - 0.5, 0), size - 1);
  const y = Math.min(Math.max(v - 0.5, 0), size - 1);
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = Math.min(x0 + 1, size - 1);
  const y1 = Math.min(y0 + 1, size - 1);
  const fx = x - x0;
  const fy = y - y0;
  const row0 = plane[y0 * size + x0] * (1 - fx) + plane[y0 * size + x1] * fx;
  const row1 = plane[y1 * size + x0] * (1 - fx) + plane[y1 * size + x1] * fx;
  return row0 * (1 - fy) + row1 * fy;
}

/** Photo-space bounding box of a crop's footprint, clipped to the photo. */
function footprint(t: CropTransform, photo: RgbImage): [number, number, number, number] {
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

/** A new photo with every layer blended in; the input is not modified. */
export function pasteBack(photo: RgbImage, layers: readonly FaceLayer[]): RgbImage {
  const out = new Uint8Array(photo.data);
  for (const layer of layers) blendLayer(photo, out, layer);
  return { width: photo.width, height: photo.height, data: out };
}

function blendLayer(photo: RgbImage, out: Uint8Array, { transform: t, color, attention }: FaceLayer): void {
  const size = t.size;
  const plane = size * size;
  const feather = FEATHER * size;
  const [x0, y0, x1, y1] = footprint(t, photo);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const [u, v] = photoToCrop(t, x + 0.5, y + 0.5);
      const edge = Math.min(u, v, size - u, size - v);
      if (edge <= 0) continue;
      const weight = Math.min(1, edge / feather);
      const a = bilinear(attention, size, u, v);
      const i = (y * photo.width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const generated = (bilinear(color.subarray(c * plane, (c + 1) * plane), size, u, v) + 1) * 127.5;
        const base = out[i + c];
        const blended = a * base + (1 - a) * generated;
        out[i + c] = Math.round(Math.min(255, Math.max(0, weight * blended + (1 - weight) * base)));
      }
    }
  }
}
