// A model file's geometry, parsed once per load: its motion basis and mouth interior, or null with
// the reason when the model has none (geometry off, as for the original GANimation) or carries one
// that cannot be used.
import { StudioError } from '../../shared/errors';
import { parseMotionBasis, type MotionBasis } from '../face/motion-model';
import { parseMouthInterior, type MouthInterior } from '../face/mouth-interior';
import type { ModelInfo } from '../model/model-file';
import type { RepaintRegion } from '../../shared/repaint';

export interface ModelMotion {
  /** The motion basis the warp moves landmarks by; null: geometry off. */
  readonly basis: MotionBasis | null;
  /** What the model carries that cannot be used and what runs instead; null when all of it can. */
  readonly problem: string | null;
  /** Where the generator may repaint over the warp (model-file.ts RepaintRegion). */
  readonly repaintRegion: RepaintRegion;
  /** What the warp lays into a mouth it opens; null: the warp's own pixels. */
  readonly mouthInterior: MouthInterior | null;
}

/** The parts of a model's metadata its geometry comes from. */
export type ModelGeometryInfo = Pick<ModelInfo, 'motionBasis'> & Partial<Pick<ModelInfo, 'repaintRegion' | 'mouthInterior'>>;

/**
 * `problem` is null for a model without a basis, and says what is wrong with a corrupt basis (the
 * model then runs with geometry off) or a corrupt mouth interior (the warp then runs without it).
 */
export function motionOfModel(info: ModelGeometryInfo, modelPath: string): ModelMotion {
  const repaintRegion = info.repaintRegion ?? 'anywhere';
  if (!info.motionBasis) return { basis: null, problem: null, repaintRegion, mouthInterior: null };
  let basis: MotionBasis;
  try {
    basis = parseMotionBasis(info.motionBasis, `the motion basis of ${modelPath}`);
  } catch (err) {
    if (!(err instanceof StudioError)) throw err;
    return { basis: null, problem: `${err.message}; the model runs without geometry`, repaintRegion, mouthInterior: null };
  }
  if (!info.mouthInterior) return { basis, problem: null, repaintRegion, mouthInterior: null };
  try {
    return { basis, problem: null, repaintRegion, mouthInterior: parseMouthInterior(info.mouthInterior, `the mouth interior of ${modelPath}`) };
  } catch (err) {
    if (!(err instanceof StudioError)) throw err;
    return { basis, problem: `${err.message}; an opened mouth shows the warp's own pixels`, repaintRegion, mouthInterior: null };
  }
}
