// Where a new training run starts. Custom training fine-tunes by default: a few hundred photos of
// one person teach a model that already animates faces far more in an afternoon on a CPU than they
// teach one that starts from random weights. The run takes the starting model's preset, its
// generator weights and (for geometry-first models) its motion basis; the critic and the optimizer
// start fresh, since model files carry neither, and the critic trains alone first.
import { StudioError } from '../../shared/errors';
import { FINE_TUNE_REPAINT } from '../../shared/fine-tune';
import type { RepaintRegion } from '../../shared/repaint';
import type { PresetName } from '../../shared/presets';
import { presetOfGenerator } from '../model/config';
import { readModelInfo } from '../model/model-file';

/**
 * Critic steps before a fine-tuned generator first steps: 200, or a tenth of a shorter run. A fresh
 * critic's first gradients say nothing about the photos, and a model that already animates faces
 * should not follow them. A precaution, not yet a measured gain (docs/default-model.md).
 */
export const fineTuneCriticWarmup = (steps: number): number => Math.min(200, Math.floor(steps / 10));

export interface FineTuneStart {
  /** The starting model's preset: the only one its weights fit. */
  readonly preset: PresetName;
  /** The model file the generator (and, when it carries one, the motion basis) comes from. */
  readonly model: string;
  readonly geometry: boolean;
  /**
   * Where the run's exports may repaint unless asked otherwise: a model already limited keeps its
   * limit, and a geometry-first model is limited to the mouth opening (FINE_TUNE_REPAINT).
   */
  readonly repaintRegion: RepaintRegion;
}

/**
 * The start of a run that fine-tunes `model`; `requestedPreset`, when given, must be the model's own.
 * Errors name the model and say how to train from scratch instead.
 */
export function fineTuneStart(model: string, requestedPreset?: string): FineTuneStart {
  const info = readModelInfo(model);
  const preset = presetOfGenerator(info.architecture);
  if (preset === null) {
    throw new StudioError('not-fine-tunable', `${model} has a generator of no preset's size (${info.architecture.family}, ${info.imageSize} px, conv_dim ${info.architecture.convDim}, ${info.architecture.repeatNum} blocks), so it cannot be fine-tuned; train from scratch with a preset instead`);
  }
  if (requestedPreset !== undefined && requestedPreset !== preset) {
    throw new StudioError('preset-mismatch', `fine-tuning keeps the starting model's preset: ${model} is a ${preset} model, not ${requestedPreset}; train from scratch to make a ${requestedPreset} model`);
  }
  const geometry = info.motionBasis !== null;
  return { preset, model, geometry, repaintRegion: geometry ? FINE_TUNE_REPAINT : info.repaintRegion };
}
