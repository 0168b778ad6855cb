// The first layer without tiled AU maps gives the defining conv(concat(image, tile(aus)))'s values
// and gradients (image, AUs, weight, bias) on onnxruntime, at a size where the middle is stretched
// and at one too small for it; and it passes a finite-difference check.
import { describe, expect, it } from 'vitest';
import { backward } from '../graph/autodiff';
import { compile, gradCheck, randomArray, seededRandom } from '../graph/gradcheck';
import { Graph, type Value } from '../graph/ir';
import * as E from '../graph/ops-elementwise';
import * as N from '../graph/ops-nn';
import * as S from '../graph/ops-shape';
import type { HostTensor } from '../infer/ort-session';
import { auConditionedConv } from './au-stem';

/** The first layer as GANimation defines it. */
function defining(image: Value, aus: Value, weight: Value, bias: Value | null): Value {
  const size = image.shape[2] as number;
  const pad = ((weight.shape[2] as number) - 1) / 2;
  const maps = S.expand(S.unsqueeze(aus, [2, 3]), [1, 1, size, size]);
  return N.conv(S.concat([image, maps], 1), weight, bias, { pads: [pad, pad, pad, pad] });
}

const maxAbsDiff = (a: HostTensor, b: HostTensor): number => (a.data as Float32Array).reduce((m, x, i) => Math.max(m, Math.abs(x - (b.data as Float32Array)[i])), 0);

async function bothForms(n: number, auCount: number, size: number, k: number) {
  const g = new Graph('au-stem');
  const image = g.input('image', 'float32', [n, 3, size, size]);
  const aus = g.input('aus', 'float32', [n, auCount]);
  const weight = g.input('weight', 'float32', [5, 3 + auCount, k, k]);
  const bias = g.input('bias', 'float32', [5]);
  const dy = g.input('dy', 'float32', [n, 5, size, size]);
  const forms = { split: auConditionedConv(image, aus, weight, bias, 'split'), defining: defining(image, aus, weight, bias) };
  for (const [name, y] of Object.entries(forms)) {
    g.output(`${name}/y`, y);
    const loss = S.reduceSum(E.mul(y, dy));
    backward(loss, [image, aus, weight, bias]).forEach((grad, i) => g.output(`${name}/grad${i}`, grad));
  }
  const rand = seededRandom(5);
  const feed = (dims: number[], lo = -1, hi = 1): HostTensor => ({ data: randomArray('float32', dims.reduce((a, b) => a * b, 1), () => rand(lo, hi)), dims });
  const out = await (await compile(g))({ image: feed([n, 3, size, size]), aus: feed([n, auCount], 0, 1), weight: feed([5, 3 + auCount, k, k]), bias: feed([5]), dy: feed([n, 5, size, size]) });
  return { out, ops: g.nodes.map((node) => node.op) };
}

describe('auConditionedConv', () => {
  it.each([
    ['7x7 kernel, 16 px: the middle stretched', 16, 7],
    ['3x3 kernel, 5 px', 5, 3],
    ['7x7 kernel, exactly 7 px', 7, 7],
    ['7x7 kernel, 6 px: the defining form', 6, 7],
  ])('equals conv(concat(image, tile(aus))) and its gradients: %s', async (_, size, k) => {
    const { out } = await bothForms(2, 4, size, k);
    for (const key of ['y', 'grad0', 'grad1', 'grad2', 'grad3']) {
      const scale = Math.max(1, ...Array.from(out[`defining/${key}`].data as Float32Array, Math.abs));
      expect(maxAbsDiff(out[`split/${key}`], out[`defining/${key}`]) / scale, key).toBeLessThan(2e-6);
    }
  });

  it('tiles no AU map at a size the middle can be stretched to', async () => {
    const g = new Graph('au-stem-ops');
    const y = auConditionedConv(g.input('image', 'float32', [1, 3, 32, 32]), g.input('aus', 'float32', [1, 17]), g.input('weight', 'float32', [8, 20, 7, 7]), null, 'split');
    const convs = g.nodes.filter((node) => node.op === 'Conv');
    // The image conv reads 3 channels; the AU conv a 7x7 map; nothing is 20 channels wide at 32 px.
    expect(convs.map((c) => c.inputs[0]?.shape)).toEqual([[1, 3, 32, 32], [1, 17, 7, 7]]);
    expect(y.shape).toEqual([1, 8, 32, 32]);
  });

  it('passes a finite-difference gradient check (float32: the layer is linear in each input)', async () => {
    const { worstError } = await gradCheck({
      dtype: 'float32',
      build: (_, [image, aus, weight]) => auConditionedConv(image, aus, weight, null, 'split'),
      inputs: [
        { name: 'image', shape: [2, 3, 9, 9] },
        { name: 'aus', shape: [2, 2], lo: 0, hi: 1 },
        { name: 'weight', shape: [3, 5, 7, 7] },
      ],
      samples: 10,
    });
    expect(worstError).toBeLessThan(2e-3);
  });
});
