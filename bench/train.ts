// Benchmark of one training iteration on onnxruntime-node CPU: time split per graph, optimizer and
// data; images/s; peak RSS. The original presets run WGAN-GP (one critic step with the gradient
// penalty plus one generator step); the residual family's presets (studio, studio-tiny) run the
// studio recipe as a run would: geometry on (per-sample warp tables built from the committed motion
// basis are part of the data time), one non-saturating critic step per generator step, and the lazy
// R1 step counted at its share (its time / r1Every).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CANONICAL_FACE } from '../src/main/face';
import type { Point } from '../src/main/face/face-frame';
import { parseMotionBasis, type MotionBasis } from '../src/main/face/motion-model';
import { generatorFamily, presetByName } from '../src/main/model/config';
import { criticParamSpecs } from '../src/main/model/critic';
import { generatorParamSpecs } from '../src/main/model/generator';
import { initWeights } from '../src/main/model/init';
import { adamStep, DEFAULT_ADAM, newAdamState } from '../src/main/train/adam';
import { DEFAULT_HOME, patternTableIn } from '../src/main/io/app-home';
import { buildStepGraphs, StepRunner, type StepBatch } from '../src/main/train/step-runner';
import { criticPartsFor, lossOptionsOf, resolveTrainConfig, type WeightGradChoice } from '../src/main/train/train-config';
import { weightGradEmission } from '../src/main/train/weight-grad-tuning';
import { cropWarp, packTables } from '../src/main/train/warp-batch';
import { Rng } from '../src/shared/random';
import { TRAINING_PROCESS_ENV } from '../src/main/workers/worker-job';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 3);
/** BENCH_WEIGHT_GRAD: the conv weight-gradient patterns (TrainConfig.weightGradPattern; default auto, the size rule; measured uses this machine's table in the studio's home). */
const WEIGHT_GRAD = (process.env.BENCH_WEIGHT_GRAD ?? 'auto') as WeightGradChoice;
const tuned: string[] = [];
const WARMUP = 2;

// Training runs in a process with TRAINING_PROCESS_ENV (allocator settings only the environment
// can give); so does this benchmark, unless BENCH_DEFAULT_ALLOCATOR asks for the plain process.
if (!process.env.BENCH_DEFAULT_ALLOCATOR && Object.entries(TRAINING_PROCESS_ENV).some(([k, v]) => process.env[k] !== v)) {
  const run = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, ...TRAINING_PROCESS_ENV } });
  process.exit(run.status ?? 1);
}

/** Batches assembled as the trainer does: crops from an in-memory cache, random flip, target AUs from another sample plus noise. */
function makeBatch(rng: Rng, cache: Float32Array[], aus: Float32Array[], batchSize: number, size: number): StepBatch {
  const plane = 3 * size * size;
  const real = new Float32Array(batchSize * plane);
  const realAus = new Float32Array(batchSize * 17);
  const targetAus = new Float32Array(batchSize * 17);
  const alpha = new Float32Array(batchSize);
  for (let b = 0; b < batchSize; b++) {
    const i = rng.int(cache.length);
    const flip = rng.next() < 0.5;
    const src = cache[i];
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < size; y++) {
        const row = c * size * size + y * size;
        for (let x = 0; x < size; x++) real[b * plane + row + x] = src[row + (flip ? size - 1 - x : x)];
      }
    }
    realAus.set(aus[i], b * 17);
    const other = aus[rng.int(aus.length)];
    for (let k = 0; k < 17; k++) targetAus[b * 17 + k] = other[k] + rng.uniform(-0.1, 0.1);
    alpha[b] = rng.next();
  }
  return { real, realAus, targetAus, alpha };
}

const BASIS_FILE = path.resolve(import.meta.dirname, '../resources/motion/tw-expressions-01-16.json');

/** The batch's warp tables as a geometry-first run builds them: each crop moved from its AUs to the target's by the basis (the canonical face's landmarks stand in for a crop's). */
function withWarp(batch: StepBatch, basis: MotionBasis, size: number): StepBatch {
  const landmarks = CANONICAL_FACE.map(([u, v]) => [u * size, v * size] as Point);
  const warps = Array.from({ length: batch.alpha.length }, (_, b) => cropWarp(size, landmarks, basis, batch.realAus.subarray(17 * b, 17 * b + 17), batch.targetAus.subarray(17 * b, 17 * b + 17)));
  return { ...batch, warp: { forward: packTables(warps.map((w) => w.forward)), inverse: packTables(warps.map((w) => w.inverse)) } };
}

async function benchPreset(name: string, batchSize: number): Promise<void> {
  const preset = presetByName(name);
  const size = preset.generator.imageSize;
  const rng = new Rng(1);
  const cache = Array.from({ length: 16 }, () => Float32Array.from({ length: 3 * size * size }, () => rng.uniform(-1, 1)));
  const aus = Array.from({ length: 16 }, () => Float32Array.from({ length: 17 }, () => rng.next()));
  const g = initWeights(generatorParamSpecs(preset.generator), 1);
  const d = initWeights(criticParamSpecs(preset.critic), 2);
  const gState = newAdamState(g);
  const dState = newAdamState(d);
  // The residual family trains with the studio recipe, the original presets with WGAN-GP.
  const cfg = resolveTrainConfig({ preset: preset.name, batchSize });
  const recipe = generatorFamily(preset.generator) === 'residual';
  const basis = recipe ? parseMotionBasis(fs.readFileSync(BASIS_FILE, 'utf8'), BASIS_FILE) : null;
  const options = recipe ? { preset, batchSize, lossWeights: cfg.lossWeights, lossOptions: lossOptionsOf(cfg), geometry: true } : { preset, batchSize };
  const parts = recipe ? criticPartsFor(cfg) : (['main+gp'] as const);
  const tuning = await weightGradEmission(WEIGHT_GRAD, (emission) => buildStepGraphs({ ...options, emission }, parts), {
    runTable: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-train-')), 'weight-grad-patterns.json'),
    machineTable: patternTableIn(DEFAULT_HOME),
  });
  if (tuning.summary) tuned.push(`${name}:${batchSize} ${tuning.summary.measured} of ${tuning.summary.cases} cases timed in ${(tuning.summary.elapsedMs / 1000).toFixed(1)} s (${Object.entries(tuning.summary.patterns).map(([p, n]) => `${p} ${n}`).join(', ')})`);
  const t0 = performance.now();
  const runner = await StepRunner.create({ ...options, emission: tuning.emission }, parts);
  const compileMs = performance.now() - t0;
  const totals = { data: 0, critic: 0, generator: 0, optimizer: 0 };
  const time = async <T>(key: keyof typeof totals, f: () => Promise<T> | T, share = 1): Promise<T> => {
    const start = performance.now();
    const result = await f();
    totals[key] += share * (performance.now() - start);
    return result;
  };
  // The first iterations warm up onnxruntime's and the heap's allocations and are not counted:
  // a real run repeats the same steps thousands of times.
  for (let it = -WARMUP; it < ITERATIONS; it++) {
    if (it === 0) for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] = 0;
    const batch = await time('data', () => {
      const plain = makeBatch(rng, cache, aus, batchSize, size);
      return basis ? withWarp(plain, basis, size) : plain;
    });
    if (recipe) {
      const c = await time('critic', () => runner.runCritic(g, d, batch, 'main'));
      await time('optimizer', () => adamStep(d, c.grads, dState, DEFAULT_ADAM));
      if (runner.criticParts.includes('r1')) {
        const r1 = await time('critic', () => runner.runCritic(g, d, batch, 'r1'), 1 / cfg.r1Every);
        await time('optimizer', () => adamStep(d, r1.grads, dState, DEFAULT_ADAM), 1 / cfg.r1Every);
      }
    } else {
      const c = await time('critic', () => runner.runCritic(g, d, batch));
      await time('optimizer', () => adamStep(d, c.grads, dState, DEFAULT_ADAM));
    }
    const gen = await time('generator', () => runner.runGenerator(g, d, batch));
    await time('optimizer', () => adamStep(g, gen.grads, gState, DEFAULT_ADAM));
  }
  await runner.dispose();
  const per = (ms: number) => ms / ITERATIONS / 1000;
  const iteration = Object.values(totals).reduce((a, b) => a + b, 0);
  console.log(`| ${name} ${size}px | ${batchSize} | ${per(iteration).toFixed(2)} | ${per(totals.critic).toFixed(2)} | ${per(totals.generator).toFixed(2)} | ${per(totals.optimizer).toFixed(3)} | ${per(totals.data).toFixed(3)} | ${((batchSize * ITERATIONS * 1000) / iteration).toFixed(2)} | ${(compileMs / 1000).toFixed(1)} |`);
}

async function main(): Promise<void> {
  const which = process.argv.slice(2);
  const runs: [string, number][] = which.length ? which.map((w) => [w.split(':')[0], Number(w.split(':')[1] ?? 4)]) : [['paper', 4], ['light', 4], ['light', 8], ['studio', 8]];
  console.log(`One iteration = 1 critic step + 1 generator step + Adam on both: WGAN + AU + second-order GP for the original presets; for the studio presets the studio recipe (geometry, non-saturating, lazy R1 at 1/${resolveTrainConfig({ preset: 'studio' }).r1Every} of its time); onnxruntime-node CPU, ${os.cpus().length} cores, mean of ${ITERATIONS} after ${WARMUP} warm-up; allocator: ${process.env.BENCH_DEFAULT_ALLOCATOR ? 'default' : 'MALLOC_MMAP_THRESHOLD_ as in the training process'}`);
  console.log('| preset | batch | s/iteration | critic s | generator s | optimizer s | data s | images/s | compile s |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, batch] of runs) await benchPreset(name, batch);
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024 / 1024).toFixed(2)} GB; conv weight gradients: ${WEIGHT_GRAD}`);
  for (const line of tuned) console.log(`  ${line}`);
}

void main();
