// The built-in AU estimator (not OpenFace): each of the 17 AUs in [0, 1] from landmark geometry
// (see au-features.ts) blended with face-api's expression probabilities through EMFACS-style
// prototypes. Deterministic; method and limits in docs/au-estimator.md.
import { AU_ORDER, type AuName } from '../../shared/aus';
import { auFeatures, type AuFeatures } from './au-features';
import type { Expression, Face } from './detector';

/** Neutral means of the features on posed front-view portraits (tw-expressions, performers 01-16). */
const NEUTRAL = { innerBrow: 0.3, outerBrow: 0.276, browGap: 0.55, eyeOpen: 0.284, mouthWidth: 0.78, cornerLift: 0.005, lipGap: 0.012, jaw: 0.86, noseToLip: 0.182, lipToChin: 0.46, lipThickness: 0.104, noseWing: 0.58 };

/** 0 below `start`, rising linearly to 1 over `span`. */
const ramp = (x: number, start: number, span: number): number => Math.min(1, Math.max(0, (x - start) / span));

type Geometry = (f: AuFeatures) => number;

const GEOMETRY: Readonly<Record<AuName, Geometry>> = {
  AU01: (f) => ramp(f.innerBrow - NEUTRAL.innerBrow, 0.005, 0.06),
  AU02: (f) => ramp(f.outerBrow - NEUTRAL.outerBrow, 0.005, 0.05),
  AU04: (f) => ramp(NEUTRAL.innerBrow - f.innerBrow + (NEUTRAL.browGap - f.browGap), 0.01, 0.08),
  AU05: (f) => ramp(f.eyeOpen - NEUTRAL.eyeOpen, 0.01, 0.06),
  AU06: (f) => 0.5 * ramp(f.cornerLift - NEUTRAL.cornerLift, 0.015, 0.08) + 0.5 * ramp(NEUTRAL.eyeOpen - f.eyeOpen, 0.005, 0.06),
  AU07: (f) => ramp(NEUTRAL.eyeOpen - f.eyeOpen, 0.01, 0.07),
  AU09: (f) => ramp(NEUTRAL.noseWing - f.noseWing, 0.01, 0.07),
  AU10: (f) => ramp(NEUTRAL.noseToLip - f.noseToLip, 0.01, 0.06),
  AU12: (f) => 0.5 * ramp(f.cornerLift - NEUTRAL.cornerLift, 0.015, 0.08) + 0.5 * ramp(f.mouthWidth - NEUTRAL.mouthWidth, 0.03, 0.2),
  AU14: (f) => 0.4 * ramp(f.mouthWidth - NEUTRAL.mouthWidth, 0.04, 0.2) * (1 - ramp(f.lipGap, 0.03, 0.1)),
  AU15: (f) => ramp(NEUTRAL.cornerLift - f.cornerLift, 0.01, 0.05),
  AU17: (f) => ramp(NEUTRAL.lipToChin - f.lipToChin, 0.015, 0.08),
  AU20: (f) => ramp(f.mouthWidth - NEUTRAL.mouthWidth, 0.03, 0.2) * (1 - ramp(f.cornerLift - NEUTRAL.cornerLift, 0.01, 0.05)),
  AU23: (f) => ramp(NEUTRAL.lipThickness - f.lipThickness, 0.003, 0.03),
  AU25: (f) => ramp(f.lipGap, 0.03, 0.15),
  AU26: (f) => ramp(f.jaw - NEUTRAL.jaw, 0.04, 0.25),
  AU45: (f) => ramp(NEUTRAL.eyeOpen - f.eyeOpen, 0.12, 0.1),
};

/** How much each expression implies each AU (EMFACS prototypes, as intensities). */
const EXPRESSION_AUS: Readonly<Partial<Record<Expression, Partial<Record<AuName, number>>>>> = {
  happy: { AU06: 0.9, AU12: 1, AU25: 0.4 },
  sad: { AU01: 0.6, AU04: 0.5, AU15: 0.8, AU17: 0.4 },
  surprised: { AU01: 0.9, AU02: 0.9, AU05: 0.8, AU25: 0.8, AU26: 0.8 },
  angry: { AU04: 1, AU05: 0.3, AU07: 0.8, AU17: 0.3, AU23: 0.6 },
  disgusted: { AU04: 0.4, AU09: 0.9, AU10: 0.8, AU15: 0.3, AU17: 0.3 },
  fearful: { AU01: 0.8, AU02: 0.6, AU04: 0.4, AU05: 0.9, AU20: 0.8, AU25: 0.6, AU26: 0.4 },
};

/** Weight of the geometric evidence; the rest comes from the expression probabilities. */
export const GEOMETRY_WEIGHT = 0.65;

export function estimateAus(face: Pick<Face, 'landmarks' | 'expressions'>): Float32Array {
  const f = auFeatures(face.landmarks);
  return Float32Array.from(AU_ORDER, (au) => {
    let implied = 0;
    for (const [expression, aus] of Object.entries(EXPRESSION_AUS)) implied += (face.expressions[expression as Expression] ?? 0) * (aus[au] ?? 0);
    return Math.min(1, Math.max(0, GEOMETRY_WEIGHT * GEOMETRY[au](f) + (1 - GEOMETRY_WEIGHT) * implied));
  });
}
