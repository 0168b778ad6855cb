import { describe, expect, it } from 'vitest';
import { Rng } from './random';

describe('Rng', () => {
  it('is deterministic per seed and resumable from its state', () => {
    const a = new Rng(42);
    a.normal();
    const saved = a.getState();
    const next = [a.next(), a.normal(), a.normal(), a.int(10)];
    const b = Rng.fromState(saved);
    expect([b.next(), b.normal(), b.normal(), b.int(10)]).toEqual(next);
  });
  it('draws normals with the requested moments', () => {
    const rng = new Rng(1);
    const xs = Array.from({ length: 20000 }, () => rng.normal(0, 0.02));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(std).toBeGreaterThan(0.0195);
    expect(std).toBeLessThan(0.0205);
  });
  it('shuffles into a permutation', () => {
    const items = new Rng(3).shuffle([...Array(50).keys()]);
    expect([...items].sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
    expect(items).not.toEqual([...Array(50).keys()]);
  });
});
