// The seam for a face's geometry in a scene: per AU vector, the photo's face region warped at full
// resolution and the generator's input cropped from the warped photo. A model without a motion
// basis uses the identity, which moves nothing and costs nothing per frame.
import type { CropOutput, CropTransform, Face, RgbImage } from '../face';
import type { Rect } from './yuv420';

/** A warped rectangle of the photo: RGB rows of the rectangle, (x1 - x0) * 3 bytes each. */
export interface WarpedRegion {
  readonly rect: Rect;
  readonly rgb: Uint8Array;
}

/** One face's geometry in a scene, fixed for its photo, landmarks and crop. */
export interface FaceWarp {
  /**
   * The photo rectangle every warped region of this face lies in (the warp's anchor ring, so the
   * background never moves); null when the warp never moves a pixel. Export copies at least this
   * rectangle of each frame, and the scene refuses a region outside it.
   */
  readonly bounds: Rect | null;
  /** The face region of the photo warped to these AUs; null when the photo stays as it is. */
  warpedRegion(aus: Float32Array): WarpedRegion | null;
  /** The generator's input for these AUs: the crop [3, S, S] in [-1, 1] of the warped photo. */
  cropTensor(aus: Float32Array): Float32Array;
  /**
   * Where the generator may repaint for these AUs, [S, S] in [0, 1] at crop resolution; absent: it
   * may repaint anywhere its attention says (the model's repaint region, model-file.ts).
   */
  repaintGate?(aus: Float32Array): Float32Array;
}

/** What a geometry is given to warp one face: the photo, the face's landmarks, its crop and that crop as the generator reads it. */
export interface FaceGeometryInput {
  readonly id: number;
  /** The face's own AUs (length 17, [0, 1]): motion is relative to them. */
  readonly sourceAus?: ArrayLike<number>;
  readonly photo: RgbImage;
  readonly landmarks: Face['landmarks'];
  readonly transform: CropTransform;
  readonly crop: Float32Array;
}

/**
 * The generator's output with its repaint limited to `gate` ([S, S] in [0, 1]): the attention
 * A' = 1 - (1 - A) * gate keeps the input wherever the gate is 0, and the composite follows from
 * the warped crop `input` the generator read.
 */
export function gateRepaint(output: CropOutput & { readonly composite: Float32Array }, gate: Float32Array, input: Float32Array): CropOutput & { readonly composite: Float32Array } {
  const plane = gate.length;
  const attention = output.attention.map((a, i) => 1 - (1 - a) * gate[i]);
  const composite = input.map((x, i) => {
    const a = attention[i % plane];
    return a * x + (1 - a) * output.color[i];
  });
  return { ...output, attention, composite };
}

/** Makes each face's warp once, when a scene is built (for a model with a motion basis: from that basis). */
export type FaceGeometry = (face: FaceGeometryInput) => FaceWarp;

/** Geometry off: the photo is never warped and every AU vector reads the one crop made with the scene. */
export const identityGeometry: FaceGeometry = ({ crop }) => ({ bounds: null, warpedRegion: () => null, cropTensor: () => crop });
