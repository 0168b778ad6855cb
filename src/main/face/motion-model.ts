// The landmark motion model: how the 68 landmarks move, in the face frame (inter-ocular units), when
// the AUs go from a face's own values to target values; its compact JSON form, validated on load.
import { z } from 'zod';
import { AU_COUNT, AU_ORDER, type AuName } from '../../shared/aus';
import { StudioError } from '../../shared/errors';
import { checkLandmarks, faceFrameOf, LANDMARK_COUNT, vectorsToPhoto, type Point } from './face-frame';


export const MOTION_BASIS_FORMAT = 'ganimation-motion-basis';
export const MOTION_BASIS_VERSION = 1;
/** Numbers per row: [x, y] for each landmark. */
export const ROW_LENGTH = LANDMARK_COUNT * 2;

/** Figures of predicted against real motion over the mobile points (see motion-score.ts). */
export const motionScoreSchema = z.object({
  pairs: z.number(),
  errorRatioMean: z.number(),
  errorRatioMedian: z.number(),
  cosineMean: z.number(),
  cosineMedian: z.number(),
  /** Median |pred| / |real|: below 1 the model under-moves. */
  magnitudeMedian: z.number(),
});
export type MotionScore = z.infer<typeof motionScoreSchema>;

/** How a basis was fitted and how it scored on performers it did not see, carried along for model cards. */
export const motionFitInfoSchema = z.object({
  performers: z.array(z.string()),
  pairs: z.number(),
  lambda: z.number(),
  gain: z.number(),
  options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  heldOut: motionScoreSchema.extend({ performers: z.array(z.string()) }),
});
export type MotionFitInfo = z.infer<typeof motionFitInfoSchema>;

/** A higher-order term: the product of the AUs at these indices (repeats allowed: [i, i] is AU i squared) and its motion row. */
export interface MotionTerm {
  readonly aus: readonly number[];
  /** [68][2] flattened, inter-ocular units per unit of the product. */
  readonly row: Float32Array;
  /**
   * The highest value the product (of the capped AUs) reached in the fit's pairs; past it the term
   * stops. Capping each AU alone still lets a product run past its data: the angry preset asks AU04 1
   * with AU07 and AU23 0.8, a combination no photo shows, and the product terms then cancel most of
   * the brow motion (0.009 inter-ocular units at full intensity, less than at 0.8). Absent: no cap.
   */
  readonly ceiling?: number;
}

/**
 * displacement = sum over terms of row * (f(target) - f(source)), f the term's monomial (a single AU
 * for the linear part). Each term is a difference of one function of target and source, so a face
 * asked for its own AUs does not move at all.
 */
export interface MotionBasis {
  /** [17 AUs][68][2] flattened (AU_ORDER): face-frame displacement, inter-ocular units per unit AU. */
  readonly linear: Float32Array;
  /** Squares, cubes and products the fit kept beside the linear part; may be empty. */
  readonly terms: readonly MotionTerm[];
  /**
   * [17] Inside the terms each AU is capped here, at the highest value the fit saw: beyond its data a
   * polynomial runs away (tw-expressions never shows AU14 or AU45 above 0.25), so past the cap the
   * motion goes on along the linear part only.
   */
  readonly termCeilings?: Float32Array;
  readonly fit?: MotionFitInfo;
}

function checkAus(aus: ArrayLike<number>, what: string): void {
  if (aus.length !== AU_COUNT) throw new StudioError('bad-aus', `${what}: expected ${AU_COUNT} AU intensities, got ${aus.length}`);
}

/** AUs live in [0, 1], so a ceiling of 1 caps nothing. */
const UNCAPPED = new Float32Array(AU_COUNT).fill(1);

/** The product of the AUs at `indices`, each capped at its ceiling. */
export function monomial(aus: ArrayLike<number>, indices: readonly number[], ceilings: ArrayLike<number>): number {
  let v = 1;
  for (const i of indices) v *= Math.min(aus[i], ceilings[i]);
  return v;
}

/** A term's monomial, capped at the term's own ceiling. */
function termValue(aus: ArrayLike<number>, term: MotionTerm, ceilings: ArrayLike<number>): number {
  return Math.min(monomial(aus, term.aus, ceilings), term.ceiling ?? 1);
}

function addRow(out: Float64Array, row: Float32Array, offset: number, weight: number): void {
  for (let k = 0; k < ROW_LENGTH; k++) out[k] += row[offset + k] * weight;
}

/** The displacement as one flat vector [68 * 2] (x0, y0, x1, ...): the form the fit and the scores use. */
export function displacementVector(basis: MotionBasis, sourceAus: ArrayLike<number>, targetAus: ArrayLike<number>): Float64Array {
  checkAus(sourceAus, 'source AUs');
  checkAus(targetAus, 'target AUs');
  const out = new Float64Array(ROW_LENGTH);
  for (let au = 0; au < AU_COUNT; au++) {
    const delta = targetAus[au] - sourceAus[au];
    if (delta !== 0) addRow(out, basis.linear, au * ROW_LENGTH, delta);
  }
  const ceilings = basis.termCeilings ?? UNCAPPED;
  for (const term of basis.terms) {
    const delta = termValue(targetAus, term, ceilings) - termValue(sourceAus, term, ceilings);
    if (delta !== 0) addRow(out, term.row, 0, delta);
  }
  return out;
}

/** Face-frame displacement [68][2] (inter-ocular units) that takes a face from `sourceAus` to `targetAus`. */
export function displacementFor(basis: MotionBasis, sourceAus: ArrayLike<number>, targetAus: ArrayLike<number>): Point[] {
  const out = displacementVector(basis, sourceAus, targetAus);
  return Array.from({ length: LANDMARK_COUNT }, (_, i): Point => [out[2 * i], out[2 * i + 1]]);
}

/** Photo-space landmarks moved from `sourceAus` to `targetAus`; the face's own AUs return them unchanged. */
export function moveLandmarks(landmarks: readonly Point[], basis: MotionBasis, sourceAus: ArrayLike<number>, targetAus: ArrayLike<number>): Point[] {
  checkLandmarks(landmarks);
  const moves = vectorsToPhoto(faceFrameOf(landmarks), displacementFor(basis, sourceAus, targetAus));
  return landmarks.map(([x, y], i): Point => [x + moves[i][0], y + moves[i][1]]);
}

/** 1e-5 inter-ocular units is about a thousandth of a pixel on a large portrait: nothing visible is lost. */
const round = (v: number): number => Math.round(v * 1e5) / 1e5;
function roundRow(row: Float32Array, what: string): number[] {
  const bad = row.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new StudioError('bad-motion-basis', `cannot write a motion basis whose ${what} entry ${bad} is ${row[bad]}`);
  return Array.from(row, round);
}

/** Compact JSON: format, version, AU order, landmark count and units, one row of 136 numbers per AU, then the extra terms. */
export function serializeMotionBasis(basis: MotionBasis): string {
  return JSON.stringify({
    format: MOTION_BASIS_FORMAT,
    version: MOTION_BASIS_VERSION,
    auOrder: AU_ORDER,
    landmarkCount: LANDMARK_COUNT,
    units: 'inter-ocular distance per unit AU intensity, face frame (origin between the eye centres, x along the eye line, y down)',
    linear: Array.from({ length: AU_COUNT }, (_, au) => roundRow(basis.linear.subarray(au * ROW_LENGTH, (au + 1) * ROW_LENGTH), `"linear" row ${AU_ORDER[au]}`)),
    terms: basis.terms.map((t, i) => ({
      aus: t.aus.map((a) => AU_ORDER[a]),
      row: roundRow(t.row, `term ${i}`),
      // rounded up, so no product the fit saw is cut
      ...(t.ceiling === undefined ? {} : { ceiling: Math.ceil(t.ceiling * 1e5) / 1e5 }),
    })),
    termCeilings: Array.from(basis.termCeilings ?? UNCAPPED, round),
    ...(basis.fit ? { fit: basis.fit } : {}),
  });
}

type Fail = (problem: string) => never;

function readRow(value: unknown, what: string, fail: Fail): Float32Array {
  if (!Array.isArray(value) || value.length !== ROW_LENGTH) fail(`${what} must hold ${ROW_LENGTH} numbers (x, y for each of ${LANDMARK_COUNT} landmarks)`);
  const row = new Float32Array(ROW_LENGTH);
  (value as unknown[]).forEach((v, k) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${what} entry ${k} is not a finite number`);
    row[k] = v as number;
  });
  return row;
}

function readTerm(value: unknown, index: number, fail: Fail): MotionTerm {
  const t = (typeof value === 'object' && value !== null ? value : {}) as { aus?: unknown; row?: unknown; ceiling?: unknown };
  if (!Array.isArray(t.aus) || t.aus.length < 2 || t.aus.length > 3) fail(`term ${index} must name two or three AUs`);
  const aus = (t.aus as unknown[]).map((name) => {
    const i = AU_ORDER.indexOf(name as AuName);
    if (i < 0) fail(`term ${index} names ${JSON.stringify(name)}, which is not one of the studio's AUs`);
    return i;
  });
  const name = `term ${index} (${aus.map((i) => AU_ORDER[i]).join('*')})`;
  const row = readRow(t.row, name, fail);
  if (t.ceiling === undefined) return { aus, row };
  if (typeof t.ceiling !== 'number' || !(t.ceiling >= 0 && t.ceiling <= 1)) fail(`${name} "ceiling" must be a number in [0, 1]`);
  return { aus, row, ceiling: t.ceiling as number };
}

function readCeilings(value: unknown, fail: Fail): Float32Array {
  if (!Array.isArray(value) || value.length !== AU_COUNT) fail(`"termCeilings" must hold one number per AU (${AU_COUNT})`);
  return Float32Array.from(value as unknown[], (v, i) => {
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail(`"termCeilings" ${AU_ORDER[i]} must be a number in [0, 1]`);
    return v as number;
  });
}

/** Reads a serialised basis; every problem throws a 'bad-motion-basis' StudioError naming `origin`. */
export function parseMotionBasis(text: string, origin: string): MotionBasis {
  const fail: Fail = (problem) => {
    throw new StudioError('bad-motion-basis', `${origin}: motion basis ${problem}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return fail(`is not valid JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('is not a JSON object');
  const r = raw as Record<string, unknown>;
  if (r.format !== MOTION_BASIS_FORMAT) fail(`has format ${JSON.stringify(r.format)}, expected "${MOTION_BASIS_FORMAT}"`);
  if (r.version !== MOTION_BASIS_VERSION) fail(`has version ${JSON.stringify(r.version)}; this studio reads version ${MOTION_BASIS_VERSION}`);
  const order = r.auOrder;
  if (!Array.isArray(order) || order.join(' ') !== AU_ORDER.join(' ')) fail(`AU order ${Array.isArray(order) ? order.join(' ') : JSON.stringify(order)} differs from the studio's ${AU_ORDER.join(' ')}`);
  if (r.landmarkCount !== LANDMARK_COUNT) fail(`is for ${JSON.stringify(r.landmarkCount)} landmarks; the studio uses ${LANDMARK_COUNT}`);
  if (!Array.isArray(r.linear) || r.linear.length !== AU_COUNT) fail(`"linear" must have one row per AU (${AU_COUNT})`);
  const linear = new Float32Array(AU_COUNT * ROW_LENGTH);
  (r.linear as unknown[]).forEach((row, au) => linear.set(readRow(row, `"linear" row ${AU_ORDER[au]}`, fail), au * ROW_LENGTH));
  if (r.terms !== undefined && !Array.isArray(r.terms)) fail('"terms" must be a list');
  const terms = ((r.terms as unknown[] | undefined) ?? []).map((t, i) => readTerm(t, i, fail));
  const termCeilings = r.termCeilings === undefined ? Float32Array.from(UNCAPPED) : readCeilings(r.termCeilings, fail);
  if (r.fit === undefined) return { linear, terms, termCeilings };
  const fit = motionFitInfoSchema.safeParse(r.fit);
  if (!fit.success) fail(`fit record is malformed (${fit.error.issues.map((i) => `${i.path.join('.') || 'fit'}: ${i.message}`).join('; ')})`);
  return { linear, terms, termCeilings, fit: fit.data };
}
