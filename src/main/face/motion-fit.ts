// Fits a motion basis to same-person pairs by ridge regression of the aligned landmark displacement on
// the AU change, with the penalty and an output gain chosen by cross-validation across performers.
import { AU_COUNT, AU_ORDER, type AuName } from '../../shared/aus';
import { StudioError } from '../../shared/errors';
import { LANDMARK_COUNT, MIRROR_INDEX } from './face-frame';
import { monomial, ROW_LENGTH, type MotionBasis } from './motion-model';
import type { MotionPair } from './motion-pairs';
import { pairSums, predict, scoreSums, type MotionScore } from './motion-score';


/** Which monomials beside the linear AUs the fit may use: 'second-order' is every square and pairwise product. */
export const TERM_SETS = ['linear', 'squares', 'cubic', 'second-order', 'second-order-cubic'] as const;
export type TermSet = (typeof TERM_SETS)[number];

export interface FitOptions {
  /** Ridge penalty per pair: the normal equations are averaged over pairs, so it does not scale with their number. */
  readonly lambda: number;
  readonly terms: TermSet;
  /** Each face region moves only with the AUs FACS gives it (REGION_AUS), not with whatever co-occurs in the data. */
  readonly regions: boolean;
  /** Average the basis with its left/right mirror image (the AUs are bilateral). */
  readonly symmetric: boolean;
  /**
   * Factor on the fitted basis: ridge shrinkage and noise in the estimated AUs both shrink the slopes.
   * On tw-expressions cross-validation picks 0.9-1.1: at the error-ratio optimum there is little to undo.
   */
  readonly gain: number;
}

/**
 * The shape that won on held-out performers (tw-expressions 01-16, one performer out, nested tuning;
 * cosine mean / error ratio median over MOBILE_POINTS): linear 0.745 / 0.582, linear symmetric
 * 0.756 / 0.572, + squares 0.774 / 0.566, + cubes 0.775 / 0.561, second-order 0.762 / 0.551 and
 * symmetric 0.795 / 0.505, second-order + cubes symmetric 0.798 / 0.509 (the cubes add 17 terms and
 * run further on random slider settings for nothing). Monomials of the AU change instead of
 * differences of monomials: 0.765 / 0.591. Per-region AU subsets cost 0.01-0.05 in cosine (linear
 * 0.745, second-order 0.750): on posed faces the AUs of other regions carry real information.
 * All with the term ceilings of MotionBasis.termCeilings, which cost nothing here (0.793 / 0.510 without),
 * and each term capped at its own maximum in the pairs (MotionTerm.ceiling), which moves no pair.
 */
export const DEFAULT_SHAPE: ShapeOptions = { terms: 'second-order', regions: false, symmetric: true };

/** The options that shape the model; lambda and gain are then chosen by cross-validation. */
export type ShapeOptions = Omit<FitOptions, 'lambda' | 'gain'>;

/** Landmark ranges and the AUs that may move them when `regions` is on. */
export const REGION_AUS: readonly { readonly points: readonly [number, number]; readonly aus: readonly AuName[] }[] = [
  { points: [0, 17], aus: ['AU10', 'AU12', 'AU14', 'AU15', 'AU17', 'AU20', 'AU23', 'AU25', 'AU26'] },
  { points: [17, 27], aus: ['AU01', 'AU02', 'AU04', 'AU05', 'AU06', 'AU07', 'AU09'] },
  { points: [27, 36], aus: ['AU06', 'AU09', 'AU10', 'AU12'] },
  { points: [36, 48], aus: ['AU01', 'AU02', 'AU04', 'AU05', 'AU06', 'AU07', 'AU09', 'AU12', 'AU45'] },
  { points: [48, 68], aus: ['AU06', 'AU09', 'AU10', 'AU12', 'AU14', 'AU15', 'AU17', 'AU20', 'AU23', 'AU25', 'AU26'] },
];

/** The extra monomials (AU index lists) of a term set, after the 17 linear ones. */
export function extraMonomials(terms: TermSet): number[][] {
  const aus = AU_ORDER.map((_, i) => i);
  const squares = aus.map((i) => [i, i]);
  const cubes = aus.map((i) => [i, i, i]);
  const products = aus.flatMap((i) => aus.filter((j) => j > i).map((j) => [i, j]));
  switch (terms) {
    case 'linear': return [];
    case 'squares': return squares;
    case 'cubic': return [...squares, ...cubes];
    case 'second-order': return [...squares, ...products];
    case 'second-order-cubic': return [...squares, ...products, ...cubes];
  }
}

/** Every feature column: the 17 single AUs, then the extra monomials. */
const columnsOf = (terms: TermSet): number[][] => [...AU_ORDER.map((_, i) => [i]), ...extraMonomials(terms)];

/** Per AU, the highest value among the pairs' source and target AUs: the terms' ceilings. */
export function auCeilings(pairs: readonly MotionPair[]): Float32Array {
  const out = new Float32Array(AU_COUNT);
  for (const p of pairs) for (let i = 0; i < AU_COUNT; i++) out[i] = Math.max(out[i], p.sourceAus[i], p.targetAus[i]);
  return out;
}

/** Per extra monomial of `terms`, the highest value it reaches (AUs capped at `ceilings`) among the pairs' source and target AUs. */
export function monomialMaxima(pairs: readonly MotionPair[], terms: TermSet, ceilings: Float32Array): Float64Array {
  const extra = extraMonomials(terms);
  const out = new Float64Array(extra.length);
  for (const pair of pairs) {
    extra.forEach((aus, i) => {
      out[i] = Math.max(out[i], monomial(pair.targetAus, aus, ceilings), monomial(pair.sourceAus, aus, ceilings));
    });
  }
  return out;
}

/** Sums of the normal equations of some pairs: X'X [p, p], X'Y [p, 136], and the pair count. */
export interface NormalStats {
  readonly terms: TermSet;
  /** The terms' AU ceilings the features were made with. */
  readonly ceilings: Float32Array;
  /** Per extra monomial, the highest value it reached in these pairs (source or target): the terms' own ceilings. */
  readonly termMaxima: Float64Array;
  readonly features: number;
  readonly n: number;
  readonly xtx: Float64Array;
  readonly xty: Float64Array;
}

/** The linear columns see the AUs as they are; only the higher-order terms are capped. */
const NO_CEILING = new Float32Array(AU_COUNT).fill(Infinity);

function featuresOf(pair: MotionPair, columns: readonly number[][], ceilings: Float32Array): Float64Array {
  return Float64Array.from(columns, (c) => {
    const cap = c.length === 1 ? NO_CEILING : ceilings;
    return monomial(pair.targetAus, c, cap) - monomial(pair.sourceAus, c, cap);
  });
}

/** `termMaxima`: the terms' own ceilings, by default the highest value each reaches in these pairs. */
export function normalStats(pairs: readonly MotionPair[], terms: TermSet, ceilings: Float32Array, termMaxima = monomialMaxima(pairs, terms, ceilings)): NormalStats {
  const columns = columnsOf(terms);
  const p = columns.length;
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p * ROW_LENGTH);
  for (const pair of pairs) {
    const f = featuresOf(pair, columns, ceilings);
    for (let i = 0; i < p; i++) {
      if (f[i] === 0) continue;
      for (let j = 0; j < p; j++) xtx[i * p + j] += f[i] * f[j];
      for (let k = 0; k < ROW_LENGTH; k++) xty[i * ROW_LENGTH + k] += f[i] * pair.displacement[k];
    }
  }
  return { terms, ceilings, termMaxima, features: p, n: pairs.length, xtx, xty };
}

/** a + b: sums add, and the term maxima are the larger of the two. */
function addStats(a: NormalStats, b: NormalStats): NormalStats {
  const termMaxima = a.termMaxima.map((v, i) => Math.max(v, b.termMaxima[i]));
  return { ...a, n: a.n + b.n, termMaxima, xtx: a.xtx.map((v, i) => v + b.xtx[i]), xty: a.xty.map((v, i) => v + b.xty[i]) };
}

/** a - b, e.g. all performers minus the held-out one; a maximum cannot be taken away, so a's term maxima stay. */
function subtractStats(a: NormalStats, b: NormalStats): NormalStats {
  return { ...a, n: a.n - b.n, xtx: a.xtx.map((v, i) => v - b.xtx[i]), xty: a.xty.map((v, i) => v - b.xty[i]) };
}

/** Solves A X = B for symmetric positive definite A [m, m] and B [m, r] by Cholesky; returns X. */
function solveSpd(a: Float64Array, b: Float64Array, m: number, r: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * m + j];
      for (let k = 0; k < j; k++) sum -= l[i * m + k] * l[j * m + k];
      if (i === j) {
        if (!(sum > 0)) throw new StudioError('motion-fit-singular', 'the ridge system is not positive definite (lambda 0 with too few pairs?)');
        l[i * m + i] = Math.sqrt(sum);
      } else l[i * m + j] = sum / l[j * m + j];
    }
  }
  const x = new Float64Array(m * r);
  for (let c = 0; c < r; c++) {
    const y = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      let sum = b[i * r + c];
      for (let k = 0; k < i; k++) sum -= l[i * m + k] * y[k];
      y[i] = sum / l[i * m + i];
    }
    for (let i = m - 1; i >= 0; i--) {
      let sum = y[i];
      for (let k = i + 1; k < m; k++) sum -= l[k * m + i] * x[k * r + c];
      x[i * r + c] = sum / l[i * m + i];
    }
  }
  return x;
}

/** Feature columns allowed for each landmark group: with regions, only monomials of the region's own AUs. */
function featureGroups(options: Pick<FitOptions, 'terms' | 'regions'>): { points: readonly [number, number]; features: number[] }[] {
  const columns = columnsOf(options.terms);
  const all = columns.map((_, i) => i);
  if (!options.regions) return [{ points: [0, LANDMARK_COUNT], features: all }];
  return REGION_AUS.map((r) => {
    const allowed = new Set(r.aus.map((au) => AU_ORDER.indexOf(au)));
    return { points: r.points, features: all.filter((i) => columns[i].every((au) => allowed.has(au))) };
  });
}

/** Coefficient matrix [p][136] solving the ridge problem, region by region. */
function ridgeCoefficients(stats: NormalStats, options: FitOptions): Float64Array {
  if (stats.n === 0) throw new StudioError('motion-fit-empty', 'no pairs to fit the motion model on');
  const p = stats.features;
  const coef = new Float64Array(p * ROW_LENGTH);
  for (const group of featureGroups(options)) {
    const m = group.features.length;
    const cols = Array.from({ length: 2 * (group.points[1] - group.points[0]) }, (_, k) => 2 * group.points[0] + k);
    const a = new Float64Array(m * m);
    const b = new Float64Array(m * cols.length);
    group.features.forEach((fi, i) => {
      group.features.forEach((fj, j) => (a[i * m + j] = stats.xtx[fi * p + fj] / stats.n + (i === j ? options.lambda : 0)));
      cols.forEach((k, c) => (b[i * cols.length + c] = stats.xty[fi * ROW_LENGTH + k] / stats.n));
    });
    const x = solveSpd(a, b, m, cols.length);
    group.features.forEach((fi, i) => cols.forEach((k, c) => (coef[fi * ROW_LENGTH + k] = x[i * cols.length + c])));
  }
  return coef;
}

/** The row of one AU averaged with its mirror image: point i takes point MIRROR_INDEX[i]'s motion with x negated. */
function symmetrise(row: Float64Array): Float64Array {
  const out = new Float64Array(ROW_LENGTH);
  for (let i = 0; i < LANDMARK_COUNT; i++) {
    const m = MIRROR_INDEX[i];
    out[2 * i] = (row[2 * i] - row[2 * m]) / 2;
    out[2 * i + 1] = (row[2 * i + 1] + row[2 * m + 1]) / 2;
  }
  return out;
}

/** The basis that the normal equations in `stats` give under `options`. */
export function basisFromStats(stats: NormalStats, options: FitOptions): MotionBasis {
  const coef = ridgeCoefficients(stats, options);
  const row = (column: number) => {
    const raw = coef.subarray(column * ROW_LENGTH, (column + 1) * ROW_LENGTH);
    return Float32Array.from(options.symmetric ? symmetrise(raw) : raw, (v) => options.gain * v);
  };
  const linear = new Float32Array(AU_COUNT * ROW_LENGTH);
  for (let au = 0; au < AU_COUNT; au++) linear.set(row(au), au * ROW_LENGTH);
  const terms = extraMonomials(options.terms).map((aus, i) => ({ aus, row: row(AU_COUNT + i), ceiling: stats.termMaxima[i] }));
  return { linear, terms, termCeilings: Float32Array.from(stats.ceilings) };
}

export function fitBasis(pairs: readonly MotionPair[], options: FitOptions): MotionBasis {
  return basisFromStats(normalStats(pairs, options.terms, auCeilings(pairs)), options);
}

export const LAMBDAS: readonly number[] = [1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1];
export const GAINS: readonly number[] = Array.from({ length: 31 }, (_, i) => Math.round((0.5 + 0.1 * i) * 10) / 10);

export interface RidgeChoice {
  readonly lambda: number;
  readonly gain: number;
  /** Leave-one-performer-out score inside the pairs it was chosen on. */
  readonly score: MotionScore;
}

/** One performer's pairs with their normal equations, computed once and summed per fold. */
export interface PerformerStats {
  readonly performer: string;
  readonly pairs: readonly MotionPair[];
  readonly stats: NormalStats;
}

/**
 * `ceilings` default to those of all the pairs, and the term maxima are those of all the pairs too:
 * only the AUs' range, never a held-out motion, crosses folds, so the caps move no pair's features
 * and no score. (Capped at the other performers' maxima instead, the held-out error ratio moves by 0.002
 * and cross-validation picks gain 1.0 over 0.9.)
 */
export function performerStats(pairs: readonly MotionPair[], terms: TermSet, ceilings = auCeilings(pairs)): PerformerStats[] {
  const termMaxima = monomialMaxima(pairs, terms, ceilings);
  const groups = new Map<string, MotionPair[]>();
  for (const p of pairs) groups.set(p.performer, [...(groups.get(p.performer) ?? []), p]);
  return [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([performer, own]) => ({ performer, pairs: own, stats: normalStats(own, terms, ceilings, termMaxima) }));
}

export const sumStats = (groups: readonly PerformerStats[]): NormalStats => groups.map((g) => g.stats).reduce(addStats);

/**
 * Lambda and gain with the lowest median error ratio when each performer is predicted by a fit on the
 * others; needs at least two performers.
 */
export function chooseRidge(groups: readonly PerformerStats[], options: ShapeOptions, lambdas = LAMBDAS, gains = GAINS): RidgeChoice {
  if (groups.length < 2) throw new StudioError('motion-fit-performers', `choosing the ridge penalty needs pairs of at least two performers, got ${groups.length}`);
  const total = sumStats(groups);
  let best: RidgeChoice | null = null;
  for (const lambda of lambdas) {
    const held = groups.flatMap((g) => {
      const basis = basisFromStats(subtractStats(total, g.stats), { ...options, lambda, gain: 1 });
      return g.pairs.map((pair) => pairSums(pair.displacement, predict(basis, pair)));
    });
    for (const gain of gains) {
      const score = scoreSums(held, gain);
      if (!best || score.errorRatioMedian < best.score.errorRatioMedian) best = { lambda, gain, score };
    }
  }
  return best as RidgeChoice;
}
