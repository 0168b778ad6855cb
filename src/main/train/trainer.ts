// The training loop: an optional warm start of supervised generator steps on same-performer pairs,
// then the adversarial loop, each critic step as numbered phases: (1) data, (2) critic, (3) generator
// every N steps, (4) periodic work: log, validation, samples, checkpoint. Resumable, cancellable.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import type { MotionBasis } from '../face/motion-model';
import { presetByName } from '../model/config';
import { criticParamSpecs } from '../model/critic';
import { generatorParamSpecs, type ParamSpec } from '../model/generator';
import { initWeights } from '../model/init';
import { adamStep, newAdamState, type AdamState } from './adam';
import { BatchSampler, type CropSet } from './batches';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint, type TrainState } from './checkpoint';
import { PairSampler, type CropPair } from './pair-batches';
import { readRunMotion, runMouthOf } from './run-motion';
import { SampleRenderer } from './samples';
import { buildStepGraphs, StepRunner, type StepBatch, type StepResult, type Weights } from './step-runner';
import { RUN_TABLE_NAME, weightGradEmission, type TuneSummary } from './weight-grad-tuning';
import { criticPartsFor, learningRateAt, lossOptionsOf, type TrainConfig } from './train-config';

export type TrainEvent =
  /** phase 'warm-start': step and totalSteps count warm-start steps; 'training': critic steps. */
  | { type: 'progress'; phase: 'warm-start' | 'training'; step: number; totalSteps: number; epoch: number; imagesPerSecond: number; etaSeconds: number; losses: Record<string, number>; lr: number }
  | { type: 'validation'; step: number; losses: Record<string, number> }
  | { type: 'sample'; step: number; file: string }
  | { type: 'checkpoint'; step: number; folder: string }
  /** The conv weight-gradient patterns being timed on this machine (TrainConfig.weightGradPattern 'measured'), then chosen. */
  | { type: 'patterns'; done: number; total: number }
  | ({ type: 'patterns-done' } & TuneSummary)
  | { type: 'done'; step: number; cancelled: boolean; elapsedMs: number; losses: Record<string, number> };

export interface TrainRun {
  readonly runDir: string;
  readonly config: TrainConfig;
  readonly train: CropSet;
  readonly validation: CropSet;
  readonly manifestHash: string;
  /** Continue from the latest checkpoint in runDir when there is one. */
  readonly resume: boolean;
  /** A new run's generator starts from these weights (a model file's) instead of a random init; the critic and optimizer start fresh. */
  readonly initGenerator?: ReadonlyMap<string, Float32Array>;
  /** The name of the model initGenerator came from, for the model card. */
  readonly startedFrom?: string;
  /** Same-performer pairs among `train` (pair-batches.ts buildCropPairs): the data of a warm start (config.warmStartSteps). */
  readonly pairs?: readonly CropPair[];
  /** This machine's table of measured conv patterns, shared by its runs (weight-grad-tuning.ts); without one each run measures its own. */
  readonly patternTable?: string;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: TrainEvent) => void;
}

interface Nets {
  g: Weights;
  d: Weights;
  adamG: AdamState;
  adamD: AdamState;
  state: TrainState;
  /** Moving average of g (TrainConfig.emaDecay > 0): what samples show and the model exports. */
  ema: Weights | null;
}

const copyOf = (w: ReadonlyMap<string, Float32Array>): Weights => new Map([...w].map(([k, v]) => [k, new Float32Array(v)]));

/** ema <- decay * ema + (1 - decay) * g, in place. */
function updateEma(ema: Weights, g: Weights, decay: number): void {
  for (const [name, avg] of ema) {
    const w = g.get(name) as Float32Array;
    for (let i = 0; i < avg.length; i++) avg[i] = decay * avg[i] + (1 - decay) * w[i];
  }
}

const shapesOf = (specs: ParamSpec[]) => new Map(specs.map((s) => [s.name, s.shape]));

function startOrResume(run: TrainRun): Nets {
  const preset = presetByName(run.config.preset);
  const latest = run.resume ? latestCheckpoint(path.join(run.runDir, 'checkpoints')) : null;
  if (latest) {
    const ckpt = loadCheckpoint(latest);
    if (ckpt.state.manifestHash !== run.manifestHash) {
      throw new StudioError('resume-dataset-differs', `cannot resume from ${latest}: it was trained on a different dataset (manifest hash differs); resume with the data it was trained on, or start a new run folder`);
    }
    const ema = run.config.emaDecay > 0 ? (ckpt.generatorEma ?? copyOf(ckpt.generator)) : null;
    return { g: ckpt.generator, d: ckpt.critic, adamG: ckpt.adamG, adamD: ckpt.adamD, state: ckpt.state, ema };
  }
  const g = run.initGenerator ? checkedCopy(run.initGenerator, generatorParamSpecs(preset.generator), preset.name) : initWeights(generatorParamSpecs(preset.generator), run.config.seed);
  const d = initWeights(criticParamSpecs(preset.critic), run.config.seed + 1);
  const state: TrainState = { step: 0, generatorSteps: 0, sampler: null, config: run.config, manifestHash: run.manifestHash, elapsedMs: 0, losses: {}, ...(run.initGenerator && run.startedFrom ? { startedFrom: run.startedFrom } : {}) };
  return { g, d, adamG: newAdamState(g), adamD: newAdamState(d), state, ema: run.config.emaDecay > 0 ? copyOf(g) : null };
}

function checkedCopy(weights: ReadonlyMap<string, Float32Array>, specs: ParamSpec[], presetName: string): Weights {
  const out: Weights = new Map();
  for (const spec of specs) {
    const w = weights.get(spec.name);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if (!w || w.length !== count) throw new StudioError('init-model-mismatch', `the starting generator does not fit the ${presetName} preset: ${spec.name} should have ${count} values, has ${w?.length ?? 'none'}; start from a model of that preset, or train the preset the model was made with`);
    out.set(spec.name, new Float32Array(w));
  }
  return out;
}

/** The motion basis a geometry-first run warps its crops by, once the run has one and its crops their landmarks; null without geometry. */
function runMotionOf(run: TrainRun): MotionBasis | null {
  if (!run.config.geometry) return null;
  const motionBasis = readRunMotion(run.runDir);
  if (!motionBasis) throw new StudioError('no-motion-basis', `geometry-first training needs a motion basis in ${run.runDir}: give one (--motion basis.json; ganimation fit-motion makes it), start from a model that carries one (--init-from), or train without geometry (--geometry off)`);
  if (!(run.train.landmarks && (run.validation.count === 0 || run.validation.landmarks))) {
    throw new StudioError('dataset-without-landmarks', 'geometry-first training needs the landmarks of every crop, and this dataset cache was built before they were kept: delete its folder to rebuild it');
  }
  return motionBasis;
}

/** The warm start's sampler while warm-start steps remain, else null; a run that needs one and has no pairs fails here, before any compiling. */
function pairSamplerOf(run: TrainRun, state: TrainState, motionBasis: MotionBasis | null): PairSampler | null {
  const { warmStartSteps, batchSize, seed, pairWarp } = run.config;
  if ((state.warmStartDone ?? 0) >= warmStartSteps) return null;
  if (!run.pairs) throw new StudioError('warm-start-without-pairs', `a warm start of ${warmStartSteps} steps needs same-performer pairs, and none were given: give a labelled folder (--pairs <folder with labels.csv>), or train without it (--warm-start 0)`);
  return new PairSampler(run.train, run.pairs, { batchSize, seed: seed + 3, motionBasis, warpTo: pairWarp }, state.pairSampler);
}

/** The run's log.jsonl: every event appended as one timestamped line, then passed on. */
function runLog(runDir: string, onEvent?: (event: TrainEvent) => void): { emit: (event: TrainEvent) => void; close: () => Promise<void> } {
  const log = fs.createWriteStream(path.join(runDir, 'log.jsonl'), { flags: 'a' });
  return {
    emit(event) {
      log.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
      onEvent?.(event);
    },
    close: () => new Promise<void>((resolve) => log.end(resolve)),
  };
}

/** Runs (or resumes) training to `config.steps`; returns the final generator weights. */
export async function train(run: TrainRun): Promise<{ generator: Weights; state: TrainState }> {
  const cfg = run.config;
  const preset = presetByName(cfg.preset);
  const motionBasis = runMotionOf(run);
  // A geometry-first run trains as its model will run: limited to the mouth opening where it is, with its mouth interior laid.
  const mouth = motionBasis ? runMouthOf(run.runDir) : null;
  const nets = startOrResume(run);
  const pairSampler = pairSamplerOf(run, nets.state, motionBasis);
  const sampler = new BatchSampler(run.train, { batchSize: cfg.batchSize, seed: cfg.seed, flip: cfg.flip, targetNoise: cfg.targetNoise, motionBasis, mouth }, nets.state.sampler ?? undefined);
  const validation = run.validation.count > 0 ? new BatchSampler(run.validation, { batchSize: cfg.batchSize, seed: cfg.seed + 2, flip: false, targetNoise: cfg.targetNoise, motionBasis, mouth }) : null;
  fs.mkdirSync(path.join(run.runDir, 'samples'), { recursive: true });
  const log = runLog(run.runDir, run.onEvent);
  const { emit } = log;
  const stepOptions = { preset, batchSize: cfg.batchSize, lossWeights: cfg.lossWeights, lossOptions: lossOptionsOf(cfg), geometry: !!motionBasis, ...(mouth && (mouth.gate || mouth.interior) ? { mouth: { gate: mouth.gate, interior: mouth.interior !== null } } : {}) };
  const stepGraphs = { parts: criticPartsFor(cfg), extra: { pairStep: !!pairSampler } };
  // The conv weight-gradient patterns: measured on this machine unless the config says otherwise; the run's own table first, so a resumed run builds the same graphs.
  const tuning = await weightGradEmission(cfg.weightGradPattern, (emission) => buildStepGraphs({ ...stepOptions, emission }, stepGraphs.parts, stepGraphs.extra), {
    runTable: path.join(run.runDir, RUN_TABLE_NAME),
    ...(run.patternTable ? { machineTable: run.patternTable } : {}),
    ...(run.signal ? { signal: run.signal } : {}),
    onProgress: (done, total) => emit({ type: 'patterns', done, total }),
  }).catch(async (err: unknown) => {
    await log.close();
    throw err;
  });
  if (tuning.summary) emit({ type: 'patterns-done', ...tuning.summary });
  const emission = tuning.emission;
  const runner = await StepRunner.create({ ...stepOptions, emission }, stepGraphs.parts, stepGraphs.extra);
  const samples = await SampleRenderer.create(preset.generator);
  const ckptDir = path.join(run.runDir, 'checkpoints');
  const shapes = { generator: shapesOf(generatorParamSpecs(preset.generator)), critic: shapesOf(criticParamSpecs(preset.critic)) };

  const { elapsedMs } = nets.state;
  let { step, generatorSteps, losses } = nets.state;
  let warmStartDone = nets.state.warmStartDone ?? 0;
  const sessionStart = performance.now();
  let lastCheckpoint = performance.now();
  const snapshot = (): TrainState => ({ step, generatorSteps, sampler: sampler.state, warmStartDone, ...(pairSampler ? { pairSampler: pairSampler.state } : {}), config: cfg, manifestHash: run.manifestHash, elapsedMs: elapsedMs + performance.now() - sessionStart, losses, ...(nets.state.startedFrom ? { startedFrom: nets.state.startedFrom } : {}) });
  const checkpoint = () => {
    const folder = saveCheckpoint(ckptDir, { state: snapshot(), generator: nets.g, critic: nets.d, adamG: nets.adamG, adamD: nets.adamD, ...(nets.ema ? { generatorEma: nets.ema } : {}) }, shapes, cfg.keepCheckpoints);
    lastCheckpoint = performance.now();
    emit({ type: 'checkpoint', step, folder });
  };
  const writeSample = async (name = `step-${String(step).padStart(7, '0')}`) => {
    const file = path.join(run.runDir, 'samples', `${name}.png`);
    await samples.write(file, nets.ema ?? nets.g, run.validation.count > 0 ? run.validation : run.train, 4, motionBasis, mouth);
    emit({ type: 'sample', step, file });
  };

  /** Images per second and seconds left in a phase: `done` of its steps since `since`, `left` to go. */
  const pace = (since: number, done: number, left: number) => {
    const rate = (done * cfg.batchSize) / Math.max((performance.now() - since) / 1000, 1e-9);
    return { imagesPerSecond: rate, etaSeconds: (left * cfg.batchSize) / Math.max(rate, 1e-9) };
  };

  try {
    // 0. warm start: supervised generator steps on same-performer pairs, at the run's base lr
    const warmStart = { since: performance.now(), from: warmStartDone };
    while (pairSampler && warmStartDone < cfg.warmStartSteps && !run.signal?.aborted) {
      losses = { ...losses, ...applyGenerator(nets, await runner.runPair(nets.g, pairSampler.next()), cfg, cfg.adam.lr) };
      warmStartDone++;
      emit({ type: 'progress', phase: 'warm-start', step: warmStartDone, totalSteps: cfg.warmStartSteps, epoch: pairSampler.currentEpoch, ...pace(warmStart.since, warmStartDone - warmStart.from, cfg.warmStartSteps - warmStartDone), losses, lr: cfg.adam.lr });
      if (cfg.sampleEvery > 0 && warmStartDone % cfg.sampleEvery === 0) await writeSample(`warm-${String(warmStartDone).padStart(7, '0')}`);
      if (performance.now() - lastCheckpoint > cfg.checkpointMinutes * 60_000) checkpoint();
    }
    const adversarial = { since: performance.now(), from: step };
    while (step < cfg.steps && !run.signal?.aborted) {
      const lr = learningRateAt(cfg, step);
      // 1. data
      const batch = sampler.next();
      // 2. critic
      losses = { ...losses, ...(await criticStep(runner, nets, batch, cfg, lr, step)) };
      // 3. generator, every criticPerGenerator critic steps once the critic has warmed up
      if ((step + 1) % cfg.criticPerGenerator === 0 && step >= cfg.criticWarmupSteps) {
        losses = { ...losses, ...applyGenerator(nets, await runner.runGenerator(nets.g, nets.d, batch), cfg, lr) };
        generatorSteps++;
      }
      step++;
      // 4. periodic work
      emit({ type: 'progress', phase: 'training', step, totalSteps: cfg.steps, epoch: sampler.currentEpoch, ...pace(adversarial.since, step - adversarial.from, cfg.steps - step), losses, lr });
      if (validation && cfg.validateEvery > 0 && step % cfg.validateEvery === 0) emit({ type: 'validation', step, losses: await validationLosses(runner, nets, validation.next()) });
      if (cfg.sampleEvery > 0 && step % cfg.sampleEvery === 0) await writeSample();
      if (performance.now() - lastCheckpoint > cfg.checkpointMinutes * 60_000) checkpoint();
    }
    checkpoint();
    await writeSample();
    emit({ type: 'done', step, cancelled: step < cfg.steps || warmStartDone < cfg.warmStartSteps, elapsedMs: snapshot().elapsedMs, losses });
    return { generator: nets.ema ?? nets.g, state: snapshot() };
  } finally {
    await runner.dispose();
    await samples.dispose();
    await log.close();
  }
}

/** Applies a generator step's gradients (adversarial or warm-start), then the moving average; its losses and G/total. */
function applyGenerator(nets: Nets, result: StepResult, cfg: TrainConfig, lr: number): Record<string, number> {
  adamStep(nets.g, result.grads, nets.adamG, { ...cfg.adam, lr });
  if (nets.ema) updateEma(nets.ema, nets.g, cfg.emaDecay);
  return { ...result.losses, 'G/total': sumOf(result.losses) };
}

async function criticStep(runner: StepRunner, nets: Nets, batch: StepBatch, cfg: TrainConfig, lr: number, step: number): Promise<Record<string, number>> {
  const adam = { ...cfg.adam, lr };
  if (cfg.adversarialLoss !== 'wgan-gp') {
    const main = await runner.runCritic(nets.g, nets.d, batch, 'main');
    adamStep(nets.d, main.grads, nets.adamD, adam);
    if (!runner.criticParts.includes('r1') || step % cfg.r1Every !== 0) return { ...main.losses, 'D/total': sumOf(main.losses) };
    // Lazy R1: its own step every r1Every critic steps, the term already scaled by the interval.
    const r1 = await runner.runCritic(nets.g, nets.d, batch, 'r1');
    adamStep(nets.d, r1.grads, nets.adamD, adam);
    return { ...main.losses, ...r1.losses, 'D/total': sumOf(main.losses) + r1.losses['D/r1'] / cfg.r1Every };
  }
  if (cfg.gradientPenaltyStep === 'combined') {
    const r = await runner.runCritic(nets.g, nets.d, batch);
    adamStep(nets.d, r.grads, nets.adamD, adam);
    return { ...r.losses, 'D/total': sumOf(r.losses) };
  }
  const main = await runner.runCritic(nets.g, nets.d, batch, 'main');
  adamStep(nets.d, main.grads, nets.adamD, adam);
  const gp = await runner.runCritic(nets.g, nets.d, batch, 'gp');
  adamStep(nets.d, gp.grads, nets.adamD, adam);
  return { ...main.losses, ...gp.losses, 'D/total': sumOf(main.losses) + sumOf(gp.losses) };
}

async function validationLosses(runner: StepRunner, nets: Nets, batch: StepBatch): Promise<Record<string, number>> {
  const c = await runner.runCritic(nets.g, nets.d, batch, runner.criticParts[0]);
  const g = await runner.runGenerator(nets.g, nets.d, batch);
  const prefixed = (losses: Record<string, number>) => Object.fromEntries(Object.entries(losses).map(([k, v]) => [`val/${k}`, v]));
  return { ...prefixed(c.losses), ...prefixed(g.losses) };
}

const sumOf = (losses: Record<string, number>): number => Object.values(losses).reduce((a, b) => a + b, 0);

/** A one-line description of where training ran, for model cards. */
export const hardwareSummary = (): string => `${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, onnxruntime-node CPU`;
