// Face steps for dataset building: how one image becomes a face crop and its 17 AU labels.
import path from 'node:path';
import sharp from 'sharp';
import { alignedCrop, cropFace, decodeImage, detectFaces, detectInAlignedCrop, estimateAus, photoToCrop, type CropTransform, type Face, type RgbImage } from '../face';
import { largestFace, type Detections } from '../face/precomputed';
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

const largest = (faces: readonly Face[]): Face => largestFace(faces) as Face;

/** Landmarks of a detected face in the pixels of its shared-recipe crop, flattened [x0, y0, ...]. */
const landmarksInCrop = (face: Face, t: CropTransform): Float32Array => Float32Array.from(face.landmarks.flatMap(([x, y]) => photoToCrop(t, x, y)));

/** Landmarks of an aligned image in its crop (resized with sharp's cover fit: scaled so the shorter side fills the crop, centred). */
function landmarksInAlignedCrop(face: Face, image: Pick<RgbImage, 'width' | 'height'>, size: number): Float32Array {
  const scale = size / Math.min(image.width, image.height);
  const dx = (image.width * scale - size) / 2;
  const dy = (image.height * scale - size) / 2;
  return Float32Array.from(face.landmarks.flatMap(([x, y]) => [x * scale - dx, y * scale - dy]));
}

export interface DetectedStepOptions {
  readonly aligned: boolean;
  readonly labels?: ReadonlyMap<string, Float32Array>;
  /** Precomputed detections by file name: a file found here is not detected again. */
  readonly detections?: Detections;
}

/**
 * Photos in the wild: the largest face is detected, cropped with the shared recipe, and labelled
 * by the CSV when one is given, else by the built-in estimator. With `aligned`, each image is
 * already the crop and detection (on a padded copy) only supplies the AUs and landmarks.
 */
export function detectedFaceStep(size: number, options: DetectedStepOptions): FaceStep {
  return async (file, bytes) => {
    let photo: RgbImage;
    try {
      photo = await decodeImage(bytes, path.basename(file));
    } catch (err) {
      return { ok: false, reason: 'corrupt', detail: (err as Error).message };
    }
    const label = options.labels?.get(path.basename(file));
    if (options.labels && !label) return { ok: false, reason: 'unlabeled', detail: 'no row for this file in the labels CSV' };
    // Lines are keyed by file name; one made for a different image of that name is not used.
    const line = options.detections?.get(path.basename(file));
    const known = line && line.width === photo.width && line.height === photo.height ? line : null;
    const faces = known ? known.faces : options.aligned ? await detectInAlignedCrop(photo) : await detectFaces(photo);
    if (faces.length === 0 && !label) return { ok: false, reason: 'no-face', detail: 'no face detected' };
    if (options.aligned) {
      if (Math.min(photo.width, photo.height) < MIN_FACE_PIXELS) return { ok: false, reason: 'too-small', detail: `${photo.width}x${photo.height} is below ${MIN_FACE_PIXELS} px` };
      const face = faces.length ? largest(faces) : null;
      const landmarks = face ? { landmarks: landmarksInAlignedCrop(face, photo, size) } : {};
      return { ok: true, crop: (await alignedCrop(photo, size)).data, aus: label ?? estimateAus(face as Face), ...landmarks };
    }
    if (faces.length === 0) return { ok: false, reason: 'no-face', detail: 'no face detected' };
    const face = largest(faces);
    if (face.tooSmall) return { ok: false, reason: 'too-small', detail: `the face is ${Math.round(face.box.width)} px wide` };
    const { crop, transform } = cropFace(photo, face, { size });
    return { ok: true, crop: crop.data, aus: label ?? estimateAus(face), landmarks: landmarksInCrop(face, transform) };
  };
}
