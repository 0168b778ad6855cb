import { describe, expect, it } from 'vitest';
import { AU_ORDER } from './aus';
import { emotionAus } from './emotions';

const at = (aus: number[], au: string) => aus[AU_ORDER.indexOf(au as (typeof AU_ORDER)[number])];

describe('emotionAus', () => {
  it('without the face\'s own AUs, scales the prototype (the evaluation\'s absolute targets)', () => {
    const happy = emotionAus('happy', 0.5);
    expect(at(happy, 'AU12')).toBeCloseTo(0.5);
    expect(at(happy, 'AU06')).toBeCloseTo(0.4);
    expect(happy.filter((v) => v !== 0)).toHaveLength(3);
    expect(at(happy, 'AU26')).toBe(0);
    expect(emotionAus('angry', 0).every((v) => v === 0)).toBe(true);
  });

  it('on a face, moves from its own expression toward the emotion without lowering what the emotion uses', () => {
    // A smiling photo: lips apart, strong smile.
    const own = AU_ORDER.map((au) => ({ AU12: 1, AU25: 0.63, AU26: 0.37, AU06: 0.2 })[au as string] ?? 0.05);
    expect(emotionAus('happy', 0, own)).toEqual(own);
    const happy = emotionAus('happy', 0.8, own);
    expect(at(happy, 'AU12')).toBeCloseTo(1);
    expect(at(happy, 'AU25')).toBeCloseTo(0.63);
    expect(at(happy, 'AU06')).toBeCloseTo(0.2 + 0.8 * 0.6);
    // The open smile's jaw drop is allowed by happy, so it stays; an AU happy does not allow fades.
    expect(at(happy, 'AU26')).toBeCloseTo(0.37);
    expect(at(happy, 'AU04')).toBeCloseTo(0.05 * 0.2);
    const angry = emotionAus('angry', 1, own);
    expect(at(angry, 'AU12')).toBe(0);
    expect(at(angry, 'AU04')).toBe(1);
    expect(angry.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('refuses own AUs of the wrong length', () => {
    expect(() => emotionAus('sad', 1, [0.1, 0.2])).toThrow(/expected 17 own AU intensities, got 2/);
  });
});
