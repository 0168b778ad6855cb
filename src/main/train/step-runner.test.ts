// One training iteration on the PyTorch reference fixture: every loss, the critic gradient (main +
// second-order gradient penalty), the generator gradient and one Adam step of each, within 1e-3;
// and the warm start's pair step, which needs no fixture.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/random';
import { PRESETS } from '../model/config';
import { criticParamSpecs } from '../model/critic';
import { generatorParamSpecs } from '../model/generator';
import { initWeights } from '../model/init';
import { readSafetensors } from '../model/safetensors';
import { relNormError } from '../graph/gradcheck';
import { DEFAULT_LOSS_WEIGHTS } from '../model/losses';
import { adamStep, DEFAULT_ADAM, newAdamState } from './adam';
import { StepRunner, type PairStepBatch, type Weights } from './step-runner';

const TINY = path.resolve(__dirname, '../../../../shared/fixtures/ganimation-tiny');
const have = fs.existsSync(TINY);
if (!have) console.warn(`skipping training-step parity: ${TINY} not found`);

type Tensors = Map<string, { shape: readonly number[]; data: Float32Array }>;
const load = (name: string) => readSafetensors(path.join(TINY, name)) as Tensors;
const weightsOf = (t: Tensors): Weights => new Map([...t].map(([k, v]) => [k, Float32Array.from(v.data)]));


describe.skipIf(!have)('training steps on ganimation-tiny', () => {
  it('reproduce every loss, gradient and Adam step of one iteration', async () => {
    const expected = load('expected.safetensors');
    const batchT = load('batch.safetensors');
    const g = weightsOf(load('generator.safetensors'));
    const d = weightsOf(load('critic.safetensors'));
    const batch = {
      real: batchT.get('real')!.data,
      realAus: batchT.get('real_cond')!.data,
      targetAus: batchT.get('desired_cond')!.data,
      alpha: batchT.get('alpha')!.data,
    };
    const runner = await StepRunner.create({ preset: PRESETS.tiny, batchSize: 2 }, ['main+gp', 'main', 'gp']);
    const critic = await runner.runCritic(g, d, batch);
    const gen = await runner.runGenerator(g, d, batch);
    const main = await runner.runCritic(g, d, batch, 'main');
    const gp = await runner.runCritic(g, d, batch, 'gp');
    await runner.dispose();

    for (const [key, value] of Object.entries({ ...critic.losses, ...gen.losses })) {
      const want = expected.get(`loss/${key}`)!.data[0];
      expect(Math.abs(value - want) / Math.abs(want), key).toBeLessThan(1e-3);
    }
    for (const [name, grad] of main.grads) {
      expect(relNormError(grad, expected.get(`grad_D_main/${name}`)!.data), name).toBeLessThan(1e-3);
      expect(relNormError(gp.grads.get(name)!, expected.get(`grad_D_gp/${name}`)!.data), name).toBeLessThan(1e-3);
    }
    for (const [name, grad] of gen.grads) expect(relNormError(grad, expected.get(`grad_G/${name}`)!.data), name).toBeLessThan(1e-3);

    adamStep(d, critic.grads, newAdamState(d), DEFAULT_ADAM);
    adamStep(g, gen.grads, newAdamState(g), DEFAULT_ADAM);
    for (const [name, p] of d) expect(relNormError(p, expected.get(`adam_D/${name}`)!.data), name).toBeLessThan(1e-3);
    for (const [name, p] of g) expect(relNormError(p, expected.get(`adam_G/${name}`)!.data), name).toBeLessThan(1e-3);
    expect(d.size).toBe(8);
    expect(g.size).toBe(29);
  });

  it('with identity warp tables, the geometry step graphs give the same losses as without geometry', async () => {
    const batchT = load('batch.safetensors');
    const g = weightsOf(load('generator.safetensors'));
    const d = weightsOf(load('critic.safetensors'));
    const pixels = 32 * 32;
    const identity = { index: BigInt64Array.from({ length: 2 * 4 * pixels }, (_, i) => BigInt(Math.floor(i / 4) % pixels)), weight: Float32Array.from({ length: 2 * 4 * pixels }, (_, i) => (i % 4 === 0 ? 1 : 0)) };
    const batch = { real: batchT.get('real')!.data, realAus: batchT.get('real_cond')!.data, targetAus: batchT.get('desired_cond')!.data, alpha: batchT.get('alpha')!.data };
    const lossOptions = { adversarial: 'non-saturating', attentionPenalty: 'changed-area', r1Every: 16 } as const;
    const lossWeights = { ...DEFAULT_LOSS_WEIGHTS, reconstruction: 5, r1: 1 };
    const plain = await StepRunner.create({ preset: PRESETS.tiny, batchSize: 2, lossOptions, lossWeights }, ['main', 'r1']);
    const warped = await StepRunner.create({ preset: PRESETS.tiny, batchSize: 2, lossOptions, lossWeights, geometry: true }, ['main', 'r1']);
    const withTables = { ...batch, warp: { forward: identity, inverse: identity } };
    const results = [
      [await plain.runCritic(g, d, batch, 'main'), await warped.runCritic(g, d, withTables, 'main')],
      [await plain.runCritic(g, d, batch, 'r1'), await warped.runCritic(g, d, withTables, 'r1')],
      [await plain.runGenerator(g, d, batch), await warped.runGenerator(g, d, withTables)],
    ];
    await expect(warped.runGenerator(g, d, batch)).rejects.toThrow(/no warp tables/);
    await plain.dispose();
    await warped.dispose();
    for (const [a, b] of results) {
      for (const [key, value] of Object.entries(a.losses)) {
        expect(Number.isFinite(value), key).toBe(true);
        expect(b.losses[key], key).toBeCloseTo(value, 5);
      }
      for (const [name, grad] of a.grads) expect(relNormError(b.grads.get(name)!, grad), name).toBeLessThan(1e-5);
    }
    expect(Object.keys(results[2][0].losses)).toContain('G/rec');
    expect(results[1][0].losses['D/r1']).toBeGreaterThan(0);
    // The changed-area penalty is 0.1 * mean(1 - A) for both passes: it lies in [0, 0.1].
    expect(results[2][0].losses['G/mask']).toBeGreaterThan(0);
    expect(results[2][0].losses['G/mask']).toBeLessThan(0.1);
  });
});

/** Warp tables that read each pixel of one crop of `pixels` from itself. */
const identityTables = (pixels: number) => ({
  index: BigInt64Array.from({ length: 4 * pixels }, (_, i) => BigInt(Math.floor(i / 4))),
  weight: Float32Array.from({ length: 4 * pixels }, (_, i) => (i % 4 === 0 ? 1 : 0)),
});

/** `steps` Adam steps (lr 1e-3) of the pair step on one batch from seeded initial weights: each step's losses. */
async function pairSteps(runner: StepRunner, batch: PairStepBatch, steps: number): Promise<Record<string, number>[]> {
  const g = initWeights(generatorParamSpecs(PRESETS['studio-tiny'].generator), 1);
  const adam = newAdamState(g);
  const seen: Record<string, number>[] = [];
  for (let i = 0; i < steps; i++) {
    const { losses, grads } = await runner.runPair(g, batch);
    seen.push(losses);
    adamStep(g, grads, adam, { ...DEFAULT_ADAM, lr: 1e-3 });
  }
  return seen;
}

describe('the warm start\'s pair step on studio-tiny', () => {
  it('gives G/pair and G/mask with gradients of G only, and a few Adam steps on one batch lower G/pair', async () => {
    const preset = PRESETS['studio-tiny'];
    const s = preset.generator.imageSize;
    const pixels = s * s;
    const rng = new Rng(7);
    const real = Float32Array.from({ length: 2 * 3 * pixels }, () => rng.uniform(-0.8, 0.2));
    // The "posed photo": the neutral crop with a bright band where a mouth would open.
    const pairTarget = real.map((v, i) => (Math.floor((i % pixels) / s) >= s / 2 ? Math.min(1, v + 0.6) : v));
    const identity = { index: BigInt64Array.from({ length: 2 * 4 * pixels }, (_, i) => BigInt(Math.floor(i / 4) % pixels)), weight: Float32Array.from({ length: 2 * 4 * pixels }, (_, i) => (i % 4 === 0 ? 1 : 0)) };
    const batch = { real, realAus: new Float32Array(2 * 17).fill(0.1), targetAus: new Float32Array(2 * 17).fill(0.6), warp: { forward: identity }, pairTarget };
    const lossOptions = { adversarial: 'non-saturating', attentionPenalty: 'changed-area', r1Every: 16 } as const;
    // Without the zero-edit term: it asks for the same crop back at the neutral AUs, so until G
    // reads its AUs every global change (the attention bias) trades one term against the other.
    const runner = await StepRunner.create({ preset, batchSize: 2, lossOptions, lossWeights: { ...DEFAULT_LOSS_WEIGHTS, pair: 10 }, geometry: true }, ['main'], { pairStep: true });
    const g = initWeights(generatorParamSpecs(preset.generator), 1);
    const adam = newAdamState(g);
    const seen: number[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        const { losses, grads } = await runner.runPair(g, batch);
        if (i === 0) {
          expect(Object.keys(losses).sort()).toEqual(['G/mask', 'G/pair']);
          expect([...grads.keys()].sort()).toEqual([...g.keys()].sort());
        }
        seen.push(losses['G/pair']);
        adamStep(g, grads, adam, { ...DEFAULT_ADAM, lr: 1e-3 });
      }
      await expect(runner.runPair(g, { ...batch, warp: undefined })).rejects.toThrow(/no warp tables \(forward\)/);
    } finally {
      await runner.dispose();
    }
    // At the identity start the output is the neutral crop (within 1e-3), so G/pair is 10 * the mean
    // difference of 4x4 block means of the crop and the target.
    const blockMean = (img: Float32Array, plane: number, by: number, bx: number) => {
      let sum = 0;
      for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) sum += img[plane * pixels + (4 * by + y) * s + 4 * bx + x];
      return sum / 16;
    };
    let expected = 0;
    for (let plane = 0; plane < 6; plane++) for (let by = 0; by < s / 4; by++) for (let bx = 0; bx < s / 4; bx++) expected += Math.abs(blockMean(real, plane, by, bx) - blockMean(pairTarget, plane, by, bx));
    expect(seen[0]).toBeCloseTo((10 * expected) / (6 * (s / 4) ** 2), 2);
    expect(seen.at(-1)!).toBeLessThan(seen[0] * 0.95);
  });

  it('with pairColour and pairLowPass 1, gives G/pair-colour on the colour head alone and opens the attention where the colour learned the target', async () => {
    const preset = PRESETS['studio-tiny'];
    const s = preset.generator.imageSize;
    const pixels = s * s;
    const rng = new Rng(8);
    const real = Float32Array.from({ length: 3 * pixels }, () => rng.uniform(-0.8, 0.2));
    const pairTarget = real.map((v, i) => (Math.floor((i % pixels) / s) >= s / 2 ? Math.min(1, v + 0.6) : v));
    const batch = { real, realAus: new Float32Array(17).fill(0.1), targetAus: new Float32Array(17).fill(0.6), warp: { forward: identityTables(pixels) }, pairTarget };
    const lossOptions = { adversarial: 'non-saturating', attentionPenalty: 'changed-area', r1Every: 16, pairLowPass: 1 } as const;
    const runner = await StepRunner.create({ preset, batchSize: 1, lossOptions, lossWeights: { ...DEFAULT_LOSS_WEIGHTS, pair: 10, pairColour: 5 }, geometry: true }, ['main'], { pairStep: true });
    let seen: Record<string, number>[];
    try {
      seen = await pairSteps(runner, batch, 12);
    } finally {
      await runner.dispose();
    }
    expect(Object.keys(seen[0]).sort()).toEqual(['G/mask', 'G/pair', 'G/pair-colour']);
    // At the identity start colour = composite = the crop: the two terms differ only by their weights,
    // and without a low-pass each is the plain mean difference (0.6 on the lower half, less where clipped).
    let expected = 0;
    for (let i = 0; i < real.length; i++) expected += Math.abs(real[i] - pairTarget[i]);
    expected /= real.length;
    expect(seen[0]['G/pair']).toBeCloseTo(10 * expected, 2);
    expect(seen[0]['G/pair-colour']).toBeCloseTo(5 * expected, 2);
    // The colour learns faster than the gated composite, and the composite follows as the attention opens.
    expect(seen.at(-1)!['G/pair-colour'] / seen[0]['G/pair-colour']).toBeLessThan(seen.at(-1)!['G/pair'] / seen[0]['G/pair']);
    expect(seen.at(-1)!['G/pair']).toBeLessThan(seen[0]['G/pair']);
    expect(seen.at(-1)!['G/mask']).toBeGreaterThan(seen[0]['G/mask']);
  });

  it('with pairMouth, opens the attention and learns the colour inside the mouth opening, and refuses a batch without one', async () => {
    const preset = PRESETS['studio-tiny'];
    const s = preset.generator.imageSize;
    const pixels = s * s;
    const rng = new Rng(9);
    const real = Float32Array.from({ length: 3 * pixels }, () => rng.uniform(-0.8, 0.2));
    const pairMouth = Float32Array.from({ length: pixels }, (_, i) => (Math.abs((i % s) - s / 2) < 4 && Math.abs(Math.floor(i / s) - (3 * s) / 4) < 2 ? 1 : 0));
    // The posed photo: the crop, with a bright "teeth" block in the opening.
    const pairTarget = real.map((v, i) => (pairMouth[i % pixels] ? 0.9 : v));
    const batch = { real, realAus: new Float32Array(17).fill(0.1), targetAus: new Float32Array(17).fill(0.6), warp: { forward: identityTables(pixels) }, pairTarget, pairMouth };
    const lossOptions = { adversarial: 'non-saturating', attentionPenalty: 'changed-area', r1Every: 16 } as const;
    const runner = await StepRunner.create({ preset, batchSize: 1, lossOptions, lossWeights: { ...DEFAULT_LOSS_WEIGHTS, pair: 10, pairMouth: 10 }, geometry: true }, ['main'], { pairStep: true });
    let seen: Record<string, number>[];
    try {
      await expect(runner.runPair(initWeights(generatorParamSpecs(preset.generator), 1), { ...batch, pairMouth: undefined })).rejects.toMatchObject({ code: 'missing-pair-mouth' });
      seen = await pairSteps(runner, batch, 12);
    } finally {
      await runner.dispose();
    }
    expect(Object.keys(seen[0]).sort()).toEqual(['G/mask', 'G/mouth-attention', 'G/mouth-colour', 'G/pair']);
    // At the identity start the attention keeps the input (sigmoid(4) = 0.982) everywhere: over the
    // opening's 7 x 3 pixels, averaged over 21 + 1, that is the whole term (outside, 1 - A is 0.018).
    expect(seen[0]['G/mouth-attention']).toBeCloseTo(10 * ((21 * 0.982) / 22 + 0.018), 1);
    for (const key of ['G/mouth-attention', 'G/mouth-colour']) expect(seen.at(-1)![key], key).toBeLessThan(seen[0][key] * 0.9);

    // Its first form asks only to repaint inside: at the same start, the term lacks the outside part.
    const inside = await StepRunner.create({ preset, batchSize: 1, lossOptions: { ...lossOptions, mouthAttention: 'inside' }, lossWeights: { ...DEFAULT_LOSS_WEIGHTS, pair: 10, pairMouth: 10 }, geometry: true }, ['main'], { pairStep: true });
    try {
      const { losses } = await inside.runPair(initWeights(generatorParamSpecs(preset.generator), 1), batch);
      expect(losses['G/mouth-attention']).toBeCloseTo(seen[0]['G/mouth-attention'] - 10 * 0.018, 2);
    } finally {
      await inside.dispose();
    }
  });

  it('is not compiled for a run without a warm start', async () => {
    const runner = await StepRunner.create({ preset: PRESETS['studio-tiny'], batchSize: 1 }, ['main+gp']);
    const g = initWeights(generatorParamSpecs(PRESETS['studio-tiny'].generator), 1);
    expect(() => runner.runPair(g, { real: new Float32Array(0), realAus: new Float32Array(0), targetAus: new Float32Array(0), pairTarget: new Float32Array(0) })).toThrow(/no warm start/);
    await runner.dispose();
  });
});

describe('geometry step graphs with the mouth (a model limited to the mouth opening, a mouth interior)', () => {
  // The tiny preset from random weights repaints everywhere, so any gate shows in its losses.
  const preset = PRESETS.tiny;
  const s = preset.generator.imageSize;
  const pixels = s * s;
  const b = 2;
  const rng = new Rng(11);
  const real = Float32Array.from({ length: b * 3 * pixels }, () => rng.uniform(-0.9, 0.9));
  const identity = { index: BigInt64Array.from({ length: b * 4 * pixels }, (_, i) => BigInt(Math.floor(i / 4) % pixels)), weight: Float32Array.from({ length: b * 4 * pixels }, (_, i) => (i % 4 === 0 ? 1 : 0)) };
  const batch = { real, realAus: new Float32Array(b * 17).fill(0.1), targetAus: new Float32Array(b * 17).fill(0.6), alpha: new Float32Array(b).fill(0.5), warp: { forward: identity, inverse: identity } };
  const lossOptions = { adversarial: 'non-saturating', attentionPenalty: 'changed-area', r1Every: 16 } as const;
  const options = { preset, batchSize: b, lossOptions, lossWeights: DEFAULT_LOSS_WEIGHTS, geometry: true } as const;
  const g = initWeights(generatorParamSpecs(preset.generator), 3);
  const d = initWeights(criticParamSpecs(preset.critic), 4);
  const gates = (v: number) => ({ forward: new Float32Array(b * pixels).fill(v), inverse: new Float32Array(b * pixels).fill(v) });

  it('a gate of 1 is the ungated graph, a gate of 0 keeps every pass its input: the cycle costs nothing', async () => {
    const plain = await StepRunner.create(options, ['main']);
    const gated = await StepRunner.create({ ...options, mouth: { gate: true, interior: false } }, ['main']);
    try {
      const [ungated, open, shut] = [await plain.runGenerator(g, d, batch), await gated.runGenerator(g, d, { ...batch, mouth: { gate: gates(1) } }), await gated.runGenerator(g, d, { ...batch, mouth: { gate: gates(0) } })];
      for (const [key, value] of Object.entries(ungated.losses)) expect(open.losses[key], key).toBeCloseTo(value, 5);
      expect(ungated.losses['G/cyc']).toBeGreaterThan(0.05);
      expect(shut.losses['G/cyc']).toBeLessThan(1e-6);
      // The attention terms still read the network's own attention.
      expect(shut.losses['G/mask']).toBeCloseTo(ungated.losses['G/mask'], 6);
      // The critic's fakes are gated too: shut, they are the crop itself, which moves no generator weight.
      const criticShut = await gated.runCritic(g, d, { ...batch, mouth: { gate: gates(0) } }, 'main');
      const criticOpen = await gated.runCritic(g, d, { ...batch, mouth: { gate: gates(1) } }, 'main');
      expect(criticShut.losses['D/fake']).not.toBeCloseTo(criticOpen.losses['D/fake'], 5);
      expect(criticOpen.losses['D/fake']).toBeCloseTo((await plain.runCritic(g, d, batch, 'main')).losses['D/fake'], 6);
      await expect(gated.runGenerator(g, d, batch)).rejects.toThrow(/no forward gate/);
    } finally {
      await plain.dispose();
      await gated.dispose();
    }
  });

  it('lays the interior over the warped crop: where it covers everything, the passes no longer depend on the crop', async () => {
    const runner = await StepRunner.create({ ...options, mouth: { gate: false, interior: true } }, ['main']);
    const cover = { alpha: new Float32Array(b * pixels).fill(1), colour: Float32Array.from({ length: b * 3 * pixels }, (_, i) => Math.sin(i) * 0.5) };
    const none = { alpha: new Float32Array(b * pixels), colour: new Float32Array(b * 3 * pixels) };
    const other = real.map((v) => -v);
    const run = (crop: Float32Array, forward: typeof cover) => runner.runGenerator(g, d, { ...batch, real: crop, mouth: { interior: { forward, inverse: none } } });
    try {
      const covered = [await run(real, cover), await run(other, cover)];
      const bare = [await run(real, none), await run(other, none)];
      for (const key of ['G/cyc', 'G/mask', 'G/adv']) {
        expect(covered[1].losses[key], key).toBeCloseTo(covered[0].losses[key], 6);
      }
      expect(Math.abs(bare[1].losses['G/cyc'] - bare[0].losses['G/cyc'])).toBeGreaterThan(1e-3);
      await expect(runner.runCritic(g, d, batch, 'main')).rejects.toThrow(/no forward interior/);
    } finally {
      await runner.dispose();
    }
  });
});
