// Every op's gradient rule against central finite differences run through onnxruntime,
// plus a double-backward case (the gradient of a gradient norm, as WGAN-GP needs).
import { describe, expect, it } from 'vitest';
import { gradCheck, type GradCheckCase } from './gradcheck';
import { backward } from './autodiff';
import { Graph } from './ir';
import * as E from './ops-elementwise';
import * as N from './ops-nn';
import * as S from './ops-shape';

/** float64 where onnxruntime's CPU kernels take doubles; float32 for the conv family. */
const F64 = 'float64' as const;
const F32 = 'float32' as const;
const TOL = { float64: 1e-6, float32: 2e-2 };

async function expectGradOk(c: GradCheckCase): Promise<void> {
  const result = await gradCheck(c);
  expect(result.checked).toBeGreaterThan(0);
  expect(result.worstError).toBeLessThan(TOL[c.dtype as 'float64' | 'float32']);
}

const x = (shape: number[], extra: Partial<GradCheckCase['inputs'][number]> = {}) => ({ name: 'x', shape, ...extra });
const y = (shape: number[], extra: Partial<GradCheckCase['inputs'][number]> = {}) => ({ name: 'y', shape, ...extra });

describe('elementwise gradients (float64)', () => {
  const unary: [string, (v: ReturnType<Graph['input']>) => ReturnType<Graph['input']>, number?, number?][] = [
    ['Neg', E.neg],
    ['Abs', E.abs],
    ['Sqrt', E.sqrt, 0.2, 2],
    ['Exp', E.exp],
    ['Log', E.log, 0.2, 2],
    ['Tanh', E.tanh],
    ['Sigmoid', E.sigmoid],
    ['Relu', E.relu],
    ['Identity', E.identity],
    ['Clip', (v) => E.clip(v, -0.5, 0.4)],
  ];
  for (const [name, f, lo, hi] of unary) {
    it(name, () => expectGradOk({ dtype: F64, inputs: [x([3, 4], { lo, hi })], build: (_g, [a]) => f(a) }));
  }
  it('Cast', () =>
    expectGradOk({ dtype: F32, inputs: [x([3, 4])], build: (_g, [a]) => E.cast(E.exp(E.cast(a, 'float64')), 'float32') }));
  it('LeakyRelu (float32 kernel)', () =>
    expectGradOk({ dtype: F32, inputs: [x([3, 5])], build: (_g, [a]) => E.leakyRelu(a, 0.2) }));

  const binary: [string, typeof E.add][] = [
    ['Add', E.add],
    ['Sub', E.sub],
    ['Mul', E.mul],
    ['Div', E.div],
  ];
  for (const [name, f] of binary) {
    it(`${name} with broadcasting`, () =>
      expectGradOk({ dtype: F64, inputs: [x([2, 3, 4]), y([3, 1], { lo: 0.5, hi: 1.5 })], build: (_g, [a, b]) => f(a, b) }));
  }
  it('Pow of positive base with tensor exponent', () =>
    expectGradOk({ dtype: F64, inputs: [x([2, 3], { lo: 0.5, hi: 2 }), y([3])], build: (_g, [a, b]) => E.pow(a, b) }));
  it('Pow by a constant', () => expectGradOk({ dtype: F64, inputs: [x([4], { lo: 0.5, hi: 2 })], build: (_g, [a]) => E.pow(a, 3) }));
  it('Sum of three with broadcasting', () =>
    expectGradOk({ dtype: F64, inputs: [x([2, 3]), y([3])], build: (_g, [a, b]) => E.sum([a, b, E.mul(a, b)]) }));
  it('Where', () =>
    expectGradOk({
      dtype: F64,
      inputs: [x([3, 4]), y([4])],
      build: (_g, [a, b]) => E.where(E.greater(a, 0.1), E.mul(a, 2), b),
    }));
  it('fan-out is summed', () =>
    expectGradOk({ dtype: F64, inputs: [x([5])], build: (_g, [a]) => E.mul(E.tanh(a), E.exp(a)) }));
});

describe('shape and reduction gradients (float64)', () => {
  it('ReduceSum keepdims', () => expectGradOk({ dtype: F64, inputs: [x([2, 3, 4])], build: (_g, [a]) => S.reduceSum(a, [1], true) }));
  it('ReduceSum all', () => expectGradOk({ dtype: F64, inputs: [x([2, 3])], build: (_g, [a]) => S.reduceSum(a) }));
  it('ReduceMean', () => expectGradOk({ dtype: F64, inputs: [x([2, 3, 4])], build: (_g, [a]) => S.reduceMean(a, [0, 2]) }));
  it('Reshape', () => expectGradOk({ dtype: F64, inputs: [x([2, 6])], build: (_g, [a]) => E.exp(S.reshape(a, [3, -1])) }));
  it('Transpose', () => expectGradOk({ dtype: F64, inputs: [x([2, 3, 4])], build: (_g, [a]) => S.transpose(a, [2, 0, 1]) }));
  it('Concat', () =>
    expectGradOk({ dtype: F64, inputs: [x([2, 3]), y([2, 2])], build: (_g, [a, b]) => S.concat([a, E.tanh(b), a], 1) }));
  it('Slice', () =>
    expectGradOk({ dtype: F64, inputs: [x([4, 6])], build: (_g, [a]) => S.slice(a, { axes: [1], starts: [1], ends: [5] }) }));
  it('strided Slice', () =>
    expectGradOk({ dtype: F64, inputs: [x([2, 7, 9])], build: (_g, [a]) => S.slice(a, { axes: [1, 2], starts: [1, 0], ends: [7, 8], steps: [2, 3] }) }));
  it('Pad', () => expectGradOk({ dtype: F64, inputs: [x([2, 3])], build: (_g, [a]) => S.pad(a, [1, 0, 0, 2], 0.5) }));
  it('Expand', () => expectGradOk({ dtype: F64, inputs: [x([3, 1]), y([2, 3, 4])], build: (_g, [a, b]) => E.mul(S.expandLike(a, b), b) }));
  it('Squeeze and Unsqueeze', () =>
    expectGradOk({ dtype: F64, inputs: [x([3, 1, 2])], build: (_g, [a]) => S.unsqueeze(E.exp(S.squeeze(a, [1])), [0]) }));
});

describe('network op gradients', () => {
  it('MatMul with batch broadcasting (float64)', () =>
    expectGradOk({ dtype: F64, inputs: [x([2, 3, 4]), y([4, 5])], build: (_g, [a, b]) => N.matmul(a, b) }));
  for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
    it(`Gemm transA=${transA} transB=${transB} (float64)`, () =>
      expectGradOk({
        dtype: F64,
        inputs: [x(transA ? [4, 3] : [3, 4]), y(transB ? [5, 4] : [4, 5])],
        build: (_g, [a, b]) => N.gemm(a, b, { transA, transB, alpha: 0.7 }),
      }));
  }
  const convCases: [string, number[], number[], N.ConvOptions][] = [
    ['3x3 stride 1 pad 1', [2, 3, 6, 6], [4, 3, 3, 3], { pads: [1, 1, 1, 1] }],
    ['4x4 stride 2 pad 1', [2, 3, 8, 8], [4, 3, 4, 4], { strides: [2, 2], pads: [1, 1, 1, 1] }],
    ['7x7 stride 1 pad 3', [1, 2, 9, 9], [3, 2, 7, 7], { pads: [3, 3, 3, 3] }],
    ['3x3 stride 2 odd size asymmetric pad', [1, 2, 7, 6], [3, 2, 3, 3], { strides: [2, 2], pads: [1, 0, 0, 1] }],
    ['3x3 dilation 2', [1, 2, 9, 9], [2, 2, 3, 3], { dilations: [2, 2], pads: [2, 2, 2, 2] }],
  ];
  for (const [name, xs, ws, options] of convCases) {
    it(`Conv ${name}`, () =>
      expectGradOk({
        dtype: F32,
        samples: 8,
        inputs: [x(xs), { name: 'w', shape: ws }, { name: 'b', shape: [ws[0]] }],
        build: (_g, [a, w, b]) => N.conv(a, w, b, options),
      }));
  }
  // Few output pixels and a large kernel: lowered to a gather MatMul and one Gemm (float64 runs there).
  const lowered: N.ConvOptions = { strides: [2, 2], pads: [1, 1, 1, 1] };
  it('Conv lowered to Gemm: 4x4 stride 2 pad 1 on a 4x4 input (float64)', () =>
    expectGradOk({
      dtype: F64,
      samples: 8,
      inputs: [x([2, 64, 4, 4]), { name: 'w', shape: [3, 64, 4, 4] }, { name: 'b', shape: [3] }],
      build: (g, [a, w, b]) => {
        const out = N.conv(a, w, b, lowered);
        expect(g.nodes.some((n) => n.op === 'Conv')).toBe(false);
        return out;
      },
    }));
  it('ConvTranspose 4x4 stride 2 pad 1', () =>
    expectGradOk({
      dtype: F32,
      samples: 8,
      inputs: [x([2, 4, 5, 5]), { name: 'w', shape: [4, 3, 4, 4] }],
      build: (_g, [a, w]) => N.convTranspose(a, w, null, { strides: [2, 2], pads: [1, 1, 1, 1] }),
    }));
  it('InstanceNormalization', () =>
    expectGradOk({
      dtype: F32,
      samples: 10,
      inputs: [x([2, 3, 4, 5]), { name: 's', shape: [3] }, { name: 'b', shape: [3] }],
      build: (_g, [a, s, b]) => E.tanh(N.instanceNorm(a, s, b)),
    }));
});

describe('Conv lowered to Gemm', () => {
  /** Direct definition: y[n, o, oy, ox] = b[o] + sum over c, i, j of w[o, c, i, j] * x[n, c, oy*s + i - pad, ox*s + j - pad]. */
  function naiveConv(xs: Float64Array, [n, c, h, w]: number[], ws: Float64Array, [o, , kh, kw]: number[], b: Float64Array, stride: number, pad: number, [oh, ow]: number[]) {
    const out = new Float64Array(n * o * oh * ow);
    for (let bn = 0; bn < n; bn++)
      for (let oc = 0; oc < o; oc++)
        for (let y = 0; y < oh; y++)
          for (let xo = 0; xo < ow; xo++) {
            let acc = b[oc];
            for (let ic = 0; ic < c; ic++)
              for (let i = 0; i < kh; i++)
                for (let j = 0; j < kw; j++) {
                  const yi = y * stride + i - pad;
                  const xi = xo * stride + j - pad;
                  if (yi >= 0 && yi < h && xi >= 0 && xi < w) acc += ws[((oc * c + ic) * kh + i) * kw + j] * xs[((bn * c + ic) * h + yi) * w + xi];
                }
            out[((bn * o + oc) * oh + y) * ow + xo] = acc;
          }
    return out;
  }
  for (const [name, xs, ws, stride, pad] of [
    ['4x4 stride 2 pad 1, 4x4 -> 2x2', [3, 64, 4, 4], [5, 64, 4, 4], 2, 1],
    ['3x3 stride 1 pad 1, 2x2 -> 2x2', [2, 128, 2, 2], [1, 128, 3, 3], 1, 1],
    ['2x2 no pad, 2x2 -> 1x1', [2, 256, 2, 2], [17, 256, 2, 2], 1, 0],
  ] as [string, number[], number[], number, number][]) {
    it(`matches the direct definition: ${name}`, async () => {
      const { compile, seededRandom, randomArray } = await import('./gradcheck');
      const g = new Graph('lowered');
      const [a, w, b] = [g.input('x', F64, xs), g.input('w', F64, ws), g.input('b', F64, [ws[0]])];
      const out = N.conv(a, w, b, { strides: [stride, stride], pads: [pad, pad, pad, pad] });
      expect(g.nodes.some((n) => n.op === 'Conv')).toBe(false);
      g.output('y', out);
      const rand = seededRandom(3);
      const feeds = { x: { data: randomArray(F64, xs.reduce((p, q) => p * q), rand), dims: xs }, w: { data: randomArray(F64, ws.reduce((p, q) => p * q), rand), dims: ws }, b: { data: randomArray(F64, ws[0], rand), dims: [ws[0]] } };
      const got = (await (await compile(g))(feeds)).y.data as Float64Array;
      const want = naiveConv(feeds.x.data as Float64Array, xs, feeds.w.data as Float64Array, ws, feeds.b.data as Float64Array, stride, pad, out.shape.slice(2) as number[]);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 10);
    });
  }
});

describe('double backward', () => {
  it('gradient of a gradient-norm penalty through Conv, LeakyRelu and Tanh', () =>
    expectGradOk({
      dtype: F32,
      samples: 8,
      step: 1e-3,
      inputs: [x([2, 2, 6, 6], { noGrad: true }), { name: 'w1', shape: [3, 2, 3, 3] }, { name: 'w2', shape: [1, 3, 4, 4] }],
      build: (_g, [img, w1, w2]) => {
        const h = E.leakyRelu(N.conv(img, w1, null, { pads: [1, 1, 1, 1] }), 0.01);
        const critic = S.reduceSum(E.tanh(N.conv(h, w2, null, { strides: [2, 2], pads: [1, 1, 1, 1] })));
        const [dImg] = backward(critic, [img]);
        const norm = E.sqrt(S.reduceSum(E.mul(dImg, dImg), [1, 2, 3]));
        return E.mul(E.sub(norm, 1), E.sub(norm, 1));
      },
    }));
  it('gradient of a gradient-norm penalty through a Conv lowered to Gemm (float64)', () =>
    expectGradOk({
      dtype: F64,
      samples: 8,
      inputs: [x([2, 64, 4, 4], { noGrad: true }), { name: 'w', shape: [2, 64, 4, 4] }],
      build: (_g, [img, w]) => {
        const critic = S.reduceSum(E.tanh(N.conv(img, w, null, { strides: [2, 2], pads: [1, 1, 1, 1] })));
        const [dImg] = backward(critic, [img]);
        const norm = E.sqrt(S.reduceSum(E.mul(dImg, dImg), [1, 2, 3]));
        return E.mul(E.sub(norm, 1), E.sub(norm, 1));
      },
    }));
  it('second derivative of a scalar function (float64)', () =>
    expectGradOk({
      dtype: F64,
      inputs: [x([4], { lo: 0.3, hi: 1.5 })],
      build: (_g, [a]) => {
        const f = S.reduceSum(E.mul(E.exp(a), E.log(a)));
        return backward(f, [a])[0];
      },
    }));
});

describe('autodiff contract', () => {
  it('gives zeros for targets that do not reach the loss', async () => {
    const { compile } = await import('./gradcheck');
    const g = new Graph();
    const a = g.input('a', F32, [2]);
    const unused = g.input('u', F32, ['N', 3]);
    const loss = S.reduceSum(E.mul(a, a));
    const [, du] = backward(loss, [a, unused]);
    g.output('du', du);
    g.output('loss', loss);
    const run = await compile(g);
    const out = await run({ a: { data: new Float32Array([1, 2]), dims: [2] }, u: { data: new Float32Array(6), dims: [2, 3] } });
    expect(Array.from(out.du.data as Float32Array)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(out.du.dims).toEqual([2, 3]);
  });
  it('names the op that has no gradient rule', () => {
    const g = new Graph();
    const a = g.input('a', F32, [2]);
    const [odd] = g.addNode('Softplus', [a], {}, [{ dtype: F32, shape: [2] }]);
    expect(() => backward(S.reduceSum(odd), [a])).toThrow(/no gradient rule for op Softplus/);
  });
  it('refuses a non-scalar loss without a seed', () => {
    const g = new Graph();
    const a = g.input('a', F32, [2]);
    expect(() => backward(E.mul(a, a), [a])).toThrow(/not a scalar/);
  });
});
