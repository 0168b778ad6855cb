// Emotion presets as AU vectors (order of AU_ORDER, intensities in [0, 1]) after the EMFACS
// prototypes, scaled by an intensity in [0, 1].
import { AU_ORDER, type AuName } from './aus';

export const EMOTIONS = ['neutral', 'happy', 'sad', 'surprised', 'angry', 'disgusted', 'fearful', 'contempt'] as const;
export type Emotion = (typeof EMOTIONS)[number];

/**
 * Prototype AUs at full intensity; AUs not listed are 0. An AU listed at 0 is one the emotion allows
 * without asking for it: absolute targets leave it at 0, and on a face it keeps its own value rather
 * than fading (a laugh's jaw drop stays open under "happy").
 */
const PROTOTYPES: Readonly<Record<Emotion, Partial<Record<AuName, number>>>> = {
  neutral: {},
  happy: { AU06: 0.8, AU12: 1, AU25: 0.3, AU26: 0 },
  sad: { AU01: 0.8, AU04: 0.6, AU15: 0.8, AU17: 0.4 },
  surprised: { AU01: 0.9, AU02: 0.9, AU05: 0.8, AU25: 0.7, AU26: 0.9 },
  angry: { AU04: 1, AU05: 0.4, AU07: 0.8, AU23: 0.8 },
  disgusted: { AU09: 0.9, AU10: 0.8, AU15: 0.4, AU17: 0.4 },
  fearful: { AU01: 0.8, AU02: 0.6, AU04: 0.6, AU05: 0.9, AU07: 0.3, AU20: 0.8, AU25: 0.6, AU26: 0.4 },
  contempt: { AU12: 0.5, AU14: 0.9 },
};

/**
 * The preset's AU vector at `intensity`. Without `own`, the prototype scaled by it (0 gives all
 * zeros, 1 the prototype): the absolute targets the evaluation protocol drives. With the face's own
 * AUs, intensity moves the face from its own expression toward the emotion: each AU the emotion
 * uses rises toward max(own, prototype) and never falls (pressing "happy" on a smiling photo does
 * not take its smile away), each AU it does not use fades toward 0, and 0 leaves the face as it is.
 */
export function emotionAus(emotion: Emotion, intensity = 1, own?: ArrayLike<number>): number[] {
  const k = Math.min(1, Math.max(0, intensity));
  const prototype = PROTOTYPES[emotion];
  if (!own) return AU_ORDER.map((au) => (prototype[au] ?? 0) * k);
  if (own.length !== AU_ORDER.length) throw new RangeError(`emotionAus: expected ${AU_ORDER.length} own AU intensities, got ${own.length}`);
  return AU_ORDER.map((au, i) => {
    const from = own[i];
    const to = prototype[au] === undefined ? 0 : Math.max(from, prototype[au]);
    return from + k * (to - from);
  });
}
