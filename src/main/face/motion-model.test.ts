// The motion basis: the relative form (own AUs never move a face), face-frame units, AU and term ceilings,
// and the serialised form with its validation errors.
import { describe, expect, it } from 'vitest';
import { AU_ORDER } from '../../shared/aus';
import { Rng } from '../../shared/random';
import { applySimilarity, faceFrameOf, LANDMARK_COUNT, type Point } from './face-frame';
import { displacementFor, moveLandmarks, parseMotionBasis, ROW_LENGTH, serializeMotionBasis, type MotionBasis } from './motion-model';

const AU = (name: string) => AU_ORDER.indexOf(name as (typeof AU_ORDER)[number]);

function randomBasis(seed: number): MotionBasis {
  const rng = new Rng(seed);
  const row = () => Float32Array.from({ length: ROW_LENGTH }, () => rng.normal(0, 0.05));
  return {
    linear: Float32Array.from({ length: AU_ORDER.length * ROW_LENGTH }, () => rng.normal(0, 0.05)),
    terms: [{ aus: [AU('AU12'), AU('AU12')], row: row() }, { aus: [AU('AU06'), AU('AU12')], row: row(), ceiling: 0.35 }, { aus: [AU('AU26'), AU('AU26'), AU('AU26')], row: row() }],
    termCeilings: Float32Array.from({ length: AU_ORDER.length }, () => 0.5 + 0.5 * rng.next()),
  };
}

const face = (): Point[] => {
  const rng = new Rng(9);
  const base = Array.from({ length: LANDMARK_COUNT }, (_, i): Point => [60 + ((i * 41) % 120) + rng.next(), 50 + ((i * 29) % 150) + rng.next()]);
  return applySimilarity({ a: 1.4 * Math.cos(0.35), b: 1.4 * Math.sin(0.35), tx: 31.7, ty: -12.2 }, base);
};

const aus = (seed: number) => {
  const rng = new Rng(seed);
  return Float32Array.from(AU_ORDER, () => rng.next());
};

describe('displacementFor and moveLandmarks', () => {
  it('moves nothing, bit for bit, when the target is the face own AUs', () => {
    const basis = randomBasis(1);
    const own = aus(2);
    expect(displacementFor(basis, own, Float32Array.from(own)).flat().every((v) => v === 0)).toBe(true);
    const landmarks = face();
    expect(moveLandmarks(landmarks, basis, own, Float32Array.from(own))).toEqual(landmarks);
  });

  it('is the linear row times the AU change, turned and scaled into the photo by the face frame', () => {
    const linear = new Float32Array(AU_ORDER.length * ROW_LENGTH);
    linear[AU('AU12') * ROW_LENGTH + 2 * 48] = -0.1;
    const basis: MotionBasis = { linear, terms: [] };
    const source = new Float32Array(AU_ORDER.length);
    const target = Float32Array.from(source);
    target[AU('AU12')] = 0.5;
    const [dx, dy] = displacementFor(basis, source, target)[48];
    expect(dx).toBeCloseTo(-0.05, 7);
    expect(dy).toBe(0);
    const landmarks = face();
    const frame = faceFrameOf(landmarks);
    const moved = moveLandmarks(landmarks, basis, source, target);
    expect(moved[48][0] - landmarks[48][0]).toBeCloseTo(dx * frame.iodPx * frame.cos, 9);
    expect(moved[48][1] - landmarks[48][1]).toBeCloseTo(dx * frame.iodPx * frame.sin, 9);
    moved.forEach((p, i) => i !== 48 && expect(p).toEqual(landmarks[i]));
  });

  it('caps each AU at its ceiling inside the terms, so past it only the linear part goes on', () => {
    const row = new Float32Array(ROW_LENGTH).fill(1);
    const basis: MotionBasis = { linear: new Float32Array(AU_ORDER.length * ROW_LENGTH), terms: [{ aus: [AU('AU14'), AU('AU14')], row }], termCeilings: new Float32Array(AU_ORDER.length).fill(0.3) };
    const source = new Float32Array(AU_ORDER.length);
    const at = (v: number) => {
      const t = Float32Array.from(source);
      t[AU('AU14')] = v;
      return displacementFor(basis, source, t)[0][0];
    };
    expect(at(0.2)).toBeCloseTo(0.04, 6);
    expect(at(0.3)).toBeCloseTo(0.09, 6);
    expect(at(1)).toBeCloseTo(0.09, 6);
  });

  it('caps each product at its own ceiling, so a combination no photo showed cannot cancel the linear motion', () => {
    const row = new Float32Array(ROW_LENGTH).fill(1);
    const product = { aus: [AU('AU04'), AU('AU07')], row, ceiling: 0.2 };
    const basis: MotionBasis = { linear: new Float32Array(AU_ORDER.length * ROW_LENGTH), terms: [product], termCeilings: new Float32Array(AU_ORDER.length).fill(1) };
    const source = new Float32Array(AU_ORDER.length);
    const at = (au04: number, au07: number, b = basis) => {
      const t = Float32Array.from(source);
      t[AU('AU04')] = au04;
      t[AU('AU07')] = au07;
      return displacementFor(b, source, t)[0][0];
    };
    expect(at(0.4, 0.25)).toBeCloseTo(0.1, 6);
    expect(at(1, 0.8)).toBeCloseTo(0.2, 6);
    expect(at(1, 0.8, { ...basis, terms: [{ aus: product.aus, row }] })).toBeCloseTo(0.8, 6);
    // a source past the ceiling: the difference is still of capped values, and own AUs still move nothing
    const past = Float32Array.from(source);
    past[AU('AU04')] = 0.9;
    past[AU('AU07')] = 0.9;
    expect(displacementFor(basis, past, past)[0][0]).toBe(0);
    const half = Float32Array.from(source);
    half[AU('AU04')] = 0.5;
    half[AU('AU07')] = 0.2;
    expect(displacementFor(basis, past, half)[0][0]).toBeCloseTo(0.1 - 0.2, 6);
  });

  it('refuses AU vectors of the wrong length', () => {
    expect(() => displacementFor(randomBasis(1), new Float32Array(16), new Float32Array(17))).toThrow(/source AUs: expected 17 AU intensities, got 16/);
  });
});

describe('serializeMotionBasis and parseMotionBasis', () => {
  it('round-trips a basis to within the stored precision of 1e-5 inter-ocular units', () => {
    const basis = randomBasis(4);
    const back = parseMotionBasis(serializeMotionBasis(basis), 'test');
    back.linear.forEach((v, i) => expect(Math.abs(v - basis.linear[i])).toBeLessThan(6e-6));
    expect(back.terms.map((t) => t.aus)).toEqual(basis.terms.map((t) => t.aus));
    back.terms[2].row.forEach((v, i) => expect(Math.abs(v - basis.terms[2].row[i])).toBeLessThan(6e-6));
    expect(back.terms.map((t) => t.ceiling)).toEqual([undefined, 0.35, undefined]);
    const source = aus(5);
    const target = aus(6);
    const [a, b] = [displacementFor(basis, source, target).flat(), displacementFor(back, source, target).flat()];
    a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-4));
  });

  const valid = () => JSON.parse(serializeMotionBasis(randomBasis(7))) as Record<string, unknown>;
  const parse = (edit: (raw: Record<string, unknown>) => void) => {
    const raw = valid();
    edit(raw);
    return () => parseMotionBasis(JSON.stringify(raw), 'model.onnx');
  };

  it('names the origin and the problem for each kind of bad basis', () => {
    expect(() => parseMotionBasis('{"format": "ganimation-motion-basis", ', 'model.onnx')).toThrow(/^model\.onnx: motion basis is not valid JSON/);
    expect(() => parseMotionBasis('[1, 2]', 'model.onnx')).toThrow(/model\.onnx: motion basis is not a JSON object/);
    expect(parse((r) => (r.version = 2))).toThrow(/model\.onnx: motion basis has version 2; this studio reads version 1/);
    expect(parse((r) => (r.format = 'other'))).toThrow(/model\.onnx: motion basis has format "other"/);
    expect(parse((r) => (r.auOrder = [...AU_ORDER].reverse()))).toThrow(/model\.onnx: motion basis AU order AU45 AU26 .* differs from the studio's AU01 AU02/);
    expect(parse((r) => (r.landmarkCount = 98))).toThrow(/model\.onnx: motion basis is for 98 landmarks; the studio uses 68/);
    expect(parse((r) => (r.linear as unknown[]).pop())).toThrow(/"linear" must have one row per AU \(17\)/);
    expect(parse((r) => ((r.linear as number[][])[3] = (r.linear as number[][])[3].slice(1)))).toThrow(/"linear" row AU05 must hold 136 numbers/);
    expect(parse((r) => ((r.linear as unknown[][])[0][5] = 'NaN'))).toThrow(/"linear" row AU01 entry 5 is not a finite number/);
    expect(parse((r) => ((r.terms as { aus: string[] }[])[0].aus = ['AU12', 'AU99']))).toThrow(/term 0 names "AU99"/);
    expect(parse((r) => ((r.termCeilings as number[])[2] = 3))).toThrow(/"termCeilings" AU04 must be a number in \[0, 1\]/);
    expect(parse((r) => ((r.terms as { ceiling: unknown }[])[1].ceiling = 'high'))).toThrow(/term 1 \(AU06\*AU12\) "ceiling" must be a number in \[0, 1\]/);
    expect(parse((r) => (r.fit = { performers: 'all' }))).toThrow(/model\.onnx: motion basis fit record is malformed/);
    for (const thrown of [parse((r) => (r.version = 2)), parse((r) => (r.landmarkCount = 5))]) expect(thrown).toThrow(expect.objectContaining({ code: 'bad-motion-basis' }));
  });

  it('refuses to write a basis holding a non-finite number', () => {
    const basis = randomBasis(8);
    basis.linear[ROW_LENGTH + 10] = Number.NaN;
    expect(() => serializeMotionBasis(basis)).toThrow(/cannot write a motion basis whose "linear" row AU02 entry 10 is NaN/);
  });
});
