// warpImage against a plain-JS bilinear warp, bit for bit on the identity table, with tables fed
// as batch inputs; its gradients by finite differences through onnxruntime.
import { describe, expect, it } from 'vitest';
import * as G from '../graph';
import { compile, gradCheck, randomArray, seededRandom } from '../graph/gradcheck';
import { WARP_TAPS, warpImage } from './warp-graph';

interface Table {
  readonly index: BigInt64Array;
  readonly weight: Float64Array;
}

/** A random bilinear table per sample: each output pixel reads a random point of the image (edges clamped). */
function randomTable(batch: number, height: number, width: number, seed: number): Table {
  const rand = seededRandom(seed);
  const taps = WARP_TAPS * height * width;
  const index = new BigInt64Array(batch * taps);
  const weight = new Float64Array(batch * taps);
  for (let n = 0; n < batch; n++) {
    for (let p = 0; p < height * width; p++) {
      const [sx, sy] = [rand(-0.5, width - 0.5), rand(-0.5, height - 0.5)];
      const [x0, y0] = [Math.floor(sx), Math.floor(sy)];
      const [fx, fy] = [sx - x0, sy - y0];
      const clampX = (x: number) => Math.min(Math.max(x, 0), width - 1);
      const clampY = (y: number) => Math.min(Math.max(y, 0), height - 1);
      const corners: [number, number, number][] = [
        [x0, y0, (1 - fx) * (1 - fy)],
        [x0 + 1, y0, fx * (1 - fy)],
        [x0, y0 + 1, (1 - fx) * fy],
        [x0 + 1, y0 + 1, fx * fy],
      ];
      corners.forEach(([x, y, w], k) => {
        const at = n * taps + WARP_TAPS * p + k;
        index[at] = BigInt(clampY(y) * width + clampX(x));
        weight[at] = w;
      });
    }
  }
  return { index, weight };
}

/** out[n, c, p] = sum over k of weight[n, 4p+k] * image[n, c, index[n, 4p+k]], in float64. */
function referenceWarp(image: ArrayLike<number>, [batch, channels, height, width]: number[], table: Table): Float64Array {
  const pixels = height * width;
  const out = new Float64Array(batch * channels * pixels);
  for (let n = 0; n < batch; n++)
    for (let c = 0; c < channels; c++)
      for (let p = 0; p < pixels; p++) {
        let acc = 0;
        for (let k = 0; k < WARP_TAPS; k++) {
          const at = n * WARP_TAPS * pixels + WARP_TAPS * p + k;
          acc += table.weight[at] * image[(n * channels + c) * pixels + Number(table.index[at])];
        }
        out[(n * channels + c) * pixels + p] = acc;
      }
  return out;
}

async function runWarp(dims: number[], image: Float32Array, table: Table): Promise<Float32Array> {
  const [batch, channels, height, width] = dims;
  const g = new G.Graph('warp');
  const taps = WARP_TAPS * height * width;
  const out = warpImage(
    g.input('image', 'float32', ['N', channels, height, width]),
    g.input('index', 'int64', ['N', 1, taps]),
    g.input('weight', 'float32', ['N', 1, taps]),
  );
  expect(out.shape).toEqual(['N', channels, height, width]);
  g.output('out', out);
  const result = await (await compile(g))({
    image: { data: image, dims },
    index: { data: table.index, dims: [batch, 1, taps] },
    weight: { data: Float32Array.from(table.weight), dims: [batch, 1, taps] },
  });
  expect(result.out.dims).toEqual(dims);
  return result.out.data as Float32Array;
}

describe('warpImage forward', () => {
  for (const dims of [
    [2, 3, 6, 6],
    [3, 2, 5, 7],
  ]) {
    it(`matches a plain-JS bilinear warp with a different table per sample, ${dims.join('x')}`, async () => {
      const image = randomArray('float32', dims.reduce((a, b) => a * b), seededRandom(4)) as Float32Array;
      const table = randomTable(dims[0], dims[2], dims[3], 21);
      const got = await runWarp(dims, image, table);
      const want = referenceWarp(image, dims, table);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      expect(worst).toBeLessThan(1e-6);
      // Samples really differ: warping sample 1 with sample 0's table would give another image.
      expect(Array.from(table.index.subarray(0, 8))).not.toEqual(Array.from(table.index.subarray(WARP_TAPS * dims[2] * dims[3], WARP_TAPS * dims[2] * dims[3] + 8)));
    });
  }

  it('is the identity bit for bit on the identity table', async () => {
    const dims = [2, 3, 4, 5];
    const taps = WARP_TAPS * 20;
    const index = new BigInt64Array(2 * taps);
    const weight = new Float64Array(2 * taps);
    for (let i = 0; i < index.length; i++) {
      index[i] = BigInt(Math.floor((i % taps) / WARP_TAPS));
      weight[i] = i % WARP_TAPS === 0 ? 1 : 0;
    }
    const image = randomArray('float32', 120, seededRandom(8)) as Float32Array;
    expect(Array.from(await runWarp(dims, image, { index, weight }))).toEqual(Array.from(image));
  });

  it('refuses tables that do not fit the image', () => {
    const g = new G.Graph();
    const image = g.input('image', 'float32', ['N', 3, 4, 4]);
    const weight = g.input('weight', 'float32', ['N', 1, 64]);
    expect(() => warpImage(image, g.input('i1', 'int64', ['N', 1, 16]), weight)).toThrow(/index and weight must be \[N, 1, 64\]/);
    expect(() => warpImage(image, g.input('i2', 'float32', ['N', 1, 64]), weight)).toThrow(/index must be int64/);
    expect(() => warpImage(image, g.input('i3', 'int64', ['N', 1, 64]), g.input('w2', 'float64', ['N', 1, 64]))).toThrow(/image's dtype/);
    expect(() => warpImage(image, g.input('i4', 'int64', ['M', 1, 64]), weight)).toThrow(G.GraphError);
  });
});

describe('warpImage gradients', () => {
  const dims = [2, 2, 5, 5];
  const table = randomTable(dims[0], dims[2], dims[3], 33);
  const taps = WARP_TAPS * dims[2] * dims[3];
  it('with respect to the image and the weights match finite differences (float64)', async () => {
    const result = await gradCheck({
      dtype: 'float64',
      samples: 20,
      inputs: [
        { name: 'image', shape: dims },
        { name: 'weight', shape: [dims[0], 1, taps], lo: 0, hi: 1 },
      ],
      build: (g, [image, weight]) => warpImage(image, g.constant(table.index, [dims[0], 1, taps], 'int64'), weight),
    });
    expect(result.checked).toBe(40);
    expect(result.worstError).toBeLessThan(1e-6);
  });
  it('with respect to the image through a nonlinearity, in float32 as training runs', async () => {
    const result = await gradCheck({
      dtype: 'float32',
      samples: 12,
      inputs: [{ name: 'image', shape: dims }],
      build: (g, [image]) =>
        G.tanh(warpImage(image, g.constant(table.index, [dims[0], 1, taps], 'int64'), g.constant(Float32Array.from(table.weight), [dims[0], 1, taps], 'float32'))),
    });
    expect(result.worstError).toBeLessThan(2e-2);
  });
});
