// The trained model's card says what the run did: geometry, adversarial steps or the warm start alone, and what the warm start taught.
import { describe, expect, it } from 'vitest';
import type { TrainState } from './checkpoint';
import { modelCard } from './model-card';
import { resolveTrainConfig } from './train-config';

const stateOf = (over: Partial<TrainState>, options: Parameters<typeof resolveTrainConfig>[0]): TrainState => ({
  step: 0,
  generatorSteps: 0,
  sampler: null,
  config: resolveTrainConfig(options),
  manifestHash: 'test',
  elapsedMs: 90_000,
  losses: { 'G/pair': 0.1234 },
  ...over,
});

describe('modelCard', () => {
  it('describes a warm start alone on the landmark warp with the mouth terms, geometry first', () => {
    const state = stateOf({ warmStartDone: 1200, startedFrom: 'default.onnx' }, { preset: 'studio', steps: 0, warmStartSteps: 1200, pairWarp: 'landmarks', lossWeights: { pairMouth: 10 } });
    const card = modelCard({ state, dataSummary: '624 crops', restrictions: 'research use only' });
    expect(card).toMatch(/^# GANimation generator \(studio preset\)/);
    expect(card).toMatch(/- Geometry first: /);
    expect(card).toMatch(/- Training: the warm start alone \(no adversarial steps\), batch 4/);
    expect(card).toMatch(/- Warm start: 1200 supervised generator steps on same-performer neutral\/posed pairs; the neutral crop warped onto the posed photo's landmarks; taught to repaint the posed photo's mouth opening \(weight 10\)\./);
    expect(card).toMatch(/- Fine-tuned from default\.onnx \(its generator and motion basis/);
    expect(card).toMatch(/\| G\/pair \| 0\.1234 \|/);
    expect(card).not.toMatch(/critic steps/);
    // Given the run's basis, the card says where it was fitted.
    const fit = { performers: ['01', '02'], pairs: 12, lambda: 0.1, gain: 1.2, options: { data: 'tw-expressions', terms: 'linear' }, heldOut: { cosineMean: 0.345, errorRatioMedian: 0.9, pairs: 12 } };
    const withBasis = modelCard({ state, dataSummary: '624 crops', basis: { linear: new Float32Array(17 * 136), terms: [], fit } as never });
    expect(withBasis).toMatch(/- Motion basis: fitted on tw-expressions performers 01, 02 \(12 neutral\/posed pairs, linear terms, ridge lambda 0\.1, gain 1\.2\)\./);
    expect(withBasis).toMatch(/landmark motion cosine 0\.345/);
  });

  it('counts the adversarial steps of a run without a warm start, and says nothing of geometry for the original recipe', () => {
    const card = modelCard({ state: stateOf({ step: 500, generatorSteps: 100 }, { preset: 'light' }), dataSummary: '10 crops' });
    expect(card).toMatch(/- Training: 500 critic steps, 100 generator steps, batch 4/);
    expect(card).not.toMatch(/Geometry first|Warm start/);
  });
});
