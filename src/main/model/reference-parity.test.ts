// The compiled networks and losses against the PyTorch reference fixtures (../shared/fixtures):
// forward outputs within 1e-4 absolute; losses and gradients within 1e-3 relative per tensor.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as G from '../graph';
import { compile, relNormError } from '../graph/gradcheck';
import type { HostTensor } from '../infer/ort-session';
import { PRESETS, type GeneratorConfig } from './config';
import { defineCritic } from './critic';
import { defineGenerator } from './generator';
import { criticLosses, generatorLosses, totalOf } from './losses';
import { readSafetensors } from './safetensors';

const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures');
const TINY = path.join(FIXTURES, 'ganimation-tiny');
const PAPER = path.join(FIXTURES, 'ganimation-128');
const haveFixtures = fs.existsSync(TINY);
if (!haveFixtures) console.warn(`skipping reference parity: ${FIXTURES} not found (the shared folder must sit beside the project)`);

type Tensors = Map<string, { shape: readonly number[]; data: Float32Array }>;
const load = (file: string): Tensors => readSafetensors(file) as Tensors;
const host = (t: { shape: readonly number[]; data: Float32Array }): HostTensor => ({ data: t.data, dims: t.shape });

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}


function feedsFor(graph: G.Graph, ...sources: [string, Tensors][]): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const v of [...graph.inputs, ...graph.params]) {
    for (const [prefix, tensors] of sources) {
      if (!v.name.startsWith(prefix)) continue;
      const t = tensors.get(v.name.slice(prefix.length));
      if (t) feeds[v.name] = host(t);
    }
  }
  return feeds;
}

async function generatorForward(dir: string, cfg: GeneratorConfig) {
  const weights = load(path.join(dir, 'generator.safetensors'));
  const batch = load(path.join(dir, 'batch.safetensors'));
  const graph = new G.Graph('generator');
  const gen = defineGenerator(graph, cfg, 'G.');
  const image = graph.input('real', 'float32', ['N', 3, cfg.imageSize, cfg.imageSize]);
  const aus = graph.input('desired_cond', 'float32', ['N', cfg.cDim]);
  const out = gen.apply(image, aus);
  graph.output('color', out.color);
  graph.output('attention', out.attention);
  graph.output('composite', out.composite);
  const run = await compile(graph);
  const result = await run(feedsFor(graph, ['G.', weights], ['', batch]));
  return { result, expected: load(path.join(dir, 'expected.safetensors')) };
}

describe.skipIf(!haveFixtures)('reference parity: ganimation-tiny', () => {
  it('generator forward matches within 1e-4', async () => {
    const { result, expected } = await generatorForward(TINY, PRESETS.tiny.generator);
    for (const name of ['color', 'attention', 'composite']) {
      expect(maxAbsDiff(result[name].data as Float32Array, expected.get(`G/${name}`)!.data)).toBeLessThan(1e-4);
    }
  });

  it('every loss and the gradients of critic (first and second order) and generator match within 1e-3', async () => {
    const gw = load(path.join(TINY, 'generator.safetensors'));
    const dw = load(path.join(TINY, 'critic.safetensors'));
    const batch = load(path.join(TINY, 'batch.safetensors'));
    const expected = load(path.join(TINY, 'expected.safetensors'));
    const graph = new G.Graph('losses');
    const gen = defineGenerator(graph, PRESETS.tiny.generator, 'G.');
    const critic = defineCritic(graph, PRESETS.tiny.critic, 'D.');
    const real = graph.input('real', 'float32', [2, 3, 32, 32]);
    const realAus = graph.input('real_cond', 'float32', [2, 17]);
    const targetAus = graph.input('desired_cond', 'float32', [2, 17]);
    const alpha = graph.input('alpha', 'float32', [2, 1, 1, 1]);
    const d = criticLosses(gen, critic, { real, realAus, targetAus, alpha }, 2);
    const g = generatorLosses(gen, critic, { real, realAus, targetAus }, 2);
    const terms = { ...d, ...g };
    for (const [key, value] of Object.entries(terms)) graph.output(`loss/${key}`, value);
    const dParams = [...critic.params.values()];
    const gParams = [...gen.params.values()];
    const gradMain = G.backward(totalOf(d, ['D/real', 'D/cond', 'D/fake']), dParams);
    const gradGp = G.backward(d['D/gp'], dParams);
    const gradG = G.backward(totalOf(g), gParams);
    [...critic.params.keys()].forEach((name, i) => {
      graph.output(`grad_D_main/${name}`, gradMain[i]);
      graph.output(`grad_D_gp/${name}`, gradGp[i]);
    });
    [...gen.params.keys()].forEach((name, i) => graph.output(`grad_G/${name}`, gradG[i]));

    const run = await compile(graph);
    const result = await run(feedsFor(graph, ['G.', gw], ['D.', dw], ['', batch]));
    const checked: string[] = [];
    for (const [name, t] of Object.entries(result)) {
      const want = expected.get(name);
      expect(want, `fixture has ${name}`).toBeDefined();
      expect(relNormError(t.data as Float32Array, want!.data), name).toBeLessThan(1e-3);
      checked.push(name);
    }
    expect(checked.filter((n) => n.startsWith('loss/')).length).toBe(11);
    expect(checked.filter((n) => n.startsWith('grad_D_gp/')).length).toBe(dParams.length);
    expect(checked.filter((n) => n.startsWith('grad_G/')).length).toBe(gParams.length);
  });
});

describe.skipIf(!fs.existsSync(PAPER))('reference parity: ganimation-128 (paper-size generator)', () => {
  it('forward matches within 1e-4 on real faces', async () => {
    const { result, expected } = await generatorForward(PAPER, PRESETS.paper.generator);
    for (const name of ['color', 'attention', 'composite']) {
      expect(maxAbsDiff(result[name].data as Float32Array, expected.get(`G/${name}`)!.data)).toBeLessThan(1e-4);
    }
  });
});
