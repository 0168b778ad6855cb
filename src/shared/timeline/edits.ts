// Keyframe edits as pure functions: each returns a new timeline and never mutates its input.
import { AU_ORDER, type AuName } from '../aus';
import type { Easing } from './easing';
import { newKeyframeId, type FaceId, type FaceTimeline, type Keyframe, type KeyframeId, type Timeline, type Track } from './model';

/** Keys closer than this (seconds) are the same key. */
export const SAME_TIME = 1e-6;

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
const sorted = (keys: Keyframe[]): Track => keys.sort((a, b) => a.time - b.time);

function updateFace(t: Timeline, faceId: FaceId, f: (face: FaceTimeline) => FaceTimeline): Timeline {
  if (!t.faces.some((x) => x.faceId === faceId)) throw new Error(`no face ${faceId} in the timeline`);
  return { ...t, faces: t.faces.map((face) => (face.faceId === faceId ? f(face) : face)) };
}

function updateTrack(t: Timeline, faceId: FaceId, au: AuName, f: (keys: Track) => Track): Timeline {
  return updateFace(t, faceId, (face) => ({ ...face, tracks: { ...face.tracks, [au]: f(face.tracks[au] ?? []) } }));
}

/** Sets a key at `time` (replacing one already there). */
export function addKey(t: Timeline, faceId: FaceId, au: AuName, time: number, value: number, easing: Easing = 'smooth', group?: string): Timeline {
  const at = Math.min(Math.max(time, 0), t.duration);
  return updateTrack(t, faceId, au, (keys) => {
    const rest = keys.filter((k) => Math.abs(k.time - at) >= SAME_TIME);
    return sorted([...rest, { id: newKeyframeId(), time: at, value: clamp01(value), easing, ...(group ? { group } : {}) }]);
  });
}

/** An expression keyframe: keys on several tracks at once, sharing a group id. */
export function addExpressionKey(t: Timeline, faceId: FaceId, time: number, aus: readonly number[], easing: Easing = 'smooth'): Timeline {
  const group = newKeyframeId();
  return AU_ORDER.reduce((acc, au, i) => addKey(acc, faceId, au, time, aus[i], easing, group), t);
}

function mapKeys(t: Timeline, ids: ReadonlySet<KeyframeId>, f: (k: Keyframe) => Keyframe | null): Timeline {
  return {
    ...t,
    faces: t.faces.map((face) => ({
      ...face,
      tracks: Object.fromEntries(
        Object.entries(face.tracks).map(([au, keys]) => {
          const changed = (keys ?? []).map((k) => (ids.has(k.id) ? f(k) : k)).filter((k): k is Keyframe => k !== null);
          return [au, dedupe(sorted(changed), ids)];
        }),
      ),
    })),
  };
}

/** After a move, a moved key that lands on another key's time replaces it. */
function dedupe(keys: Track, moved: ReadonlySet<KeyframeId>): Track {
  const out: Keyframe[] = [];
  for (const k of keys) {
    const prev = out[out.length - 1];
    if (prev && Math.abs(prev.time - k.time) < SAME_TIME) {
      if (moved.has(k.id) || !moved.has(prev.id)) out[out.length - 1] = k;
    } else out.push(k);
  }
  return out;
}

export const deleteKeys = (t: Timeline, ids: ReadonlySet<KeyframeId>): Timeline => mapKeys(t, ids, () => null);

export const moveKeys = (t: Timeline, ids: ReadonlySet<KeyframeId>, deltaSeconds: number): Timeline =>
  mapKeys(t, ids, (k) => ({ ...k, time: Math.min(Math.max(k.time + deltaSeconds, 0), t.duration) }));

export const setKeyEasing = (t: Timeline, ids: ReadonlySet<KeyframeId>, easing: Easing): Timeline => mapKeys(t, ids, (k) => ({ ...k, easing }));

/** Keys of one face within [start, end], as a clipboard: times relative to `start`. */
export interface Clip {
  readonly keys: readonly { au: AuName; time: number; value: number; easing: Easing }[];
}

export function copyRange(t: Timeline, faceId: FaceId, start: number, end: number): Clip {
  const face = t.faces.find((f) => f.faceId === faceId);
  if (!face) throw new Error(`no face ${faceId} in the timeline`);
  const keys = Object.entries(face.tracks).flatMap(([au, track]) =>
    (track ?? []).filter((k) => k.time >= start - SAME_TIME && k.time <= end + SAME_TIME).map((k) => ({ au: au as AuName, time: k.time - start, value: k.value, easing: k.easing })),
  );
  return { keys };
}

export const pasteClip = (t: Timeline, faceId: FaceId, clip: Clip, at: number): Timeline =>
  clip.keys.reduce((acc, k) => addKey(acc, faceId, k.au, at + k.time, k.value, k.easing), t);

/** Ids of every key of a face between two times, for shift-click range selection. */
export function keysInRange(t: Timeline, faceId: FaceId, from: number, to: number, aus?: readonly AuName[]): Set<KeyframeId> {
  const [lo, hi] = from <= to ? [from, to] : [to, from];
  const face = t.faces.find((f) => f.faceId === faceId);
  const ids = new Set<KeyframeId>();
  for (const [au, track] of Object.entries(face?.tracks ?? {})) {
    if (aus && !aus.includes(au as AuName)) continue;
    for (const k of track ?? []) if (k.time >= lo - SAME_TIME && k.time <= hi + SAME_TIME) ids.add(k.id);
  }
  return ids;
}
