// Face steps for dataset building: how one image becomes a face crop and its 17 AU labels.
import path from 'node:path';
import sharp from 'sharp';
import { alignedCrop, cropFace, decodeImage, detectFaces, detectInAlignedCrop, estimateAus, type Face, type RgbImage } from '../face';
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

const largest = (faces: readonly Face[]): Face => faces.reduce((a, b) => (b.box.width * b.box.height > a.box.width * a.box.height ? b : a));

/**
 * Photos in the wild: the largest face is detected, cropped with the shared recipe, and labelled
 * by the CSV when one is given, else by the built-in estimator. With `aligned`, each image is
 * already the crop and detection (on a padded copy) only supplies the AUs.
 */
export function detectedFaceStep(size: number, options: { aligned: boolean; labels?: ReadonlyMap<string, Float32Array> }): FaceStep {
  return async (file, bytes) => {
    let photo: RgbImage;
    try {
      photo = await decodeImage(bytes, path.basename(file));
    } catch (err) {
      return { ok: false, reason: 'corrupt', detail: (err as Error).message };
    }
    const label = options.labels?.get(path.basename(file));
    if (options.labels && !label) return { ok: false, reason: 'unlabeled', detail: 'no row for this file in the labels CSV' };
    const faces = options.aligned ? await detectInAlignedCrop(photo) : await detectFaces(photo);
    if (faces.length === 0 && !label) return { ok: false, reason: 'no-face', detail: 'no face detected' };
    if (options.aligned) {
      if (Math.min(photo.width, photo.height) < MIN_FACE_PIXELS) return { ok: false, reason: 'too-small', detail: `${photo.width}x${photo.height} is below ${MIN_FACE_PIXELS} px` };
      return { ok: true, crop: (await alignedCrop(photo, size)).data, aus: label ?? estimateAus(largest(faces)) };
    }
    if (faces.length === 0) return { ok: false, reason: 'no-face', detail: 'no face detected' };
    const face = largest(faces);
    if (face.tooSmall) return { ok: false, reason: 'too-small', detail: `the face is ${Math.round(face.box.width)} px wide` };
    return { ok: true, crop: cropFace(photo, face, { size }).crop.data, aus: label ?? estimateAus(face) };
  };
}
