// The conv weight gradient's ways (im2col, per-tap Gemms, one Conv over swapped axes, dy shifted per tap) give
// the same numbers on onnxruntime whichever the size limit picks, including strided, dilated and
// asymmetrically padded kernels; the stride-1 input gradient (a Conv with the flipped kernel)
// equals ConvTranspose, the direct definition, on a non-square kernel; Sign passes no gradient.
import { describe, expect, it } from 'vitest';
import { backward } from './autodiff';
import { compile, randomArray, seededRandom } from './gradcheck';
import { autoWeightGradPattern, type WeightGradPattern } from './emission';
import { convWeightGrad } from './grad-rules-nn';
import { Graph } from './ir';
import * as E from './ops-elementwise';
import * as N from './ops-nn';
import * as S from './ops-shape';

const cases: [string, number[], number[], N.ConvOptions][] = [
  ['3x3 stride 1 pad 1', [2, 3, 6, 6], [4, 3, 3, 3], { pads: [1, 1, 1, 1] }],
  ['4x4 stride 2 pad 1', [2, 3, 8, 8], [4, 3, 4, 4], { strides: [2, 2], pads: [1, 1, 1, 1] }],
  ['3x3 stride 2 odd size asymmetric pad', [1, 2, 7, 6], [3, 2, 3, 3], { strides: [2, 2], pads: [1, 0, 0, 1] }],
  ['3x3 dilation 2', [1, 2, 9, 9], [2, 2, 3, 3], { dilations: [2, 2], pads: [2, 2, 2, 2] }],
  ['2x3 kernel stride 1 asymmetric pad', [2, 2, 5, 7], [3, 2, 2, 3], { pads: [1, 0, 0, 2] }],
];

describe('conv weight gradient', () => {
  for (const [name, xs, ws, options] of cases) {
    it(`im2col, per-tap Gemms and Conv agree: ${name}`, async () => {
      const g = new Graph('weight-grad');
      const x = g.input('x', 'float32', xs);
      const conv = N.conv(x, g.input('w', 'float32', ws), null, options);
      const dy = g.input('dy', 'float32', conv.shape);
      const p = N.convParams(g.nodes.find((n) => n.op === 'Conv')!);
      const opsOf = (pattern: WeightGradPattern) => {
        const before = g.nodes.length;
        g.output(pattern, convWeightGrad(x, dy, p, pattern));
        return g.nodes.slice(before).map((n) => n.op);
      };
      const [im2col, perTap, byConv, outputTaps] = [opsOf('im2col'), opsOf('per-tap'), opsOf('conv'), opsOf('output-taps')];
      // Shifted copies of dy and one Gemm; a strided conv forced to it falls back to the size rule.
      if ((options.strides ?? [1, 1]).every((st) => st === 1)) expect(outputTaps.filter((op) => op === 'Gemm')).toHaveLength(1);
      // Each takes its own way: one Gemm, one per tap, or a Conv.
      expect(im2col.filter((op) => op === 'Gemm')).toHaveLength(1);
      expect(perTap.filter((op) => op === 'Gemm')).toHaveLength(ws[2] * ws[3]);
      expect(im2col).not.toContain('Conv');
      expect(byConv).toContain('Conv');
      const rand = seededRandom(3);
      const size = (shape: readonly (number | string)[]) => shape.reduce<number>((a, d) => a * (d as number), 1);
      const run = await compile(g);
      const out = await run({
        x: { data: randomArray('float32', size(xs), () => rand(-1, 1)), dims: xs },
        w: { data: randomArray('float32', size(ws), () => rand(-1, 1)), dims: ws },
        dy: { data: randomArray('float32', size(conv.shape), () => rand(-1, 1)), dims: conv.shape as number[] },
      });
      const a = out.im2col.data as Float32Array;
      expect(Math.max(...a.map((v) => Math.abs(v)))).toBeGreaterThan(0.1);
      for (const other of ['per-tap', 'conv', 'output-taps']) {
        expect(out[other].dims, other).toEqual(ws);
        expect(Math.max(...(out[other].data as Float32Array).map((v, i) => Math.abs(v - a[i]))), other).toBeLessThan(1e-4);
      }
      expect(out.im2col.dims).toEqual(ws);
    });
  }
});

describe('autoWeightGradPattern', () => {
  it('picks the pattern measured fastest for the benchmark shapes (batch 4)', () => {
    const pick = (inC: number, outC: number, k: number, size: number) => autoWeightGradPattern(inC * k * k * 4 * size * size, inC * 4 * size * size, outC);
    expect(pick(256, 256, 3, 32)).toBe('im2col');
    expect(pick(64, 64, 3, 128)).toBe('im2col');
    expect(pick(20, 64, 7, 128)).toBe('im2col');
    expect(pick(32, 3, 7, 96)).toBe('per-tap');
    expect(pick(64, 4, 7, 128)).toBe('conv');
  });
});

describe('stride-1 conv input gradient', () => {
  it('equals ConvTranspose(dy, w) for a 2x3 kernel with dilation and asymmetric pads', async () => {
    const options: N.ConvOptions = { dilations: [1, 2], pads: [1, 2, 0, 1] };
    const [xs, ws] = [[2, 3, 5, 7], [4, 3, 2, 3]];
    const g = new Graph('input-grad');
    const x = g.input('x', 'float32', xs);
    const w = g.input('w', 'float32', ws);
    const y = N.conv(x, w, null, options);
    const dy = g.input('dy', 'float32', y.shape);
    const before = g.nodes.length;
    const [dx] = backward(y, [x], { seed: dy });
    expect(g.nodes.slice(before).map((n) => n.op)).not.toContain('ConvTranspose');
    g.output('dx', dx);
    g.output('direct', N.convTranspose(dy, w, null, options));
    const rand = seededRandom(5);
    const feed = (shape: number[]) => ({ data: randomArray('float32', shape.reduce((a, d) => a * d), () => rand(-1, 1)), dims: shape });
    const out = await (await compile(g))({ x: feed(xs), w: feed(ws), dy: feed(y.shape as number[]) });
    const [a, b] = [out.dx.data as Float32Array, out.direct.data as Float32Array];
    expect(out.dx.dims).toEqual(xs);
    expect(out.direct.dims).toEqual(xs);
    expect(Math.max(...a.map((v) => Math.abs(v)))).toBeGreaterThan(0.1);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(1e-5);
  });
});

describe('Sign', () => {
  it('is a constant to backward: d/dx (sign(x) * x) is sign(x), through the product only', async () => {
    const g = new Graph('sign');
    const x = g.input('x', 'float64', [4]);
    const [dx] = backward(S.reduceSum(E.mul(E.sign(x), x)), [x]);
    g.output('dx', dx);
    const out = await (await compile(g))({ x: { data: Float64Array.from([-2, -0.5, 0.5, 3]), dims: [4] } });
    expect(Array.from(out.dx.data as Float64Array)).toEqual([-1, -1, 1, 1]);
  });
});
