// Training in a worker thread: events arrive on the caller's side, and cancel stops the run with a checkpoint.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { CANONICAL_FACE } from '../face/mesh';
import { serializeMotionBasis } from '../face/motion-model';
import { PRESETS } from '../model/config';
import { generatorParamSpecs } from '../model/generator';
import { initWeights } from '../model/init';
import { exportGeneratorModel, readModelInfo, writeFileAtomic } from '../model/model-file';
import { latestCheckpoint } from './checkpoint';
import { buildDataset } from './dataset';
import { exportRun } from './export-run';
import { runRepaintRegion } from './run-motion';
import { resolveTrainConfig } from './train-config';
import { runTrainingInWorker, type WorkerEvent } from './train-worker';

const PHOTOS = path.resolve(__dirname, '../../../../shared/data/tw-expressions/images');

async function tinyCache(landmarks?: Float32Array): Promise<string> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-worker-'));
  for (let i = 0; i < 6; i++) {
    const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 40 * i, g: 90, b: 200 - 30 * i } } }).png().toBuffer();
    fs.writeFileSync(path.join(folder, `face-${i}.png`), png);
  }
  const cacheDir = path.join(folder, 'cache');
  await buildDataset({
    folder, cacheDir, size: 32, recipe: 'worker-test', validationFraction: 0,
    faceStep: async (_f, bytes) => ({ ok: true, crop: new Uint8Array(await sharp(bytes).resize(32, 32).raw().toBuffer()), aus: new Float32Array(17).fill(0.3), ...(landmarks ? { landmarks } : {}) }),
  });
  return cacheDir;
}

/** A cache of crops with landmarks, a studio-tiny geometry model limited to the mouth opening beside it, and a run folder path. */
async function gatedGeometrySetup(): Promise<{ cacheDir: string; model: string; motionBasis: string; runDir: string }> {
  const cacheDir = await tinyCache(Float32Array.from(CANONICAL_FACE.flatMap(([x, y]) => [x * 32, y * 32])));
  const preset = PRESETS['studio-tiny'];
  const model = path.join(cacheDir, '..', 'gated.onnx');
  const motionBasis = serializeMotionBasis({ linear: new Float32Array(17 * 136), terms: [] });
  writeFileAtomic(model, exportGeneratorModel(initWeights(generatorParamSpecs(preset.generator), 1), preset.generator, { provenance: { trainedBy: 'test' }, motionBasis, repaintRegion: 'mouth-opening' }));
  return { cacheDir, model, motionBasis, runDir: path.join(cacheDir, '..', 'run') };
}

describe('runTrainingInWorker', () => {
  it('streams events from the worker and stops on cancel with a checkpoint', async () => {
    const cacheDir = await tinyCache();
    const runDir = path.join(cacheDir, '..', 'run');
    const config = resolveTrainConfig({ preset: 'tiny', batchSize: 2, steps: 1000, criticPerGenerator: 2, sampleEvery: 0, validateEvery: 0 });
    const events: WorkerEvent[] = [];
    const controller = new AbortController();
    await runTrainingInWorker({ runDir, cacheDirs: [cacheDir], config, resume: false }, (e) => {
      events.push(e);
      if (e.type === 'progress' && e.step === 2) controller.abort();
    }, controller.signal);
    const done = events.find((e) => e.type === 'done');
    expect(done && done.type === 'done' && done.cancelled).toBe(true);
    expect(latestCheckpoint(path.join(runDir, 'checkpoints'))).not.toBeNull();
  });

  it.skipIf(!fs.existsSync(PHOTOS))('builds the dataset from photos first, reporting progress and skipped files, then trains', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-worker-photos-'));
    for (const f of ['0101a02.jpg', '0131e03.jpg', '0311g07.jpg']) if (fs.existsSync(path.join(PHOTOS, f))) fs.copyFileSync(path.join(PHOTOS, f), path.join(folder, f));
    fs.writeFileSync(path.join(folder, 'broken.jpg'), 'not a photo');
    const runDir = path.join(folder, 'run');
    const cacheDir = path.join(runDir, 'dataset');
    const config = resolveTrainConfig({ preset: 'tiny', batchSize: 2, steps: 2, criticPerGenerator: 2, sampleEvery: 0, validateEvery: 0, validationFraction: 0 });
    const events: WorkerEvent[] = [];
    await runTrainingInWorker({ runDir, cacheDirs: [cacheDir], config, resume: false, build: [{ source: { folder, aligned: false }, cacheDir }] }, (e) => events.push(e));
    const built = events.find((e) => e.type === 'dataset-done');
    const photos = fs.readdirSync(folder).filter((f) => f.endsWith('.jpg')).length - 1;
    expect(built).toMatchObject({ faces: photos, trainFaces: photos, skipped: [{ file: 'broken.jpg', reason: 'corrupt' }] });
    expect(events.some((e) => e.type === 'dataset' && e.total === photos + 1)).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'done', step: 2, cancelled: false });
  });

  it('makes warm-start pairs from a labelled folder, reports them, and warm-starts before training', async () => {
    const cacheDir = await tinyCache(Float32Array.from(CANONICAL_FACE.flatMap(([x, y]) => [x * 32, y * 32])));
    const labelled = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-worker-labels-'));
    fs.writeFileSync(path.join(labelled, 'labels.csv'), 'file,performer,expression\nface-0.png,01,neutral\nface-1.png,01,happy\nface-2.png,01,sad\nface-3.png,02,happy\nother.png,02,neutral\n');
    const config = resolveTrainConfig({ preset: 'tiny', batchSize: 2, steps: 1, warmStartSteps: 2, criticPerGenerator: 1, sampleEvery: 0, validateEvery: 0, lossWeights: { pair: 10 } });
    const events: WorkerEvent[] = [];
    await runTrainingInWorker({ runDir: path.join(cacheDir, '..', 'run'), cacheDirs: [cacheDir], config, resume: false, pairsFrom: labelled }, (e) => events.push(e));
    expect(events.find((e) => e.type === 'pairs-done')).toMatchObject({ pairs: 2, refused: [], unmatchedRows: 1 });
    const phases = events.flatMap((e) => (e.type === 'progress' ? [`${e.phase} ${e.step}`] : []));
    expect(phases).toEqual(['warm-start 1', 'warm-start 2', 'training 1']);
  });

  it('fine-tunes a geometry model and keeps where it may repaint: the run exports limited to the mouth opening', async () => {
    const { cacheDir, model, motionBasis, runDir } = await gatedGeometrySetup();
    fs.mkdirSync(runDir);
    const config = resolveTrainConfig({ preset: 'studio-tiny', batchSize: 2, steps: 1, sampleEvery: 0, validateEvery: 0 });
    await runTrainingInWorker({ runDir, cacheDirs: [cacheDir], config, resume: false, initGeneratorFrom: model }, () => {});
    expect(runRepaintRegion(runDir)).toBe('mouth-opening');
    const tuned = path.join(runDir, 'model.onnx');
    exportRun(runDir, tuned);
    expect(readModelInfo(tuned)).toMatchObject({ repaintRegion: 'mouth-opening', motionBasis });
  });

  it("repaints where the job says over the starting model's region, keeps a run's region on resume, and needs geometry to limit it", async () => {
    const { cacheDir, model, runDir } = await gatedGeometrySetup();
    const config = resolveTrainConfig({ preset: 'studio-tiny', batchSize: 2, steps: 1, sampleEvery: 0, validateEvery: 0 });
    await runTrainingInWorker({ runDir, cacheDirs: [cacheDir], config, resume: false, initGeneratorFrom: model, repaintRegion: 'anywhere' }, () => {});
    expect(runRepaintRegion(runDir)).toBe('anywhere');
    const resumed = runTrainingInWorker({ runDir, cacheDirs: [cacheDir], config: { ...config, steps: 2 }, resume: true, repaintRegion: 'mouth-opening' }, () => {});
    await expect(resumed).rejects.toThrow(/repaints anywhere \(repaint-region\.txt\), not mouth-opening; export it with export-model --repaint mouth-opening/);
    const plain = resolveTrainConfig({ preset: 'tiny', batchSize: 2, steps: 1, sampleEvery: 0, validateEvery: 0 });
    const noWarp = runTrainingInWorker({ runDir: path.join(cacheDir, '..', 'plain'), cacheDirs: [cacheDir], config: plain, resume: false, repaintRegion: 'mouth-opening' }, () => {});
    await expect(noWarp).rejects.toThrow(/trains without geometry: its generator has no warp to take the mouth opening from/);
  });

  it('reports a missing dataset cache as an error', async () => {
    const config = resolveTrainConfig({ preset: 'tiny', batchSize: 2, steps: 2 });
    await expect(runTrainingInWorker({ runDir: os.tmpdir(), cacheDirs: [path.join(os.tmpdir(), 'missing-cache-xyz')], config, resume: false }, () => {})).rejects.toThrow(/no dataset cache/);
  });
});
