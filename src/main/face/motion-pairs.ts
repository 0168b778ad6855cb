// Same-person pairs for the motion fit: each performer's neutral photo against each of their posed
// photos, AUs from the built-in estimator, the posed landmarks aligned onto the neutral ones on stable
// points and the difference taken in the neutral's face frame.
import { estimateAus } from './au-estimator';
import { applySimilarity, faceFrameOf, fitSimilarity, LANDMARK_COUNT, STABLE_POINTS, toFaceFrame, type Point, type Similarity } from './face-frame';
import type { LabelledFace, Skipped } from './motion-data';

export interface MotionPair {
  readonly performer: string;
  readonly neutralFile: string;
  readonly file: string;
  readonly expression: string;
  readonly sourceAus: Float32Array;
  readonly targetAus: Float32Array;
  /** Posed minus neutral landmarks, [68 * 2] as x0, y0, x1, ..., in the neutral's face frame (inter-ocular units). */
  readonly displacement: Float64Array;
}

/** 'each': every neutral photo of a performer against every posed one; 'first': the first neutral photo only. */
export const NEUTRAL_CHOICES = ['each', 'first'] as const;
export type NeutralChoice = (typeof NEUTRAL_CHOICES)[number];

/**
 * Limits of a believable alignment between two portraits of one person taken in one session: larger
 * scale changes or stable-point misfits are failed detections (measured on tw-expressions 01-16: a
 * few posed photos have landmarks at 2-10x the neutral's scale, with residuals of 0.13-0.28).
 */
const MAX_SCALE_CHANGE = 1.5;
const MAX_STABLE_RESIDUAL = 0.1;

export const NEUTRAL = 'neutral';

/** Where a posed photo lands on its neutral photo: the similarity and both landmark sets in the neutral's face frame. */
export interface StableAlignment {
  /** Carries the posed landmarks (pixels) onto the neutral ones (pixels). */
  readonly similarity: Similarity;
  readonly neutralInFrame: Point[];
  readonly posedInFrame: Point[];
}

/** The similarity taking `posed` onto `neutral` on the stable points, or why the two do not align (the limits above). */
export function stableAlignment(neutral: readonly Point[], posed: readonly Point[]): StableAlignment | string {
  const similarity = fitSimilarity(posed, neutral, STABLE_POINTS);
  const scale = Math.hypot(similarity.a, similarity.b);
  if (scale > MAX_SCALE_CHANGE || scale < 1 / MAX_SCALE_CHANGE) return `its face is ${(1 / scale).toFixed(2)}x the size of the neutral photo's (a failed detection?)`;
  const frame = faceFrameOf(neutral);
  const neutralInFrame = toFaceFrame(frame, neutral);
  const posedInFrame = toFaceFrame(frame, applySimilarity(similarity, posed));
  let residual = 0;
  for (const i of STABLE_POINTS) residual += (posedInFrame[i][0] - neutralInFrame[i][0]) ** 2 + (posedInFrame[i][1] - neutralInFrame[i][1]) ** 2;
  residual = Math.sqrt(residual / STABLE_POINTS.length);
  if (residual > MAX_STABLE_RESIDUAL) return `its eye corners and nose bridge misfit the neutral photo's by ${residual.toFixed(3)} inter-ocular units (a failed detection or a turned head?)`;
  return { similarity, neutralInFrame, posedInFrame };
}

/** Aligned displacement of `posed` from `neutral`, or why the two do not align. */
export function alignedDisplacement(neutral: readonly Point[], posed: readonly Point[]): Float64Array | string {
  const alignment = stableAlignment(neutral, posed);
  if (typeof alignment === 'string') return alignment;
  const { neutralInFrame: base, posedInFrame: moved } = alignment;
  const out = new Float64Array(LANDMARK_COUNT * 2);
  for (let i = 0; i < LANDMARK_COUNT; i++) {
    out[2 * i] = moved[i][0] - base[i][0];
    out[2 * i + 1] = moved[i][1] - base[i][1];
  }
  return out;
}

/**
 * The neutral photos that align with at least one other neutral photo of the same performer: a failed
 * detection (tw-expressions 1601a04: landmarks at 2.4x scale) would otherwise spoil every pair made with it.
 */
function agreeingNeutrals(neutrals: readonly LabelledFace[], skipped: Skipped[]): LabelledFace[] {
  if (neutrals.length < 2) return [...neutrals];
  const agrees = (f: LabelledFace) => neutrals.some((g) => g !== f && typeof alignedDisplacement(g.landmarks, f.landmarks) !== 'string');
  const kept = neutrals.filter(agrees);
  if (kept.length === 0) return [...neutrals];
  for (const f of neutrals) if (!kept.includes(f)) skipped.push({ file: f.file, reason: 'neutral photo whose landmarks match none of the performer\'s other neutral photos (a failed detection?)' });
  return kept;
}

export interface PairSet {
  readonly pairs: MotionPair[];
  readonly skipped: Skipped[];
  /** Performers that gave at least one pair. */
  readonly performers: string[];
}

/** Pairs of each performer's photos; a performer without a neutral photo and photos that do not align are reported. */
export function buildPairs(faces: readonly LabelledFace[], neutral: NeutralChoice = 'each'): PairSet {
  const byPerformer = new Map<string, LabelledFace[]>();
  for (const f of faces) byPerformer.set(f.performer, [...(byPerformer.get(f.performer) ?? []), f]);
  const pairs: MotionPair[] = [];
  const skipped: Skipped[] = [];
  const performers: string[] = [];
  for (const [performer, photos] of [...byPerformer].sort(([a], [b]) => a.localeCompare(b))) {
    const neutrals = agreeingNeutrals(photos.filter((f) => f.expression === NEUTRAL), skipped);
    const posed = photos.filter((f) => f.expression !== NEUTRAL);
    if (neutrals.length === 0) {
      skipped.push({ file: `performer ${performer}`, reason: `no neutral photo with a face (${posed.length} posed photos unused)` });
      continue;
    }
    const before = pairs.length;
    for (const base of neutral === 'each' ? neutrals : neutrals.slice(0, 1)) {
      const sourceAus = estimateAus(base);
      for (const photo of posed) {
        const displacement = alignedDisplacement(base.landmarks, photo.landmarks);
        if (typeof displacement === 'string') skipped.push({ file: photo.file, reason: `against ${base.file}: ${displacement}` });
        else pairs.push({ performer, neutralFile: base.file, file: photo.file, expression: photo.expression, sourceAus, targetAus: estimateAus(photo), displacement });
      }
    }
    if (pairs.length > before) performers.push(performer);
  }
  return { pairs, skipped, performers };
}
