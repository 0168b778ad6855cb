// Performance capture: per-frame AUs from an OpenFace FeatureExtraction CSV become keyframes,
// decimated per track (Ramer-Douglas-Peucker) so the linear curve stays within a tolerance; a track
// that stays within the tolerance of one value becomes a single key.
import { AU_ORDER } from '../aus';
import { StudioError } from '../errors';
import { parseOpenFaceCsv } from '../openface-csv';
import { newKeyframeId, type FaceId, type FaceTimeline, type Keyframe, type Timeline } from './model';

type Point = { time: number; value: number };

/** Indices of the points to keep so every dropped point is within `tolerance` of the line between kept ones. */
export function decimate(points: readonly Point[], tolerance: number): number[] {
  if (points.length <= 2) return points.map((_, i) => i);
  const keep = new Set([0, points.length - 1]);
  const stack: [number, number][] = [[0, points.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop() as [number, number];
    let worst = -1;
    let worstError = tolerance;
    for (let i = a + 1; i < b; i++) {
      const t = (points[i].time - points[a].time) / (points[b].time - points[a].time);
      const error = Math.abs(points[a].value + t * (points[b].value - points[a].value) - points[i].value);
      if (error > worstError) [worst, worstError] = [i, error];
    }
    if (worst >= 0) {
      keep.add(worst);
      stack.push([a, worst], [worst, b]);
    }
  }
  return [...keep].sort((x, y) => x - y);
}

/** Tracks for one face from a FeatureExtraction CSV; rows with success 0 are skipped. Times start at 0. */
export function importOpenFaceTracks(text: string, source: string, tolerance = 0.02): { tracks: FaceTimeline['tracks']; duration: number; frames: number } {
  const { header, rows } = parseOpenFaceCsv(text, source);
  if (!header.includes('timestamp')) throw new StudioError('csv-columns', `${source}: missing column timestamp (a FeatureExtraction CSV is needed)`);
  const usable = rows.filter((r) => r.cells.success === undefined || r.cells.success === '1');
  if (usable.length === 0) throw new StudioError('csv-empty', `${source}: no frame with a tracked face (success = 1)`);
  const times = usable.map((r) => Number(r.cells.timestamp));
  const bad = times.findIndex((t) => !Number.isFinite(t));
  if (bad >= 0) throw new StudioError('csv-row', `${source} line ${usable[bad].line}: timestamp is "${usable[bad].cells.timestamp}"`);
  const t0 = times[0];
  const tracks = Object.fromEntries(
    AU_ORDER.map((au, k) => {
      const points = usable.map((r, i) => ({ time: times[i] - t0, value: r.aus[k] }));
      // A track that never leaves the tolerance band is one key: it holds that value throughout.
      const values = points.map((p) => p.value);
      const steady = Math.max(...values) - Math.min(...values) <= tolerance;
      const kept = steady ? [0] : decimate(points, tolerance);
      const keys: Keyframe[] = kept.map((i) => ({ id: newKeyframeId(), time: points[i].time, value: steady ? (Math.max(...values) + Math.min(...values)) / 2 : points[i].value, easing: 'linear' }));
      return [au, keys];
    }),
  );
  return { tracks, duration: times[times.length - 1] - t0, frames: usable.length };
}

/** Longest timeline a capture may stretch to (seconds), as project files allow. */
const MAX_DURATION = 3600;

/**
 * A captured performance on one face: its tracks replace the face's own (other faces keep theirs),
 * and the timeline grows to hold the whole capture (to the next half second), never shrinks.
 */
export function applyPerformance(t: Timeline, faceId: FaceId, capture: { tracks: FaceTimeline['tracks']; duration: number }): Timeline {
  if (!t.faces.some((f) => f.faceId === faceId)) throw new StudioError('no-such-face', `the timeline has no face ${faceId}`);
  if (capture.duration > MAX_DURATION) throw new StudioError('capture-too-long', `the capture lasts ${Math.round(capture.duration)} s; a timeline holds at most ${MAX_DURATION} s`);
  const duration = Math.max(t.duration, Math.ceil(capture.duration * 2) / 2);
  return { ...t, duration, faces: t.faces.map((f) => (f.faceId === faceId ? { ...f, tracks: capture.tracks } : f)) };
}
