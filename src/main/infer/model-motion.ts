// A model file's motion basis, parsed once per load: the basis, or null with the reason when the
// model has none (geometry off, as for the original GANimation) or carries one that cannot be used.
import { StudioError } from '../../shared/errors';
import { parseMotionBasis, type MotionBasis } from '../face/motion-model';
import type { ModelInfo, RepaintRegion } from '../model/model-file';

export type ModelMotion = ({ readonly basis: MotionBasis; readonly problem: null } | { readonly basis: null; readonly problem: string | null }) & {
  /** Where the generator may repaint over the warp (model-file.ts RepaintRegion). */
  readonly repaintRegion: RepaintRegion;
};

/** `problem` is null for a model without a basis, and says what is wrong with a corrupt one (the model then runs with geometry off). */
export function motionOfModel(info: Pick<ModelInfo, 'motionBasis'> & Partial<Pick<ModelInfo, 'repaintRegion'>>, modelPath: string): ModelMotion {
  const repaintRegion = info.repaintRegion ?? 'anywhere';
  if (!info.motionBasis) return { basis: null, problem: null, repaintRegion };
  try {
    return { basis: parseMotionBasis(info.motionBasis, `the motion basis of ${modelPath}`), problem: null, repaintRegion };
  } catch (err) {
    if (!(err instanceof StudioError)) throw err;
    return { basis: null, problem: `${err.message}; the model runs without geometry`, repaintRegion };
  }
}
