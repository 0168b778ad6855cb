// The timeline model: exact values at keys, easing shapes, no overshoot, frame-rate independence,
// edits with undo/redo, copy/paste, and OpenFace import within tolerance.
import { describe, expect, it } from 'vitest';
import { Rng } from '../random';
import { AU_ORDER } from '../aus';
import { addExpressionKey, addKey, copyRange, deleteKeys, keysInRange, moveKeys, pasteClip, setKeyEasing } from './edits';
import { EASINGS, type Easing } from './easing';
import { evaluate, evaluateTrack, frameTimes } from './evaluate';
import { commit, createHistory, redo, undo } from './history';
import { applyPerformance, decimate, importOpenFaceTracks } from './import-openface';
import type { Keyframe, KeyframeId, Timeline } from './model';

const key = (time: number, value: number, easing: Easing = 'linear'): Keyframe => ({ id: `k${time}` as KeyframeId, time, value, easing });
const empty = (): Timeline => ({ duration: 4, fps: 30, faces: [{ faceId: 0, sourceAus: AU_ORDER.map((_, i) => i / 20), tracks: {} }] });

describe('evaluateTrack', () => {
  it('holds the source value without keys and is exact at keys for every easing', () => {
    expect(evaluateTrack([], 1.3, 0.42)).toBe(0.42);
    for (const easing of EASINGS) {
      const keys = [key(0, 0.2, easing), key(1, 0.9, easing), key(2, 0.4, easing)];
      for (const k of keys) expect(evaluateTrack(keys, k.time, 0), easing).toBe(k.value);
    }
  });
  it('eases monotonically between two keys, and hold steps', () => {
    for (const easing of ['linear', 'ease-in', 'ease-out', 'ease-in-out', 'smooth'] as const) {
      const keys = [key(0, 0.1, easing), key(1, 0.8, easing)];
      let last = -1;
      for (let t = 0; t <= 1; t += 0.01) {
        const v = evaluateTrack(keys, t, 0);
        expect(v, `${easing} at ${t}`).toBeGreaterThanOrEqual(last - 1e-12);
        last = v;
      }
    }
    expect(evaluateTrack([key(0, 0.1, 'ease-in'), key(1, 0.8)], 0.25, 0)).toBeLessThan(0.1 + 0.7 * 0.25);
    expect(evaluateTrack([key(0, 0.1, 'ease-out'), key(1, 0.8)], 0.25, 0)).toBeGreaterThan(0.1 + 0.7 * 0.25);
    expect(evaluateTrack([key(0, 0.1, 'hold'), key(1, 0.8)], 0.99, 0)).toBe(0.1);
  });
  it('smooth never overshoots its keys on random data', () => {
    const rng = new Rng(9);
    for (let trial = 0; trial < 200; trial++) {
      const keys = Array.from({ length: 5 }, (_, i) => key(i + rng.uniform(0, 0.5), rng.next() < 0.3 ? 1 : rng.next(), 'smooth'));
      for (let t = 0; t <= 5.5; t += 0.05) {
        const i = Math.max(0, keys.findIndex((k, j) => j + 1 < keys.length && keys[j + 1].time > t));
        const v = evaluateTrack(keys, t, 0);
        if (t > keys[0].time && t < keys[keys.length - 1].time) {
          expect(v).toBeGreaterThanOrEqual(Math.min(keys[i].value, keys[i + 1].value) - 1e-12);
          expect(v).toBeLessThanOrEqual(Math.max(keys[i].value, keys[i + 1].value) + 1e-12);
        }
      }
    }
  });
});

describe('evaluate and frame times', () => {
  it('is frame-rate independent: the same instants give the same AUs from 24 and 30 fps grids', () => {
    let t = addKey(empty(), 0, 'AU12', 0, 0.1);
    t = addKey(t, 0, 'AU12', 2, 0.9, 'ease-in-out');
    t = addKey(t, 0, 'AU12', 4, 0.2);
    const at24 = frameTimes(4, 24);
    const at30 = frameTimes(4, 30);
    expect(at24.length).toBe(96);
    expect(at30.length).toBe(120);
    for (const s of [0, 1, 2, 3]) expect(evaluate(t, at24[s * 24]).get(0)![8]).toBe(evaluate(t, at30[s * 30]).get(0)![8]);
    expect(evaluate(t, 1).get(0)![0]).toBe(0);
    expect(evaluate(t, 1).get(0)![1]).toBeCloseTo(1 / 20);
    expect(frameTimes(4, 30, 1, 2)).toEqual(Array.from({ length: 30 }, (_, i) => (30 + i) / 30));
  });
});

describe('edits and history', () => {
  it('adds, moves, deletes and re-eases keys, with undo and redo round trips', () => {
    let h = createHistory(empty());
    h = commit(h, addKey(h.present, 0, 'AU01', 1, 0.5));
    h = commit(h, addKey(h.present, 0, 'AU01', 3, 1.5));
    const ids = new Set(h.present.faces[0].tracks.AU01!.map((k) => k.id));
    expect(h.present.faces[0].tracks.AU01!.map((k) => k.value)).toEqual([0.5, 1]);
    h = commit(h, moveKeys(h.present, new Set([[...ids][0]]), 10));
    expect(h.present.faces[0].tracks.AU01!.map((k) => k.time)).toEqual([3, 4]);
    h = commit(h, setKeyEasing(h.present, ids, 'hold'));
    h = commit(h, deleteKeys(h.present, ids));
    expect(h.present.faces[0].tracks.AU01).toEqual([]);
    const before = h.present;
    h = undo(undo(h));
    expect(h.present.faces[0].tracks.AU01!.length).toBe(2);
    h = redo(redo(h));
    expect(h.present).toBe(before);
    expect(commit(h, h.present)).toBe(h);
  });
  it('expression keys set all AUs; copy and paste a range; range selection', () => {
    let t = addExpressionKey(empty(), 0, 1, AU_ORDER.map(() => 0.7));
    expect(Object.keys(t.faces[0].tracks).length).toBe(17);
    t = addKey(t, 0, 'AU12', 2, 0.3);
    const clip = copyRange(t, 0, 0.5, 2);
    expect(clip.keys.length).toBe(18);
    t = pasteClip(t, 0, clip, 2.5);
    expect(t.faces[0].tracks.AU12!.map((k) => k.time)).toEqual([1, 2, 3, 4]);
    expect(keysInRange(t, 0, 3.5, 1.5, ['AU12']).size).toBe(2);
  });
});

describe('OpenFace performance import', () => {
  it('decimates each track within the tolerance', () => {
    const points = Array.from({ length: 200 }, (_, i) => ({ time: i / 30, value: 0.5 + 0.4 * Math.sin(i / 10) }));
    const kept = decimate(points, 0.02);
    expect(kept.length).toBeLessThan(40);
    const keys = kept.map((i) => key(points[i].time, points[i].value));
    for (const p of points) expect(Math.abs(evaluateTrack(keys, p.time, 0) - p.value)).toBeLessThanOrEqual(0.02 + 1e-9);
  });
  it('imports FeatureExtraction rows, skipping untracked frames', () => {
    const header = `frame, face_id, timestamp, confidence, success, ${AU_ORDER.map((a) => `${a}_r`).join(', ')}`;
    const rows = Array.from({ length: 60 }, (_, i) => `${i + 1}, 0, ${(i / 30).toFixed(3)}, 0.9, ${i === 5 ? 0 : 1}, ${AU_ORDER.map((_, k) => (k === 8 ? (i / 12).toFixed(3) : '1.0')).join(', ')}`);
    const { tracks, frames, duration } = importOpenFaceTracks([header, ...rows].join('\n'), 'capture.csv');
    expect(frames).toBe(59);
    expect(duration).toBeCloseTo(59 / 30);
    expect(tracks.AU01!.length).toBe(1); // steady at 1.0 / 5: one key, held throughout
    expect(tracks.AU01![0].time).toBe(0);
    expect(tracks.AU01![0].value).toBeCloseTo(0.2, 6);
    expect(tracks.AU12!.length).toBeLessThan(6);
    expect(() => importOpenFaceTracks(`face, ${AU_ORDER.map((a) => `${a}_r`).join(', ')}\n0, ${AU_ORDER.map(() => 1).join(', ')}`, 'img.csv')).toThrow(/missing column timestamp/);
  });
  it('puts a capture on one face, keeps the other face, and grows the timeline to hold it', () => {
    const other = addKey({ duration: 1, fps: 30, faces: [0, 1].map((faceId) => ({ faceId, sourceAus: AU_ORDER.map(() => 0), tracks: {} })) }, 1, 'AU04', 0.5, 0.7);
    const capture = { tracks: { AU12: [key(0, 0.1), key(2.2, 0.9)] }, duration: 2.2 };
    const t = applyPerformance(other, 0, capture);
    expect(t.duration).toBe(2.5);
    expect(t.faces[0].tracks).toEqual(capture.tracks);
    expect(t.faces[1]).toBe(other.faces[1]);
    expect(evaluate(t, 1.1).get(0)![AU_ORDER.indexOf('AU12')]).toBeCloseTo(0.5, 5);
    expect(applyPerformance({ ...other, duration: 10 }, 0, capture).duration).toBe(10);
    expect(() => applyPerformance(other, 7, capture)).toThrow(/no face 7/);
    expect(() => applyPerformance(other, 0, { ...capture, duration: 4000 })).toThrow(/capture lasts 4000 s/);
  });
});
