// Benchmark of one training iteration (one critic step with the gradient penalty plus one generator
// step) on onnxruntime-node CPU: time split per graph, optimizer and data; images/s; peak RSS.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { presetByName } from '../src/main/model/config';
import { criticParamSpecs } from '../src/main/model/critic';
import { generatorParamSpecs } from '../src/main/model/generator';
import { initWeights } from '../src/main/model/init';
import { adamStep, DEFAULT_ADAM, newAdamState } from '../src/main/train/adam';
import { StepRunner, type StepBatch } from '../src/main/train/step-runner';
import { Rng } from '../src/shared/random';
import { TRAINING_PROCESS_ENV } from '../src/main/workers/worker-job';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 3);
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
  const t0 = performance.now();
  const runner = await StepRunner.create({ preset, batchSize });
  const compileMs = performance.now() - t0;
  const totals = { data: 0, critic: 0, generator: 0, optimizer: 0 };
  const time = async <T>(key: keyof typeof totals, f: () => Promise<T> | T): Promise<T> => {
    const start = performance.now();
    const result = await f();
    totals[key] += performance.now() - start;
    return result;
  };
  // The first iterations warm up onnxruntime's and the heap's allocations and are not counted:
  // a real run repeats the same steps thousands of times.
  for (let it = -WARMUP; it < ITERATIONS; it++) {
    if (it === 0) for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] = 0;
    const batch = await time('data', () => makeBatch(rng, cache, aus, batchSize, size));
    const c = await time('critic', () => runner.runCritic(g, d, batch));
    await time('optimizer', () => adamStep(d, c.grads, dState, DEFAULT_ADAM));
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
  const runs: [string, number][] = which.length ? which.map((w) => [w.split(':')[0], Number(w.split(':')[1] ?? 4)]) : [['paper', 4], ['light', 4], ['light', 8]];
  console.log(`One iteration = 1 critic step (WGAN + AU + second-order GP) + 1 generator step + Adam on both; onnxruntime-node CPU, ${os.cpus().length} cores, mean of ${ITERATIONS} after ${WARMUP} warm-up; allocator: ${process.env.BENCH_DEFAULT_ALLOCATOR ? 'default' : 'MALLOC_MMAP_THRESHOLD_ as in the training process'}`);
  console.log('| preset | batch | s/iteration | critic s | generator s | optimizer s | data s | images/s | compile s |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, batch] of runs) await benchPreset(name, batch);
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024 / 1024).toFixed(2)} GB`);
}

void main();
