// Adam with PyTorch's update order, in place on Float32Arrays, in float32 as PyTorch computes it: one
// fused pass per tensor (adam-kernel.ts) is faster here than round-tripping moments through an ONNX
// graph (which would copy 3x the weights).
import { StudioError } from '../../shared/errors';
import { adamUpdate } from './adam-kernel';

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
  const coefficients = { beta1, beta2, eps, stepSize: lr / (1 - beta1 ** state.step), invSqrtCorrection2: 1 / Math.sqrt(1 - beta2 ** state.step) };
  for (const [name, p] of params) {
    const g = grads.get(name);
    if (!g) throw new StudioError('missing-gradient', `adam: the step returned no gradient for parameter ${name}`);
    const m = state.m.get(name) as Float32Array;
    const v = state.v.get(name) as Float32Array;
    if (g.length !== p.length || m.length !== p.length || v.length !== p.length) {
      throw new StudioError('adam-shape', `adam: parameter ${name} has ${p.length} elements, its gradient ${g.length}, its moments ${m.length} and ${v.length}`);
    }
    adamUpdate(p, g, m, v, coefficients);
  }
}
