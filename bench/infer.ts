// Benchmark of generator inference on onnxruntime-node CPU: ms per frame at batch 1 and 8 for the
// paper and light presets, GFLOP/s, and the two instance-norm forms. Prints a table.
import os from 'node:os';
import * as G from '../src/main/graph';
import { PRESETS, type ModelPreset } from '../src/main/model/config';
import { defineGenerator, generatorParamSpecs, type GeneratorBuildOptions } from '../src/main/model/generator';
import { initWeights } from '../src/main/model/init';
import { presetStats } from '../src/main/model/stats';
import { createSession, runSession } from '../src/main/infer/ort-session';
import { Rng } from '../src/shared/random';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

async function msPerFrame(preset: ModelPreset, batch: number, options: GeneratorBuildOptions): Promise<number> {
  const cfg = preset.generator;
  const graph = new G.Graph('bench');
  const out = defineGenerator(graph, cfg, '', options).apply(graph.input('image', 'float32', ['N', 3, cfg.imageSize, cfg.imageSize]), graph.input('aus', 'float32', ['N', 17]));
  graph.output('composite', out.composite);
  graph.output('attention', out.attention);
  graph.output('color', out.color);
  const session = await createSession(G.toOnnx(graph, { params: initWeights(generatorParamSpecs(cfg), 1) }));
  const rng = new Rng(2);
  const plane = 3 * cfg.imageSize * cfg.imageSize;
  const feeds = {
    image: { data: Float32Array.from({ length: batch * plane }, () => rng.uniform(-1, 1)), dims: [batch, 3, cfg.imageSize, cfg.imageSize] },
    aus: { data: Float32Array.from({ length: batch * 17 }, () => rng.next()), dims: [batch, 17] },
  };
  for (let i = 0; i < 2; i++) await runSession(session, feeds);
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    await runSession(session, feeds);
    times.push(performance.now() - t0);
  }
  await session.release();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] / batch;
}

async function main(): Promise<void> {
  console.log(`Generator inference, onnxruntime-node CPU (${os.cpus().length} cores, default session options), median of ${REPEATS}, ms per frame`);
  console.log('| preset | instance norm | batch 1 ms/frame | batch 8 ms/frame | GFLOP/s at batch 1 | GFLOP/s at batch 8 |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const preset of [PRESETS.paper, PRESETS.light]) {
    const gflop = presetStats(preset).generatorGflops;
    for (const instanceNorm of ['primitives', 'kernel'] as const) {
      const b1 = await msPerFrame(preset, 1, { instanceNorm });
      const b8 = await msPerFrame(preset, 8, { instanceNorm });
      console.log(`| ${preset.name} | ${instanceNorm} | ${b1.toFixed(1)} | ${b8.toFixed(1)} | ${(gflop / (b1 / 1000)).toFixed(0)} | ${(gflop / (b8 / 1000)).toFixed(0)} |`);
    }
  }
  console.log('Reference on this machine class: the PyTorch-exported paper generator, 155 ms/frame at batch 1 (about 135 GFLOP/s).');
}

void main();
