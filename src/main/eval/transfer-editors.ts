// The editors the expression-transfer measure can drive: the studio's own scene (the model's geometry,
// generation and paste-back over the full photo, as preview and export make a frame), and two references that need no model: "output = input", and an
// oracle that returns the posed photo itself, aligned onto the neutral one (for tests).
import { decodeImage, estimateAus, type Face, type RgbImage } from '../face';
import { fitSimilarity, type Point } from '../face/face-frame';
import type { GeneratorEngine } from '../infer/generator-engine';
import { geometryOf } from '../render/motion-geometry';
import { Scene } from '../render/scene';

/** The pair being measured, for reference editors that may look at the answer; a real editor must not. */
export interface TransferPair {
  readonly performer: string;
  readonly expression: string;
  readonly neutralFile: string;
  /** The posed photo's path and its landmarks (photo pixels). */
  readonly posedFile: string;
  readonly posedLandmarks: readonly Point[];
}

/** Edits one face of a full photo to the target AUs (length 17, [0, 1]) and returns the full photo. */
export type EditPhoto = (photo: RgbImage, face: Face, targetAus: Float32Array, pair: TransferPair) => Promise<RgbImage>;

export interface NamedEditor {
  readonly name: string;
  readonly edit: EditPhoto;
}

/** The studio's frame for one face: the scene preview and export render through, with the model's geometry. */
export function generatorEditor(engine: GeneratorEngine): EditPhoto {
  return async (photo, face, targetAus) => {
    const scene = new Scene(photo, [{ ...face, sourceAus: estimateAus(face) }], engine.imageSize, geometryOf(engine));
    const frame = scene.render(await scene.generateFaces(engine, [{ faceId: face.id, aus: targetAus }]));
    return { width: photo.width, height: photo.height, data: new Uint8Array(frame) };
  };
}

/** The trivial baseline: the photo unchanged (error ratio 1 and cosine 0 by construction). */
export const identityEditor: EditPhoto = async (photo) => photo;

/** Bilinear sample of channel c at real pixel position (x, y), clamped at the border. */
function sampleClamped(image: RgbImage, x: number, y: number, c: number): number {
  const cx = Math.min(Math.max(x, 0), image.width - 1);
  const cy = Math.min(Math.max(y, 0), image.height - 1);
  const x0 = Math.min(Math.floor(cx), image.width - 2);
  const y0 = Math.min(Math.floor(cy), image.height - 2);
  const fx = cx - x0;
  const fy = cy - y0;
  const at = (xx: number, yy: number) => image.data[(yy * image.width + xx) * 3 + c];
  return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
}

/**
 * The posed photo resampled onto the neutral photo's canvas by the similarity that carries its stable
 * points onto the neutral face's: what a perfect editor would return, up to lighting and pose.
 */
export const oracleEditor: EditPhoto = async (photo, face, _targetAus, pair) => {
  const posed = await decodeImage(pair.posedFile);
  // posed -> neutral is z' = (a + ib) z + t; each output pixel reads the posed photo at its preimage.
  const { a, b, tx, ty } = fitSimilarity(pair.posedLandmarks, face.landmarks);
  const norm = a * a + b * b;
  const data = new Uint8Array(photo.width * photo.height * 3);
  for (let y = 0; y < photo.height; y++) {
    for (let x = 0; x < photo.width; x++) {
      const dx = x + 0.5 - tx;
      const dy = y + 0.5 - ty;
      const sx = (a * dx + b * dy) / norm - 0.5;
      const sy = (-b * dx + a * dy) / norm - 0.5;
      for (let c = 0; c < 3; c++) data[(y * photo.width + x) * 3 + c] = Math.round(sampleClamped(posed, sx, sy, c));
    }
  }
  return { width: photo.width, height: photo.height, data };
};
