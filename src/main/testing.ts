// Helpers for tests only (never imported by the engines).
import { expect } from 'vitest';
import { StudioError } from '../shared/errors';

/** The StudioError a call throws, so that a test can check its code and its message. */
export function errorOf(fn: () => unknown): StudioError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StudioError);
    return err as StudioError;
  }
  throw new Error('expected an error');
}

/** Flat [x0, y0, x1, ...] points with point i moved by (dx, dy) for each [i, dx, dy]. */
export function movedPoints(points: Float64Array, moves: readonly [number, number, number][]): Float64Array {
  const out = Float64Array.from(points);
  for (const [i, dx, dy] of moves) {
    out[2 * i] += dx;
    out[2 * i + 1] += dy;
  }
  return out;
}
