// Architecture configs of the generator (two families) and the critic, and the named presets.
import { StudioError } from '../../shared/errors';
import { AU_COUNT } from '../../shared/aus';
import { isPresetName, PRESET_NAMES, type PresetName } from '../../shared/presets';

/**
 * ganimation: the published generator, layer for layer (imported .pth checkpoints, the fixtures).
 * residual: the studio's generator that starts as the identity (attention bias toward "keep",
 * colour as a residual around the input, resize-then-conv upsampling); see residual-generator.ts.
 */
export const GENERATOR_FAMILIES = ['ganimation', 'residual'] as const;
export type GeneratorFamily = (typeof GENERATOR_FAMILIES)[number];

export interface GeneratorConfig {
  /** Absent in model files written before the residual family existed: read as 'ganimation'. */
  readonly family?: GeneratorFamily;
  /** Side of the square face crop in pixels. */
  readonly imageSize: number;
  /** Channels of the first conv; doubled by each of the two downsampling convs. */
  readonly convDim: number;
  /** Residual blocks at the bottleneck. */
  readonly repeatNum: number;
  readonly cDim: number;
}

export const generatorFamily = (cfg: GeneratorConfig): GeneratorFamily => cfg.family ?? 'ganimation';

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

/**
 * paper: the published architecture (G 8,471,296 and D 44,860,352 parameters, ~21 GFLOPs per G
 * forward at 128 px). light: half the width and 4 residual blocks at 96 px, about 1/7 of the paper
 * G's FLOPs, so CPU training makes progress and preview runs at interactive rates.
 * tiny: the reference-fixture size, for tests and smoke runs.
 * studio: the residual family at light's size; bench/infer.ts measured it against wider and deeper
 * candidates (docs/models.md). studio-tiny: the residual family at the test size.
 */
export const PRESETS: Readonly<Record<PresetName, ModelPreset>> = Object.freeze({
  paper: {
    name: 'paper',
    description: 'The published GANimation: 128 px, conv_dim 64, 6 residual blocks; critic conv_dim 64, 6 layers.',
    generator: { family: 'ganimation', imageSize: 128, convDim: 64, repeatNum: 6, cDim: AU_COUNT },
    critic: { imageSize: 128, convDim: 64, repeatNum: 6, cDim: AU_COUNT },
  },
  light: {
    name: 'light',
    description: 'CPU-friendly: 96 px, conv_dim 32, 4 residual blocks; critic conv_dim 32, 5 layers.',
    generator: { family: 'ganimation', imageSize: 96, convDim: 32, repeatNum: 4, cDim: AU_COUNT },
    critic: { imageSize: 96, convDim: 32, repeatNum: 5, cDim: AU_COUNT },
  },
  tiny: {
    name: 'tiny',
    description: 'Test size: 32 px, conv_dim 8, 2 residual blocks; critic conv_dim 8, 3 layers.',
    generator: { family: 'ganimation', imageSize: 32, convDim: 8, repeatNum: 2, cDim: AU_COUNT },
    critic: { imageSize: 32, convDim: 8, repeatNum: 3, cDim: AU_COUNT },
  },
  studio: {
    name: 'studio',
    description: 'Starts as the identity and repaints only what it must: 96 px, conv_dim 32, 4 residual blocks, resize-conv upsampling; critic conv_dim 32, 5 layers.',
    generator: { family: 'residual', imageSize: 96, convDim: 32, repeatNum: 4, cDim: AU_COUNT },
    critic: { imageSize: 96, convDim: 32, repeatNum: 5, cDim: AU_COUNT },
  },
  'studio-tiny': {
    name: 'studio-tiny',
    description: 'The studio family at test size: 32 px, conv_dim 8, 2 residual blocks; critic conv_dim 8, 3 layers.',
    generator: { family: 'residual', imageSize: 32, convDim: 8, repeatNum: 2, cDim: AU_COUNT },
    critic: { imageSize: 32, convDim: 8, repeatNum: 3, cDim: AU_COUNT },
  },
});

export function presetByName(name: string): ModelPreset {
  if (!isPresetName(name)) throw new StudioError('unknown-preset', `unknown preset "${name}"; valid presets: ${PRESET_NAMES.join(', ')}`);
  return PRESETS[name];
}

/** The preset whose generator a model file's architecture is, or null (a custom size): what a fine-tune trains. */
export function presetOfGenerator(cfg: GeneratorConfig): PresetName | null {
  const same = (a: GeneratorConfig) => generatorFamily(a) === generatorFamily(cfg) && a.imageSize === cfg.imageSize && a.convDim === cfg.convDim && a.repeatNum === cfg.repeatNum && a.cDim === cfg.cDim;
  return PRESET_NAMES.find((name) => same(PRESETS[name].generator)) ?? null;
}

/** One line for model lists and `ganimation info`, e.g. "residual, conv_dim 32, 4 residual blocks". */
export const describeGenerator = (cfg: GeneratorConfig): string => `${generatorFamily(cfg)}, conv_dim ${cfg.convDim}, ${cfg.repeatNum} residual blocks`;

/**
 * A generator architecture read from a file (model metadata, a checkpoint), checked field by field
 * into the fully specified form; `source` names the file in errors.
 */
export function parseGeneratorConfig(value: unknown, source: string): Required<GeneratorConfig> {
  const fail = (problem: string): never => {
    throw new StudioError('bad-architecture', `${source}: the generator architecture ${problem}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('is not an object');
  const raw = value as Record<string, unknown>;
  const family = raw.family ?? 'ganimation';
  if (!GENERATOR_FAMILIES.includes(family as GeneratorFamily)) {
    return fail(`has family ${JSON.stringify(family)}, which this version does not know (known: ${GENERATOR_FAMILIES.join(', ')}); a newer GANimation Studio may read it`);
  }
  const int = (key: string, min: number): number => {
    const v = raw[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) return fail(`has ${key} ${JSON.stringify(v)}; an integer >= ${min} is needed`);
    return v as number;
  };
  const cfg = { family: family as GeneratorFamily, imageSize: int('imageSize', 4), convDim: int('convDim', 1), repeatNum: int('repeatNum', 0), cDim: int('cDim', 1) };
  if (cfg.imageSize % 4 !== 0) fail(`has imageSize ${cfg.imageSize}; two stride-2 stages need a multiple of 4`);
  return cfg;
}
