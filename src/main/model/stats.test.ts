import { describe, expect, it } from 'vitest';
import { PRESETS } from './config';
import { presetStats } from './stats';

describe('presetStats', () => {
  it('counts the paper generator at about 21 GFLOPs and the light preset far below', () => {
    const paper = presetStats(PRESETS.paper);
    expect(paper.generatorParams).toBe(8_471_296);
    expect(paper.generatorGflops).toBeGreaterThan(19);
    expect(paper.generatorGflops).toBeLessThan(23);
    const light = presetStats(PRESETS.light);
    expect(light.generatorGflops).toBeLessThan(paper.generatorGflops / 5);
  });
});
