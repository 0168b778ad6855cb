// `--mouth-from photo.jpg`: the mouth interior a geometry model lays into the mouths it opens,
// taken from one photo of an open mouth. Its landmarks come from the precomputed detections beside
// the photo (its folder or the one above, as the shared data sets keep them), else from detection.
import path from 'node:path';
import { decodeImage, detectFaces } from '../face';
import { serializeMouthInterior, takeMouthInterior } from '../face/mouth-interior';
import { detectionsBeside, largestFace, readDetections } from '../face/precomputed';
import type { Point } from '../face/face-frame';
import { UsageError } from './args';

export const MOUTH_FLAG = {
  type: 'string',
  description: 'a photo of an open mouth (teeth showing) whose mouth interior is laid into the mouths the warp opens',
  placeholder: 'photo',
} as const;

/** The serialised interior of the largest face in `file`, with the name the model card gives it. */
export async function readMouthFlag(file: string): Promise<{ text: string; source: string }> {
  const photo = await decodeImage(file).catch((err: Error) => {
    throw new UsageError(`--mouth-from: ${err.message}`);
  });
  const name = path.basename(file);
  const landmarks = precomputedLandmarks(file) ?? largestFace(await detectFaces(photo))?.landmarks;
  if (!landmarks) throw new UsageError(`--mouth-from: no face found in ${file}`);
  const interior = takeMouthInterior(photo, landmarks as readonly Point[], name);
  return { text: serializeMouthInterior(interior), source: name };
}

function precomputedLandmarks(file: string): readonly Point[] | null {
  const folder = path.dirname(path.resolve(file));
  for (const dir of [folder, path.dirname(folder)]) {
    const detections = detectionsBeside(dir);
    const photo = detections ? readDetections(detections).get(path.basename(file)) : undefined;
    const face = photo ? largestFace(photo.faces) : null;
    if (face) return face.landmarks as readonly Point[];
  }
  return null;
}
