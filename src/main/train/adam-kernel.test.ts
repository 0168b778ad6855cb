// The SIMD Adam kernel: bit for bit the float32 scalar update (tails and chunk edges included), and
// within float32 rounding of PyTorch's update computed in doubles.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/random';
import { adamUpdate, scalarUpdate, type AdamCoefficients } from './adam-kernel';

const coefficientsAt = (step: number, lr = 1e-3, beta1 = 0.5, beta2 = 0.999, eps = 1e-8): AdamCoefficients => ({
  beta1, beta2, eps, stepSize: lr / (1 - beta1 ** step), invSqrtCorrection2: 1 / Math.sqrt(1 - beta2 ** step),
});

function arrays(length: number, seed: number) {
  const rng = new Rng(seed);
  const fill = (f: () => number) => Float32Array.from({ length }, f);
  return { p: fill(() => rng.uniform(-1, 1)), g: fill(() => rng.uniform(-2, 2) * 10 ** rng.uniform(-6, 0)), m: fill(() => rng.uniform(-0.1, 0.1)), v: fill(() => rng.uniform(0, 1e-2) ** 2) };
}

describe('adamUpdate', () => {
  it('matches the scalar float32 update bit for bit, for lengths with 0-3 tail elements and across chunks', () => {
    for (const length of [0, 1, 3, 4, 5, 64, 16384, 2 * 16384 + 7]) {
      const a = arrays(length, length + 1);
      const b = { p: a.p.slice(), m: a.m.slice(), v: a.v.slice() };
      for (let step = 1; step <= 3; step++) {
        adamUpdate(a.p, a.g, a.m, a.v, coefficientsAt(step));
        scalarUpdate(b.p, a.g, b.m, b.v, coefficientsAt(step));
      }
      expect(Buffer.from(a.p.buffer).equals(Buffer.from(b.p.buffer)), `p, length ${length}`).toBe(true);
      expect(Buffer.from(a.m.buffer).equals(Buffer.from(b.m.buffer)), `m, length ${length}`).toBe(true);
      expect(Buffer.from(a.v.buffer).equals(Buffer.from(b.v.buffer)), `v, length ${length}`).toBe(true);
    }
  });

  it("stays within float32 rounding of PyTorch's update in doubles over ten steps", () => {
    const a = arrays(1001, 9);
    const start = a.p.slice();
    const ref = { p: Float64Array.from(a.p), m: Float64Array.from(a.m), v: Float64Array.from(a.v) };
    for (let step = 1; step <= 10; step++) {
      const c = coefficientsAt(step, 1e-4);
      adamUpdate(a.p, a.g, a.m, a.v, c);
      for (let i = 0; i < a.p.length; i++) {
        ref.m[i] = c.beta1 * ref.m[i] + (1 - c.beta1) * a.g[i];
        ref.v[i] = c.beta2 * ref.v[i] + (1 - c.beta2) * a.g[i] * a.g[i];
        ref.p[i] -= (c.stepSize * ref.m[i]) / (Math.sqrt(ref.v[i]) * c.invSqrtCorrection2 + c.eps);
      }
    }
    let moved = 0;
    for (let i = 0; i < a.p.length; i++) {
      expect(Math.abs(a.p[i] - ref.p[i]), `p[${i}]`).toBeLessThan(1e-6);
      expect(Math.abs(a.m[i] - ref.m[i]), `m[${i}]`).toBeLessThanOrEqual(1e-6 * Math.abs(ref.m[i]) + 1e-12);
      if (Math.abs(a.p[i] - start[i]) > 1e-5) moved++;
    }
    // Ten steps of lr 1e-4 move almost every parameter: the update did run.
    expect(moved).toBeGreaterThan(900);
  });
});
