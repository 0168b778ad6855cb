import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRESET_NAMES } from '../../shared/presets';
import { PRESETS, presetOfGenerator } from '../model/config';
import { generatorParamSpecs } from '../model/generator';
import { initWeights } from '../model/init';
import { exportGeneratorModel } from '../model/model-file';
import { fineTuneCriticWarmup, fineTuneStart } from './fine-tune';

const ROOT = path.resolve(__dirname, '../../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fine-tune-'));

function modelFile(name: string, cfg: (typeof PRESETS)[keyof typeof PRESETS]['generator'], motionBasis?: string): string {
  const file = path.join(tmp, `${name}.onnx`);
  fs.writeFileSync(file, exportGeneratorModel(initWeights(generatorParamSpecs(cfg), 1), cfg, { provenance: { trainedBy: 'test' }, ...(motionBasis ? { motionBasis } : {}) }));
  return file;
}

describe('fine-tuning start', () => {
  it('finds the preset of every preset generator, and none for another size', () => {
    for (const name of PRESET_NAMES) expect(presetOfGenerator(PRESETS[name].generator)).toBe(name);
    expect(presetOfGenerator({ ...PRESETS.light.generator, convDim: 24 })).toBeNull();
    // Same sizes, other family: the family decides.
    expect(presetOfGenerator({ ...PRESETS.studio.generator, family: 'ganimation' })).toBe('light');
  });

  it('warms the fresh critic up for 200 steps, or a tenth of a shorter run', () => {
    expect([60, 1999, 2000, 10_000].map(fineTuneCriticWarmup)).toEqual([6, 199, 200, 200]);
  });

  it("takes the model's preset and motion basis, refuses another preset and a model of no preset", () => {
    const basis = fs.readFileSync(path.join(ROOT, 'resources/motion/tw-expressions-01-16.json'), 'utf8');
    const studio = modelFile('studio-tiny', PRESETS['studio-tiny'].generator, basis);
    // a geometry-first model is fine-tuned to repaint only the mouth openings its warp makes
    expect(fineTuneStart(studio)).toEqual({ preset: 'studio-tiny', model: studio, geometry: true, repaintRegion: 'mouth-opening' });
    expect(fineTuneStart(studio, 'studio-tiny').preset).toBe('studio-tiny');
    const plain = modelFile('tiny', PRESETS.tiny.generator);
    expect(fineTuneStart(plain)).toEqual({ preset: 'tiny', model: plain, geometry: false, repaintRegion: 'anywhere' });
    expect(() => fineTuneStart(plain, 'light')).toThrow(/tiny\.onnx is a tiny model, not light; train from scratch to make a light model/);
    const odd = modelFile('odd', { ...PRESETS.tiny.generator, convDim: 6 });
    expect(() => fineTuneStart(odd)).toThrow(/odd\.onnx has a generator of no preset's size \(ganimation, 32 px, conv_dim 6, 2 blocks\)/);
  });
});
