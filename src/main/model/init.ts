// Weight initialisation as the original GANimation: conv weights N(0, 0.02), conv biases 0,
// instance-norm scale 1 and shift 0 (PyTorch's affine defaults; the original's init skips them).
// A spec's `init` overrides that: the residual family's zero colour head and "keep" attention bias.
import { Rng } from '../../shared/random';
import type { ParamSpec } from './generator';

export type Weights = Map<string, Float32Array>;

/** sigmoid(4) = 0.982: the residual family's attention starts by keeping ~98% of every input pixel. */
export const KEEP_LOGIT = 4;

export function initWeights(specs: readonly ParamSpec[], seed: number): Weights {
  const rng = new Rng(seed);
  const weights: Weights = new Map();
  for (const spec of specs) {
    const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    if (spec.init === 'keep-logit') data.fill(KEEP_LOGIT);
    else if (spec.init === 'zero') data.fill(0);
    else if (spec.role === 'conv') for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, 0.02);
    else if (spec.role === 'norm-scale') data.fill(1);
    weights.set(spec.name, data);
  }
  return weights;
}

export const parameterCount = (specs: readonly ParamSpec[]): number =>
  specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
