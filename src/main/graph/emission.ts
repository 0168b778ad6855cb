// How a graph's gradient rules emit the patterns that have more than one fast form: today the Conv
// weight gradient. A graph may carry a policy (a table measured on this machine, see
// train/weight-grad-tuning.ts); without one, or for a case it does not know, the size rule below
// decides. Every pattern is exact; they differ only in speed and float rounding.
import type { DType } from './ir';

/**
 * How a Conv's weight gradient is emitted: 'im2col', the kernel taps as strided slices of the
 * channel-major input stacked into one matrix and one Gemm with dy; 'per-tap', one Gemm per tap on
 * its slice (the same work, no stacked matrix); 'conv', one Conv over swapped batch and channel
 * axes; 'output-taps' (stride 1 only), dy padded into the padded input's frame once per tap,
 * stacked, and one Gemm with the padded input: the shifted copies are of dy, not of the input, which
 * is far less to copy when the conv has few output channels (the 7x7 heads: 4 against 64). 'auto'
 * is the size rule (autoWeightGradPattern), which never picks 'output-taps'; a forced 'output-taps'
 * falls back to the size rule on strided convs.
 */
export type WeightGradPattern = 'auto' | 'im2col' | 'per-tap' | 'conv' | 'output-taps';
export type ConcreteWeightGradPattern = Exclude<WeightGradPattern, 'auto'>;
export const WEIGHT_GRAD_PATTERNS: readonly ConcreteWeightGradPattern[] = ['im2col', 'per-tap', 'conv', 'output-taps'];

/** Whether the 'output-taps' form applies: every stride 1 (a strided conv's dy would need dilating first). */
export const outputTapsApply = (strides: readonly number[]): boolean => strides.every((s) => s === 1);

/** One Conv weight gradient as the graph asks for it: every size that can change which pattern is fastest. */
export interface WeightGradCase {
  /** The convolved input, [N, C, H, W]. */
  readonly input: readonly number[];
  /** The gradient of the output, [N, O, Ho, Wo]. */
  readonly outputGrad: readonly number[];
  readonly kernel: readonly number[];
  /** [top, left, bottom, right]. */
  readonly pads: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly dtype: DType;
}

/** A stable text key of a case: equal keys, equal work. */
export const weightGradCaseKey = (c: WeightGradCase): string =>
  `x${c.input.join('x')}-dy${c.outputGrad.join('x')}-k${c.kernel.join('x')}-p${c.pads.join('.')}-s${c.strides.join('.')}-d${c.dilations.join('.')}-${c.dtype}`;

/** The pattern to emit for a case; undefined leaves it to the size rule. */
export type WeightGradPolicy = (c: WeightGradCase) => ConcreteWeightGradPattern | undefined;

/** Emission choices a graph carries for its gradient rules. */
export interface GraphEmission {
  readonly weightGrad?: WeightGradPolicy;
}

/**
 * The size rule, measured 2026-12-02 on 2-core AVX-512 (bench:graph, BENCH_SHAPES; table in
 * docs/graph-compiler.md): the im2col up to 16M elements, and up to 80M when there are at least 16
 * output channels (the Gemm then does enough work per column read); with fewer, one Gemm per tap
 * while a tap's slice (C x N x Ho x Wo) stays within 2M elements (it is read from cache); else one
 * Conv over swapped axes (the 7x7 heads at 128 px).
 */
const IM2COL_LIMIT = 16 * 1024 * 1024;
const IM2COL_WIDE_LIMIT = 80 * 1024 * 1024;
const WIDE_OUT_CHANNELS = 16;
const PER_TAP_SLICE_LIMIT = 2 * 1024 * 1024;

/** Elements of a case's stacked im2col matrix, and of one tap's slice of it. */
export function weightGradSizes(c: WeightGradCase): { im2col: number; slice: number } {
  const slice = c.input[1] * c.outputGrad[0] * c.outputGrad[2] * c.outputGrad[3];
  return { im2col: slice * c.kernel[0] * c.kernel[1], slice };
}

/** The pattern 'auto' emits for a weight gradient of these sizes (see the constants above). */
export function autoWeightGradPattern(im2colElements: number, sliceElements: number, outChannels: number): ConcreteWeightGradPattern {
  if (im2colElements <= IM2COL_LIMIT) return 'im2col';
  if (outChannels >= WIDE_OUT_CHANNELS && im2colElements <= IM2COL_WIDE_LIMIT) return 'im2col';
  if (sliceElements <= PER_TAP_SLICE_LIMIT) return 'per-tap';
  return 'conv';
}
