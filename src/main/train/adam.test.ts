// adamStep over a parameter map: bias correction, the step counter, and errors that name the parameter.
import { describe, expect, it } from 'vitest';
import { adamStep, DEFAULT_ADAM, newAdamState } from './adam';

describe('adamStep', () => {
  it('moves every parameter by lr against the sign of its gradient on the first step (bias-corrected moments)', () => {
    const params = new Map([['w', Float32Array.of(1, -2, 0.5, 3, 0)], ['b', Float32Array.of(0.25)]]);
    const grads = new Map([['w', Float32Array.of(0.3, -0.01, 2e-3, -5, 1)], ['b', Float32Array.of(-1e-2)]]);
    const before = new Map([...params].map(([k, p]) => [k, p.slice()]));
    const state = newAdamState(params);
    adamStep(params, grads, state, DEFAULT_ADAM);
    expect(state.step).toBe(1);
    for (const [k, p] of params) {
      const g = grads.get(k)!;
      p.forEach((x, i) => expect(x).toBeCloseTo(before.get(k)![i] - DEFAULT_ADAM.lr * Math.sign(g[i]), 6));
    }
    expect(Array.from(state.m.get('b')!)).toEqual([Math.fround(0.5 * -1e-2)]);
  });

  it('names a parameter without a gradient, and one whose gradient has the wrong length', () => {
    const params = new Map([['conv.weight', new Float32Array(4)]]);
    expect(() => adamStep(params, new Map(), newAdamState(params), DEFAULT_ADAM)).toThrow(/no gradient for parameter conv\.weight/);
    expect(() => adamStep(params, new Map([['conv.weight', new Float32Array(3)]]), newAdamState(params), DEFAULT_ADAM)).toThrow(/conv\.weight has 4 elements, its gradient 3/);
  });
});
