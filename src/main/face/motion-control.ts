// Slider control of a motion basis, in landmarks alone: each AU driven by itself on neutral faces, the
// moved landmarks read back by the AU estimator (expression probabilities held at the face's own), so
// a basis that moves the brows for a smile, or nothing at all, scores low.
import { AU_ORDER, type AuName } from '../../shared/aus';
import { estimateAus } from './au-estimator';
import type { LabelledFace } from './motion-data';
import { moveLandmarks, type MotionBasis } from './motion-model';

export const CONTROL_LEVELS: readonly number[] = [0.3, 0.6, 0.9];

export interface ControlScore {
  /** Pearson r of the driven level against the AU read back, per AU. */
  readonly r: Readonly<Partial<Record<AuName, number>>>;
  readonly meanR: number;
  /** Mean change of the AUs that were not driven: cross-talk (0 is none). */
  readonly leak: number;
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/** Each basis drives its own neutral faces (e.g. one cross-validation fold each); r pools every face. */
export interface ControlCase {
  readonly basis: MotionBasis;
  readonly neutrals: readonly LabelledFace[];
}

export function controlScore(cases: readonly ControlCase[], aus: readonly AuName[], levels: readonly number[] = CONTROL_LEVELS): ControlScore {
  const r: Partial<Record<AuName, number>> = {};
  let leakSum = 0;
  let leakCount = 0;
  for (const au of aus) {
    const index = AU_ORDER.indexOf(au);
    const driven: number[] = [];
    const measured: number[] = [];
    for (const { basis, neutrals } of cases) {
      for (const face of neutrals) {
        const source = estimateAus(face);
        for (const level of levels) {
          const target = Float32Array.from(source);
          target[index] = level;
          const read = estimateAus({ landmarks: moveLandmarks(face.landmarks, basis, source, target), expressions: face.expressions });
          driven.push(level);
          measured.push(read[index]);
          read.forEach((v, i) => {
            if (i === index) return;
            leakSum += Math.abs(v - source[i]);
            leakCount++;
          });
        }
      }
    }
    r[au] = pearson(driven, measured);
  }
  const values = Object.values(r);
  return { r, meanR: values.reduce((a, b) => a + b, 0) / Math.max(1, values.length), leak: leakCount ? leakSum / leakCount : 0 };
}
