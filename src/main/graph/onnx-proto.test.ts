// Tests for the ONNX encoder/decoder: full round trips, legacy typed data fields, tensor
// helpers, and models built by hand that onnxruntime-node must load and compute correctly.

import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModel } from './onnx-decode';
import {
  DataType, OnnxProtoError, encodeModel, tensorFromFloat32, tensorFromFloat64, tensorFromInt64, tensorToFloat32, tensorToFloat64, tensorToInt64, type GraphProto, type ModelProto, type NodeProto, type TensorProto,
} from './onnx-proto';
import { Writer } from './protobuf';

/** Deterministic values in [-1, 1) from a linear congruential generator. */
function randomFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function model(graph: GraphProto, extra: Partial<ModelProto> = {}): ModelProto {
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 18 }],
    producerName: 'ganimation-studio-test',
    producerVersion: '0.1.0',
    graph,
    metadataProps: [],
    ...extra,
  };
}

function node(opType: string, input: string[], output: string[], attribute: NodeProto['attribute'] = []): NodeProto {
  return { opType, input, output, attribute };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

describe('encodeModel / decodeModel', () => {
  const weights = tensorFromFloat32('w', [2, 3], Float32Array.of(0.5, -1, 2.25, 0, -0, 1e-30));
  const everything: ModelProto = {
    irVersion: 8,
    opsetImport: [
      { domain: '', version: 18 },
      { domain: 'com.microsoft', version: 1 },
    ],
    producerName: 'ganimation-studio',
    producerVersion: '0.1.0',
    domain: 'studio.ganimation',
    modelVersion: 3,
    docString: 'a model with everything in it',
    metadataProps: [
      { key: 'architecture', value: 'ganimation-g' },
      { key: 'au_order', value: 'AU01,AU02,AU04' },
      { key: 'empty', value: '' },
      { key: 'unicode', value: 'visage ✓ 😀' },
    ],
    graph: {
      name: 'main',
      docString: 'the graph',
      node: [
        {
          name: 'n0',
          opType: 'Custom',
          domain: 'com.example',
          docString: 'every attribute kind',
          input: ['x', '', 'w'],
          output: ['y', 'z'],
          attribute: [
            { name: 'f', kind: 'float', value: -0.375 },
            { name: 'f0', kind: 'float', value: 0 },
            { name: 'i', kind: 'int', value: -9007199254740991 },
            { name: 'i0', kind: 'int', value: 0 },
            { name: 'big', kind: 'int', value: 2 ** 40 },
            { name: 's', kind: 'string', value: 'NOTSET' },
            { name: 's0', kind: 'string', value: '' },
            { name: 't', kind: 'tensor', value: tensorFromInt64('shape', [3], [-1, 0, 2 ** 40]), docString: 'doc' },
            { name: 'fs', kind: 'floats', value: [1.5, -2, 0] },
            { name: 'fs0', kind: 'floats', value: [] },
            { name: 'is', kind: 'ints', value: [-1, 0, 1, -(2 ** 35)] },
            { name: 'ss', kind: 'strings', value: ['a', '', 'ç'] },
          ],
        },
        node('Relu', ['y'], ['out']),
      ],
      initializer: [
        weights,
        tensorFromFloat64('d', [], Float64Array.of(Math.PI)),
        { name: 'empty', dims: [0, 4], dataType: DataType.FLOAT, rawData: new Uint8Array(0) },
        { dims: [2], dataType: DataType.BOOL, rawData: Uint8Array.of(1, 0) },
      ],
      input: [
        { name: 'x', elemType: DataType.FLOAT, shape: ['N', 3, 'H', 0] },
        { name: 'scalar', elemType: DataType.INT64, shape: [] },
        { name: 'anything', elemType: DataType.FLOAT },
      ],
      output: [{ name: 'out', elemType: DataType.FLOAT, shape: ['N', '', 5] }],
      valueInfo: [{ name: 'y', elemType: DataType.FLOAT, shape: ['N', 3] }],
    },
  };

  it('round-trips every field and attribute kind', () => {
    const decoded = decodeModel(encodeModel(everything));
    expect(decoded).toEqual(everything);
    const i = decoded.graph.node[0].attribute.find((a) => a.name === 'i');
    expect(i).toEqual({ name: 'i', kind: 'int', value: -9007199254740991 });
    expect(tensorToFloat32(decoded.graph.initializer[0])).toEqual(Float32Array.of(0.5, -1, 2.25, 0, -0, 1e-30));
    expect(tensorToFloat64(decoded.graph.initializer[1])[0]).toBe(Math.PI);
    const t = decoded.graph.node[0].attribute.find((a) => a.kind === 'tensor');
    expect(t?.kind === 'tensor' && [...tensorToInt64(t.value)]).toEqual([-1n, 0n, 2n ** 40n]);
  });

  it('omits optional fields that were not given', () => {
    const minimal = model({ name: 'g', node: [node('Identity', ['a'], ['b'])], initializer: [], input: [], output: [] });
    const decoded = decodeModel(encodeModel(minimal));
    expect(decoded).toEqual(minimal);
    expect(Object.keys(decoded.graph.node[0]).sort()).toEqual(['attribute', 'input', 'opType', 'output']);
    expect('valueInfo' in decoded.graph).toBe(false);
  });

  it('writes a large initializer in linear time and decodes it without copying', () => {
    const count = 50 * 1024 * 1024; // 200 MiB of float32
    const data = new Float32Array(count);
    for (let i = 0; i < count; i += 4096) data[i] = i;
    data[count - 1] = -1;
    const big = model({
      name: 'big',
      node: [node('Identity', ['w'], ['y'])],
      initializer: [tensorFromFloat32('w', [count], data)],
      input: [],
      output: [{ name: 'y', elemType: DataType.FLOAT, shape: [count] }],
    });
    const started = performance.now();
    const bytes = encodeModel(big);
    const encodeMs = performance.now() - started;
    expect(bytes.length).toBeGreaterThan(count * 4);
    const decoded = decodeModel(bytes);
    const raw = decoded.graph.initializer[0].rawData;
    expect(raw.buffer).toBe(bytes.buffer);
    const values = tensorToFloat32(decoded.graph.initializer[0]);
    expect(values.length).toBe(count);
    expect(values[4096 * 1000]).toBe(4096 * 1000);
    expect(values[count - 1]).toBe(-1);
    // One copy of 200 MiB takes well under a second; quadratic growth would take minutes.
    expect(encodeMs).toBeLessThan(10_000);
  });

  it('converts float_data, double_data, int64_data and int32_data into rawData', () => {
    const tensor = (build: (w: Writer) => void): TensorProto => {
      const bytes = new Writer()
        .message(7, (g) => g.message(5, build))
        .finish();
      return decodeModel(bytes).graph.initializer[0];
    };
    const floats = tensor((w) => w.packedInt64(1, [3]).int64(2, DataType.FLOAT).packedFloat(4, [1.5, -2]).float(4, 8));
    expect([...tensorToFloat32(floats)]).toEqual([1.5, -2, 8]);

    const ints = tensor((w) => w.int64(1, 2).int64(2, DataType.INT64).int64(7, -5).packedInt64(7, [2n ** 62n]));
    expect([...tensorToInt64(ints)]).toEqual([-5n, 2n ** 62n]);

    const d = new DataView(new ArrayBuffer(16));
    d.setFloat64(0, Math.E, true);
    d.setFloat64(8, -0.5, true);
    const packedDoubles = tensor((w) => w.int64(1, 2).int64(2, DataType.DOUBLE).bytes(10, new Uint8Array(d.buffer)));
    expect([...tensorToFloat64(packedDoubles)]).toEqual([Math.E, -0.5]);

    const int32 = tensor((w) => w.int64(1, 3).int64(2, DataType.INT32).packedInt64(5, [-7, 0, 2 ** 31 - 1]));
    expect([...new Int32Array(int32.rawData.slice().buffer)]).toEqual([-7, 0, 2 ** 31 - 1]);
    const int8 = tensor((w) => w.int64(1, 2).int64(2, DataType.INT8).packedInt64(5, [-128, 127]));
    expect([...new Int8Array(int8.rawData.buffer)]).toEqual([-128, 127]);
    const bool = tensor((w) => w.int64(1, 3).int64(2, DataType.BOOL).packedInt64(5, [1, 0, 1]));
    expect([...bool.rawData]).toEqual([1, 0, 1]);
  });

  it('skips unknown fields at every level', () => {
    const bytes = new Writer()
      .int64(1, 8)
      .message(20, (t) => t.string(1, 'training info'))
      .message(7, (g) => {
        g.message(1, (n) => n.string(4, 'Relu').string(1, 'a').string(2, 'b').int64(99, 5));
        g.message(15, (q) => q.string(1, 'quantization annotation'));
        g.string(2, 'g');
        g.message(11, (v) => v.string(1, 'a').float(3, 1));
      })
      .message(8, (o) => o.int64(2, 18).string(3, 'x'))
      .message(25, (f) => f.string(1, 'function'))
      .finish();
    const decoded = decodeModel(bytes);
    expect(decoded.graph.node).toEqual([node('Relu', ['a'], ['b'])]);
    expect(decoded.graph.input).toEqual([{ name: 'a', elemType: 0 }]);
    expect(decoded.opsetImport).toEqual([{ domain: '', version: 18 }]);
  });

  it('rejects what it cannot represent', () => {
    const withGraph = (build: (g: Writer) => void): Uint8Array => new Writer().message(7, build).finish();
    expect(() => decodeModel(new Writer().int64(1, 8).finish())).toThrow(/no graph/);
    // A GRAPH attribute (type 5), as If and Loop use.
    const graphAttr = withGraph((g) => g.message(1, (n) => n.string(4, 'If').message(5, (a) => a.string(1, 'then_branch').message(6, () => {}).int64(20, 5))));
    expect(() => decodeModel(graphAttr)).toThrow(/attribute type 5/);
    const external = withGraph((g) => g.message(5, (t) => t.int64(2, DataType.FLOAT).string(8, 'w').int64(14, 1)));
    expect(() => decodeModel(external)).toThrow(/external data/);
    const sequence = withGraph((g) => g.message(11, (v) => v.string(1, 'seq').message(2, (t) => t.message(4, () => {}))));
    expect(() => decodeModel(sequence)).toThrow(/only tensor types/);
    const short = withGraph((g) => g.message(5, (t) => t.packedInt64(1, [3]).int64(2, DataType.FLOAT).bytes(9, new Uint8Array(8))));
    expect(() => decodeModel(short)).toThrow(/need 12 bytes/);
    expect(() => encodeModel(model({ name: 'g', node: [], initializer: [{ dims: [-1], dataType: 1, rawData: new Uint8Array(0) }], input: [], output: [] }))).toThrow(OnnxProtoError);
  });
});

describe('tensor helpers', () => {
  it('views typed arrays without copying and checks sizes', () => {
    const data = Float32Array.of(1, 2, 3, 4, 5, 6);
    const t = tensorFromFloat32('x', [2, 3], data);
    expect(t.rawData.buffer).toBe(data.buffer);
    expect(() => tensorFromFloat32('x', [4], data)).toThrow(/need 16 bytes/);
    expect(() => tensorFromFloat64('x', [2], Float64Array.of(1))).toThrow(OnnxProtoError);
  });

  it('converts int64 numbers, refusing unsafe ones', () => {
    expect([...tensorToInt64(tensorFromInt64('s', [3], [-1, 0, 2 ** 53 - 1]))]).toEqual([-1n, 0n, 2n ** 53n - 1n]);
    expect(() => tensorFromInt64('s', [1], [2 ** 53])).toThrow(RangeError);
    expect(() => tensorFromInt64('s', [1], [0.5])).toThrow(RangeError);
    const shared = BigInt64Array.of(4n, -4n);
    expect(tensorFromInt64('s', [2], shared).rawData.buffer).toBe(shared.buffer);
  });

  it('copies unaligned rawData and views aligned rawData', () => {
    const buffer = new Uint8Array(17);
    new DataView(buffer.buffer).setFloat64(1, -3.5, true);
    new DataView(buffer.buffer).setFloat64(9, 7.25, true);
    const unaligned: TensorProto = { dims: [2], dataType: DataType.DOUBLE, rawData: buffer.subarray(1) };
    const values = tensorToFloat64(unaligned);
    expect([...values]).toEqual([-3.5, 7.25]);
    expect(values.buffer).not.toBe(buffer.buffer);

    const aligned = tensorFromFloat32('a', [2], Float32Array.of(1, 2));
    expect(tensorToFloat32(aligned).buffer).toBe(aligned.rawData.buffer);
    expect(() => tensorToInt64(aligned)).toThrow(/data type 1, not 7/);
  });
});

describe('onnxruntime-node loads the encoded models', () => {
  it('runs Conv (weight initializer) + Add + Relu and matches a plain JS convolution', async () => {
    const [n, c, h, wd] = [2, 2, 5, 5];
    const [m, k, stride, pad] = [3, 3, 2, 1];
    const x = randomFloats(n * c * h * wd, 1);
    const weight = randomFloats(m * c * k * k, 2);
    const bias = randomFloats(m, 3);
    const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
    const ow = Math.floor((wd + 2 * pad - k) / stride) + 1;

    const expected = new Float32Array(n * m * oh * ow);
    for (let b = 0; b < n; b++)
      for (let o = 0; o < m; o++)
        for (let y = 0; y < oh; y++)
          for (let xx = 0; xx < ow; xx++) {
            let sum = 0;
            for (let ci = 0; ci < c; ci++)
              for (let ky = 0; ky < k; ky++)
                for (let kx = 0; kx < k; kx++) {
                  const iy = y * stride - pad + ky;
                  const ix = xx * stride - pad + kx;
                  if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                  sum += x[((b * c + ci) * h + iy) * wd + ix] * weight[((o * c + ci) * k + ky) * k + kx];
                }
            expected[((b * m + o) * oh + y) * ow + xx] = Math.max(0, sum + bias[o]);
          }

    const bytes = encodeModel(
      model({
        name: 'conv',
        node: [
          node('Conv', ['x', 'w'], ['conv'], [
            { name: 'kernel_shape', kind: 'ints', value: [k, k] },
            { name: 'strides', kind: 'ints', value: [stride, stride] },
            { name: 'pads', kind: 'ints', value: [pad, pad, pad, pad] },
            { name: 'dilations', kind: 'ints', value: [1, 1] },
            { name: 'group', kind: 'int', value: 1 },
            { name: 'auto_pad', kind: 'string', value: 'NOTSET' },
          ]),
          node('Add', ['conv', 'b'], ['sum']),
          node('Relu', ['sum'], ['y']),
        ],
        initializer: [tensorFromFloat32('w', [m, c, k, k], weight), tensorFromFloat32('b', [1, m, 1, 1], bias)],
        input: [{ name: 'x', elemType: DataType.FLOAT, shape: ['N', c, h, wd] }],
        output: [{ name: 'y', elemType: DataType.FLOAT, shape: ['N', m, oh, ow] }],
        valueInfo: [{ name: 'conv', elemType: DataType.FLOAT, shape: ['N', m, oh, ow] }],
      }),
    );
    const session = await ort.InferenceSession.create(bytes);
    try {
      expect(session.inputMetadata[0]).toMatchObject({ name: 'x', isTensor: true, shape: ['N', c, h, wd] });
      const result = await session.run({ x: new ort.Tensor('float32', x, [n, c, h, wd]) });
      expect(result.y.dims).toEqual([n, m, oh, ow]);
      expectClose(result.y.data as Float32Array, expected, 1e-5);
    } finally {
      await session.release();
    }
  });

  it('uses an int64 initializer (with a negative entry) as the Reshape shape', async () => {
    const [n, a, b] = [3, 4, 5];
    const x = randomFloats(n * a * b, 4);
    const bytes = encodeModel(
      model({
        name: 'reshape',
        node: [
          node('Reshape', ['x', 'shape'], ['flat']),
          node('Transpose', ['flat'], ['y'], [{ name: 'perm', kind: 'ints', value: [1, 0] }]),
        ],
        initializer: [tensorFromInt64('shape', [2], [0, -1])],
        input: [{ name: 'x', elemType: DataType.FLOAT, shape: ['N', a, b] }],
        output: [{ name: 'y', elemType: DataType.FLOAT, shape: [a * b, 'N'] }],
      }),
    );
    const session = await ort.InferenceSession.create(bytes);
    try {
      const result = await session.run({ x: new ort.Tensor('float32', x, [n, a, b]) });
      expect(result.y.dims).toEqual([a * b, n]);
      const expected = new Float32Array(a * b * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < a * b; j++) expected[j * n + i] = x[i * a * b + j];
      expect(result.y.data).toEqual(expected);
    } finally {
      await session.release();
    }
  });

  it('honours float, negative int, tensor, floats and ints attributes and double tensors', async () => {
    const x = Float32Array.of(-2, 3, 0.5, -0.25);
    const offsets = Float64Array.of(0.125, -1, 10);
    const bytes = encodeModel(
      model({
        name: 'attrs',
        node: [
          node('LeakyRelu', ['x'], ['leaky'], [{ name: 'alpha', kind: 'float', value: 0.1 }]),
          node('Constant', [], ['column'], [
            { name: 'value', kind: 'tensor', value: tensorFromFloat32('', [2, 1], Float32Array.of(1.5, -2)) },
          ]),
          node('Concat', ['leaky', 'column'], ['joined'], [{ name: 'axis', kind: 'int', value: -1 }]),
          node('Cast', ['joined'], ['joined64'], [{ name: 'to', kind: 'int', value: DataType.DOUBLE }]),
          node('Add', ['joined64', 'offsets'], ['y']),
          node('Constant', [], ['fs'], [{ name: 'value_floats', kind: 'floats', value: [0.5, -4] }]),
          node('Constant', [], ['is'], [{ name: 'value_ints', kind: 'ints', value: [-3, 2 ** 40] }]),
        ],
        initializer: [tensorFromFloat64('offsets', [3], offsets)],
        input: [{ name: 'x', elemType: DataType.FLOAT, shape: [2, 2] }],
        output: [
          { name: 'y', elemType: DataType.DOUBLE, shape: [2, 3] },
          { name: 'fs', elemType: DataType.FLOAT, shape: [2] },
          { name: 'is', elemType: DataType.INT64, shape: [2] },
        ],
      }),
    );
    const session = await ort.InferenceSession.create(bytes);
    try {
      const result = await session.run({ x: new ort.Tensor('float32', x, [2, 2]) });
      const leaky = (v: number): number => Math.fround(v < 0 ? Math.fround(0.1) * v : v);
      const expected = [
        leaky(-2) + 0.125, leaky(3) - 1, 1.5 + 10,
        leaky(0.5) + 0.125, leaky(-0.25) - 1, -2 + 10,
      ];
      expect(result.y.type).toBe('float64');
      expectClose(result.y.data as Float64Array, expected, 1e-7);
      expect([...(result.fs.data as Float32Array)]).toEqual([0.5, -4]);
      expect([...(result.is.data as BigInt64Array)]).toEqual([-3n, 2n ** 40n]);
    } finally {
      await session.release();
    }
  });

  it('keeps metadata_props through encode and decode', async () => {
    const metadataProps = [
      { key: 'ganimation.image_size', value: '128' },
      { key: 'ganimation.au_order', value: 'AU01 AU02 AU04 AU05 AU06' },
    ];
    const bytes = encodeModel(
      model(
        {
          name: 'meta',
          node: [node('Identity', ['x'], ['y'])],
          initializer: [],
          input: [{ name: 'x', elemType: DataType.FLOAT, shape: [1] }],
          output: [{ name: 'y', elemType: DataType.FLOAT, shape: [1] }],
        },
        { metadataProps },
      ),
    );
    const session = await ort.InferenceSession.create(bytes);
    await session.release();
    expect(decodeModel(bytes).metadataProps).toEqual(metadataProps);
    // A decoded model re-encodes to the same bytes.
    expect(encodeModel(decodeModel(bytes))).toEqual(bytes);
  });
});
