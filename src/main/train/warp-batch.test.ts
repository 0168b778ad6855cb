// A training crop's mouth, as the step graphs get it: the forward pass may repaint only where its
// warp opens a closed mouth, the cycle's pass only where it opens it again, and each lays the
// interior there; packed sample after sample.
import { describe, expect, it } from 'vitest';
import { faceLandmarks, syntheticMouthInterior } from '../face/mouth-interior.fixture';
import { cropMouth, cropWarpTo, layInterior, packMouths } from './warp-batch';

const SIZE = 96;
const closed = faceLandmarks(SIZE, 0);
const open = faceLandmarks(SIZE, 8);
const crop = Float32Array.from({ length: 3 * SIZE * SIZE }, (_, i) => ((i * 13) % 100) / 100 - 0.5);
const at = (x: number, y: number) => Math.round(y) * SIZE + Math.round(x);
const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);

describe('cropMouth', () => {
  it('opens the forward gate and lays the interior only where the warp opens a closed mouth', () => {
    const mouth = cropMouth(SIZE, cropWarpTo(SIZE, closed, open), crop, { gate: true, interior: syntheticMouthInterior() });
    const { gate, interior } = mouth;
    const centre = at(open[62][0], (open[62][1] + open[66][1]) / 2);
    expect(gate!.forward[centre]).toBeCloseTo(1, 5);
    expect(gate!.forward[at(10, 10)]).toBe(0);
    expect(sum(gate!.forward)).toBeLessThan(0.05 * SIZE * SIZE);
    // The cycle closes the mouth again: nothing is opened, so nothing may be repainted or laid.
    expect(sum(gate!.inverse)).toBe(0);
    expect(interior!.forward.alpha[centre]).toBeGreaterThan(0.5);
    expect(sum(interior!.inverse.alpha)).toBe(0);
    // Laid over a crop, the layer leaves every pixel outside the opening as it was.
    const laid = Float32Array.from(crop);
    layInterior(laid, interior!.forward);
    expect(laid[at(10, 10)]).toBe(crop[at(10, 10)]);
    expect(laid[centre]).not.toBe(crop[centre]);
  });

  it('opens the cycle\'s gate where the forward pass closed an open mouth, and has no parts the run lacks', () => {
    // From a 4 px opening to a lip line of 0.5 px (the synthetic face folds when opened much wider).
    const warp = cropWarpTo(SIZE, faceLandmarks(SIZE, 4), faceLandmarks(SIZE, 0.5));
    expect(warp.scale).toBe(1);
    const mouth = cropMouth(SIZE, warp, crop, { gate: true, interior: null });
    expect(sum(mouth.gate!.forward)).toBe(0);
    expect(sum(mouth.gate!.inverse)).toBeGreaterThan(10);
    expect(mouth.interior).toBeUndefined();
    expect(cropMouth(SIZE, cropWarpTo(SIZE, closed, open), crop, { gate: false, interior: null })).toEqual({});
  });

  it('packs a batch sample after sample, and nothing for a run that adds nothing to its warp', () => {
    const run = { gate: true, interior: syntheticMouthInterior() };
    const a = cropMouth(SIZE, cropWarpTo(SIZE, closed, open), crop, run);
    const b = cropMouth(SIZE, cropWarpTo(SIZE, faceLandmarks(SIZE, 4), faceLandmarks(SIZE, 0.5)), crop, run);
    const packed = packMouths([a, b], SIZE)!;
    const plane = SIZE * SIZE;
    expect(packed.gate!.forward).toHaveLength(2 * plane);
    expect(Array.from(packed.gate!.inverse.subarray(plane))).toEqual(Array.from(b.gate!.inverse));
    expect(packed.interior!.forward.colour).toHaveLength(2 * 3 * plane);
    expect(Array.from(packed.interior!.forward.alpha.subarray(0, plane))).toEqual(Array.from(a.interior!.forward.alpha));
    expect(packMouths([{}, {}], SIZE)).toBeUndefined();
  });
});
