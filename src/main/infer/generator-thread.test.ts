// The generator thread gives the same frames as the engine run in the calling thread, keeps the
// calling thread's event loop free while it generates, and reports load errors as the engine does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PRESETS } from '../model/config';
import { generatorParamSpecs } from '../model/generator';
import { initWeights } from '../model/init';
import { exportGeneratorModel, writeFileAtomic } from '../model/model-file';
import { disposeAllSessions, GeneratorEngine } from './generator-engine';
import { GeneratorThread } from './generator-thread';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-thread-'));
afterAll(async () => {
  await disposeAllSessions();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('GeneratorThread', () => {
  const cfg = PRESETS.tiny.generator;
  const model = path.join(tmp, 'tiny.onnx');
  writeFileAtomic(model, exportGeneratorModel(initWeights(generatorParamSpecs(cfg), 3), cfg, { provenance: { trainedBy: 'test (random weights)' } }));
  const image = Float32Array.from({ length: 3 * cfg.imageSize * cfg.imageSize }, (_, i) => Math.sin(i / 7));
  const ausList = Array.from({ length: 12 }, (_, i) => Float32Array.from({ length: 17 }, (_, k) => ((i + k) % 5) / 4));

  it('generates the same frames as the engine in this thread, while this thread stays free', async () => {
    const local = await GeneratorEngine.load(model, { device: 'cpu' });
    const want = await local.generate(image, ausList, 4);
    const thread = await GeneratorThread.load(model, { device: 'cpu' });
    try {
      expect(thread.imageSize).toBe(cfg.imageSize);
      expect(thread.provider.used).toBe('cpu');
      let ticks = 0;
      const timer = setInterval(() => ticks++, 0);
      // One run of 480 frames: in this thread it would block every timer until it ended.
      const many = Array.from({ length: 40 }, () => ausList).flat();
      const started = performance.now();
      const [got, busy] = await Promise.all([thread.generate(image, ausList, 4), thread.generate(image, many, many.length)]);
      const elapsedMs = performance.now() - started;
      clearInterval(timer);
      expect(busy).toHaveLength(480);
      expect(ticks).toBeGreaterThan(Math.min(20, elapsedMs / 10));
      got.forEach((frame, i) => {
        for (const key of ['color', 'attention', 'composite'] as const) expect(frame[key]).toEqual(want[i][key]);
      });
    } finally {
      await thread.close();
    }
  });

  it('reports a model that cannot be read, and leaves no thread behind', async () => {
    const bad = path.join(tmp, 'bad.onnx');
    fs.writeFileSync(bad, 'not a model');
    await expect(GeneratorThread.load(bad, { device: 'cpu' })).rejects.toThrow(/bad\.onnx/);
  });
});
