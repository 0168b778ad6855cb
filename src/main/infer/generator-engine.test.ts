// Exported model files reload through onnxruntime and reproduce the PyTorch reference outputs;
// batching does not change results; provider choice falls back to CPU with a recorded reason.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as G from '../graph';
import { PRESETS, type GeneratorConfig } from '../model/config';
import { generatorParamSpecs } from '../model/generator';
import { exportGeneratorModel, readModelInfo, writeFileAtomic } from '../model/model-file';
import { readSafetensors } from '../model/safetensors';
import { disposeAllSessions, GeneratorEngine } from './generator-engine';
import { candidatesFor } from './providers';

const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-engine-'));
afterAll(() => disposeAllSessions());

function exportFixture(dir: string, cfg: GeneratorConfig): string {
  const weights = new Map([...readSafetensors(path.join(dir, 'generator.safetensors'))].map(([k, t]) => [k, t.data]));
  const file = path.join(tmp, `${path.basename(dir)}.onnx`);
  writeFileAtomic(file, exportGeneratorModel(weights, cfg, { provenance: { importedFrom: 'reference fixture' }, metrics: { note: 1 } }));
  return file;
}

async function checkParity(dir: string, cfg: GeneratorConfig): Promise<void> {
  const engine = await GeneratorEngine.load(exportFixture(dir, cfg), { device: 'cpu' });
  const batch = readSafetensors(path.join(dir, 'batch.safetensors'));
  const expected = readSafetensors(path.join(dir, 'expected.safetensors'));
  const plane = 3 * cfg.imageSize * cfg.imageSize;
  const real = batch.get('real')!.data;
  const aus = batch.get('desired_cond')!.data;
  const images = [0, 1].map((i) => real.slice(i * plane, (i + 1) * plane));
  const ausList = [0, 1].map((i) => aus.slice(i * 17, (i + 1) * 17));
  const frames = await engine.generateBatch(images, ausList, 2);
  for (const key of ['color', 'attention', 'composite'] as const) {
    const want = expected.get(`G/${key}`)!.data;
    const got = new Float32Array(want.length);
    got.set(frames[0][key], 0);
    got.set(frames[1][key], want.length / 2);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    expect(worst, key).toBeLessThan(1e-4);
  }
  const single = await engine.generateBatch(images, ausList, 1);
  expect(single[1].composite).toEqual(frames[1].composite);
}

describe.skipIf(!fs.existsSync(FIXTURES))('exported model parity', () => {
  it('tiny model file reproduces the reference within 1e-4, at batch 2 and batch 1 alike', () => checkParity(path.join(FIXTURES, 'ganimation-tiny'), PRESETS.tiny.generator));
  it('paper-size model file reproduces the reference within 1e-4', () => checkParity(path.join(FIXTURES, 'ganimation-128'), PRESETS.paper.generator));
});

describe('model files', () => {
  it('carry and return their metadata', () => {
    const file = exportFixtureRandom();
    const info = readModelInfo(file);
    expect(info.architecture).toEqual(PRESETS.tiny.generator);
    expect(info.imageSize).toBe(32);
    expect(info.auOrder[8]).toBe('AU12');
    expect(info.provenance.trainedBy).toBe('test');
  });
  it('refuse ONNX files without GANimation metadata and non-ONNX files, naming the file', () => {
    const g = new G.Graph();
    g.output('y', G.relu(g.input('x', 'float32', [2])));
    const plain = path.join(tmp, 'plain.onnx');
    fs.writeFileSync(plain, G.toOnnx(g, { params: 'inputs' }));
    expect(() => readModelInfo(plain)).toThrow(/plain\.onnx is an ONNX model but not a GANimation Studio model/);
    const text = path.join(tmp, 'text.onnx');
    fs.writeFileSync(text, 'not a model at all');
    expect(() => readModelInfo(text)).toThrow(/text\.onnx is not an ONNX model/);
  });
});

describe('engine reuse', () => {
  it('gives the same warm engine for an unchanged file, and a new one once the file is replaced or disposed', async () => {
    const file = exportFixtureRandom();
    const first = await GeneratorEngine.load(file, { device: 'cpu' });
    expect(await GeneratorEngine.load(file, { device: 'cpu' })).toBe(first);
    expect(await GeneratorEngine.load(file, { device: 'cpu', spinWait: false })).not.toBe(first);
    // Replaced the way the studio writes files (a new file renamed over the old): reloaded.
    const cfg = PRESETS.tiny.generator;
    const weights = new Map(generatorParamSpecs(cfg).map((sp) => [sp.name, new Float32Array(sp.shape.reduce((a, b) => a * b, 1)).fill(0.02)]));
    writeFileAtomic(file, exportGeneratorModel(weights, cfg, { provenance: { trainedBy: 'test, second version' } }));
    const second = await GeneratorEngine.load(file, { device: 'cpu' });
    expect(second).not.toBe(first);
    expect(second.info.provenance.trainedBy).toBe('test, second version');
    await second.dispose();
    expect(await GeneratorEngine.load(file, { device: 'cpu' })).not.toBe(second);
  });
  it('still names the file when it is gone', async () => {
    await expect(GeneratorEngine.load(path.join(tmp, 'missing.onnx'))).rejects.toThrow(/cannot read model .*missing\.onnx/);
  });
});

describe('execution providers', () => {
  it('prefers the platform GPU provider and ends with CPU', () => {
    expect(candidatesFor('auto', 'linux')).toEqual(['cuda', 'cpu']);
    expect(candidatesFor('auto', 'win32')).toEqual(['dml', 'cpu']);
    expect(candidatesFor('auto', 'darwin')).toEqual(['coreml', 'cpu']);
  });
  it('falls back to CPU with the reason recorded when a GPU provider cannot load', async () => {
    const engine = await GeneratorEngine.load(exportFixtureRandom(), { device: process.platform === 'win32' ? 'cuda' : 'dml' });
    expect(engine.provider.used).toBe('cpu');
    expect(engine.provider.fallbackReason).toBeTruthy();
  });
});

/** A tiny model with constant weights, for tests that need a valid file but not trained values. */
function exportFixtureRandom(): string {
  const cfg = PRESETS.tiny.generator;
  const weights = new Map(generatorParamSpecs(cfg).map((s) => [s.name, new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(0.01)]));
  const file = path.join(tmp, `constant-${Math.random().toString(36).slice(2)}.onnx`);
  writeFileAtomic(file, exportGeneratorModel(weights, cfg, { provenance: { trainedBy: 'test' } }));
  return file;
}
