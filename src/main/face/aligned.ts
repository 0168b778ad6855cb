// Images that are already aligned face crops (UTKFace and the like): the face fills the frame, so
// the detector, tuned for faces inside photos, needs a border around it; the crop itself is the
// image resized to the model's size, not a detection-based crop.
import sharp from 'sharp';
import { detectFaces, type Face } from './detector';
import type { RgbImage } from './image-io';

/**
 * Borders tried around an aligned crop before detection (as a share of its side). On 200 UTKFace
 * crops, 0.35 alone missed 28%; a second try at 1.0 found 29 of the first 30 it missed.
 */
const ALIGNED_PADDINGS = [0.35, 1.0];

function pad(image: RgbImage, fraction: number): RgbImage {
  const p = Math.round(Math.max(image.width, image.height) * fraction);
  const width = image.width + 2 * p;
  const height = image.height + 2 * p;
  const data = new Uint8Array(width * height * 3).fill(128);
  for (let y = 0; y < image.height; y++) data.set(image.data.subarray(y * image.width * 3, (y + 1) * image.width * 3), ((y + p) * width + p) * 3);
  return { width, height, data };
}

/** Faces found in an aligned crop, trying wider grey borders until one is found (coordinates are in the padded image). */
export async function detectInAlignedCrop(image: RgbImage): Promise<Face[]> {
  for (const padding of ALIGNED_PADDINGS) {
    const faces = await detectFaces(pad(image, padding));
    if (faces.length) return faces;
  }
  return [];
}

/** The aligned image as the model's input crop: resized to size x size, centre-cropped if not square. */
export async function alignedCrop(image: RgbImage, size: number): Promise<RgbImage> {
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).resize(size, size, { fit: 'cover' }).raw().toBuffer();
  return { width: size, height: size, data: new Uint8Array(data) };
}
