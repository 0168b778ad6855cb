// Warm-start pairs on synthetic crops: a known similarity is recovered, implausible and
// cross-performer pairs never form, the aligned target is the crop itself under the identity, and
// the sampler resumes exactly.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/random';
import { applySimilarity, type Point, type Similarity } from '../face/face-frame';
import { CANONICAL_FACE } from '../face/mesh';
import { applyWarpTable } from '../face/mesh-warp';
import type { MotionBasis } from '../face/motion-model';
import { writeCrop, type CropSet } from './batches';
import { buildCropPairs, matchExposure, PairSampler, resampleSimilar } from './pair-batches';
import { cropForwardWarpTo } from './warp-batch';

const SIZE = 32;
const IDENTITY: Similarity = { a: 1, b: 0, tx: 0, ty: 0 };
const neutralMarks: Point[] = CANONICAL_FACE.map(([x, y]): Point => [x * SIZE, y * SIZE]);
/** A small turn, zoom and shift, as between two photos of one session. */
const SESSION_MOVE: Similarity = { a: 1.05 * Math.cos(0.1), b: 1.05 * Math.sin(0.1), tx: -1.5, ty: 2 };

/** Crops with the given landmarks and files; pixels a seeded pattern, AUs random. */
function cropsOf(faces: { file: string; landmarks: readonly Point[] }[]): CropSet {
  const rng = new Rng(3);
  const count = faces.length;
  return {
    size: SIZE,
    count,
    pixels: Uint8Array.from({ length: count * SIZE * SIZE * 3 }, () => Math.floor(rng.next() * 256)),
    aus: Float32Array.from({ length: count * 17 }, () => rng.next()),
    landmarks: Float32Array.from(faces.flatMap((f) => f.landmarks.flat())),
    files: faces.map((f) => f.file),
  };
}

/** A smile: mouth corners out and up; the stable points stay. */
const smiling = (marks: readonly Point[]): Point[] => marks.map(([x, y], i): Point => (i === 48 ? [x - 1, y - 1] : i === 54 ? [x + 1, y - 1] : [x, y]));

const labels = (rows: [file: string, performer: string, expression: string][]) => rows.map(([file, performer, expression]) => ({ file, performer, expression }));

describe('buildCropPairs', () => {
  it('pairs a neutral and a posed crop of one performer and recovers the similarity between them', () => {
    const crops = cropsOf([
      { file: '0101a01.jpg', landmarks: neutralMarks },
      { file: '0101b01.jpg', landmarks: applySimilarity(SESSION_MOVE, smiling(neutralMarks)) },
    ]);
    const made = buildCropPairs(labels([['images/0101a01.jpg', '01', 'neutral'], ['0101b01.jpg', '01', 'happy'], ['missing.jpg', '01', 'sad']]), crops);
    expect(made.refused).toEqual([]);
    expect(made.unmatchedRows).toBe(1);
    expect(made.pairs).toHaveLength(1);
    const [pair] = made.pairs;
    expect([pair.neutral, pair.posed]).toEqual([0, 1]);
    // Landmarks are stored as float32, so the fit is good to about 1e-6 px.
    for (const key of ['a', 'b', 'tx', 'ty'] as const) expect(pair.neutralToPosed[key], key).toBeCloseTo(SESSION_MOVE[key], 4);
  });

  it('refuses a pair whose face is twice the size (a failed detection) and says why', () => {
    const crops = cropsOf([
      { file: 'n.jpg', landmarks: neutralMarks },
      { file: 'p.jpg', landmarks: applySimilarity({ a: 2, b: 0, tx: -SIZE / 2, ty: -SIZE / 2 }, neutralMarks) },
    ]);
    const made = buildCropPairs(labels([['n.jpg', '01', 'neutral'], ['p.jpg', '01', 'surprised']]), crops);
    expect(made.pairs).toEqual([]);
    expect(made.refused).toEqual([{ neutralFile: 'n.jpg', posedFile: 'p.jpg', reason: expect.stringMatching(/the size of the neutral photo's/) }]);
  });

  it('never pairs crops of different performers, and pairs every neutral against every posed crop', () => {
    const crops = cropsOf(['a-n1', 'a-n2', 'a-p1', 'a-p2', 'a-p3', 'b-p1'].map((file) => ({ file: `${file}.png`, landmarks: neutralMarks })));
    const made = buildCropPairs(labels([
      ['a-n1.png', 'A', 'neutral'], ['a-n2.png', 'A', 'neutral'], ['a-p1.png', 'A', 'happy'], ['a-p2.png', 'A', 'sad'], ['a-p3.png', 'A', 'angry'], ['b-p1.png', 'B', 'happy'],
    ]), crops);
    expect(made.pairs).toHaveLength(6);
    expect(made.pairs.every((p) => p.neutral <= 1 && p.posed >= 2 && p.posed <= 4)).toBe(true);
  });

  it('needs the crops\' file names and landmarks', () => {
    const crops = { ...cropsOf([{ file: 'n.jpg', landmarks: neutralMarks }]), files: undefined };
    expect(() => buildCropPairs([], crops)).toThrow(expect.objectContaining({ code: 'dataset-without-landmarks' }));
  });
});

describe('resampleSimilar', () => {
  const crops = cropsOf([{ file: 'n.jpg', landmarks: neutralMarks }]);
  const image = new Float32Array(3 * SIZE * SIZE);
  writeCrop(crops, 0, false, image);

  it('returns the crop itself under the identity', () => {
    const out = new Float32Array(image.length);
    resampleSimilar(image, SIZE, IDENTITY, out);
    expect(out).toEqual(image);
  });

  it('shifts by whole pixels exactly, and clamps reads past the border to the edge pixel', () => {
    const out = new Float32Array(image.length);
    resampleSimilar(image, SIZE, { ...IDENTITY, tx: 2 }, out);
    const at = (img: Float32Array, c: number, y: number, x: number) => img[c * SIZE * SIZE + y * SIZE + x];
    expect(at(out, 1, 5, 3)).toBe(at(image, 1, 5, 5));
    expect(at(out, 2, 7, SIZE - 1)).toBe(at(image, 2, 7, SIZE - 1));
  });
});

describe('PairSampler', () => {
  const crops = cropsOf([
    { file: 'n.jpg', landmarks: neutralMarks },
    { file: 'p1.jpg', landmarks: applySimilarity(SESSION_MOVE, smiling(neutralMarks)) },
    { file: 'p2.jpg', landmarks: smiling(neutralMarks) },
  ]);
  const { pairs } = buildCropPairs(labels([['n.jpg', 'A', 'neutral'], ['p1.jpg', 'A', 'happy'], ['p2.jpg', 'A', 'happy']]), crops);
  const basis: MotionBasis = { linear: new Float32Array(17 * 136), terms: [] };

  it("with warpTo 'landmarks', warps the neutral crop onto each posed photo's landmarks as aligned onto it, not by the basis", () => {
    const onLandmarks = new PairSampler(crops, pairs, { batchSize: 2, seed: 1, motionBasis: basis, warpTo: 'landmarks' }).next();
    const byBasis = new PairSampler(crops, pairs, { batchSize: 2, seed: 1, motionBasis: basis }).next();
    // Only the landmark warp knows where the posed mouth opening lies on the neutral crop.
    expect(byBasis.pairMouth).toBeUndefined();
    expect(onLandmarks.pairMouth).toHaveLength(2 * SIZE * SIZE);
    // The basis is zero, so its warp is the identity; the smile of both posed photos moves two points.
    const smile = cropForwardWarpTo(SIZE, neutralMarks, smiling(neutralMarks));
    const per = smile.index.length;
    const identity = cropForwardWarpTo(SIZE, neutralMarks, neutralMarks);
    expect(byBasis.warp!.forward.weight.subarray(0, per)).toEqual(identity.weight);
    expect(onLandmarks.warp!.forward.weight.subarray(0, per)).not.toEqual(identity.weight);
    // p1 is the same smile seen after a session move: aligned back, it warps like p2 (to within the
    // float error of undoing the move), compared on what the tables sample from a smooth image.
    const ramp = Float32Array.from({ length: SIZE * SIZE }, (_, i) => (i % SIZE) / SIZE + Math.floor(i / SIZE) / SIZE);
    const expected = applyWarpTable(ramp, smile);
    for (let b = 0; b < 2; b++) {
      const table = { size: SIZE, index: Int32Array.from(onLandmarks.warp!.forward.index.subarray(b * per, (b + 1) * per), Number), weight: onLandmarks.warp!.forward.weight.subarray(b * per, (b + 1) * per) };
      const warped = applyWarpTable(ramp, table);
      expect(Math.max(...warped.map((v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-3);
    }
  });

  it('gives the neutral crop, both AU sets, forward warp tables and the posed crop aligned onto the neutral one', () => {
    const batch = new PairSampler(crops, pairs, { batchSize: 2, seed: 1, motionBasis: basis }).next();
    const plane = 3 * SIZE * SIZE;
    const neutral = new Float32Array(plane);
    writeCrop(crops, 0, false, neutral);
    expect(batch.real.subarray(0, plane)).toEqual(neutral);
    expect(batch.realAus.subarray(0, 17)).toEqual(crops.aus.subarray(0, 17));
    expect(batch.warp?.forward.index.length).toBe(2 * 4 * SIZE * SIZE);
    // p2 differs from the neutral crop only in the mouth, so its aligned target is the crop as is,
    // given the neutral crop's exposure.
    const p2 = pairs.findIndex((p) => p.posed === 2);
    const sampled = [0, 1].find((b) => batch.targetAus[17 * b] === crops.aus[2 * 17]);
    const posed = new Float32Array(plane);
    writeCrop(crops, 2, false, posed);
    matchExposure(posed, neutral, SIZE * SIZE);
    expect(p2).toBeGreaterThanOrEqual(0);
    const target = batch.pairTarget.subarray(sampled! * plane, (sampled! + 1) * plane);
    expect(Math.max(...target.map((v, i) => Math.abs(v - posed[i])))).toBeLessThan(1e-5);
    expect(Math.max(...batch.pairTarget.map(Math.abs))).toBeLessThanOrEqual(1);
  });

  it('matches exposure channel by channel: a posed shot darker and lower in contrast gets the neutral one back', () => {
    const plane = SIZE * SIZE;
    const rng = new Rng(5);
    const neutral = Float32Array.from({ length: 3 * plane }, () => rng.uniform(-0.9, 0.9));
    const gains = [0.5, 0.8, 0.6];
    const posed = neutral.map((v, i) => v * gains[Math.floor(i / plane)] - 0.2);
    matchExposure(posed, neutral, plane);
    expect(Math.max(...posed.map((v, i) => Math.abs(v - neutral[i])))).toBeLessThan(1e-5);
    // A flat channel keeps its values, moved to the reference mean, and nothing leaves [-1, 1].
    const flat = new Float32Array(3 * plane).fill(0.3);
    const bright = new Float32Array(3 * plane).map((_, i) => (i % 2 ? 1 : 0.9));
    matchExposure(flat, bright, plane);
    expect(flat.every((v) => Math.abs(v - 0.95) < 1e-6)).toBe(true);
  });

  it('resumes from its state exactly, and refuses to start without pairs', () => {
    const straight = new PairSampler(crops, pairs, { batchSize: 1, seed: 4 });
    const interrupted = new PairSampler(crops, pairs, { batchSize: 1, seed: 4 });
    for (let i = 0; i < 3; i++) {
      straight.next();
      interrupted.next();
    }
    const resumed = new PairSampler(crops, pairs, { batchSize: 1, seed: 4 }, interrupted.state);
    for (let i = 0; i < 4; i++) expect(resumed.next().targetAus).toEqual(straight.next().targetAus);
    expect(resumed.currentEpoch).toBeGreaterThan(0);
    expect(() => new PairSampler(crops, [], { batchSize: 1, seed: 4 })).toThrow(expect.objectContaining({ code: 'no-warm-start-pairs' }));
  });
});
