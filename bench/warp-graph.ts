// Benchmark of the training-graph warp (GatherElements forward, ScatterElements-add backward) on
// onnxruntime-node CPU at batch 4, RGB, 96 and 128 px, with a random bilinear table per sample.
import os from 'node:os';
import { backward, Graph } from '../src/main/graph';
import { toOnnx } from '../src/main/graph/to-onnx';
import type { HostTensor } from '../src/main/infer/ort-session';
import { medianRunMs } from './session-timing';
import { randomArray, seededRandom } from '../src/main/graph/gradcheck';
import { WARP_TAPS, warpImage } from '../src/main/model/warp-graph';

const BATCH = 4;
const CHANNELS = 3;
const SIZES = [96, 128];
const REPEATS = Number(process.env.BENCH_REPEATS ?? 50);

type Part = 'forward' | 'image gradient' | 'forward + image gradient';

function build(part: Part, size: number): Graph {
  const g = new Graph(part);
  const taps = WARP_TAPS * size * size;
  const image = g.input('image', 'float32', ['N', CHANNELS, size, size]);
  const out = warpImage(image, g.input('index', 'int64', ['N', 1, taps]), g.input('weight', 'float32', ['N', 1, taps]));
  if (part !== 'image gradient') g.output('out', out);
  if (part === 'forward') return g;
  const gy = g.input('gy', 'float32', ['N', CHANNELS, size, size]);
  g.output('grad', backward(out, [image], { seed: gy })[0]);
  return g;
}

/** A table like a mild face warp: each pixel samples near itself (within 3 px), so neighbours share sources. */
function feedsFor(size: number): Record<string, HostTensor> {
  const rand = seededRandom(size);
  const taps = WARP_TAPS * size * size;
  const index = new BigInt64Array(BATCH * taps);
  const weight = new Float32Array(BATCH * taps);
  const clamp = (v: number) => Math.min(Math.max(v, 0), size - 1);
  for (let n = 0; n < BATCH; n++) {
    for (let p = 0; p < size * size; p++) {
      const sx = (p % size) + rand(-3, 3);
      const sy = Math.floor(p / size) + rand(-3, 3);
      const [x0, y0] = [Math.floor(sx), Math.floor(sy)];
      const [fx, fy] = [sx - x0, sy - y0];
      const corners = [
        [x0, y0, (1 - fx) * (1 - fy)],
        [x0 + 1, y0, fx * (1 - fy)],
        [x0, y0 + 1, (1 - fx) * fy],
        [x0 + 1, y0 + 1, fx * fy],
      ];
      corners.forEach(([x, y, w], k) => {
        index[n * taps + WARP_TAPS * p + k] = BigInt(clamp(y) * size + clamp(x));
        weight[n * taps + WARP_TAPS * p + k] = w;
      });
    }
  }
  const imageDims = [BATCH, CHANNELS, size, size];
  const count = BATCH * CHANNELS * size * size;
  return {
    image: { data: randomArray('float32', count, () => rand(-1, 1)), dims: imageDims },
    gy: { data: randomArray('float32', count, () => rand(-1, 1)), dims: imageDims },
    index: { data: index, dims: [BATCH, 1, taps] },
    weight: { data: weight, dims: [BATCH, 1, taps] },
  };
}

const timeMs = (part: Part, size: number, feeds: Record<string, HostTensor>): Promise<number> =>
  medianRunMs(toOnnx(build(part, size), { params: 'inputs' }), feeds, { warmups: 5, repeats: REPEATS, session: { memoryPattern: false } });

async function main(): Promise<void> {
  console.log(`warpImage, batch ${BATCH}, ${CHANNELS} channels; onnxruntime-node CPU, ${os.cpus().length} cores; median of ${REPEATS} ms`);
  const parts: Part[] = ['forward', 'image gradient', 'forward + image gradient'];
  console.log(`| size | ${parts.join(' | ')} |`);
  console.log(`|---|${parts.map(() => '---:').join('|')}|`);
  for (const size of SIZES) {
    const feeds = feedsFor(size);
    const row: string[] = [];
    for (const part of parts) row.push((await timeMs(part, size, feeds)).toFixed(2));
    console.log(`| ${size} | ${row.join(' | ')} |`);
  }
}

void main();
