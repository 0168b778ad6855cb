// Held-out evaluation of the motion fit: performers split into folds, each fold predicted by a basis
// whose penalty and gain were chosen on the other performers only (nested cross-validation).
import { StudioError } from '../../shared/errors';
import { basisFromStats, chooseRidge, performerStats, sumStats, type PerformerStats, type RidgeChoice, type ShapeOptions } from './motion-fit';
import type { MotionBasis, MotionFitInfo } from './motion-model';
import type { MotionPair } from './motion-pairs';
import { predict, scorePredictions, type MotionScore } from './motion-score';

export interface HeldOutPrediction {
  readonly pair: MotionPair;
  readonly predicted: Float64Array;
}

export interface FoldResult {
  readonly heldOut: readonly string[];
  readonly choice: RidgeChoice;
  /** Fitted on the other performers with `choice`. */
  readonly basis: MotionBasis;
}

export interface CrossValidation {
  readonly score: MotionScore;
  /** Score per posed expression, in order of first appearance. */
  readonly byExpression: ReadonlyMap<string, MotionScore>;
  readonly predictions: HeldOutPrediction[];
  readonly folds: FoldResult[];
}

/** k folds of the sorted performers, dealt round-robin so that every fold is used; k is capped at their number. */
export function performerFolds(performers: readonly string[], k: number): string[][] {
  const sorted = [...new Set(performers)].sort();
  const count = Math.max(1, Math.min(Math.floor(k), sorted.length));
  const folds: string[][] = Array.from({ length: count }, () => []);
  sorted.forEach((p, i) => folds[i % count].push(p));
  return folds;
}

/** Chooses lambda and gain on the training performers' pairs (leave one performer out) and fits on all of them. */
export function tuneAndFit(train: readonly PerformerStats[], shape: ShapeOptions): { choice: RidgeChoice; basis: MotionBasis } {
  const choice = chooseRidge(train, shape);
  return { choice, basis: basisFromStats(sumStats(train), { ...shape, lambda: choice.lambda, gain: choice.gain }) };
}

export function summarise(predictions: readonly HeldOutPrediction[]): Pick<CrossValidation, 'score' | 'byExpression'> {
  const items = (ps: readonly HeldOutPrediction[]) => ps.map((p) => ({ real: p.pair.displacement, predicted: p.predicted }));
  const expressions = [...new Set(predictions.map((p) => p.pair.expression))];
  return {
    score: scorePredictions(items(predictions)),
    byExpression: new Map(expressions.map((e) => [e, scorePredictions(items(predictions.filter((p) => p.pair.expression === e)))])),
  };
}

function validateGroups(groups: readonly PerformerStats[], folds: readonly (readonly string[])[], shape: ShapeOptions): CrossValidation {
  const predictions: HeldOutPrediction[] = [];
  const results: FoldResult[] = [];
  for (const fold of folds) {
    const held = new Set(fold);
    const test = groups.filter((g) => held.has(g.performer));
    const train = groups.filter((g) => !held.has(g.performer));
    if (test.length === 0) continue;
    if (train.length < 2) throw new StudioError('motion-fit-performers', `held-out evaluation needs at least two training performers beside ${fold.join(', ')}`);
    const { choice, basis } = tuneAndFit(train, shape);
    for (const g of test) predictions.push(...g.pairs.map((pair) => ({ pair, predicted: predict(basis, pair) })));
    results.push({ heldOut: test.map((g) => g.performer), choice, basis });
  }
  if (predictions.length === 0) throw new StudioError('motion-fit-holdout', `no pairs of the held-out performers (${folds.flat().join(', ')}) to measure on`);
  return { ...summarise(predictions), predictions, folds: results };
}

/** Every fold of performers predicted by a basis fitted (and tuned) on the remaining performers. */
export function crossValidate(pairs: readonly MotionPair[], folds: readonly (readonly string[])[], shape: ShapeOptions): CrossValidation {
  return validateGroups(performerStats(pairs, shape.terms), folds, shape);
}

export interface MotionFit {
  /** Fitted on every given performer, with its fit record (settings and held-out figures). */
  readonly basis: MotionBasis;
  readonly choice: RidgeChoice;
  readonly heldOut: CrossValidation;
}

/**
 * The held-out figures from `folds` (nested: each fold tuned and fitted without it), then the basis
 * itself, tuned and fitted on all the pairs.
 */
export function fitMotionModel(pairs: readonly MotionPair[], folds: readonly (readonly string[])[], shape: ShapeOptions, extra: Readonly<Record<string, string>> = {}): MotionFit {
  const groups = performerStats(pairs, shape.terms);
  const heldOut = validateGroups(groups, folds, shape);
  const { choice, basis } = tuneAndFit(groups, shape);
  const fit: MotionFitInfo = {
    performers: groups.map((g) => g.performer),
    pairs: pairs.length,
    lambda: choice.lambda,
    gain: choice.gain,
    options: { ...shape, ...extra },
    heldOut: { ...heldOut.score, performers: heldOut.folds.flatMap((f) => f.heldOut) },
  };
  return { basis: { ...basis, fit }, choice, heldOut };
}
