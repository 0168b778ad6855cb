import { describe, expect, it } from 'vitest';
import { spread } from './evaluate-model';

describe('spread', () => {
  it('samples evenly across the list, so a limit reaches every part of a folder', () => {
    const files = Array.from({ length: 10 }, (_, i) => i);
    expect(spread(files, 5)).toEqual([0, 2, 4, 6, 8]);
    expect(spread(files, 3)).toEqual([0, 3, 6]);
    expect(spread(files, 20)).toEqual(files);
  });
});
