// One training iteration on the PyTorch reference fixture: every loss, the critic gradient (main +
// second-order gradient penalty), the generator gradient and one Adam step of each, within 1e-3.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../model/config';
import { readSafetensors } from '../model/safetensors';
import { relNormError } from '../graph/gradcheck';
import { DEFAULT_LOSS_WEIGHTS } from '../model/losses';
import { adamStep, DEFAULT_ADAM, newAdamState } from './adam';
import { StepRunner, type Weights } from './step-runner';

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
