// Network definitions, presets and model files: the paper preset keeps its published counts, inits
// are as the original (plus the residual family's overrides), and model files of both families
// export, read back and run; architectures written before the family field read as ganimation.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as G from '../graph';
import { disposeAllSessions, GeneratorEngine } from '../infer/generator-engine';
import { Rng } from '../../shared/random';
import { AU_ORDER } from '../../shared/aus';
import { PRESET_GUIDE, PRESET_NAMES } from '../../shared/presets';
import { parseGeneratorConfig, PRESETS, presetByName } from './config';
import { criticParamSpecs } from './critic';
import { generatorParamSpecs } from './generator';
import { initWeights, parameterCount } from './init';
import { exportGeneratorModel, modelInfoOf, readGeneratorWeights, readModelInfo, writeFileAtomic } from './model-file';
import { serializeMotionBasis } from '../face/motion-model';
import { serializeMouthInterior } from '../face/mouth-interior';
import { syntheticMouthInterior } from '../face/mouth-interior.fixture';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-networks-'));
afterAll(async () => {
  await disposeAllSessions();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('network definitions', () => {
  it('paper preset has the published parameter counts', () => {
    expect(parameterCount(generatorParamSpecs(PRESETS.paper.generator))).toBe(8_471_296);
    expect(parameterCount(criticParamSpecs(PRESETS.paper.critic))).toBe(44_860_352);
  });
  it('initialises conv weights N(0, 0.02), norm scale 1, shift and bias 0', () => {
    const specs = [...generatorParamSpecs(PRESETS.tiny.generator), ...criticParamSpecs(PRESETS.tiny.critic)];
    const w = initWeights(specs, 5);
    const conv = w.get('main.9.main.0.weight')!;
    const std = Math.sqrt(conv.reduce((s, x) => s + x * x, 0) / conv.length);
    expect(std).toBeGreaterThan(0.018);
    expect(std).toBeLessThan(0.022);
    expect([...w.get('main.1.weight')!].every((x) => x === 1)).toBe(true);
    expect([...w.get('main.1.bias')!].every((x) => x === 0)).toBe(true);
    expect(initWeights(specs, 5).get('img_reg.0.weight')).toEqual(w.get('img_reg.0.weight'));
  });
  it('the studio preset is the residual family at light size, with fewer parameters than light', () => {
    expect(PRESET_NAMES.every((name) => presetByName(name).name === name)).toBe(true);
    expect(PRESETS.studio.generator.family).toBe('residual');
    expect(parameterCount(generatorParamSpecs(PRESETS.studio.generator))).toBe(1_475_972);
    expect(parameterCount(generatorParamSpecs(PRESETS.light.generator))).toBe(1_547_648);
    const names = generatorParamSpecs(PRESETS.studio.generator).map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
  });
  it("every preset's guide (what the training panel shows) gives its architecture's crop side", () => {
    expect(Object.keys(PRESET_GUIDE).sort()).toEqual([...PRESET_NAMES].sort());
    for (const name of PRESET_NAMES) {
      expect([name, PRESETS[name].generator.imageSize, PRESETS[name].critic.imageSize]).toEqual([name, PRESET_GUIDE[name].imageSize, PRESET_GUIDE[name].imageSize]);
    }
    expect(() => presetByName('huge')).toThrow(/unknown preset "huge"; valid presets: light, studio, paper, tiny, studio-tiny/);
  });
});

describe('generator architecture', () => {
  const base = { imageSize: 32, convDim: 8, repeatNum: 2, cDim: 17 };
  it('reads an architecture without a family as ganimation and keeps a known family', () => {
    expect(parseGeneratorConfig(base, 'old.onnx')).toEqual({ family: 'ganimation', ...base });
    expect(parseGeneratorConfig({ ...base, family: 'residual' }, 'new.onnx').family).toBe('residual');
  });
  it('refuses an unknown family or a malformed field, naming the file', () => {
    expect(() => parseGeneratorConfig({ ...base, family: 'diffusion' }, 'x.onnx')).toThrow(/x\.onnx.*"diffusion".*ganimation, residual/);
    expect(() => parseGeneratorConfig({ ...base, convDim: 8.5 }, 'x.onnx')).toThrow(/convDim 8\.5/);
    expect(() => parseGeneratorConfig({ ...base, imageSize: 30 }, 'x.onnx')).toThrow(/multiple of 4/);
    expect(() => parseGeneratorConfig('light', 'x.onnx')).toThrow(/not an object/);
  });
});

/** A model file as versions before the residual family wrote it: the same keys, no family. */
function oldStyleModel(architecture: object, extra: Record<string, string> = {}): Uint8Array {
  const graph = new G.Graph('ganimation_generator');
  graph.output('composite', G.identity(graph.input('image', 'float32', ['N', 3, 32, 32])));
  const metadata = {
    ...extra,
    'ganimation.format_version': '1',
    'ganimation.architecture': JSON.stringify(architecture),
    'ganimation.image_size': '32',
    'ganimation.au_order': AU_ORDER.join(','),
    'ganimation.normalization': 'image: RGB NCHW in [-1, 1]',
    'ganimation.provenance': JSON.stringify({ createdAt: '2024-01-01T00:00:00Z' }),
  };
  return G.toOnnx(graph, { params: new Map(), metadata });
}

describe('model files of both families', () => {
  it('reads a file written before the family field as a ganimation model', () => {
    const info = modelInfoOf(oldStyleModel({ imageSize: 32, convDim: 8, repeatNum: 2, cDim: 17 }), 'old.onnx');
    expect(info.architecture).toEqual(PRESETS.tiny.generator);
    expect(() => modelInfoOf(oldStyleModel({ imageSize: 32, convDim: 8, repeatNum: 2, cDim: 17, family: 'gan2' }), 'odd.onnx')).toThrow(/odd\.onnx.*gan2/);
    expect(info.repaintRegion).toBe('anywhere');
    const odd = oldStyleModel({ imageSize: 32, convDim: 8, repeatNum: 2, cDim: 17 }, { 'ganimation.repaint_region': 'cheeks' });
    expect(() => modelInfoOf(odd, 'cheeks.onnx')).toThrow(/cheeks\.onnx: metadata ganimation\.repaint_region is "cheeks"; one of anywhere, mouth-opening expected/);
  });

  it('a residual model file loads in GeneratorEngine and, at init, returns its input', async () => {
    const cfg = PRESETS['studio-tiny'].generator;
    const weights = initWeights(generatorParamSpecs(cfg), 3);
    const file = path.join(tmp, 'studio-tiny.onnx');
    writeFileAtomic(file, exportGeneratorModel(weights, cfg, { provenance: { trainedBy: 'test' } }));
    expect(readModelInfo(file).architecture).toEqual(cfg);
    expect(readModelInfo(file).repaintRegion).toBe('anywhere');
    const gated = path.join(tmp, 'studio-tiny-mouth.onnx');
    writeFileAtomic(gated, exportGeneratorModel(weights, cfg, { provenance: { trainedBy: 'test' }, repaintRegion: 'mouth-opening' }));
    expect(readModelInfo(gated).repaintRegion).toBe('mouth-opening');
    expect(readModelInfo(file).mouthInterior).toBeNull();
    const mouth = serializeMouthInterior(syntheticMouthInterior());
    const basis = serializeMotionBasis({ linear: new Float32Array(17 * 136), terms: [] });
    const withMouth = path.join(tmp, 'studio-tiny-teeth.onnx');
    writeFileAtomic(withMouth, exportGeneratorModel(weights, cfg, { provenance: { trainedBy: 'test' }, motionBasis: basis, mouthInterior: mouth }));
    expect(readModelInfo(withMouth).mouthInterior).toBe(mouth);
    expect(() => exportGeneratorModel(weights, cfg, { provenance: { trainedBy: 'test' }, mouthInterior: mouth })).toThrow(/a model without a motion basis cannot carry one/);
    const back = readGeneratorWeights(file);
    expect(back.config.family).toBe('residual');
    expect(back.weights.get('attention.bias')).toEqual(weights.get('attention.bias'));

    const engine = await GeneratorEngine.load(file, { device: 'cpu' });
    const rng = new Rng(9);
    const image = Float32Array.from({ length: 3 * 32 * 32 }, () => rng.uniform(-1, 1));
    const ausList = [0, 0.5, 1].map((v) => new Float32Array(17).fill(v));
    const frames = await engine.generate(image, ausList, 2);
    expect(frames.length).toBe(3);
    for (const frame of frames) {
      expect(frame.composite.reduce((m, x, i) => Math.max(m, Math.abs(x - image[i])), 0)).toBeLessThan(1e-3);
      expect(frame.attention.reduce((s, a) => s + a, 0) / frame.attention.length).toBeGreaterThan(0.95);
    }
  });

  it('refuses to export weights that do not fit the family', () => {
    const residual = initWeights(generatorParamSpecs(PRESETS['studio-tiny'].generator), 1);
    expect(() => exportGeneratorModel(residual, PRESETS.tiny.generator, { provenance: {} })).toThrow(/lack main\.0\.weight.*ganimation/);
    residual.set('color.bias', new Float32Array(4));
    expect(() => exportGeneratorModel(residual, PRESETS['studio-tiny'].generator, { provenance: {} })).toThrow(/color\.bias has 4 values/);
  });
});
