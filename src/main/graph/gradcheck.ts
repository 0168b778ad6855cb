// Test support: runs IR graphs on onnxruntime and checks analytic gradients against central
// finite differences computed through the same runtime.
import { backward } from './autodiff';
import { Graph, numel, type DType, type Value } from './ir';
import { mul } from './ops-elementwise';
import { reduceSum } from './ops-shape';
import { toOnnx } from './to-onnx';
import { Rng } from '../../shared/random';
import { createSession, runSession, type HostTensor } from '../infer/ort-session';

export type FloatArray = Float32Array | Float64Array;

/** Deterministic uniform numbers in [lo, hi). */
export function seededRandom(seed: number): (lo?: number, hi?: number) => number {
  const rng = new Rng(seed);
  return (lo = 0, hi = 1) => rng.uniform(lo, hi);
}

export function randomArray(dtype: DType, n: number, rand: () => number): FloatArray {
  const a = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rand();
  return a;
}

/** Compiles a graph once and runs it on feeds keyed by input name. */
export async function compile(graph: Graph): Promise<(feeds: Record<string, HostTensor>) => Promise<Record<string, HostTensor>>> {
  const session = await createSession(toOnnx(graph, { params: 'inputs' }));
  return (feeds) => runSession(session, feeds);
}

export interface GradCheckCase {
  readonly dtype: DType;
  /** Builds the function under test from its inputs; returns its (any-shaped) output. */
  readonly build: (g: Graph, inputs: Value[]) => Value;
  readonly inputs: readonly { name: string; shape: number[]; lo?: number; hi?: number; noGrad?: boolean }[];
  readonly seed?: number;
  /** Coordinates checked per input (spread over the tensor). */
  readonly samples?: number;
  /** Finite-difference step; defaults suit smooth functions in each precision. */
  readonly step?: number;
}

export interface GradCheckResult {
  /** Worst |analytic - numeric| / max(1, |numeric|) over the sampled coordinates. */
  readonly worstError: number;
  readonly checked: number;
}

/**
 * Projects the output on a fixed random tensor to get a scalar loss, then compares the analytic
 * gradient of every input with (L(x + h) - L(x - h)) / 2h at sampled coordinates.
 */
export async function gradCheck(c: GradCheckCase): Promise<GradCheckResult> {
  const rand = seededRandom(c.seed ?? 7);
  const g = new Graph('gradcheck');
  const inputs = c.inputs.map((spec) => g.input(spec.name, c.dtype, spec.shape));
  const out = c.build(g, inputs);
  const projection = g.input('projection', c.dtype, out.shape);
  const loss = reduceSum(mul(out, projection));
  g.output('loss', loss);
  const targets = inputs.filter((_, i) => !c.inputs[i].noGrad);
  backward(loss, targets).forEach((grad, i) => g.output(`grad_${targets[i].name}`, grad));
  const run = await compile(g);

  const feeds: Record<string, HostTensor> = {};
  c.inputs.forEach((spec) => {
    feeds[spec.name] = { data: randomArray(c.dtype, numel(spec.shape), () => rand(spec.lo ?? -1, spec.hi ?? 1)), dims: spec.shape };
  });
  feeds.projection = { data: randomArray(c.dtype, numel(out.shape), () => rand(-1, 1)), dims: out.shape as number[] };
  const base = await run(feeds);
  const h = c.step ?? (c.dtype === 'float64' ? 1e-6 : 1e-2);
  let worst = 0;
  let checked = 0;
  for (const target of targets) {
    const data = feeds[target.name].data as FloatArray;
    const analytic = base[`grad_${target.name}`].data as FloatArray;
    const count = Math.min(c.samples ?? 6, data.length);
    for (let k = 0; k < count; k++) {
      const idx = Math.floor((k * data.length) / count + rand() * (data.length / count));
      const keep = data[idx];
      data[idx] = keep + h;
      const plus = (await run(feeds)).loss.data[0] as number;
      data[idx] = keep - h;
      const minus = (await run(feeds)).loss.data[0] as number;
      data[idx] = keep;
      const numeric = (plus - minus) / (2 * h);
      worst = Math.max(worst, Math.abs(analytic[idx] - numeric) / Math.max(1, Math.abs(numeric)));
      checked++;
    }
  }
  return { worstError: worst, checked };
}

/** ||a - b|| / ||b||: the per-tensor tolerance measure of the reference fixtures. */
export function relNormError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relNormError: lengths ${a.length} and ${b.length} differ`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}
