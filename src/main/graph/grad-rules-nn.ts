// Gradient rules of Conv, ConvTranspose, InstanceNormalization, MatMul and Gemm, written with
// the patterns onnxruntime's CPU kernels run fastest (see bench/graph-conv.ts).
import { GraphError, type Node, type Value } from './ir';
import * as E from './ops-elementwise';
import * as N from './ops-nn';
import * as S from './ops-shape';
import { autoWeightGradPattern, outputTapsApply, weightGradSizes, type WeightGradCase, type WeightGradPattern } from './emission';
import { unbroadcast, when, type GradRule } from './grad-rules';

/**
 * dW[o, c, i, j] = sum over n, y, x of dy[n, o, y, x] * xPadded[n, c, y*s + i*d, x*s + j*d].
 * Each kernel tap is a strided slice of the channel-major input, multiplied by dy with a Gemm
 * whose transB needs no materialised transpose; the batch sum happens inside the Gemm. 'auto'
 * asks the graph's emission policy, then the size rule (emission.ts).
 */
export function convWeightGrad(x: Value, dy: Value, p: N.ConvParams, pattern: WeightGradPattern = 'auto'): Value {
  if (p.group !== 1) throw new GraphError('no-grad', `Conv: weight gradient with group ${p.group} is not supported (group 1 only)`);
  const [outH, outW] = [dy.shape[2], dy.shape[3]] as number[];
  const requested = pattern === 'auto' ? chosenWeightGradPattern(x, dy, p) : pattern;
  // dy shifted into the input's frame needs stride 1: a strided conv asked for it takes the size rule.
  const chosen = requested === 'output-taps' && !outputTapsApply(p.strides) ? sizeRulePattern(weightGradCaseOf(x, dy, p)) : requested;
  if (chosen === 'conv') return convWeightGradByConv(x, dy, p);
  if (chosen === 'output-taps') return convWeightGradByOutputTaps(x, dy, p);
  const channelMajor = S.transpose(x, [1, 0, 2, 3]);
  const padded = S.pad(channelMajor, [0, 0, p.pads[0], p.pads[1], 0, 0, p.pads[2], p.pads[3]]);
  const taps: Value[] = [];
  for (let i = 0; i < p.kernel[0]; i++) {
    for (let j = 0; j < p.kernel[1]; j++) {
      const top = i * p.dilations[0];
      const left = j * p.dilations[1];
      taps.push(
        S.slice(padded, {
          axes: [2, 3],
          starts: [top, left],
          ends: [top + (outH - 1) * p.strides[0] + 1, left + (outW - 1) * p.strides[1] + 1],
          steps: [p.strides[0], p.strides[1]],
        }),
      );
    }
  }
  const channels = x.shape[1] as number;
  const outChannels = dy.shape[1] as number;
  const dyRows = S.reshape(S.transpose(dy, [1, 0, 2, 3]), [outChannels, -1]);
  const rows = (v: Value) => S.reshape(v, [channels, -1]);
  const kernelShape = [outChannels, channels, p.kernel[0], p.kernel[1]];
  if (taps.length === 1) return S.reshape(N.gemm(dyRows, rows(taps[0]), { transB: true }), kernelShape);
  if (chosen === 'per-tap') {
    const perTap = taps.map((t) => S.unsqueeze(N.gemm(dyRows, rows(t), { transB: true }), [2]));
    return S.reshape(S.concat(perTap, 2), kernelShape);
  }
  const im2col = S.reshape(S.concat(taps.map((t) => S.unsqueeze(t, [1])), 1), [channels * taps.length, -1]);
  return S.reshape(N.gemm(dyRows, im2col, { transB: true }), kernelShape);
}

/** The case a weight gradient asks for, as emission policies see it; a symbolic batch counts as 1. */
function weightGradCaseOf(x: Value, dy: Value, p: N.ConvParams): WeightGradCase {
  const batch = typeof x.shape[0] === 'number' ? x.shape[0] : 1;
  return {
    input: [batch, ...x.shape.slice(1)] as number[], outputGrad: [batch, ...dy.shape.slice(1)] as number[],
    kernel: p.kernel, pads: p.pads, strides: p.strides, dilations: p.dilations, dtype: x.dtype,
  };
}

function sizeRulePattern(c: WeightGradCase) {
  const { im2col, slice } = weightGradSizes(c);
  return autoWeightGradPattern(im2col, slice, c.outputGrad[1]);
}

/** The graph's policy for this case (a measured table), else the size rule. */
function chosenWeightGradPattern(x: Value, dy: Value, p: N.ConvParams) {
  const known = weightGradCaseOf(x, dy, p);
  const policy = typeof x.shape[0] === 'number' ? x.graph.emission.weightGrad?.(known) : undefined;
  return policy ?? sizeRulePattern(known);
}

/**
 * The weight gradient with the output gradient shifted instead of the input (stride 1):
 * dW[o, c, i, j] = sum over n and the padded frame P of xpad[n, c, P] * dy_ij[n, o, P], where dy_ij
 * is dy placed at tap (i, j)'s offset in the padded frame (zero elsewhere). The taps' dy_ij are
 * stacked into one [kH * kW * O, N * Hp * Wp] matrix and multiplied with the padded input once.
 */
function convWeightGradByOutputTaps(x: Value, dy: Value, p: N.ConvParams): Value {
  const channels = x.shape[1] as number;
  const outChannels = dy.shape[1] as number;
  const padded = S.pad(S.transpose(x, [1, 0, 2, 3]), [0, 0, p.pads[0], p.pads[1], 0, 0, p.pads[2], p.pads[3]]);
  const [frameH, frameW] = padded.shape.slice(2) as number[];
  const [outH, outW] = dy.shape.slice(2) as number[];
  const dyT = S.transpose(dy, [1, 0, 2, 3]);
  const taps: Value[] = [];
  for (let i = 0; i < p.kernel[0]; i++) {
    for (let j = 0; j < p.kernel[1]; j++) {
      const [top, left] = [i * p.dilations[0], j * p.dilations[1]];
      taps.push(S.pad(dyT, [0, 0, top, left, 0, 0, frameH - outH - top, frameW - outW - left]));
    }
  }
  const stacked = S.reshape(S.concat(taps, 0), [taps.length * outChannels, -1]);
  const byTap = N.gemm(stacked, S.reshape(padded, [channels, -1]), { transB: true });
  return S.transpose(S.reshape(byTap, [p.kernel[0], p.kernel[1], outChannels, channels]), [2, 3, 0, 1]);
}

/**
 * The weight gradient as one Conv over swapped batch and channel axes: the input is x as
 * [C, N, H, W], the kernel is dy as [O, N, Ho, Wo] dilated by the forward stride.
 */
function convWeightGradByConv(x: Value, dy: Value, p: N.ConvParams): Value {
  const xT = S.transpose(x, [1, 0, 2, 3]);
  const dyT = S.transpose(dy, [1, 0, 2, 3]);
  let out = N.conv(xT, dyT, null, { pads: p.pads, strides: p.dilations, dilations: p.strides });
  const [h, w] = out.shape.slice(2) as number[];
  if (h !== p.kernel[0] || w !== p.kernel[1]) out = S.slice(out, { axes: [2, 3], starts: [0, 0], ends: [p.kernel[0], p.kernel[1]] });
  return S.transpose(out, [1, 0, 2, 3]);
}

/**
 * Reverses both spatial axes of a [A, B, kH, kW] kernel. Row-major, that reverses the flattened
 * kH*kW tap index, so it is one MatMul with an anti-identity (differentiable, no new op). Two
 * 1-axis flips with Transposes of the kernel axes between them added 55 ms to a 28 ms input
 * gradient at 256x256x3x3 (bench/graph-conv.ts): onnxruntime copies a Transpose of such small
 * axes element by element.
 */
function flipKernel(w: Value): Value {
  const [a, b, kh, kw] = w.shape as number[];
  const taps = kh * kw;
  const data = new Float32Array(taps * taps);
  for (let i = 0; i < taps; i++) data[i * taps + (taps - 1 - i)] = 1;
  const antiIdentity = w.graph.constant(w.dtype === 'float64' ? Float64Array.from(data) : data, [taps, taps], w.dtype);
  return S.reshape(N.matmul(S.reshape(w, [a * b, taps]), antiIdentity), [a, b, kh, kw]);
}

/**
 * Input gradient of a stride-1 conv as a conv with the flipped, channel-swapped kernel: its
 * im2col holds the (usually few) output-gradient channels, where ConvTranspose's column buffer
 * holds every input channel times the kernel area.
 */
function stride1InputGrad(gy: Value, w: Value, p: N.ConvParams): Value | null {
  if (p.group !== 1 || p.strides.some((s) => s !== 1)) return null;
  const reach = [0, 1].map((i) => p.dilations[i] * (p.kernel[i] - 1));
  const pads = [reach[0] - p.pads[0], reach[1] - p.pads[1], reach[0] - p.pads[2], reach[1] - p.pads[3]];
  if (pads.some((v) => v < 0)) return null;
  return N.conv(gy, flipKernel(S.transpose(w, [1, 0, 2, 3])), null, { pads, dilations: p.dilations });
}

/** The output padding a ConvTranspose needs to restore a strided conv's exact input size. */
function restoringOutputPadding(inputSize: readonly number[], outputSize: readonly number[], p: N.ConvParams): number[] {
  return [0, 1].map((i) => {
    const base = p.strides[i] * (outputSize[i] - 1) + p.dilations[i] * (p.kernel[i] - 1) + 1 - p.pads[i] - p.pads[i + 2];
    return inputSize[i] - base;
  });
}

const convOptions = (p: N.ConvParams) => ({ strides: p.strides, pads: p.pads, dilations: p.dilations, group: p.group });

const biasGrad = (gy: Value): Value => S.reduceSum(gy, [0, 2, 3]);

const convRule: GradRule = (node, gy, needs) => {
  const [x, w] = node.inputs as Value[];
  const p = N.convParams(node);
  const inSize = x.shape.slice(2) as number[];
  const outSize = gy.shape.slice(2) as number[];
  return [
    when(
      needs[0],
      () =>
        stride1InputGrad(gy, w, p) ??
        N.convTranspose(gy, w, null, { ...convOptions(p), outputPadding: restoringOutputPadding(inSize, outSize, p) }),
    ),
    when(needs[1], () => convWeightGrad(x, gy, p)),
    when(needs[2] ?? false, () => biasGrad(gy)),
  ];
};

const convTransposeRule: GradRule = (node, gy, needs) => {
  const [x, w] = node.inputs as Value[];
  const p = N.convParams(node);
  return [
    when(needs[0], () => N.conv(gy, w, null, convOptions(p))),
    when(needs[1], () => convWeightGrad(gy, x, p)),
    when(needs[2] ?? false, () => biasGrad(gy)),
  ];
};

/**
 * With xhat = (x - mean) / std per sample and channel: dx = scale / std * (gy - mean(gy) -
 * xhat * mean(gy * xhat)). xhat comes from the fast InstanceNormalization kernel (scale 1,
 * shift 0) and std from two reductions of x, so only a handful of full-size passes remain; every
 * op used has a rule, so the rule is itself differentiable.
 */
const instanceNormRule: GradRule = (node, gy, needs) => {
  const [x, scale] = node.inputs as Value[];
  const eps = node.attrs.epsilon as number;
  const channels = x.shape[1] as number;
  const spatialAxes = x.shape.slice(2).map((_, i) => i + 2);
  const area = x.shape.slice(2).reduce<number>((a, d) => a * (d as number), 1);
  const unit = (v: number) => x.graph.constant(x.dtype === 'float64' ? new Float64Array(channels).fill(v) : new Float32Array(channels).fill(v), [channels], x.dtype);
  const normalized = N.instanceNorm(x, unit(1), unit(0), eps);
  const mean = S.reduceMean(x, spatialAxes, true);
  const variance = E.sub(S.reduceMean(E.mul(x, x), spatialAxes, true), E.mul(mean, mean));
  const meanGy = S.reduceMean(gy, spatialAxes, true);
  const meanGyX = S.reduceMean(E.mul(gy, normalized), spatialAxes, true);
  const perChannel = (v: Value) => S.unsqueeze(v, [0, ...spatialAxes]);
  const total = (v: Value) => E.mul(S.reduceSum(v, [0, ...spatialAxes]), area);
  return [
    when(needs[0], () => {
      const gain = E.div(perChannel(scale), E.sqrt(E.add(variance, eps)));
      return E.mul(gain, E.sub(E.sub(gy, meanGy), E.mul(normalized, meanGyX)));
    }),
    when(needs[1], () => total(meanGyX)),
    when(needs[2], () => total(meanGy)),
  ];
};

const swapLast = (v: Value): Value => {
  const r = v.shape.length;
  return S.transpose(v, [...Array(r - 2).keys(), r - 1, r - 2]);
};

const matmulRule: GradRule = (node, gy, needs) => {
  const [a, b] = node.inputs as Value[];
  return [
    when(needs[0], () => unbroadcast(N.matmul(gy, swapLast(b)), a.shape)),
    when(needs[1], () => unbroadcast(N.matmul(swapLast(a), gy), b.shape)),
  ];
};

/** Y = alpha * op(A) op(B); each input gradient is one Gemm with the right transposition flags. */
const gemmRule: GradRule = (node: Node, gy, needs) => {
  const [a, b] = node.inputs as Value[];
  const { transA, transB, alpha } = node.attrs as { transA: number; transB: number; alpha: number };
  const dA = () =>
    transA ? N.gemm(b, gy, { transA: !!transB, transB: true, alpha }) : N.gemm(gy, b, { transB: !transB, alpha });
  const dB = () =>
    transB ? N.gemm(gy, a, { transA: true, transB: !!transA, alpha }) : N.gemm(a, gy, { transA: !transA, alpha });
  return [when(needs[0], dA), when(needs[1], dB)];
};

export const nnRules: Record<string, GradRule> = {
  Conv: convRule,
  ConvTranspose: convTransposeRule,
  InstanceNormalization: instanceNormRule,
  MatMul: matmulRule,
  Gemm: gemmRule,
};

