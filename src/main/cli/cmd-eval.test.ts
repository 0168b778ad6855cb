// The eval command's line naming the targets whose outputs lost their face.
import { describe, expect, it } from 'vitest';
import type { EvalTable } from '../eval/evaluate-model';
import { lostFacesLine } from './cmd-eval';

const table = (facesLostBy: Record<string, number>): EvalTable => ({
  auR: {}, meanR: 0, goalMeanR: 0, auMae: 0, identityMean: 0, identityUnder06: 1, faithfulnessError: 0, meanAttention: 1, survival: 1, facesLostBy, sharpness: 1,
});

describe('lostFacesLine', () => {
  it('lists the targets that lost faces in the order given (most first), and says nothing when none did', () => {
    expect(lostFacesLine(table({}))).toBeNull();
    expect(lostFacesLine(table({ 'AU26 0.9': 4, surprised: 2 }))).toBe('Faces lost, by target (outputs whose face the detector no longer finds): AU26 0.9 (4), surprised (2).');
    const many = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`AU0${i + 1} 0.9`, 5 - i]));
    expect(lostFacesLine(table(many), 2)).toBe('Faces lost, by target (outputs whose face the detector no longer finds): AU01 0.9 (5), AU02 0.9 (4), and 3 more targets.');
  });
});
