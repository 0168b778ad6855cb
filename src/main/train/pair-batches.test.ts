// Warm-start pairs on synthetic crops: a known similarity is recovered, implausible and
// cross-performer pairs never form, the aligned target is the crop itself under the identity, and
// the sampler resumes exactly.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/random';
import { applySimilarity, type Point, type Similarity } from '../face/face-frame';
import { CANONICAL_FACE } from '../face/mesh';
import type { MotionBasis } from '../face/motion-model';
import { writeCrop, type CropSet } from './batches';
import { buildCropPairs, PairSampler, resampleSimilar } from './pair-batches';

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

  it('gives the neutral crop, both AU sets, forward warp tables and the posed crop aligned onto the neutral one', () => {
    const batch = new PairSampler(crops, pairs, { batchSize: 2, seed: 1, motionBasis: basis }).next();
    const plane = 3 * SIZE * SIZE;
    const neutral = new Float32Array(plane);
    writeCrop(crops, 0, false, neutral);
    expect(batch.real.subarray(0, plane)).toEqual(neutral);
    expect(batch.realAus.subarray(0, 17)).toEqual(crops.aus.subarray(0, 17));
    expect(batch.warp?.forward.index.length).toBe(2 * 4 * SIZE * SIZE);
    // p2 differs from the neutral crop only in the mouth, so its aligned target is the crop as is.
    const p2 = pairs.findIndex((p) => p.posed === 2);
    const sampled = [0, 1].find((b) => batch.targetAus[17 * b] === crops.aus[2 * 17]);
    const posed = new Float32Array(plane);
    writeCrop(crops, 2, false, posed);
    expect(p2).toBeGreaterThanOrEqual(0);
    const target = batch.pairTarget.subarray(sampled! * plane, (sampled! + 1) * plane);
    expect(Math.max(...target.map((v, i) => Math.abs(v - posed[i])))).toBeLessThan(1e-5);
    expect(Math.max(...batch.pairTarget.map(Math.abs))).toBeLessThanOrEqual(1);
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
