// The evaluation's sampling, and its aligned mode on tight UTKFace crops: every crop is used as the
// model's input (detection on a padded copy only supplies its AUs), where photo mode misses them;
// sharpness kept beside the baseline, and an explicit list of photos instead of the folder scan.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeAllSessions, GeneratorEngine } from '../infer/generator-engine';
import { PRESETS } from '../model/config';
import { generatorParamSpecs } from '../model/generator';
import { initWeights } from '../model/init';
import { exportGeneratorModel, writeFileAtomic } from '../model/model-file';
import { readSafetensors } from '../model/safetensors';
import { evaluateModel, spread, targetsFor } from './evaluate-model';

const SHARED = path.resolve(__dirname, '../../../../shared');
const UTK = path.join(SHARED, 'data/utkface/images');
const TW = path.join(SHARED, 'data/tw-expressions/images');
const MOTION = path.resolve(__dirname, '../../../resources/motion/tw-expressions-01-16.json');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-eval-'));
afterAll(async () => {
  await disposeAllSessions();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('spread', () => {
  it('samples evenly across the list, so a limit reaches every part of a folder', () => {
    const files = Array.from({ length: 10 }, (_, i) => i);
    expect(spread(files, 5)).toEqual([0, 2, 4, 6, 8]);
    expect(spread(files, 3)).toEqual([0, 3, 6]);
    expect(spread(files, 20)).toEqual(files);
  });
});

describe('targetsFor', () => {
  it('drives each AU alone at each level, then each preset, each named for the lost-faces line', () => {
    const targets = targetsFor(['AU12', 'AU26'], true);
    expect(targets.slice(0, 6).map((t) => t.label)).toEqual(['AU12 0.3', 'AU12 0.6', 'AU12 0.9', 'AU26 0.3', 'AU26 0.6', 'AU26 0.9']);
    expect(targets[2].aus.filter((v) => v !== 0)).toEqual(Float32Array.from([0.9]));
    expect(targets.slice(6).map((t) => [t.label, t.driven])).toContainEqual(['angry', null]);
    expect(targetsFor(['AU12'], false)).toHaveLength(3);
  });
});

describe.skipIf(!fs.existsSync(UTK))('evaluateModel on aligned crops', () => {
  it('uses every tight crop as the input with --aligned', async () => {
    const folder = path.join(tmp, 'crops');
    fs.mkdirSync(folder);
    for (const f of fs.readdirSync(UTK).sort().slice(0, 2)) fs.copyFileSync(path.join(UTK, f), path.join(folder, f));
    const weights = new Map([...readSafetensors(path.join(SHARED, 'fixtures/ganimation-tiny/generator.safetensors'))].map(([k, t]) => [k, t.data]));
    const model = path.join(tmp, 'tiny.onnx');
    writeFileAtomic(model, exportGeneratorModel(weights, PRESETS.tiny.generator, { provenance: { importedFrom: 'fixture' } }));
    const engine = await GeneratorEngine.load(model, { device: 'cpu' });
    const report = await evaluateModel(engine, { folder, limit: 2, aus: ['AU12'], presets: false, aligned: true });
    expect(report.skipped).toEqual([]);
    expect(report.faces).toBe(2);
    expect(report.model.faithfulnessError).toBeGreaterThan(0);
    expect(report.baseline.identityMean).toBe(0);
    // Sharpness kept: the baseline's output is its input; a 32 px tiny-preset output is not that sharp.
    expect(report.baseline.sharpness).toBe(1);
    expect(report.model.sharpness).toBeGreaterThan(0);
    expect(report.model.sharpness).not.toBe(1);
    // Every lost face is counted against the target that lost it: 2 faces x 3 levels of AU12.
    for (const table of [report.model, report.baseline]) {
      const lost = Object.entries(table.facesLostBy);
      expect(lost.reduce((n, [, k]) => n + k, 0)).toBe(Math.round((1 - table.survival) * 6));
      for (const [label] of lost) expect(['AU12 0.3', 'AU12 0.6', 'AU12 0.9']).toContain(label);
    }
    const [first] = fs.readdirSync(folder).sort();
    const one = await evaluateModel(engine, { folder, files: [path.join(folder, first)], limit: 2, aus: ['AU12'], presets: false, aligned: true });
    expect(one.faces).toBe(1);
  }, 120_000);
});

describe.skipIf(!fs.existsSync(TW))('evaluateModel on the full photo (photo mode)', () => {
  it('measures the studio\'s frame: a geometry-only model moves the AU asked for and keeps the face', async () => {
    const preset = PRESETS['studio-tiny'];
    const model = path.join(tmp, 'geometry.onnx');
    writeFileAtomic(model, exportGeneratorModel(initWeights(generatorParamSpecs(preset.generator), 1), preset.generator, { provenance: { trainedBy: 'test' }, motionBasis: fs.readFileSync(MOTION, 'utf8') }));
    const engine = await GeneratorEngine.load(model, { device: 'cpu' });
    const files = ['0101a02.jpg', '0111b01.jpg'].map((f) => path.join(TW, f));
    const photo = await evaluateModel(engine, { folder: TW, files, limit: 2, aus: ['AU12'], presets: false, photo: true });
    expect(photo.faces).toBe(files.length);
    // The photo's own detection is the baseline: every output of "output = input" has its face.
    expect(photo.baseline.survival).toBe(1);
    expect(photo.model.survival).toBe(1);
    expect(photo.model.facesLostBy).toEqual({});
    // Lip corners pulled by the warp read back as AU12, more at 0.9 than at 0.3.
    expect(photo.model.auR.AU12).toBeGreaterThan(0.8);
    expect(photo.model.identityMean).toBeLessThan(0.35);
    expect(photo.model.faithfulnessError).toBe(0);
    // The full-resolution bicubic warp keeps the face's detail (the band's energy within 20%), and it moved pixels.
    expect(photo.model.sharpness).toBeGreaterThan(0.8);
    expect(photo.model.sharpness).toBeLessThan(1.2);
    expect(photo.model.sharpness).not.toBe(1);
  }, 240_000);
});
