// Adam with PyTorch's exact update order, in place on Float32Arrays: one fused pass per tensor is
// faster here than round-tripping moments through an ONNX graph (which would copy 3x the weights).
import { StudioError } from '../../shared/errors';

export interface AdamOptions {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
}

export const DEFAULT_ADAM: AdamOptions = Object.freeze({ lr: 1e-4, beta1: 0.5, beta2: 0.999, eps: 1e-8 });

export interface AdamState {
  step: number;
  readonly m: Map<string, Float32Array>;
  readonly v: Map<string, Float32Array>;
}

export function newAdamState(params: ReadonlyMap<string, Float32Array>): AdamState {
  const zeros = () => new Map([...params].map(([k, p]) => [k, new Float32Array(p.length)]));
  return { step: 0, m: zeros(), v: zeros() };
}

/** One step: params[k] -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). `lr` may be decayed by the caller. */
export function adamStep(
  params: ReadonlyMap<string, Float32Array>,
  grads: ReadonlyMap<string, Float32Array>,
  state: AdamState,
  options: AdamOptions,
): void {
  state.step += 1;
  const { lr, beta1, beta2, eps } = options;
  const stepSize = lr / (1 - beta1 ** state.step);
  const invSqrtCorrection2 = 1 / Math.sqrt(1 - beta2 ** state.step);
  for (const [name, p] of params) {
    const g = grads.get(name);
    if (!g) throw new StudioError('missing-gradient', `adam: the step returned no gradient for parameter ${name}`);
    const m = state.m.get(name) as Float32Array;
    const v = state.v.get(name) as Float32Array;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i];
      const mi = beta1 * m[i] + (1 - beta1) * gi;
      const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] -= (stepSize * mi) / (Math.sqrt(vi) * invSqrtCorrection2 + eps);
    }
  }
}
