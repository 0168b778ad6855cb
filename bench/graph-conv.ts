// Benchmark of the compiled Conv forward and its gradient patterns (input gradient as
// ConvTranspose, weight gradient as im2col + Gemm) on onnxruntime-node CPU. Prints a table.
import os from 'node:os';
import { backward, Graph, conv, type Value } from '../src/main/graph';
import { toOnnx } from '../src/main/graph/to-onnx';
import type { HostTensor } from '../src/main/infer/ort-session';
import { medianRunMs } from './session-timing';
import { randomArray, seededRandom } from '../src/main/graph/gradcheck';

const BATCH = 4;
const CHANNELS = 256;
const SIZE = 32;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 15);

type Part = 'forward' | 'input gradient' | 'weight gradient' | 'whole backward';

function build(part: Part): Graph {
  const g = new Graph(part);
  const x = g.input('x', 'float32', [BATCH, CHANNELS, SIZE, SIZE]);
  const w = g.input('w', 'float32', [CHANNELS, CHANNELS, 3, 3]);
  const y = conv(x, w, null, { pads: [1, 1, 1, 1] });
  if (part === 'forward') {
    g.output('y', y);
    return g;
  }
  const gy = g.input('gy', 'float32', [BATCH, CHANNELS, SIZE, SIZE]);
  const wrt: Value[] = part === 'input gradient' ? [x] : part === 'weight gradient' ? [w] : [x, w];
  backward(y, wrt, { seed: gy }).forEach((grad, i) => g.output(`grad${i}`, grad));
  return g;
}

const timeMs = (part: Part, feeds: Record<string, HostTensor>): Promise<number> => medianRunMs(toOnnx(build(part), { params: 'inputs' }), feeds, { warmups: 3, repeats: REPEATS });

async function main(): Promise<void> {
  const rand = seededRandom(1);
  const act = [BATCH, CHANNELS, SIZE, SIZE];
  const feeds: Record<string, HostTensor> = {
    x: { data: randomArray('float32', BATCH * CHANNELS * SIZE * SIZE, () => rand(-1, 1)), dims: act },
    w: { data: randomArray('float32', CHANNELS * CHANNELS * 9, () => rand(-0.05, 0.05)), dims: [CHANNELS, CHANNELS, 3, 3] },
    gy: { data: randomArray('float32', BATCH * CHANNELS * SIZE * SIZE, () => rand(-1, 1)), dims: act },
  };
  console.log(`Conv ${CHANNELS}->${CHANNELS} 3x3 pad 1 at ${SIZE}x${SIZE}, batch ${BATCH}; onnxruntime-node CPU, ${os.cpus().length} cores; median of ${REPEATS}`);
  const parts: Part[] = ['forward', 'input gradient', 'weight gradient', 'whole backward'];
  const results: Record<string, number> = {};
  for (const part of parts) results[part] = await timeMs(part, feeds);
  const gflop = (2 * BATCH * CHANNELS * CHANNELS * 9 * SIZE * SIZE) / 1e9;
  console.log('| part | ms | x forward | GFLOP/s |');
  console.log('|---|---:|---:|---:|');
  for (const part of parts) {
    const flops = part === 'whole backward' ? 2 * gflop : gflop;
    console.log(`| ${part} | ${results[part].toFixed(1)} | ${(results[part] / results.forward).toFixed(2)} | ${(flops / (results[part] / 1000)).toFixed(0)} |`);
  }
  const backwardRatio = results['whole backward'] / results.forward;
  console.log(`whole backward / forward = ${backwardRatio.toFixed(2)} (goal <= 2.5)`);
}

void main();
