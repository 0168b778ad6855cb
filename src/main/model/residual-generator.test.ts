// The residual family starts as the identity (composite = input within 1e-3 on onnxruntime) and
// still learns: gradients reach the zero-initialised colour head and, through the attention, the trunk.
import { describe, expect, it } from 'vitest';
import * as G from '../graph';
import { compile } from '../graph/gradcheck';
import type { HostTensor } from '../infer/ort-session';
import { Rng } from '../../shared/random';
import { PRESETS, type GeneratorConfig } from './config';
import { defineGenerator, generatorParamSpecs } from './generator';
import { initWeights, KEEP_LOGIT } from './init';
import { resizeConv2x } from './residual-generator';

/** Random crops in [-1, 1] with a band of saturated pixels (exactly -1 and 1), and random AUs. */
function batchOf(cfg: GeneratorConfig, n: number, seed: number): { image: HostTensor; aus: HostTensor } {
  const rng = new Rng(seed);
  const s = cfg.imageSize;
  const image = Float32Array.from({ length: n * 3 * s * s }, () => rng.uniform(-1, 1));
  for (let i = 0; i < image.length; i += 7) image[i] = i % 2 ? 1 : -1;
  const aus = Float32Array.from({ length: n * cfg.cDim }, () => rng.next());
  return { image: { data: image, dims: [n, 3, s, s] }, aus: { data: aus, dims: [n, cfg.cDim] } };
}

function weightFeeds(cfg: GeneratorConfig, seed: number, prefix = ''): Record<string, HostTensor> {
  const specs = generatorParamSpecs(cfg);
  const weights = initWeights(specs, seed);
  return Object.fromEntries(specs.map((s) => [prefix + s.name, { data: weights.get(s.name)!, dims: s.shape }]));
}

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

async function forwardAtInit(cfg: GeneratorConfig, n: number) {
  const graph = new G.Graph('residual');
  const out = defineGenerator(graph, cfg).apply(graph.input('image', 'float32', ['N', 3, cfg.imageSize, cfg.imageSize]), graph.input('aus', 'float32', ['N', cfg.cDim]));
  for (const key of ['color', 'attention', 'composite'] as const) graph.output(key, out[key]);
  const batch = batchOf(cfg, n, 3);
  const result = await (await compile(graph))({ ...weightFeeds(cfg, 11), ...batch });
  return { batch, result, data: (k: string) => result[k].data as Float32Array };
}

describe('residual generator family', () => {
  it('declares the identity-making inits: a zero colour head and an attention bias of +4', () => {
    const specs = generatorParamSpecs(PRESETS['studio-tiny'].generator);
    const w = initWeights(specs, 1);
    expect([...w.get('color.weight')!].every((x) => x === 0)).toBe(true);
    expect([...w.get('color.bias')!]).toEqual([0, 0, 0]);
    expect([...w.get('attention.bias')!]).toEqual([KEEP_LOGIT]);
    const attention = w.get('attention.weight')!;
    expect(Math.sqrt(attention.reduce((s, x) => s + x * x, 0) / attention.length)).toBeGreaterThan(0.015);
  });

  // The attention head's N(0, 0.02) weights spread the logits around +4: on noise at 96 px mean A
  // is 0.967, on UTKFace crops 0.97-0.98 (1st percentile 0.92-0.95).
  it.each([['studio-tiny' as const], ['studio' as const]])('%s at init returns its input within 1e-3, with attention near 0.98', async (name) => {
    const cfg = PRESETS[name].generator;
    const { batch, data } = await forwardAtInit(cfg, 2);
    const image = batch.image.data as Float32Array;
    expect(maxAbsDiff(data('composite'), image)).toBeLessThan(1e-3);
    expect(maxAbsDiff(data('color'), image)).toBeLessThanOrEqual(1.001e-3);
    const attention = data('attention');
    const meanA = attention.reduce((s, x) => s + x, 0) / attention.length;
    expect(meanA).toBeGreaterThan(0.95);
    expect(meanA).toBeLessThan(0.99);
    expect([...attention].sort((a, b) => a - b)[attention.length >> 1]).toBeGreaterThan(0.97);
  });

  it('receives gradients at init: the colour head from a reconstruction loss, the stem through the attention', async () => {
    const cfg = PRESETS['studio-tiny'].generator;
    const s = cfg.imageSize;
    const graph = new G.Graph('residual-grad');
    const gen = defineGenerator(graph, cfg, 'G.');
    const image = graph.input('image', 'float32', [2, 3, s, s]);
    const target = graph.input('target', 'float32', [2, 3, s, s]);
    const out = gen.apply(image, graph.input('aus', 'float32', [2, cfg.cDim]));
    const recon = G.reduceMean(G.abs(G.sub(out.composite, target)));
    const changed = G.reduceMean(G.sub(1, out.attention));
    const names = ['color.weight', 'color.bias', 'attention.bias', 'stem.conv.weight'];
    const [dColorW, dColorB] = G.backward(recon, names.slice(0, 2).map((n) => gen.params.get(n)!));
    const [dAttB, dStem] = G.backward(G.add(recon, changed), names.slice(2).map((n) => gen.params.get(n)!));
    [dColorW, dColorB, dAttB, dStem].forEach((g, i) => graph.output(`grad/${names[i]}`, g));
    const batch = batchOf(cfg, 2, 4);
    const shifted = Float32Array.from(batch.image.data as Float32Array, (x) => Math.max(-1, Math.min(1, x + 0.3)));
    const result = await (await compile(graph))({ ...weightFeeds(cfg, 12, 'G.'), ...batch, target: { data: shifted, dims: batch.image.dims } });
    for (const name of names) {
      const grad = result[`grad/${name}`].data as Float32Array;
      expect(Math.max(...grad.map(Math.abs)), name).toBeGreaterThan(1e-6);
    }
  });

  it('resizeConv2x with a centre-tap kernel is nearest 2x upsampling, in both forms', async () => {
    const graph = new G.Graph('nearest');
    const x = graph.input('x', 'float32', ['N', 1, 2, 2]);
    const centre = graph.constant(Float32Array.of(0, 0, 0, 0, 1, 0, 0, 0, 0), [1, 1, 3, 3], 'float32');
    graph.output('transposed', resizeConv2x(x, centre, 'transposed'));
    graph.output('upsample', resizeConv2x(x, centre, 'upsample'));
    const out = await (await compile(graph))({ x: { data: Float32Array.of(1, 2, 3, 4), dims: [1, 1, 2, 2] } });
    for (const form of ['transposed', 'upsample']) {
      expect(out[form].dims).toEqual([1, 1, 4, 4]);
      expect([...(out[form].data as Float32Array)]).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    }
  });

  it('resizeConv2x equals nearest 2x upsampling then a 3x3 conv, in values and in both gradients', async () => {
    const graph = new G.Graph('resize-conv');
    const x = graph.input('x', 'float32', [2, 3, 5, 4]);
    const w = graph.input('w', 'float32', [2, 3, 3, 3]);
    const projection = graph.input('projection', 'float32', [2, 2, 10, 8]);
    const fused = resizeConv2x(x, w, 'transposed');
    expect(graph.nodes.filter((n) => n.op === 'ConvTranspose').length).toBe(1);
    const direct = resizeConv2x(x, w, 'upsample');
    expect(fused.shape).toEqual(direct.shape);
    for (const [name, y] of [['fused', fused], ['direct', direct]] as const) {
      graph.output(name, y);
      const [dx, dw] = G.backward(G.reduceSum(G.mul(y, projection)), [x, w]);
      graph.output(`${name}/dx`, dx);
      graph.output(`${name}/dw`, dw);
    }
    const rng = new Rng(8);
    const feed = (dims: number[]): HostTensor => ({ data: Float32Array.from({ length: dims.reduce((p, q) => p * q) }, () => rng.uniform(-1, 1)), dims });
    const out = await (await compile(graph))({ x: feed([2, 3, 5, 4]), w: feed([2, 3, 3, 3]), projection: feed([2, 2, 10, 8]) });
    for (const key of ['', '/dx', '/dw']) {
      const want = out[`direct${key}`].data as Float32Array;
      expect(maxAbsDiff(out[`fused${key}`].data as Float32Array, want), key || 'value').toBeLessThan(1e-5 * Math.max(...want.map(Math.abs)));
    }
  });
});
