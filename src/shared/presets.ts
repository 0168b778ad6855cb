// The model presets by name, and what someone choosing one needs to know. The architectures behind
// the names are in src/main/model/config.ts (its test holds them to the crop sides given here).

/** In the order the training panel offers them: the CPU-sized ones first, the test sizes last. */
export const PRESET_NAMES = ['light', 'studio', 'paper', 'tiny', 'studio-tiny'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface PresetGuide {
  /** Side of the square face crop the preset trains and generates at, in pixels. */
  readonly imageSize: number;
  /** Where it trains in reasonable time, or 'test' for a size that only checks that training runs. */
  readonly suits: 'CPU' | 'GPU' | 'test';
  /** One line on what the preset is for. */
  readonly note: string;
}

/** What the studio's training panel says about each preset. */
export const PRESET_GUIDE: Readonly<Record<PresetName, PresetGuide>> = Object.freeze({
  light: { imageSize: 96, suits: 'CPU', note: 'small networks: trains on a CPU' },
  studio: { imageSize: 96, suits: 'CPU', note: "starts as the identity and repaints only what it must, at light's cost; trains geometry first, so it needs a motion basis" },
  paper: { imageSize: 128, suits: 'GPU', note: "the original's networks: wants a GPU" },
  tiny: { imageSize: 32, suits: 'test', note: 'a quick check that training runs, not a usable model' },
  'studio-tiny': { imageSize: 32, suits: 'test', note: 'the studio family at test size: a quick check, not a usable model' },
});

export const isPresetName = (name: string): name is PresetName => (PRESET_NAMES as readonly string[]).includes(name);
