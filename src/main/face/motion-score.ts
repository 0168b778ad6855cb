// How well predicted landmark motion matches real motion over the mobile points: error ratio
// |pred - real| / |real| (1 = predicting nothing) and the cosine of the two motion vectors, per pair.
import { MOBILE_POINTS } from './face-frame';
import { displacementVector, type MotionBasis, type MotionScore } from './motion-model';

export type { MotionScore };
import type { MotionPair } from './motion-pairs';

/** Face-frame displacement [68 * 2] the basis predicts for a pair. */
export function predict(basis: MotionBasis, pair: Pick<MotionPair, 'sourceAus' | 'targetAus'>): Float64Array {
  return displacementVector(basis, pair.sourceAus, pair.targetAus);
}

const mean = (v: readonly number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN);

function median(v: readonly number[]): number {
  if (!v.length) return Number.NaN;
  const s = [...v].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** The three dot products a pair's figures come from, over the given points. */
export interface PairSums {
  readonly rr: number;
  readonly pp: number;
  readonly rp: number;
}

export function pairSums(real: ArrayLike<number>, predicted: ArrayLike<number>, points: readonly number[] = MOBILE_POINTS): PairSums {
  let rr = 0, pp = 0, rp = 0;
  for (const i of points) {
    for (const k of [2 * i, 2 * i + 1]) {
      rr += real[k] * real[k];
      pp += predicted[k] * predicted[k];
      rp += real[k] * predicted[k];
    }
  }
  return { rr, pp, rp };
}

/** Figures of predictions scaled by `gain`; pairs whose real motion is zero are left out, as no ratio is defined for them. */
export function scoreSums(sums: readonly PairSums[], gain = 1): MotionScore {
  const ratios: number[] = [];
  const cosines: number[] = [];
  const magnitudes: number[] = [];
  for (const { rr, pp, rp } of sums) {
    if (rr === 0) continue;
    ratios.push(Math.sqrt(Math.max(0, gain * gain * pp - 2 * gain * rp + rr) / rr));
    cosines.push(pp === 0 ? 0 : (Math.sign(gain) * rp) / Math.sqrt(rr * pp));
    magnitudes.push(Math.abs(gain) * Math.sqrt(pp / rr));
  }
  return {
    pairs: ratios.length,
    errorRatioMean: mean(ratios),
    errorRatioMedian: median(ratios),
    cosineMean: mean(cosines),
    cosineMedian: median(cosines),
    magnitudeMedian: median(magnitudes),
  };
}

export function scorePredictions(items: readonly { readonly real: ArrayLike<number>; readonly predicted: ArrayLike<number> }[], points: readonly number[] = MOBILE_POINTS): MotionScore {
  return scoreSums(items.map((it) => pairSums(it.real, it.predicted, points)));
}

export function scoreBasis(basis: MotionBasis, pairs: readonly MotionPair[], points: readonly number[] = MOBILE_POINTS): MotionScore {
  return scorePredictions(pairs.map((p) => ({ real: p.displacement, predicted: predict(basis, p) })), points);
}
