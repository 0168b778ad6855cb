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
