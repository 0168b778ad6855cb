// Face steps for dataset building. The aligned step treats each image as an already-aligned face
// crop (UTKFace-style) and takes its AUs from a labels CSV.
import path from 'node:path';
import sharp from 'sharp';
import type { FaceStep } from './dataset';

/** Smallest side accepted: smaller crops would be upsampled into mush. */
export const MIN_FACE_PIXELS = 48;

export function alignedFaceStep(size: number, labels: ReadonlyMap<string, Float32Array>): FaceStep {
  return async (file, bytes) => {
    const aus = labels.get(path.basename(file));
    if (!aus) return { ok: false, reason: 'unlabeled', detail: 'no row for this file in the labels CSV' };
    try {
      const image = sharp(bytes, { limitInputPixels: 50_000_000 }).rotate();
      const meta = await image.metadata();
      if (Math.min(meta.width ?? 0, meta.height ?? 0) < MIN_FACE_PIXELS) {
        return { ok: false, reason: 'too-small', detail: `${meta.width}x${meta.height} is below ${MIN_FACE_PIXELS} px` };
      }
      const crop = await image.removeAlpha().toColourspace('srgb').resize(size, size, { fit: 'cover' }).raw().toBuffer();
      return { ok: true, crop: new Uint8Array(crop), aus };
    } catch (err) {
      return { ok: false, reason: 'corrupt', detail: (err as Error).message };
    }
  };
}
