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
  const precomputed = precomputedLandmarks(file);
  const landmarks = precomputed?.landmarks ?? largestFace(await detectFaces(photo))?.landmarks;
  if (!landmarks) throw new UsageError(`--mouth-from: no face found in ${file}`);
  // Named from its data set's folder when it has one (tw-expressions/images/0811b10.jpg), so a card says where it came from.
  const name = precomputed ? path.join(path.basename(precomputed.folder), path.relative(precomputed.folder, path.resolve(file))).split(path.sep).join('/') : path.basename(file);
  const interior = takeMouthInterior(photo, landmarks as readonly Point[], name);
  return { text: serializeMouthInterior(interior), source: name };
}

/** The photo's largest face in the detections beside it (its folder or the one above), and the folder they were found in. */
function precomputedLandmarks(file: string): { landmarks: readonly Point[]; folder: string } | null {
  const folder = path.dirname(path.resolve(file));
  for (const dir of [folder, path.dirname(folder)]) {
    const detections = detectionsBeside(dir);
    const photo = detections ? readDetections(detections).get(path.basename(file)) : undefined;
    const face = photo ? largestFace(photo.faces) : null;
    if (face) return { landmarks: face.landmarks as readonly Point[], folder: dir };
  }
  return null;
}
