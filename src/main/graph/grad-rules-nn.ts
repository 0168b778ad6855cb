// Gradient rules of Conv, ConvTranspose, InstanceNormalization, MatMul and Gemm, written with
// the patterns onnxruntime's CPU kernels run fastest (see bench/graph-conv.ts).
import { GraphError, type Node, type Value } from './ir';
import * as E from './ops-elementwise';
import * as N from './ops-nn';
import * as S from './ops-shape';
import { unbroadcast, type GradRule } from './grad-rules';

const when = (need: boolean, f: () => Value): Value | null => (need ? f() : null);

/**
 * dW[o, c, i, j] = sum over n, y, x of dy[n, o, y, x] * xPadded[n, c, y*s + i*d, x*s + j*d].
 * Emitted as one im2col of x built from kH*kW strided slices of the channel-major input and one
 * Gemm with transB, which multiplies without materialising a transpose; batch sums inside the Gemm.
 */
export function convWeightGrad(x: Value, dy: Value, p: N.ConvParams): Value {
  if (p.group !== 1) throw new GraphError('no-grad', `Conv: weight gradient with group ${p.group} is not supported (group 1 only)`);
  const [outH, outW] = [dy.shape[2], dy.shape[3]] as number[];
  const channelMajor = S.transpose(x, [1, 0, 2, 3]);
  const padded = S.pad(channelMajor, [0, 0, p.pads[0], p.pads[1], 0, 0, p.pads[2], p.pads[3]]);
  const cols: Value[] = [];
  for (let i = 0; i < p.kernel[0]; i++) {
    for (let j = 0; j < p.kernel[1]; j++) {
      const top = i * p.dilations[0];
      const left = j * p.dilations[1];
      const tap = S.slice(padded, {
        axes: [2, 3],
        starts: [top, left],
        ends: [top + (outH - 1) * p.strides[0] + 1, left + (outW - 1) * p.strides[1] + 1],
        steps: [p.strides[0], p.strides[1]],
      });
      cols.push(S.unsqueeze(tap, [1]));
    }
  }
  const channels = x.shape[1] as number;
  const taps = p.kernel[0] * p.kernel[1];
  const im2col = S.reshape(cols.length === 1 ? cols[0] : S.concat(cols, 1), [channels * taps, -1]);
  const outChannels = dy.shape[1] as number;
  const dyRows = S.reshape(S.transpose(dy, [1, 0, 2, 3]), [outChannels, -1]);
  const flat = N.gemm(dyRows, im2col, { transB: true });
  return S.reshape(flat, [outChannels, channels, p.kernel[0], p.kernel[1]]);
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
    when(needs[0], () => N.convTranspose(gy, w, null, { ...convOptions(p), outputPadding: restoringOutputPadding(inSize, outSize, p) })),
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

/** Recomputes the normalised input from primitives, so the rule is itself differentiable. */
const instanceNormRule: GradRule = (node, gy, needs) => {
  const [x, scale] = node.inputs as Value[];
  const eps = node.attrs.epsilon as number;
  const spatialAxes = x.shape.slice(2).map((_, i) => i + 2);
  const perChannel = (v: Value) => S.unsqueeze(v, [0, ...spatialAxes]);
  const centered = E.sub(x, S.reduceMean(x, spatialAxes, true));
  const variance = S.reduceMean(E.mul(centered, centered), spatialAxes, true);
  const invStd = E.div(1, E.sqrt(E.add(variance, eps)));
  const normalized = E.mul(centered, invStd);
  const reduceAxes = [0, ...spatialAxes];
  return [
    when(needs[0], () => {
      const gs = E.mul(gy, perChannel(scale));
      const meanGs = S.reduceMean(gs, spatialAxes, true);
      const meanGsX = S.reduceMean(E.mul(gs, normalized), spatialAxes, true);
      return E.mul(invStd, E.sub(E.sub(gs, meanGs), E.mul(normalized, meanGsX)));
    }),
    when(needs[1], () => S.reduceSum(E.mul(gy, normalized), reduceAxes)),
    when(needs[2], () => S.reduceSum(gy, reduceAxes)),
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

