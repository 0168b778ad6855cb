// The one crop recipe, shared by training-data preparation and animation: a square around the
// landmarks with margin and optional roll alignment, resampled to the model size, with the exact
// affine transform back to the photo. Crops that leave the photo are padded by reflection.
import type { Face } from './detector';
import type { RgbImage } from './image-io';

/** crop pixel (u, v) -> photo pixel: x = cx + scale * (cos * (u - h) - sin * (v - h)), y = cy + scale * (sin * (u - h) + cos * (v - h)), h = size / 2. */
export interface CropTransform {
  readonly size: number;
  readonly centerX: number;
  readonly centerY: number;
  /** Photo pixels per crop pixel. */
  readonly scale: number;
  /** Roll in radians (0 without alignment). */
  readonly angle: number;
}

export interface CropOptions {
  readonly size: number;
  /** Crop side as a multiple of the eye-to-mouth distance. */
  readonly extent?: number;
  readonly alignRoll?: boolean;
}

/** Side and vertical position tuned so crops of faces in wide photos look like aligned UTKFace crops. */
export const DEFAULT_EXTENT = 3.4;
const CENTER_BELOW_EYES = 0.4;

const mean = (points: readonly (readonly [number, number])[]): [number, number] => [
  points.reduce((s, p) => s + p[0], 0) / points.length,
  points.reduce((s, p) => s + p[1], 0) / points.length,
];

export function cropTransform(face: Pick<Face, 'landmarks'>, options: CropOptions): CropTransform {
  const lm = face.landmarks;
  const rightEye = mean(lm.slice(36, 42));
  const leftEye = mean(lm.slice(42, 48));
  const eyes: [number, number] = [(rightEye[0] + leftEye[0]) / 2, (rightEye[1] + leftEye[1]) / 2];
  const mouth = mean([lm[48], lm[54]]);
  const angle = options.alignRoll ? Math.atan2(leftEye[1] - rightEye[1], leftEye[0] - rightEye[0]) : 0;
  const dx = mouth[0] - eyes[0];
  const dy = mouth[1] - eyes[1];
  const eyeToMouth = Math.hypot(dx, dy);
  const side = (options.extent ?? DEFAULT_EXTENT) * eyeToMouth;
  return {
    size: options.size,
    centerX: eyes[0] + CENTER_BELOW_EYES * dx,
    centerY: eyes[1] + CENTER_BELOW_EYES * dy,
    scale: side / options.size,
    angle,
  };
}

export function cropToPhoto(t: CropTransform, u: number, v: number): [number, number] {
  const h = t.size / 2;
  const c = Math.cos(t.angle);
  const s = Math.sin(t.angle);
  return [t.centerX + t.scale * (c * (u - h) - s * (v - h)), t.centerY + t.scale * (s * (u - h) + c * (v - h))];
}

export function photoToCrop(t: CropTransform, x: number, y: number): [number, number] {
  const h = t.size / 2;
  const c = Math.cos(t.angle);
  const s = Math.sin(t.angle);
  const px = (x - t.centerX) / t.scale;
  const py = (y - t.centerY) / t.scale;
  return [c * px + s * py + h, -s * px + c * py + h];
}

const reflect = (i: number, n: number): number => {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
};

/** Bilinear sample of channel c at a real photo position, reflecting outside the photo. */
function sample(photo: RgbImage, x: number, y: number, c: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (xx: number, yy: number) => photo.data[(reflect(yy, photo.height) * photo.width + reflect(xx, photo.width)) * 3 + c];
  return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
}

/** The crop as RGB bytes [S, S, 3]; pixel centres map through the transform. Downscaling by more than 2x pre-averages. */
export function cropFace(photo: RgbImage, face: Pick<Face, 'landmarks'>, options: CropOptions): { crop: RgbImage; transform: CropTransform } {
  const transform = cropTransform(face, options);
  const { size } = options;
  const taps = Math.max(1, Math.min(4, Math.round(transform.scale)));
  const out = new Uint8Array(size * size * 3);
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let j = 0; j < taps; j++) {
          for (let i = 0; i < taps; i++) {
            const [x, y] = cropToPhoto(transform, u + (i + 0.5) / taps, v + (j + 0.5) / taps);
            acc += sample(photo, x - 0.5, y - 0.5, c);
          }
        }
        out[(v * size + u) * 3 + c] = Math.round(acc / (taps * taps));
      }
    }
  }
  return { crop: { width: size, height: size, data: out }, transform };
}

/** RGB bytes [S, S, 3] -> [3, S, S] floats in [-1, 1], the generator's input layout. */
export function rgbToTensor(image: RgbImage): Float32Array {
  const n = image.width * image.height;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[c * n + i] = image.data[i * 3 + c] / 127.5 - 1;
  return out;
}

/** [3, S, S] floats in [-1, 1] -> RGB bytes. */
export function tensorToRgb(tensor: Float32Array, size: number): RgbImage {
  const n = size * size;
  const data = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.round((Math.min(1, Math.max(-1, tensor[c * n + i])) + 1) * 127.5);
  return { width: size, height: size, data };
}
