// The evaluation's sampling, and its aligned mode on tight UTKFace crops: every crop is used as the
// model's input (detection on a padded copy only supplies its AUs), where photo mode misses them;
// sharpness kept beside the baseline, and an explicit list of photos instead of the folder scan.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeAllSessions, GeneratorEngine } from '../infer/generator-engine';
import { PRESETS } from '../model/config';
import { exportGeneratorModel, writeFileAtomic } from '../model/model-file';
import { readSafetensors } from '../model/safetensors';
import { evaluateModel, spread } from './evaluate-model';

const SHARED = path.resolve(__dirname, '../../../../shared');
const UTK = path.join(SHARED, 'data/utkface/images');
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
    const [first] = fs.readdirSync(folder).sort();
    const one = await evaluateModel(engine, { folder, files: [path.join(folder, first)], limit: 2, aus: ['AU12'], presets: false, aligned: true });
    expect(one.faces).toBe(1);
  }, 120_000);
});
