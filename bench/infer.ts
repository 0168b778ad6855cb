// Benchmark of generator inference on onnxruntime-node CPU: ms per frame at batch 1 and 8 for the
// paper and light presets with both instance-norm forms, then the residual family's candidate sizes
// (the studio preset among them, also with its resize-conv built literally) beside light, as exported.
// Prints two tables; BENCH_TABLE=residual prints only the second.
import os from 'node:os';
import * as G from '../src/main/graph';
import { AU_COUNT } from '../src/shared/aus';
import { PRESETS, type GeneratorConfig } from '../src/main/model/config';
import { defineGenerator, generatorParamSpecs, type GeneratorBuildOptions } from '../src/main/model/generator';
import { initWeights, parameterCount } from '../src/main/model/init';
import { countFlops } from '../src/main/model/stats';
import { createSession, runSession, type HostTensor, type Session } from '../src/main/infer/ort-session';
import { Rng } from '../src/shared/random';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const BATCHES = [1, 8] as const;

interface Candidate {
  readonly label: string;
  readonly cfg: GeneratorConfig;
  readonly options: GeneratorBuildOptions;
}

function graphOf(c: Candidate): G.Graph {
  const s = c.cfg.imageSize;
  const graph = new G.Graph('bench');
  const out = defineGenerator(graph, c.cfg, '', c.options).apply(graph.input('image', 'float32', ['N', 3, s, s]), graph.input('aus', 'float32', ['N', c.cfg.cDim]));
  graph.output('composite', out.composite);
  graph.output('attention', out.attention);
  graph.output('color', out.color);
  return graph;
}

function feedsFor(cfg: GeneratorConfig, batch: number): Record<string, HostTensor> {
  const rng = new Rng(2);
  const s = cfg.imageSize;
  return {
    image: { data: Float32Array.from({ length: batch * 3 * s * s }, () => rng.uniform(-1, 1)), dims: [batch, 3, s, s] },
    aus: { data: Float32Array.from({ length: batch * cfg.cDim }, () => rng.next()), dims: [batch, cfg.cDim] },
  };
}

/**
 * Median ms per frame for each candidate and batch. Rounds interleave the candidates, so load from
 * other processes on a shared machine falls on all of them alike.
 */
async function measure(candidates: readonly Candidate[]): Promise<Map<string, number>> {
  const sessions: Session[] = [];
  for (const c of candidates) sessions.push(await createSession(G.toOnnx(graphOf(c), { params: initWeights(generatorParamSpecs(c.cfg), 1) })));
  const times = new Map<string, number[]>();
  for (let round = -2; round < REPEATS; round++) {
    for (const [i, c] of candidates.entries()) {
      for (const batch of BATCHES) {
        const feeds = feedsFor(c.cfg, batch);
        const t0 = performance.now();
        await runSession(sessions[i], feeds);
        const key = `${c.label}@${batch}`;
        if (round >= 0) times.set(key, [...(times.get(key) ?? []), (performance.now() - t0) / batch]);
      }
    }
  }
  for (const session of sessions) await session.release();
  return new Map([...times].map(([key, list]) => [key, list.sort((a, b) => a - b)[Math.floor(list.length / 2)]]));
}

const gflopsOf = (c: Candidate): number => countFlops(graphOf(c)) / 1e9;

async function instanceNormTable(): Promise<void> {
  console.log('| preset | instance norm | batch 1 ms/frame | batch 8 ms/frame | GFLOP/s at batch 1 | GFLOP/s at batch 8 |');
  console.log('|---|---|---:|---:|---:|---:|');
  const candidates = [PRESETS.paper, PRESETS.light].flatMap((p) => (['primitives', 'kernel'] as const).map((instanceNorm) => ({ label: `${p.name} | ${instanceNorm}`, cfg: p.generator, options: { instanceNorm } })));
  const ms = await measure(candidates);
  for (const c of candidates) {
    const gflop = gflopsOf(c);
    const [b1, b8] = BATCHES.map((b) => ms.get(`${c.label}@${b}`) as number);
    console.log(`| ${c.label} | ${b1.toFixed(1)} | ${b8.toFixed(1)} | ${(gflop / (b1 / 1000)).toFixed(0)} | ${(gflop / (b8 / 1000)).toFixed(0)} |`);
  }
}

/** The residual family at candidate sizes, with the instance-norm kernel as model files use it. */
async function residualTable(): Promise<void> {
  const residual = (imageSize: number, convDim: number, repeatNum: number): GeneratorConfig => ({ family: 'residual', imageSize, convDim, repeatNum, cDim: AU_COUNT });
  const kernel: GeneratorBuildOptions = { instanceNorm: 'kernel' };
  const candidates: Candidate[] = [
    { label: 'light (ganimation 96 px, 32 / 4)', cfg: PRESETS.light.generator, options: kernel },
    { label: 'residual 96 px, 24 / 4', cfg: residual(96, 24, 4), options: kernel },
    { label: 'studio (residual 96 px, 32 / 4)', cfg: PRESETS.studio.generator, options: kernel },
    { label: 'studio, literal upsample + 3x3 conv', cfg: PRESETS.studio.generator, options: { ...kernel, resizeConv: 'upsample' } },
    { label: 'residual 96 px, 32 / 6', cfg: residual(96, 32, 6), options: kernel },
    { label: 'residual 96 px, 48 / 4', cfg: residual(96, 48, 4), options: kernel },
    { label: 'residual 128 px, 32 / 4', cfg: residual(128, 32, 4), options: kernel },
  ];
  const ms = await measure(candidates);
  const base = BATCHES.map((b) => ms.get(`${candidates[0].label}@${b}`) as number);
  console.log('| generator | conv_dim / blocks | parameters | GFLOPs / image | batch 1 ms/frame | batch 8 ms/frame | batch 1 vs light | batch 8 vs light |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const c of candidates) {
    const [b1, b8] = BATCHES.map((b) => ms.get(`${c.label}@${b}`) as number);
    const params = parameterCount(generatorParamSpecs(c.cfg)).toLocaleString('en-US');
    console.log(`| ${c.label} | ${c.cfg.convDim} / ${c.cfg.repeatNum} | ${params} | ${gflopsOf(c).toFixed(2)} | ${b1.toFixed(1)} | ${b8.toFixed(1)} | ${(b1 / base[0]).toFixed(2)}x | ${(b8 / base[1]).toFixed(2)}x |`);
  }
}

async function main(): Promise<void> {
  console.log(`Generator inference, onnxruntime-node CPU (${os.cpus().length} cores, default session options), median of ${REPEATS}, ms per frame`);
  if (process.env.BENCH_TABLE !== 'residual') {
    await instanceNormTable();
    console.log('Reference on this machine class: the PyTorch-exported paper generator, 155 ms/frame at batch 1 (about 135 GFLOP/s).');
  }
  await residualTable();
}

void main();
