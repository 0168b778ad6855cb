// GatherElements and ScatterElements(add): forward against plain loops on onnxruntime, shape and
// dtype checks, their gradient rules by finite differences, and second order through both.
import { describe, expect, it } from 'vitest';
import { backward, hasGradRule } from './autodiff';
import { compile, gradCheck, randomArray, seededRandom, type GradCheckCase } from './gradcheck';
import { Graph, GraphError, numel, type Value } from './ir';
import * as E from './ops-elementwise';
import { gatherElements, scatterElementsAdd } from './ops-gather';
import * as S from './ops-shape';

const F64 = 'float64' as const;
const F32 = 'float32' as const;

/** Deterministic indices in [0, size) with every value repeated (duplicates are the point). */
function indicesWithRepeats(count: number, size: number, seed: number): number[] {
  const rand = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => (i % 3 === 2 ? Math.floor(rand(0, size)) : Math.floor(i / 3) % size));
}

const intConst = (g: Graph, values: number[], shape: number[]): Value =>
  g.constant(BigInt64Array.from(values.map(BigInt)), shape, 'int64');

/** Row-major strides of a shape. */
const stridesOf = (shape: number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/** The flat position in `shape` of the multi-index of flat position `flat` in `like`, with the axis coordinate replaced. */
function retarget(flat: number, like: number[], shape: number[], axis: number, coord: number): number {
  const likeStrides = stridesOf(like);
  const strides = stridesOf(shape);
  let out = 0;
  like.forEach((_, d) => {
    const c = d === axis ? coord : Math.floor(flat / likeStrides[d]) % like[d];
    out += c * strides[d];
  });
  return out;
}

async function expectGradOk(c: GradCheckCase, tolerance = 1e-6): Promise<void> {
  const result = await gradCheck(c);
  expect(result.checked).toBeGreaterThan(0);
  expect(result.worstError).toBeLessThan(tolerance);
}

describe('GatherElements and ScatterElements(add) forward', () => {
  const dataShape = [2, 3, 5];
  for (const [axis, indexShape] of [
    [2, [2, 3, 7]],
    [1, [2, 4, 5]],
    [0, [3, 2, 4]],
    [-1, [1, 2, 9]],
  ] as [number, number[]][]) {
    it(`gather on axis ${axis} with indices ${indexShape.join('x')} matches a loop`, async () => {
      const a = (axis + 3) % 3;
      const idx = indicesWithRepeats(numel(indexShape), dataShape[a], 11 + a);
      const g = new Graph();
      const data = g.input('data', F64, dataShape);
      const out = gatherElements(data, intConst(g, idx, indexShape), axis);
      expect(out.shape).toEqual(indexShape);
      g.output('out', out);
      const values = randomArray(F64, numel(dataShape), seededRandom(3));
      const got = (await (await compile(g))({ data: { data: values, dims: dataShape } })).out.data as Float64Array;
      const want = idx.map((k, i) => values[retarget(i, indexShape, dataShape, a, k)]);
      expect(Array.from(got)).toEqual(want);
    });
  }

  it('scatter-add sums duplicate indices into a copy of the data', async () => {
    const indexShape = [2, 3, 12];
    const idx = indicesWithRepeats(numel(indexShape), dataShape[2], 5);
    const g = new Graph();
    const data = g.input('data', F64, dataShape);
    const updates = g.input('updates', F64, indexShape);
    g.output('out', scatterElementsAdd(data, intConst(g, idx, indexShape), updates, 2));
    const rand = seededRandom(9);
    const base = randomArray(F64, numel(dataShape), rand);
    const ups = randomArray(F64, numel(indexShape), rand);
    const feeds = { data: { data: base, dims: dataShape }, updates: { data: ups, dims: indexShape } };
    const got = (await (await compile(g))(feeds)).out.data as Float64Array;
    const want = Float64Array.from(base);
    idx.forEach((k, i) => (want[retarget(i, indexShape, dataShape, 2, k)] += ups[i]));
    expect(new Set(idx).size).toBeLessThan(idx.length);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 12);
  });

  it('runs with a symbolic batch and int64 indices fed at run time', async () => {
    const g = new Graph();
    const data = g.input('data', F32, ['N', 2, 4]);
    const index = g.input('index', 'int64', ['N', 2, 6]);
    const out = gatherElements(data, index, 2);
    expect(out.shape).toEqual(['N', 2, 6]);
    g.output('out', out);
    const idx = indicesWithRepeats(3 * 12, 4, 2);
    const values = Float32Array.from({ length: 24 }, (_, i) => i);
    const result = await (await compile(g))({
      data: { data: values, dims: [3, 2, 4] },
      index: { data: BigInt64Array.from(idx.map(BigInt)), dims: [3, 2, 6] },
    });
    expect(result.out.dims).toEqual([3, 2, 6]);
    expect(Array.from(result.out.data as Float32Array)).toEqual(idx.map((k, i) => Math.floor(i / 6) * 4 + k));
  });
});

describe('GatherElements and ScatterElements shape and dtype checks', () => {
  const g = new Graph();
  const data = g.input('data', F32, [2, 3, 5]);
  it('refuses indices that are not int64', () => {
    const fidx = g.input('fidx', F32, [2, 3, 5]);
    expect(() => gatherElements(data, fidx, 2)).toThrow(/must be int64/);
  });
  it('refuses indices of another rank or larger off the axis', () => {
    expect(() => gatherElements(data, intConst(g, [0, 1], [2]), 0)).toThrow(/same rank/);
    expect(() => gatherElements(data, intConst(g, new Array(40).fill(0), [2, 4, 5]), 2)).toThrow(/exceed data/);
  });
  it('refuses an axis out of range', () => {
    expect(() => gatherElements(data, intConst(g, new Array(30).fill(0), [2, 3, 5]), 3)).toThrow(GraphError);
  });
  it('refuses updates whose shape or dtype differ from the indices and data', () => {
    const idx = intConst(g, new Array(12).fill(0), [2, 3, 2]);
    expect(() => scatterElementsAdd(data, idx, g.input('u1', F32, [2, 3, 3]), 2)).toThrow(/updates/);
    expect(() => scatterElementsAdd(data, idx, g.input('u2', F64, [2, 3, 2]), 2)).toThrow(/updates are float64/);
  });
  it('has gradient rules for both, and none for a plain (overwriting) scatter', () => {
    expect(hasGradRule('GatherElements') && hasGradRule('ScatterElements')).toBe(true);
    const g2 = new Graph();
    const d = g2.input('d', F32, [4]);
    const [plain] = g2.addNode('ScatterElements', [d, intConst(g2, [1], [1]), S.slice(d, { axes: [0], starts: [0], ends: [1] })], { axis: 0 }, [{ dtype: F32, shape: [4] }]);
    expect(() => backward(S.reduceSum(plain), [d])).toThrow(/reduction none/);
  });
});

describe('GatherElements and ScatterElements(add) gradients (float64)', () => {
  it('gather along the last axis with repeated indices', () =>
    expectGradOk({
      dtype: F64,
      samples: 12,
      inputs: [{ name: 'x', shape: [2, 3, 5] }],
      build: (g, [x]) => gatherElements(x, intConst(g, indicesWithRepeats(2 * 3 * 8, 5, 1), [2, 3, 8]), 2),
    }));
  it('gather along axis 0 with fewer indices than data', () =>
    expectGradOk({
      dtype: F64,
      samples: 12,
      inputs: [{ name: 'x', shape: [4, 3] }],
      build: (g, [x]) => E.tanh(gatherElements(x, intConst(g, indicesWithRepeats(6 * 2, 4, 4), [6, 2]), 0)),
    }));
  it('scatter-add into data and updates with repeated indices', () =>
    expectGradOk({
      dtype: F64,
      samples: 12,
      inputs: [
        { name: 'x', shape: [2, 3, 5] },
        { name: 'u', shape: [2, 3, 9] },
      ],
      build: (g, [x, u]) => E.mul(scatterElementsAdd(x, intConst(g, indicesWithRepeats(54, 5, 6), [2, 3, 9]), E.tanh(u), 2), x),
    }));
  it('float32 kernels agree too', () =>
    expectGradOk(
      {
        dtype: F32,
        samples: 8,
        inputs: [{ name: 'x', shape: [2, 6] }],
        build: (g, [x]) => E.mul(gatherElements(x, intConst(g, indicesWithRepeats(20, 6, 8), [2, 10]), 1), 2),
      },
      2e-2,
    ));
});

describe('second order through GatherElements and ScatterElements', () => {
  it('d/dx of sum((d/dx f)^2), where the gradient graph holds the scatter-add', () =>
    expectGradOk({
      dtype: F64,
      samples: 12,
      inputs: [{ name: 'x', shape: [2, 6] }],
      build: (g, [x]) => {
        const gathered = gatherElements(x, intConst(g, indicesWithRepeats(2 * 9, 6, 3), [2, 9]), 1);
        const f = S.reduceSum(E.mul(E.tanh(gathered), gathered));
        const [dx] = backward(f, [x]);
        expect(dx.producer?.op).toBe('ScatterElements');
        return S.reduceSum(E.mul(dx, dx));
      },
    }));
  it('a WGAN-GP style penalty: weights get second-order gradients through scatter and gather', () =>
    expectGradOk({
      dtype: F64,
      samples: 10,
      inputs: [
        { name: 'img', shape: [2, 8], noGrad: true },
        { name: 'w', shape: [2, 8] },
      ],
      build: (g, [img, w]) => {
        const idx = intConst(g, indicesWithRepeats(2 * 12, 8, 12), [2, 12]);
        const warped = gatherElements(img, idx, 1);
        const critic = S.reduceSum(E.tanh(E.mul(scatterElementsAdd(S.zerosLike(w), idx, warped, 1), w)));
        const [dImg] = backward(critic, [img]);
        const norm = E.sqrt(S.reduceSum(E.mul(dImg, dImg), [1]));
        return E.mul(E.sub(norm, 1), E.sub(norm, 1));
      },
    }));
});
