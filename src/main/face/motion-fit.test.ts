// The motion fit: a known basis recovered from synthetic pairs, symmetry and regions as constraints,
// the scores' arithmetic, pair building with its skips, and a small real fit on tw-expressions.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AU_ORDER } from '../../shared/aus';
import { Rng } from '../../shared/random';
import { applySimilarity, faceFrameOf, LANDMARK_COUNT, MIRROR_INDEX, type Point } from './face-frame';
import { auCeilings, chooseRidge, extraMonomials, fitBasis, monomialMaxima, performerStats, REGION_AUS, type TermSet } from './motion-fit';
import { readLabelledFolder, type LabelledFace } from './motion-data';
import { displacementVector, ROW_LENGTH, type MotionBasis } from './motion-model';
import { buildPairs, type MotionPair } from './motion-pairs';
import { pairSums, scoreSums } from './motion-score';
import { crossValidate, performerFolds } from './motion-validate';

const TW = path.resolve(__dirname, '../../../../shared/data/tw-expressions');
const haveTw = fs.existsSync(path.join(TW, 'labels.csv'));
if (!haveTw) console.warn(`skipping the real motion fit: ${TW} not found`);

const AUS = AU_ORDER.length;

function truthBasis(seed: number, terms: TermSet = 'second-order'): MotionBasis {
  const rng = new Rng(seed);
  const row = () => Float32Array.from({ length: ROW_LENGTH }, () => rng.normal(0, 0.1));
  return {
    linear: Float32Array.from({ length: AUS * ROW_LENGTH }, () => rng.normal(0, 0.1)),
    terms: extraMonomials(terms).map((aus) => ({ aus, row: row() })),
  };
}

/** Pairs of 6 performers whose motion is exactly `truth` (plus optional noise). */
function syntheticPairs(truth: MotionBasis, seed: number, noise = 0, count = 600): MotionPair[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, i) => {
    const sourceAus = Float32Array.from(AU_ORDER, () => 0.3 * rng.next());
    const targetAus = Float32Array.from(AU_ORDER, () => rng.next());
    const displacement = displacementVector(truth, sourceAus, targetAus).map((v) => v + rng.normal(0, noise));
    return { performer: `p${i % 6}`, neutralFile: 'n.jpg', file: `${i}.jpg`, expression: ['happy', 'sad'][i % 2], sourceAus, targetAus, displacement };
  });
}

const shape = { terms: 'second-order', regions: false, symmetric: false } as const;

describe('fitBasis', () => {
  it('recovers a known second-order basis from noise-free pairs', () => {
    const truth = truthBasis(1);
    const fitted = fitBasis(syntheticPairs(truth, 2), { ...shape, lambda: 1e-10, gain: 1 });
    fitted.linear.forEach((v, i) => expect(Math.abs(v - truth.linear[i])).toBeLessThan(1e-4));
    fitted.terms.forEach((t, k) => {
      expect(t.aus).toEqual(truth.terms[k].aus);
      t.row.forEach((v, i) => expect(Math.abs(v - truth.terms[k].row[i])).toBeLessThan(1e-4));
    });
  });

  it('predicts held-out performers of noisy pairs well once lambda and gain are chosen by cross-validation', () => {
    const pairs = syntheticPairs(truthBasis(3, 'squares'), 4, 0.02);
    const squares = { ...shape, terms: 'squares' } as const;
    const choice = chooseRidge(performerStats(pairs, 'squares'), squares);
    expect(choice.gain).toBeGreaterThan(0.85);
    expect(choice.gain).toBeLessThan(1.15);
    const cv = crossValidate(pairs, performerFolds(['p0', 'p1', 'p2', 'p3', 'p4', 'p5'], 3), squares);
    expect(cv.score.cosineMean).toBeGreaterThan(0.95);
    expect(cv.score.errorRatioMedian).toBeLessThan(0.3);
    expect(cv.folds.map((f) => f.heldOut)).toEqual([['p0', 'p3'], ['p1', 'p4'], ['p2', 'p5']]);
    expect([...cv.byExpression.keys()].sort()).toEqual(['happy', 'sad']);
  });

  it('gives a mirror-symmetric basis when asked: each point moves as its mirror point does, x negated', () => {
    const fitted = fitBasis(syntheticPairs(truthBasis(5), 6), { ...shape, symmetric: true, lambda: 1e-6, gain: 1 });
    for (const row of [fitted.linear.subarray(3 * ROW_LENGTH, 4 * ROW_LENGTH), fitted.terms[20].row]) {
      for (let i = 0; i < LANDMARK_COUNT; i++) {
        expect(row[2 * i]).toBeCloseTo(-row[2 * MIRROR_INDEX[i]], 6);
        expect(row[2 * i + 1]).toBeCloseTo(row[2 * MIRROR_INDEX[i] + 1], 6);
      }
    }
  });

  it('with regions, moves a region only with its own AUs', () => {
    const fitted = fitBasis(syntheticPairs(truthBasis(7), 8), { ...shape, regions: true, lambda: 1e-6, gain: 1 });
    const mouth = REGION_AUS.find((r) => r.points[0] === 48);
    const brow = AU_ORDER.indexOf('AU01');
    expect(mouth?.aus).not.toContain('AU01');
    for (let k = 2 * 48; k < 2 * 68; k++) expect(fitted.linear[brow * ROW_LENGTH + k]).toBe(0);
    expect(fitted.linear[brow * ROW_LENGTH + 2 * 19 + 1]).not.toBe(0);
  });

  it('caps each term at the highest value its product reached in the pairs, which moves no pair it was fitted on', () => {
    const pairs = syntheticPairs(truthBasis(11), 12, 0.01, 200);
    const fitted = fitBasis(pairs, { ...shape, lambda: 1e-3, gain: 1 });
    const ceilings = fitted.termCeilings ?? new Float32Array(AUS).fill(1);
    fitted.terms.forEach((t) => {
      const high = Math.max(...pairs.flatMap((p) => [p.sourceAus, p.targetAus].map((a) => t.aus.reduce((v, i) => v * Math.min(a[i], ceilings[i]), 1))));
      expect(t.ceiling).toBeCloseTo(high, 12);
    });
    const uncapped: MotionBasis = { ...fitted, terms: fitted.terms.map(({ aus, row }) => ({ aus, row })) };
    for (const p of pairs) expect(displacementVector(fitted, p.sourceAus, p.targetAus)).toEqual(displacementVector(uncapped, p.sourceAus, p.targetAus));
    const beyond = Float32Array.from(AU_ORDER, () => 1);
    expect(displacementVector(fitted, pairs[0].sourceAus, beyond)).not.toEqual(displacementVector(uncapped, pairs[0].sourceAus, beyond));
  });

  it('gives every performer of a cross-validation the term maxima of all the pairs, as it gives them the AU ceilings', () => {
    const pairs = syntheticPairs(truthBasis(13), 14, 0.01, 120);
    const groups = performerStats(pairs, 'second-order');
    const all = monomialMaxima(pairs, 'second-order', auCeilings(pairs));
    for (const g of groups) expect(Array.from(g.stats.termMaxima)).toEqual(Array.from(all));
    const own = monomialMaxima(groups[2].pairs, 'second-order', auCeilings(pairs));
    expect(Array.from(own).some((v, i) => v < all[i])).toBe(true);
  });

  it('scales the whole basis by the gain', () => {
    const pairs = syntheticPairs(truthBasis(9), 10, 0.01, 200);
    const [one, two] = [1, 2].map((gain) => fitBasis(pairs, { ...shape, lambda: 1e-3, gain }));
    two.linear.forEach((v, i) => expect(v).toBeCloseTo(2 * one.linear[i], 6));
  });
});

describe('scores', () => {
  const real = Float64Array.from({ length: ROW_LENGTH }, (_, k) => Math.sin(k));
  it('gives ratio 1 and cosine 0 to predicting nothing, 0 and 1 to the truth, and scales with the gain', () => {
    const zero = scoreSums([pairSums(real, new Float64Array(ROW_LENGTH))]);
    expect([zero.errorRatioMean, zero.cosineMean, zero.magnitudeMedian]).toEqual([1, 0, 0]);
    const exact = scoreSums([pairSums(real, real)]);
    expect(exact.errorRatioMedian).toBeCloseTo(0, 12);
    expect(exact.cosineMedian).toBeCloseTo(1, 12);
    const doubled = scoreSums([pairSums(real, real)], 2);
    expect(doubled.errorRatioMean).toBeCloseTo(1, 12);
    expect(doubled.magnitudeMedian).toBeCloseTo(2, 12);
    expect(scoreSums([pairSums(real, real.map((v) => -v))]).cosineMean).toBeCloseTo(-1, 12);
  });
});

/** A face whose eyes sit at (80, 100) and (140, 100); other points spread over the face. */
function template(): Point[] {
  return Array.from({ length: LANDMARK_COUNT }, (_, i): Point => {
    if (i >= 36 && i < 48) {
      const a = (((i - 36) % 6) / 6) * 2 * Math.PI;
      return [(i < 42 ? 80 : 140) + 12 * Math.cos(a), 100 + 5 * Math.sin(a)];
    }
    return [50 + ((i * 37) % 120), 60 + ((i * 53) % 160)];
  });
}

const expressions = { neutral: 1, happy: 0, sad: 0, angry: 0, fearful: 0, disgusted: 0, surprised: 0 };
const labelled = (performer: string, file: string, expression: string, landmarks: Point[]): LabelledFace => ({ performer, file, expression, landmarks, expressions });

describe('buildPairs', () => {
  it('measures posed motion in the neutral face frame, whatever the head did, and reports what it skips', () => {
    const neutral = template();
    const smile = neutral.map(([x, y], i): Point => (i === 48 ? [x - 6, y - 3] : [x, y]));
    const turned = applySimilarity({ a: 1.1 * Math.cos(0.2), b: 1.1 * Math.sin(0.2), tx: 9, ty: -4 }, smile);
    const broken = applySimilarity({ a: 3, b: 0, tx: 0, ty: 0 }, neutral);
    const faces = [
      labelled('01', 'n1.jpg', 'neutral', neutral),
      labelled('01', 'n2.jpg', 'neutral', neutral.map(([x, y]): Point => [x + 0.2, y])),
      labelled('01', 'n3.jpg', 'neutral', broken),
      labelled('01', 'happy.jpg', 'happy', turned),
      labelled('01', 'bad.jpg', 'sad', broken),
      labelled('02', 'alone.jpg', 'happy', neutral),
    ];
    const { pairs, skipped, performers } = buildPairs(faces, 'first');
    expect(performers).toEqual(['01']);
    expect(pairs.map((p) => p.file)).toEqual(['happy.jpg']);
    const iod = faceFrameOf(neutral).iodPx;
    const d = pairs[0].displacement;
    expect(d[2 * 48]).toBeCloseTo(-6 / iod, 9);
    expect(d[2 * 48 + 1]).toBeCloseTo(-3 / iod, 9);
    expect(Math.max(...d.filter((_, k) => k !== 96 && k !== 97).map(Math.abs))).toBeLessThan(1e-9);
    expect(skipped.map((s) => s.file)).toEqual(['n3.jpg', 'bad.jpg', 'performer 02']);
    expect(skipped[1].reason).toMatch(/against n1\.jpg: its face is 3\.00x the size of the neutral photo's/);
    expect(skipped[2].reason).toMatch(/no neutral photo with a face \(1 posed photos unused\)/);
    expect(buildPairs(faces, 'each').pairs.map((p) => `${p.neutralFile}>${p.file}`)).toEqual(['n1.jpg>happy.jpg', 'n2.jpg>happy.jpg']);
  });
});

describe.skipIf(!haveTw)('a real fit on tw-expressions', () => {
  it('fitted on three performers, moves a fourth one the way their posed photos move', async () => {
    const { faces } = await readLabelledFolder(TW, new Set(['01', '02', '03', '05']));
    const { pairs } = buildPairs(faces);
    const cv = crossValidate(pairs, [['05']], { terms: 'linear', regions: false, symmetric: true });
    expect(cv.score.pairs).toBeGreaterThan(60);
    expect(cv.score.cosineMean).toBeGreaterThan(0.5);
    expect(cv.score.errorRatioMedian).toBeLessThan(0.9);
  });
});
