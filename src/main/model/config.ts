// Architecture configs of the GANimation generator and critic, and the named presets.
import { AU_ORDER } from '../../shared/aus';

export { AU_ORDER, type AuName } from '../../shared/aus';

export const AU_COUNT = AU_ORDER.length;

export interface GeneratorConfig {
  /** Side of the square face crop in pixels. */
  readonly imageSize: number;
  /** Channels of the first conv; doubled by each of the two downsampling convs. */
  readonly convDim: number;
  /** Residual blocks at the bottleneck. */
  readonly repeatNum: number;
  readonly cDim: number;
}

export interface CriticConfig {
  readonly imageSize: number;
  readonly convDim: number;
  /** Stride-2 convs; the AU head's kernel is imageSize / 2^repeatNum. */
  readonly repeatNum: number;
  readonly cDim: number;
}

export interface ModelPreset {
  readonly name: PresetName;
  readonly description: string;
  readonly generator: GeneratorConfig;
  readonly critic: CriticConfig;
}

export type PresetName = 'paper' | 'light' | 'tiny';

/**
 * paper: the published architecture (G 8,471,296 and D 44,860,352 parameters, ~21 GFLOPs per G
 * forward at 128 px). light: half the width and 4 residual blocks at 96 px, about 1/7 of the paper
 * G's FLOPs, so CPU training makes progress and preview runs at interactive rates.
 * tiny: the reference-fixture size, for tests and smoke runs.
 */
export const PRESETS: Readonly<Record<PresetName, ModelPreset>> = Object.freeze({
  paper: {
    name: 'paper',
    description: 'The published GANimation: 128 px, conv_dim 64, 6 residual blocks; critic conv_dim 64, 6 layers.',
    generator: { imageSize: 128, convDim: 64, repeatNum: 6, cDim: AU_COUNT },
    critic: { imageSize: 128, convDim: 64, repeatNum: 6, cDim: AU_COUNT },
  },
  light: {
    name: 'light',
    description: 'CPU-friendly: 96 px, conv_dim 32, 4 residual blocks; critic conv_dim 32, 5 layers.',
    generator: { imageSize: 96, convDim: 32, repeatNum: 4, cDim: AU_COUNT },
    critic: { imageSize: 96, convDim: 32, repeatNum: 5, cDim: AU_COUNT },
  },
  tiny: {
    name: 'tiny',
    description: 'Test size: 32 px, conv_dim 8, 2 residual blocks; critic conv_dim 8, 3 layers.',
    generator: { imageSize: 32, convDim: 8, repeatNum: 2, cDim: AU_COUNT },
    critic: { imageSize: 32, convDim: 8, repeatNum: 3, cDim: AU_COUNT },
  },
});

export function presetByName(name: string): ModelPreset {
  const preset = (PRESETS as Record<string, ModelPreset>)[name];
  if (!preset) throw new Error(`unknown preset "${name}"; valid presets: ${Object.keys(PRESETS).join(', ')}`);
  return preset;
}
