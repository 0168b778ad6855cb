// The training loop end to end on the tiny preset: progress, checkpoints, samples, cancellation,
// and exact resumption (an interrupted and resumed run ends with the same weights as a straight one),
// also in the middle of a warm start on same-performer pairs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/random';
import type { CropSet } from './batches';
import { latestCheckpoint, listCheckpoints } from './checkpoint';
import { resolveTrainConfig } from './train-config';
import { PRESETS } from '../model/config';
import { exportGeneratorModel, readGeneratorWeights, readModelInfo, writeFileAtomic } from '../model/model-file';
import { readSafetensors } from '../model/safetensors';
import { CANONICAL_FACE } from '../face/mesh';
import { serializeMotionBasis } from '../face/motion-model';
import { exportRun } from './export-run';
import { RUN_REPAINT_FILE, runMotionText, setRunMotion, setRunMouth, setRunRepaint } from './run-motion';
import { serializeMouthInterior } from '../face/mouth-interior';
import { syntheticMouthInterior } from '../face/mouth-interior.fixture';
import { buildCropPairs } from './pair-batches';
import { train, type TrainEvent } from './trainer';

const TINY = path.resolve(__dirname, '../../../../shared/fixtures/ganimation-tiny');

function syntheticCrops(count: number, seed: number): CropSet {
  const rng = new Rng(seed);
  const size = 32;
  const pixels = new Uint8Array(count * size * size * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(((i % (size * 3)) / (size * 3)) * 200 + rng.next() * 55);
  const aus = Float32Array.from({ length: count * 17 }, () => rng.next());
  return { size, count, pixels, aus };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-train-'));
const config = resolveTrainConfig({ preset: 'tiny', batchSize: 2, steps: 6, criticPerGenerator: 2, sampleEvery: 3, validateEvery: 3, keepCheckpoints: 2, checkpointMinutes: 0 });
const data = { train: syntheticCrops(8, 1), validation: syntheticCrops(2, 2), manifestHash: 'test' };
/** The canonical face's landmarks in each 32 px crop, for the geometry-first runs. */
const FACE_MARKS = Float32Array.from({ length: 8 * 136 }, (_, i) => CANONICAL_FACE[(i % 136) >> 1][i % 2] * 32);
const withMarks = (set: CropSet): CropSet => ({ ...set, landmarks: FACE_MARKS.subarray(0, set.count * 136) });
/** A motion basis in which AU12 widens the mouth (the lip corners move apart): it never opens it. */
const SMILE_BASIS = (() => {
  const linear = new Float32Array(17 * 136);
  linear[8 * 136 + 2 * 48] = -0.2;
  linear[8 * 136 + 2 * 54] = 0.2;
  return serializeMotionBasis({ linear, terms: [] });
})();
/** One machine table for the runs compared bit for bit: each then builds its graphs with the same measured patterns. */
const patternTable = path.join(tmp(), 'weight-grad-patterns.json');

describe('trainer', () => {
  it('keeps the generator still while the critic warms up', async () => {
    const warm = resolveTrainConfig({ ...config, criticWarmupSteps: 4, sampleEvery: 0, validateEvery: 0 });
    const initial = new Map([...readSafetensors(path.join(TINY, 'generator.safetensors'))].map(([k, t]) => [k, t.data]));
    const seen: number[] = [];
    const run = await train({ runDir: tmp(), config: { ...warm, steps: 4 }, ...data, resume: false, initGenerator: initial, onEvent: (e) => e.type === 'progress' && seen.push(e.step) });
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(run.state.generatorSteps).toBe(0);
    for (const [name, w] of initial) expect(run.generator.get(name), name).toEqual(w);
    const after = await train({ runDir: tmp(), config: { ...warm, steps: 6 }, ...data, resume: false, initGenerator: initial });
    // Steps 5 and 6: one generator step (every 2nd critic step), on step 6.
    expect(after.state.generatorSteps).toBe(1);
  });

  it('trains, logs every loss term, writes samples and checkpoints, and resumes exactly', async () => {
    const straightDir = tmp();
    const events: TrainEvent[] = [];
    const straight = await train({ runDir: straightDir, config, ...data, resume: false, patternTable, onEvent: (e) => events.push(e) });
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.length).toBe(6);
    const last = progress[progress.length - 1];
    for (const key of ['D/real', 'D/cond', 'D/fake', 'D/gp', 'G/adv', 'G/cond', 'G/cyc', 'G/mask', 'G/mask_rec', 'G/smooth', 'G/smooth_rec']) {
      expect(Number.isFinite(last.type === 'progress' ? last.losses[key] : NaN), key).toBe(true);
    }
    expect(events.some((e) => e.type === 'validation')).toBe(true);
    expect(fs.readdirSync(path.join(straightDir, 'samples')).length).toBeGreaterThan(0);
    expect(listCheckpoints(path.join(straightDir, 'checkpoints')).length).toBe(2);
    expect(fs.readFileSync(path.join(straightDir, 'log.jsonl'), 'utf8').trim().split('\n').length).toBe(events.length);

    const resumedDir = tmp();
    const controller = new AbortController();
    const first = await train({
      runDir: resumedDir, config, ...data, resume: false, patternTable, signal: controller.signal,
      onEvent: (e) => { if (e.type === 'progress' && e.step === 3) controller.abort(); },
    });
    expect(first.state.step).toBe(3);
    expect(latestCheckpoint(path.join(resumedDir, 'checkpoints'))).toMatch(/step-000000003$/);
    const resumedEvents: TrainEvent[] = [];
    const resumed = await train({ runDir: resumedDir, config, ...data, resume: true, patternTable, onEvent: (e) => resumedEvents.push(e) });
    // The resumed run builds its graphs with the patterns its folder recorded, timing nothing again.
    expect(fs.existsSync(path.join(resumedDir, 'weight-grad-patterns.json'))).toBe(true);
    const tuned = resumedEvents.find((e) => e.type === 'patterns-done');
    expect(tuned).toMatchObject({ measured: 0, known: tuned?.type === 'patterns-done' ? tuned.cases : -1 });
    expect(resumed.state.step).toBe(6);
    for (const [name, w] of straight.generator) expect(resumed.generator.get(name), name).toEqual(w);
  });

  it('refuses to resume on a different dataset', async () => {
    const dir = tmp();
    await train({ runDir: dir, config: { ...config, steps: 1 }, ...data, resume: false });
    await expect(train({ runDir: dir, config, ...data, manifestHash: 'other', resume: true })).rejects.toMatchObject({ code: 'resume-dataset-differs', message: expect.stringMatching(/different dataset/) });
  });

  it.skipIf(!fs.existsSync(TINY))('starts a new run from a model file\'s generator and refuses weights of another preset', async () => {
    const weights = new Map([...readSafetensors(path.join(TINY, 'generator.safetensors'))].map(([k, t]) => [k, t.data]));
    const model = path.join(tmp(), 'start.onnx');
    writeFileAtomic(model, exportGeneratorModel(weights, PRESETS.tiny.generator, { provenance: { importedFrom: 'fixture' } }));
    const start = readGeneratorWeights(model).weights;
    for (const [k, w] of weights) expect(start.get(k), k).toEqual(w);
    // One critic step and no generator step: the generator is still exactly the model's.
    const run = await train({ runDir: tmp(), config: { ...config, steps: 1 }, ...data, resume: false, initGenerator: start });
    for (const [k, w] of weights) expect(run.generator.get(k), k).toEqual(w);
    await expect(train({ runDir: tmp(), config: { ...config, preset: 'light', steps: 1 }, ...data, resume: false, initGenerator: start })).rejects.toMatchObject({ code: 'init-model-mismatch', message: expect.stringMatching(/does not fit the light preset/) });
  });

  it('trains with the studio recipe options: non-saturating loss with lazy R1, changed-area penalty, reconstruction and a moving average', async () => {
    const dir = tmp();
    const studio = resolveTrainConfig({ ...config, criticPerGenerator: 1, adversarialLoss: 'non-saturating', r1Every: 2, attentionPenalty: 'changed-area', emaDecay: 0.5, lossWeights: { reconstruction: 5, r1: 1 } as never });
    expect(studio.lossWeights.cycle).toBe(10);
    const events: TrainEvent[] = [];
    const run = await train({ runDir: dir, config: studio, ...data, resume: false, onEvent: (e) => events.push(e) });
    const last = events.filter((e) => e.type === 'progress').pop();
    for (const key of ['D/real', 'D/fake', 'D/r1', 'G/adv', 'G/rec', 'G/mask']) expect(Number.isFinite(last?.type === 'progress' ? last.losses[key] : NaN), key).toBe(true);
    const ckpt = latestCheckpoint(path.join(dir, 'checkpoints'))!;
    expect(fs.existsSync(path.join(ckpt, 'generator-ema.safetensors'))).toBe(true);
    // The run returns the average, which lags the trained weights.
    const trained = readSafetensors(path.join(ckpt, 'generator.safetensors'));
    const ema = readSafetensors(path.join(ckpt, 'generator-ema.safetensors'));
    const name = [...trained.keys()][0];
    expect(run.generator.get(name)).toEqual(ema.get(name)!.data);
    expect(ema.get(name)!.data).not.toEqual(trained.get(name)!.data);
    // The model file carries the average unless asked for the trained weights.
    const [averaged, raw] = [path.join(dir, 'average.onnx'), path.join(dir, 'trained.onnx')];
    exportRun(dir, averaged);
    exportRun(dir, raw, { weights: 'trained' });
    expect(() => exportRun(dir, path.join(dir, 'gated.onnx'), { repaintRegion: 'mouth-opening' })).toThrow(/trained without geometry/);
    expect(readGeneratorWeights(averaged).weights.get(name)).toEqual(ema.get(name)!.data);
    expect(readGeneratorWeights(raw).weights.get(name)).toEqual(trained.get(name)!.data);
    expect(() => resolveTrainConfig({ adversarialLoss: 'lsgan' as never })).toThrow(/adversarialLoss must be one of wgan-gp, non-saturating, hinge/);
    expect(() => resolveTrainConfig({ pairWarp: 'flow' as never })).toThrow(/pairWarp must be one of motion, landmarks/);
    expect(() => resolveTrainConfig({ preset: 'studio', pairLowPass: 5 })).toThrow(/pairLowPass 5 must divide the studio preset's crop size 96/);
    expect(resolveTrainConfig({ preset: 'studio', pairLowPass: 3 }).pairLowPass).toBe(3);
    expect(() => resolveTrainConfig({ preset: 'studio', lossWeights: { pairMouth: 1 } })).toThrow(/pairMouth needs geometry with pairWarp 'landmarks'/);
    expect(resolveTrainConfig({ preset: 'studio', pairWarp: 'landmarks', lossWeights: { pairMouth: 1 } }).lossWeights.pairMouth).toBe(1);
  });

  it('trains geometry first: crops warped by the run\'s motion basis, and the exported model carries it', async () => {
    const dir = tmp();
    const geometry = resolveTrainConfig({ preset: 'studio-tiny', batchSize: 2, steps: 3, sampleEvery: 3, validateEvery: 3, checkpointMinutes: 0 });
    expect(geometry.geometry).toBe(true);
    await expect(train({ runDir: dir, config: geometry, ...data, resume: false })).rejects.toMatchObject({ code: 'no-motion-basis', message: expect.stringMatching(/needs a motion basis/) });
    setRunMotion(dir, SMILE_BASIS, 'test basis');
    await expect(train({ runDir: dir, config: geometry, ...data, resume: false })).rejects.toMatchObject({ code: 'dataset-without-landmarks', message: expect.stringMatching(/landmarks of every crop/) });
    const events: TrainEvent[] = [];
    await train({ runDir: dir, config: geometry, train: withMarks(data.train), validation: withMarks(data.validation), manifestHash: 'test', resume: false, onEvent: (e) => events.push(e) });
    const last = events.filter((e) => e.type === 'progress').pop();
    for (const key of ['G/cyc', 'G/rec', 'D/fake']) expect(Number.isFinite(last?.type === 'progress' ? last.losses[key] : NaN), key).toBe(true);
    const model = path.join(dir, 'model.onnx');
    exportRun(dir, model);
    expect(readModelInfo(model).motionBasis).toBe(runMotionText(dir));
    expect(readModelInfo(model).repaintRegion).toBe('anywhere');
    const gated = path.join(dir, 'gated.onnx');
    exportRun(dir, gated, { repaintRegion: 'mouth-opening' });
    expect(readModelInfo(gated).repaintRegion).toBe('mouth-opening');
    expect(readModelInfo(gated).mouthInterior).toBeNull();
    // A run given the mouth interior of the model it started from carries it into its exports.
    const mouth = serializeMouthInterior(syntheticMouthInterior());
    expect(() => setRunMouth(dir, mouth.slice(0, 20), 'broken.onnx')).toThrow(/broken\.onnx is not valid JSON/);
    setRunMouth(dir, mouth, 'test model');
    const withMouth = path.join(dir, 'teeth.onnx');
    exportRun(dir, withMouth);
    expect(readModelInfo(withMouth).mouthInterior).toBe(mouth);
    expect(readModelInfo(withMouth).modelCard).toMatch(/Mouth interior: taken from synthetic\.jpg/);
    // A run started from a model limited to the mouth opening exports limited, unless asked otherwise.
    setRunRepaint(dir, 'mouth-opening');
    const inherited = path.join(dir, 'inherited.onnx');
    exportRun(dir, inherited);
    expect(readModelInfo(inherited).repaintRegion).toBe('mouth-opening');
    expect(readModelInfo(inherited).modelCard).toMatch(/Repaint region: the mouth opening/);
    exportRun(dir, inherited, { repaintRegion: 'anywhere' });
    expect(readModelInfo(inherited).repaintRegion).toBe('anywhere');
    fs.writeFileSync(path.join(dir, RUN_REPAINT_FILE), 'the lips\n');
    expect(() => exportRun(dir, inherited)).toThrow(/repaint-region\.txt says "the lips"; expected one of anywhere, mouth-opening/);
  });

  it('trains a run limited to the mouth opening as its model runs: where no mouth opens, the passes keep their input and the cycle costs nothing', async () => {
    const geometry = resolveTrainConfig({ preset: 'studio-tiny', batchSize: 2, steps: 3, criticWarmupSteps: 0, sampleEvery: 3, validateEvery: 3, checkpointMinutes: 0 });
    const cycles = async (limit: boolean): Promise<number[]> => {
      const dir = tmp();
      setRunMotion(dir, SMILE_BASIS, 'test basis');
      setRunMouth(dir, serializeMouthInterior(syntheticMouthInterior()), 'test model');
      if (limit) setRunRepaint(dir, 'mouth-opening');
      const events: TrainEvent[] = [];
      await train({ runDir: dir, config: geometry, train: withMarks(data.train), validation: withMarks(data.validation), manifestHash: 'test', resume: false, onEvent: (e) => events.push(e) });
      expect(fs.readdirSync(path.join(dir, 'samples')).length).toBeGreaterThan(0);
      return events.flatMap((e) => (e.type === 'progress' && 'G/cyc' in e.losses ? [e.losses['G/cyc']] : []));
    };
    const limited = await cycles(true);
    const anywhere = await cycles(false);
    expect(limited.length).toBeGreaterThan(0);
    for (const c of limited) expect(c).toBe(0);
    expect(Math.max(...anywhere)).toBeGreaterThan(0);
  });

  it('warm-starts on same-performer pairs before the adversarial steps, and resumes mid-warm-start exactly', async () => {
    const files = Array.from({ length: 8 }, (_, i) => `face-${i}.png`);
    const trainSet: CropSet = { ...withMarks(data.train), files };
    const validation: CropSet = withMarks(data.validation);
    const rows = [['0', 'A', 'neutral'], ['1', 'A', 'happy'], ['2', 'A', 'surprised'], ['3', 'B', 'neutral'], ['4', 'B', 'happy']].map(([i, performer, expression]) => ({ file: `face-${i}.png`, performer, expression }));
    const { pairs } = buildCropPairs(rows, trainSet);
    expect(pairs).toHaveLength(3);
    const runDir = () => {
      const dir = tmp();
      setRunMotion(dir, SMILE_BASIS, 'test basis');
      return dir;
    };
    const warm = resolveTrainConfig({ preset: 'studio-tiny', batchSize: 2, steps: 2, warmStartSteps: 2, sampleEvery: 1, validateEvery: 0, checkpointMinutes: 0 });
    expect(warm.lossWeights.pair).toBe(10);
    const run = { config: warm, train: trainSet, validation, manifestHash: 'test', resume: false, patternTable };
    await expect(train({ ...run, runDir: runDir() })).rejects.toMatchObject({ code: 'warm-start-without-pairs', message: expect.stringMatching(/--pairs/) });

    const straightDir = runDir();
    const events: TrainEvent[] = [];
    const straight = await train({ ...run, runDir: straightDir, pairs, onEvent: (e) => events.push(e) });
    const progress = events.flatMap((e) => (e.type === 'progress' ? [e] : []));
    expect(progress.map((e) => `${e.phase} ${e.step}/${e.totalSteps}`)).toEqual(['warm-start 1/2', 'warm-start 2/2', 'training 1/2', 'training 2/2']);
    for (const key of ['G/pair', 'G/mask', 'G/rec']) expect(Number.isFinite(progress[0].losses[key]), key).toBe(true);
    expect(progress[0].losses['D/fake']).toBeUndefined();
    expect(fs.readdirSync(path.join(straightDir, 'samples'))).toContain('warm-0000001.png');
    expect(straight.state).toMatchObject({ step: 2, warmStartDone: 2 });

    const resumedDir = runDir();
    const controller = new AbortController();
    const first = await train({
      ...run, runDir: resumedDir, pairs, signal: controller.signal,
      onEvent: (e) => { if (e.type === 'progress' && e.phase === 'warm-start' && e.step === 1) controller.abort(); },
    });
    expect(first.state).toMatchObject({ step: 0, warmStartDone: 1 });
    const saved = JSON.parse(fs.readFileSync(path.join(latestCheckpoint(path.join(resumedDir, 'checkpoints'))!, 'state.json'), 'utf8'));
    expect(saved.warmStartDone).toBe(1);
    const resumedEvents: TrainEvent[] = [];
    const resumed = await train({ ...run, runDir: resumedDir, pairs, resume: true, onEvent: (e) => resumedEvents.push(e) });
    expect(resumedEvents.find((e) => e.type === 'progress')).toMatchObject({ phase: 'warm-start', step: 2 });
    expect(resumed.state).toMatchObject({ step: 2, warmStartDone: 2 });
    for (const [name, w] of straight.generator) expect(resumed.generator.get(name), name).toEqual(w);

    // steps 0: the warm start alone, finished and not reported as cancelled; without one, 0 is refused.
    expect(() => resolveTrainConfig({ preset: 'studio-tiny', steps: 0 })).toThrow(/steps must be a positive integer \(or 0 after a warm start/);
    const aloneEvents: TrainEvent[] = [];
    const alone = await train({ ...run, config: { ...warm, steps: 0 }, runDir: runDir(), pairs, onEvent: (e) => aloneEvents.push(e) });
    expect(alone.state).toMatchObject({ step: 0, warmStartDone: 2 });
    expect(aloneEvents.filter((e) => e.type === 'progress').map((e) => (e as { phase: string }).phase)).toEqual(['warm-start', 'warm-start']);
    expect(aloneEvents.find((e) => e.type === 'done')).toMatchObject({ cancelled: false });
    expect([...alone.generator.keys()]).toEqual([...straight.generator.keys()]);
  });
});
