// Evaluation: a pure function of (track, time). Values at keys are exact; between keys the segment's
// easing applies; 'smooth' segments use monotone cubic (Fritsch-Carlson) through the neighbouring
// keys, which never overshoots and so stays within [0, 1].
import { AU_ORDER } from '../aus';
import { easingCurve } from './easing';
import type { FaceTimeline, Keyframe, Timeline, Track } from './model';

/** Fritsch-Carlson tangent at key i: 0 at extrema and flat spots, harmonic mean of the secants otherwise. */
function tangent(keys: Track, i: number): number {
  const secant = (a: number) => (keys[a + 1].value - keys[a].value) / (keys[a + 1].time - keys[a].time);
  if (i === 0) return keys.length > 1 ? secant(0) : 0;
  if (i === keys.length - 1) return secant(i - 1);
  const left = secant(i - 1);
  const right = secant(i);
  if (left * right <= 0) return 0;
  return (2 * left * right) / (left + right);
}

function smooth(keys: Track, i: number, time: number): number {
  const a = keys[i];
  const b = keys[i + 1];
  const h = b.time - a.time;
  const s = (time - a.time) / h;
  const m0 = tangent(keys, i);
  const m1 = tangent(keys, i + 1);
  const h00 = 2 * s ** 3 - 3 * s ** 2 + 1;
  const h10 = s ** 3 - 2 * s ** 2 + s;
  const h01 = -2 * s ** 3 + 3 * s ** 2;
  const h11 = s ** 3 - s ** 2;
  const v = h00 * a.value + h10 * h * m0 + h01 * b.value + h11 * h * m1;
  return Math.min(Math.max(v, Math.min(a.value, b.value)), Math.max(a.value, b.value));
}

/** The track's value at `time`; `fallback` when it has no keys. Keys must be sorted by time. */
export function evaluateTrack(keys: Track, time: number, fallback: number): number {
  if (keys.length === 0) return fallback;
  if (time <= keys[0].time) return keys[0].value;
  const last = keys[keys.length - 1];
  if (time >= last.time) return last.value;
  let i = 0;
  while (keys[i + 1].time <= time) i++;
  const a: Keyframe = keys[i];
  const b: Keyframe = keys[i + 1];
  if (a.easing === 'smooth') return smooth(keys, i, time);
  const progress = easingCurve(a.easing)((time - a.time) / (b.time - a.time));
  return a.value + (b.value - a.value) * progress;
}

export function evaluateFace(face: FaceTimeline, time: number): Float32Array {
  return Float32Array.from(AU_ORDER, (au, i) => evaluateTrack(face.tracks[au] ?? [], time, face.sourceAus[i] ?? 0));
}

/** Every face's 17 AUs at `time` (seconds), keyed by face id. */
export function evaluate(timeline: Timeline, time: number): Map<number, Float32Array> {
  return new Map(timeline.faces.map((f) => [f.faceId, evaluateFace(f, time)]));
}

/** Times of the frames of a render: frame i is at i / fps, for every frame inside [start, end). */
export function frameTimes(duration: number, fps: number, start = 0, end = duration): number[] {
  const first = Math.ceil(start * fps - 1e-9);
  const count = Math.max(0, Math.ceil(end * fps - 1e-9) - first);
  return Array.from({ length: count }, (_, i) => (first + i) / fps);
}
