// The WebAssembly samplers against sampleRun's JS samplers (the reference), on random photos and
// runs: within one level on every byte, exact on whole-pixel shifts, through the queue, the frame
// and the copy out, and as warpPhoto uses them.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/random';
import type { RgbImage } from './image-io';
import { CANONICAL_FACE, FACE_MESH, meshPointsInPhoto } from './mesh';
import { cropTransform } from './crop';
import { sampleRun, warpPhoto, type WarpKernel, type WarpRect } from './mesh-warp';
import { WarpSampler } from './warp-kernel';

interface Run {
  readonly px: number;
  readonly py: number;
  readonly a: number;
  readonly d: number;
  readonly count: number;
  /** First byte in the photo-sized output. */
  readonly o: number;
}

const KERNELS: WarpKernel[] = ['bilinear', 'cubic'];

function randomPhoto(width: number, height: number, seed: number): RgbImage {
  const rng = new Rng(seed);
  return { width, height, data: Uint8Array.from({ length: width * height * 3 }, () => rng.int(256)) };
}

/** A run of `count` samples from (x0, y0) to (x1, y1), written at a random row span of the photo. */
function run(rng: Rng, photo: RgbImage, count: number, [x0, y0, x1, y1]: number[]): Run {
  const steps = Math.max(1, count - 1);
  const o = 3 * (rng.int(photo.height) * photo.width + rng.int(photo.width - count + 1));
  return { px: x0, py: y0, a: (x1 - x0) / steps, d: (y1 - y0) / steps, count, o };
}

/** Random runs whose taps all lie inside the photo for `kernel` (sampleRun's margins, with room to spare). */
function insideRuns(rng: Rng, photo: RgbImage, kernel: WarpKernel, n: number): Run[] {
  const [before, after] = kernel === 'cubic' ? [1, 2] : [0, 1];
  const at = (size: number) => rng.uniform(before + 1e-3, size - after - 1e-3);
  return Array.from({ length: n }, () => run(rng, photo, 1 + rng.int(48), [at(photo.width), at(photo.height), at(photo.width), at(photo.height)]));
}

/** The reference: every run through the JS samplers, over a copy of the photo. */
function reference(photo: RgbImage, kernel: WarpKernel, runs: readonly Run[]): Uint8Array {
  const out = new Uint8ClampedArray(photo.data);
  for (const r of runs) sampleRun(photo, kernel, r.px, r.py, r.a, r.d, r.count, out, r.o);
  return new Uint8Array(out.buffer);
}

const whole = (photo: RgbImage): WarpRect => ({ x0: 0, y0: 0, x1: photo.width, y1: photo.height });

/** Every run queued straight on the sampler (none may fall back to JS), over a copy of the photo. */
function queued(photo: RgbImage, kernel: WarpKernel, runs: readonly Run[]): Uint8Array {
  const sampler = WarpSampler.of(photo);
  const out = new Uint8Array(photo.data);
  sampler.begin(kernel, whole(photo), whole(photo), runs.length);
  for (const r of runs) sampler.add(r.px, r.py, r.a, r.d, r.count, r.o);
  sampler.finish(out);
  return out;
}

/** The largest byte difference and the number of bytes that differ. */
function compare(a: Uint8Array, b: Uint8Array): { worst: number; differing: number } {
  expect(a.length).toBe(b.length);
  let [worst, differing] = [0, 0];
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    worst = Math.max(worst, d);
    if (d) differing++;
  }
  return { worst, differing };
}

describe('WarpSampler', () => {
  it.each(KERNELS)('samples %s runs inside the photo as the JS sampler does, within one level', (kernel) => {
    for (const [width, height, seed] of [[157, 113, 1], [640, 360, 2]]) {
      const photo = randomPhoto(width, height, seed);
      const runs = insideRuns(new Rng(seed + 10), photo, kernel, 4000);
      const want = reference(photo, kernel, runs);
      const { worst, differing } = compare(queued(photo, kernel, runs), want);
      const written = compare(want, photo.data).differing;
      expect(written).toBeGreaterThan(0.3 * photo.data.length);
      expect(worst).toBeLessThanOrEqual(1);
      // Float32 against float64 arithmetic: a byte differs only where the reference lies within ~1e-5 of a rounding step.
      expect(differing).toBeLessThan(1e-4 * written);
    }
  });

  it.each(KERNELS)('moves by whole pixels exactly (%s), also a rounding error off the pixel centres', (kernel) => {
    const photo = randomPhoto(120, 90, 3);
    const rng = new Rng(4);
    const runs: Run[] = [];
    for (const [a, d] of [[1, 0], [-1, 0], [0, 1], [2, -1], [0, 0]]) {
      for (const off of [0, 1e-12, -1e-12]) runs.push(run(rng, photo, 20, [40 + off, 30 - off, 40 + 19 * a, 30 + 19 * d]));
    }
    // The outermost whole-number positions a run inside the photo takes, down the first column and along the last row.
    const [before, after] = kernel === 'cubic' ? [1, 2] : [0, 1];
    const [first, right, bottom] = [before + 1, photo.width - after - 1, photo.height - after - 1];
    runs.push(run(rng, photo, bottom - first + 1, [first, first, first, bottom]), run(rng, photo, right - first + 1, [first, bottom, right, bottom]));
    const out = queued(photo, kernel, runs);
    for (const r of runs) {
      for (let i = 0; i < r.count; i++) {
        const from = 3 * (Math.round(r.py + i * r.d) * photo.width + Math.round(r.px + i * r.a));
        expect(Array.from(out.subarray(r.o + 3 * i, r.o + 3 * i + 3))).toEqual(Array.from(photo.data.subarray(from, from + 3)));
      }
    }
  });

  it.each(KERNELS)('leaves runs near the border (%s) to the JS sampler, in the frame that is copied out', (kernel) => {
    const photo = randomPhoto(96, 80, 5);
    const rng = new Rng(6);
    const runs = Array.from({ length: 2000 }, () => run(rng, photo, 1 + rng.int(30), [rng.uniform(-4, 100), rng.uniform(-4, 84), rng.uniform(-4, 100), rng.uniform(-4, 84)]));
    const sampler = WarpSampler.of(photo);
    const out = new Uint8Array(photo.data);
    const frame = sampler.begin(kernel, whole(photo), whole(photo), runs.length);
    for (const r of runs) sampleRun(photo, kernel, r.px, r.py, r.a, r.d, r.count, frame, r.o, sampler);
    sampler.finish(out);
    // About half the runs cross the border (queued, their taps would read past the photo's rows); the rest are queued.
    const { worst, differing } = compare(out, reference(photo, kernel, runs));
    expect(worst).toBeLessThanOrEqual(1);
    expect(differing).toBeLessThan(1e-3 * out.length);
  });

  it('writes only the changed rectangle of the region, the photo where no run went', () => {
    const photo = randomPhoto(100, 70, 7);
    const region = { x0: 10, y0: 5, x1: 90, y1: 60 };
    const changed = { x0: 30, y0: 20, x1: 50, y1: 40 };
    const stride = 3 * (region.x1 - region.x0);
    const out = new Uint8Array(stride * (region.y1 - region.y0)).fill(7);
    const sampler = WarpSampler.of(photo);
    sampler.begin('bilinear', region, changed, 1);
    sampler.add(40.5, 30.5, 0.5, 0.25, 8, (30 - region.y0) * stride + 3 * (35 - region.x0));
    sampler.finish(out);
    for (let y = region.y0; y < region.y1; y++) {
      for (let x = region.x0; x < region.x1; x++) {
        const at = (y - region.y0) * stride + 3 * (x - region.x0);
        const inRun = y === 30 && x >= 35 && x < 43;
        const inChanged = x >= changed.x0 && x < changed.x1 && y >= changed.y0 && y < changed.y1;
        const want = inChanged && !inRun ? Array.from(photo.data.subarray(3 * (y * photo.width + x), 3 * (y * photo.width + x) + 3)) : inRun ? null : [7, 7, 7];
        if (want) expect(Array.from(out.subarray(at, at + 3))).toEqual(want);
      }
    }
  });

  it('keeps one copy per photo array and grows its memory for a larger region and more runs', () => {
    const photo = randomPhoto(300, 200, 8);
    expect(WarpSampler.of(photo)).toBe(WarpSampler.of(photo));
    expect(WarpSampler.of({ ...photo, data: new Uint8Array(photo.data) })).not.toBe(WarpSampler.of(photo));
    const rng = new Rng(9);
    const small = insideRuns(rng, photo, 'bilinear', 10);
    expect(compare(queued(photo, 'bilinear', small), reference(photo, 'bilinear', small)).worst).toBeLessThanOrEqual(1);
    // 80 kB of runs: past the memory the first warp grew to, so it grows again after the views were made.
    const many = insideRuns(rng, photo, 'cubic', 2000);
    expect(compare(queued(photo, 'cubic', many), reference(photo, 'cubic', many)).worst).toBeLessThanOrEqual(1);
  });
});

describe('warpPhoto through the WebAssembly sampler', () => {
  it.each(KERNELS)('shifts the face by whole pixels exactly (%s)', (kernel) => {
    const photo = randomPhoto(320, 300, 10);
    const landmarks = CANONICAL_FACE.map(([u, v]) => [32 + 256 * u, 20 + 256 * v] as [number, number]);
    const src = meshPointsInPhoto(FACE_MESH, landmarks, cropTransform({ landmarks }, { size: 128 }));
    const dst = Float64Array.from(src, (v, i) => (i < 2 * 68 ? v + (i % 2 ? 2 : 3) : v));
    const { region } = warpPhoto(photo, FACE_MESH, src, dst, undefined, kernel);
    // The eyes-to-mouth box: every triangle around it moves by (3, 2) exactly.
    for (let y = 130; y < 210; y++) {
      for (let x = 110; x < 210; x++) {
        const [to, from] = [3 * (y * photo.width + x), 3 * ((y - 2) * photo.width + x - 3)];
        expect(Array.from(region.rgb.subarray(to, to + 3))).toEqual(Array.from(photo.data.subarray(from, from + 3)));
      }
    }
  });
});
