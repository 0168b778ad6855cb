// How close an edited face's landmarks come to a posed photo's: both aligned to the neutral face on
// stable points, compared in inter-ocular units over the points that carry an expression, as an
// error ratio (1 = the edit did nothing) and the cosine between the two motions.
import { EXPRESSIONS } from '../face';
import { alignLandmarks, faceFrameOf, type Point } from '../face/face-frame';

/**
 * Brows 17-26, eyes 36-47 and mouth 48-67. Not face-frame's MOBILE_POINTS: that set adds the lower
 * jaw contour (5-11), which the detector places loosely; the reference figures (real-landmark
 * warp 0.68 / 0.66, linear geometry 0.34 / 1.04) were measured over these 42 points.
 */
export const TRANSFER_POINTS: readonly number[] = [...range(17, 27), ...range(36, 68)];

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

export interface MotionComparison {
  /** |out - posed| / |neutral - posed| over TRANSFER_POINTS: 0 = reached the pose, 1 = did nothing. */
  readonly errorRatio: number;
  /** Cosine between (out - neutral) and (posed - neutral); 0 when the output did not move. */
  readonly cosine: number;
  /** RMS distance of the output's points from the posed photo's, in inter-ocular units. */
  readonly errorIod: number;
  /** RMS motion of the posed photo from the neutral one, in inter-ocular units. */
  readonly posedMotionIod: number;
}

/**
 * Compares one output with its posed photo. `neutral` is the face that was edited; `posed` and `out`
 * are carried onto it by the similarity that best matches their stable points (eye corners, nose).
 */
export function compareMotion(neutral: readonly Point[], posed: readonly Point[], out: readonly Point[]): MotionComparison {
  const iod = faceFrameOf(neutral).iodPx;
  const posedAligned = alignLandmarks(posed, neutral);
  const outAligned = alignLandmarks(out, neutral);
  let errorSq = 0;
  let posedSq = 0;
  let outSq = 0;
  let dot = 0;
  for (const i of TRANSFER_POINTS) {
    const [nx, ny] = neutral[i];
    const [px, py] = [posedAligned[i][0] - nx, posedAligned[i][1] - ny];
    const [ox, oy] = [outAligned[i][0] - nx, outAligned[i][1] - ny];
    errorSq += (ox - px) ** 2 + (oy - py) ** 2;
    posedSq += px * px + py * py;
    outSq += ox * ox + oy * oy;
    dot += ox * px + oy * py;
  }
  const n = TRANSFER_POINTS.length;
  return {
    errorRatio: Math.sqrt(errorSq) / Math.sqrt(posedSq),
    cosine: outSq > 0 && posedSq > 0 ? dot / Math.sqrt(outSq * posedSq) : 0,
    errorIod: Math.sqrt(errorSq / n) / iod,
    posedMotionIod: Math.sqrt(posedSq / n) / iod,
  };
}

/** One edited pair's result; `motion` is null when no face was found in the output. */
export interface PairResult {
  readonly expression: string;
  readonly motion: MotionComparison | null;
  /** sharpnessKept of the output's face region against the neutral photo's. */
  readonly sharpness: number;
}

/** The figures of a set of pairs; ratios and cosines are over the outputs that kept their face. */
export interface TransferRow {
  readonly pairs: number;
  /** Outputs in which no face was detected: counted here, left out of the means. */
  readonly facesLost: number;
  readonly meanCosine: number;
  readonly medianErrorRatio: number;
  readonly meanErrorIod: number;
  readonly meanSharpness: number;
}

const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summarizePairs(results: readonly PairResult[]): TransferRow {
  const kept = results.flatMap((r) => (r.motion ? [r.motion] : []));
  return {
    pairs: results.length,
    facesLost: results.length - kept.length,
    meanCosine: mean(kept.map((m) => m.cosine)),
    medianErrorRatio: median(kept.map((m) => m.errorRatio)),
    meanErrorIod: mean(kept.map((m) => m.errorIod)),
    meanSharpness: mean(results.map((r) => r.sharpness).filter(Number.isFinite)),
  };
}

/** Where an expression's row goes: face-api's order, then names it does not know, alphabetically. */
const rank = (expression: string): number => {
  const i = (EXPRESSIONS as readonly string[]).indexOf(expression);
  return i < 0 ? EXPRESSIONS.length : i;
};

/** The overall row and one row per expression, in a fixed order whatever the sample. */
export function summarizeByExpression(results: readonly PairResult[]): { overall: TransferRow; byExpression: Record<string, TransferRow> } {
  const expressions = [...new Set(results.map((r) => r.expression))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const byExpression = Object.fromEntries(expressions.map((e) => [e, summarizePairs(results.filter((r) => r.expression === e))]));
  return { overall: summarizePairs(results), byExpression };
}
