import { describe, expect, it } from 'vitest';
import { PRESETS } from './config';
import { criticParamSpecs } from './critic';
import { generatorParamSpecs } from './generator';
import { initWeights, parameterCount } from './init';

describe('network definitions', () => {
  it('paper preset has the published parameter counts', () => {
    expect(parameterCount(generatorParamSpecs(PRESETS.paper.generator))).toBe(8_471_296);
    expect(parameterCount(criticParamSpecs(PRESETS.paper.critic))).toBe(44_860_352);
  });
  it('initialises conv weights N(0, 0.02), norm scale 1, shift and bias 0', () => {
    const specs = [...generatorParamSpecs(PRESETS.tiny.generator), ...criticParamSpecs(PRESETS.tiny.critic)];
    const w = initWeights(specs, 5);
    const conv = w.get('main.9.main.0.weight')!;
    const std = Math.sqrt(conv.reduce((s, x) => s + x * x, 0) / conv.length);
    expect(std).toBeGreaterThan(0.018);
    expect(std).toBeLessThan(0.022);
    expect([...w.get('main.1.weight')!].every((x) => x === 1)).toBe(true);
    expect([...w.get('main.1.bias')!].every((x) => x === 0)).toBe(true);
    expect(initWeights(specs, 5).get('img_reg.0.weight')).toEqual(w.get('img_reg.0.weight'));
  });
});
