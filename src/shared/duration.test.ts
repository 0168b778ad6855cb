import { describe, expect, it } from 'vitest';
import { formatDuration } from './duration';

describe('formatDuration', () => {
  it('says seconds, then minutes, then hours', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(0.2)).toBe('1 s');
    expect(formatDuration(59.5)).toBe('60 s');
    expect(formatDuration(60)).toBe('1 min 00 s');
    expect(formatDuration(125.4)).toBe('2 min 05 s');
    expect(formatDuration(599.4)).toBe('9 min 59 s');
    expect(formatDuration(2820)).toBe('47 min');
    expect(formatDuration(5400)).toBe('1.5 h');
    expect(formatDuration(6.72 * 3600)).toBe('6.7 h');
  });
  it('gives a dash for durations it cannot know', () => {
    expect(formatDuration(Infinity)).toBe('–');
    expect(formatDuration(Number.NaN)).toBe('–');
    expect(formatDuration(-1)).toBe('–');
  });
});
