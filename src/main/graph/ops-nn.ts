// Neural-network op builders: Conv, ConvTranspose, InstanceNormalization, MatMul, Gemm.
import { GraphError, shapeToString, type Dim, type Value } from './ir';
import { add, div, mul, sqrt, sub } from './ops-elementwise';
import { reduceMean, reshape, transpose, unsqueeze } from './ops-shape';

export interface ConvOptions {
  /** [sH, sW]; default 1. */
  readonly strides?: readonly number[];
  /** ONNX order [top, left, bottom, right]; default 0. */
  readonly pads?: readonly number[];
  readonly dilations?: readonly number[];
  readonly group?: number;
}

/** Conv options with every field filled, as gradient rules need them. */
export interface ConvParams {
  readonly strides: readonly number[];
  readonly pads: readonly number[];
  readonly dilations: readonly number[];
  readonly group: number;
  readonly kernel: readonly number[];
}

export function convParams(node: { attrs: Record<string, unknown> }): ConvParams {
  const a = node.attrs as Record<string, number[] | number>;
  return {
    strides: a.strides as number[],
    pads: a.pads as number[],
    dilations: a.dilations as number[],
    group: a.group as number,
    kernel: a.kernel_shape as number[],
  };
}

function fill(weight: Value, options: ConvOptions): ConvParams {
  const kernel = weight.shape.slice(2) as number[];
  if (kernel.length !== 2 || kernel.some((k) => typeof k !== 'number')) {
    throw new GraphError('conv', `Conv: weight ${weight.name} ${shapeToString(weight.shape)} must be a static 2-D kernel [O, I, kH, kW]`);
  }
  return {
    strides: options.strides ?? [1, 1],
    pads: options.pads ?? [0, 0, 0, 0],
    dilations: options.dilations ?? [1, 1],
    group: options.group ?? 1,
    kernel,
  };
}

function attrsOf(p: ConvParams, extra: Record<string, number[]> = {}) {
  return { strides: p.strides, pads: p.pads, dilations: p.dilations, group: p.group, kernel_shape: p.kernel, ...extra };
}

function spatial(x: Value, i: number, op: string): number {
  const d = x.shape[2 + i];
  if (typeof d !== 'number') throw new GraphError('symbolic-shape', `${op}: spatial dims of ${x.name} must be static`);
  return d;
}

/** 2-D convolution. x [N, C, H, W], weight [O, C/group, kH, kW], bias [O]. */
export function conv(x: Value, weight: Value, bias: Value | null = null, options: ConvOptions = {}): Value {
  const p = fill(weight, options);
  if (x.shape.length !== 4) throw new GraphError('conv', `Conv: input ${x.name} ${shapeToString(x.shape)} must be [N, C, H, W]`);
  const cIn = x.shape[1];
  if (typeof cIn === 'number' && cIn !== (weight.shape[1] as number) * p.group) {
    throw new GraphError('conv', `Conv: input has ${cIn} channels, weight ${weight.name} ${shapeToString(weight.shape)} expects ${(weight.shape[1] as number) * p.group}`);
  }
  const out = [0, 1].map((i) => {
    const size = spatial(x, i, 'Conv') + p.pads[i] + p.pads[i + 2] - p.dilations[i] * (p.kernel[i] - 1) - 1;
    if (size < 0) throw new GraphError('conv', `Conv: kernel ${p.kernel} does not fit input ${shapeToString(x.shape)}`);
    return Math.floor(size / p.strides[i]) + 1;
  });
  if (lowersToGemm(x, weight, p, out)) return convAsGemm(x, weight, bias, p, out);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return x.graph.addNode('Conv', inputs, attrsOf(p), [{ dtype: x.dtype, shape: [x.shape[0], weight.shape[0], ...out] }])[0];
}

/** Output pixels per image at or below which a batched conv is lowered to one Gemm. */
const GEMM_LOWERING_MAX_OUTPUT = 16;
/** Entries of the constant gather matrix ([H*W, kH*kW*Ho*Wo]) the lowering may create. */
const GEMM_LOWERING_MAX_GATHER = 65536;

/**
 * Whether a conv is lowered to a gather MatMul plus one Gemm: onnxruntime's Conv runs one Gemm per
 * image, so on a layer with a large kernel and a few output pixels (a critic's last layers: 1024
 * channels, 4x4 input, 2x2 output) it streams the whole weight from memory once per image. The
 * lowered form reads it once per batch, and so do its gradients (Gemm and MatMul rules).
 */
function lowersToGemm(x: Value, weight: Value, p: ConvParams, out: readonly number[]): boolean {
  const batch = x.shape[0];
  if (p.group !== 1 || typeof batch !== 'number' || batch < 2) return false;
  const taps = p.kernel[0] * p.kernel[1];
  const inPixels = spatial(x, 0, 'Conv') * spatial(x, 1, 'Conv');
  const outPixels = out[0] * out[1];
  return outPixels <= GEMM_LOWERING_MAX_OUTPUT && (weight.shape[1] as number) * taps >= 1024 && inPixels * taps * outPixels <= GEMM_LOWERING_MAX_GATHER;
}

/**
 * Conv as cols = gather(x) and W[O, C*kH*kW] x cols. The gather is a MatMul with a constant 0/1
 * matrix (pixel -> (tap, output pixel), padding taps all zero), so the lowering is exact and every
 * op in it has a gradient rule (second order included, for the gradient penalty).
 */
function convAsGemm(x: Value, weight: Value, bias: Value | null, p: ConvParams, out: readonly number[]): Value {
  const [n, c] = [x.shape[0] as number, x.shape[1] as number];
  const [h, w] = [spatial(x, 0, 'Conv'), spatial(x, 1, 'Conv')];
  const [kh, kw] = p.kernel;
  const [oh, ow] = out;
  const o = weight.shape[0] as number;
  const taps = kh * kw;
  const cols = taps * oh * ow;
  const gather = new Float32Array(h * w * cols);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let y = 0; y < oh; y++) {
        for (let xo = 0; xo < ow; xo++) {
          const yin = y * p.strides[0] + i * p.dilations[0] - p.pads[0];
          const xin = xo * p.strides[1] + j * p.dilations[1] - p.pads[1];
          if (yin < 0 || yin >= h || xin < 0 || xin >= w) continue;
          gather[(yin * w + xin) * cols + ((i * kw + j) * oh + y) * ow + xo] = 1;
        }
      }
    }
  }
  const q = x.graph.constant(x.dtype === 'float64' ? Float64Array.from(gather) : gather, [h * w, cols], x.dtype);
  const gathered = matmul(reshape(x, [n * c, h * w]), q);
  const im2col = reshape(transpose(reshape(gathered, [n, c * taps, oh * ow]), [1, 0, 2]), [c * taps, n * oh * ow]);
  let y = gemm(reshape(weight, [o, c * taps]), im2col);
  if (bias) y = add(y, reshape(bias, [o, 1]));
  return transpose(reshape(y, [o, n, oh, ow]), [1, 0, 2, 3]);
}

export interface ConvTransposeOptions extends ConvOptions {
  readonly outputPadding?: readonly number[];
}

/** 2-D transposed convolution. x [N, C, H, W], weight [C, O/group, kH, kW]. */
export function convTranspose(x: Value, weight: Value, bias: Value | null = null, options: ConvTransposeOptions = {}): Value {
  const p = fill(weight, options);
  const outputPadding = options.outputPadding ?? [0, 0];
  if (x.shape.length !== 4) throw new GraphError('conv', `ConvTranspose: input ${x.name} ${shapeToString(x.shape)} must be [N, C, H, W]`);
  const out = [0, 1].map(
    (i) => p.strides[i] * (spatial(x, i, 'ConvTranspose') - 1) + outputPadding[i] + p.dilations[i] * (p.kernel[i] - 1) + 1 - p.pads[i] - p.pads[i + 2],
  );
  const channels = (weight.shape[1] as number) * p.group;
  const inputs = bias ? [x, weight, bias] : [x, weight];
  const attrs = attrsOf(p, { output_padding: [...outputPadding] });
  return x.graph.addNode('ConvTranspose', inputs, attrs, [{ dtype: x.dtype, shape: [x.shape[0], channels, ...out] }])[0];
}

/** Per-sample, per-channel normalisation over spatial dims with an affine scale and bias [C]. */
export function instanceNorm(x: Value, scale: Value, bias: Value, epsilon = 1e-5): Value {
  if (x.shape.length < 3) throw new GraphError('shape', `InstanceNormalization: ${x.name} needs rank >= 3`);
  return x.graph.addNode('InstanceNormalization', [x, scale, bias], { epsilon }, [{ dtype: x.dtype, shape: x.shape }])[0];
}

/** Batched matrix product of rank >= 2 operands with broadcast batch dims. */
export function matmul(a: Value, b: Value): Value {
  if (a.shape.length < 2 || b.shape.length < 2) throw new GraphError('matmul', 'MatMul: operands must have rank >= 2');
  const [m, k1] = a.shape.slice(-2);
  const [k2, n] = b.shape.slice(-2);
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    throw new GraphError('matmul', `MatMul: ${shapeToString(a.shape)} x ${shapeToString(b.shape)} inner dims differ`);
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const rank = Math.max(batchA.length, batchB.length);
  const batch: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = batchA[batchA.length - rank + i] ?? 1;
    const db = batchB[batchB.length - rank + i] ?? 1;
    batch.push(da === 1 ? db : da);
  }
  return a.graph.addNode('MatMul', [a, b], {}, [{ dtype: a.dtype, shape: [...batch, m, n] }])[0];
}

export interface GemmOptions {
  readonly transA?: boolean;
  readonly transB?: boolean;
  readonly alpha?: number;
}

/** 2-D alpha * op(A) @ op(B), where op transposes on request without materialising it. */
export function gemm(a: Value, b: Value, options: GemmOptions = {}): Value {
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new GraphError('gemm', 'Gemm: operands must be 2-D');
  const m = options.transA ? a.shape[1] : a.shape[0];
  const n = options.transB ? b.shape[0] : b.shape[1];
  const attrs = { transA: options.transA ? 1 : 0, transB: options.transB ? 1 : 0, alpha: options.alpha ?? 1 };
  return a.graph.addNode('Gemm', [a, b], attrs, [{ dtype: a.dtype, shape: [m, n] }])[0];
}

/**
 * Instance normalisation from primitives: per-sample, per-channel moments by two reductions, then
 * one multiply-add. onnxruntime's InstanceNormalization CPU kernel is single-threaded and several
 * times slower on large activations, and this form differentiates through cheap rules.
 */
export function instanceNormDecomposed(x: Value, scale: Value, bias: Value, epsilon = 1e-5): Value {
  const axes = x.shape.slice(2).map((_, i) => i + 2);
  const perChannel = (v: Value) => unsqueeze(v, [0, ...axes]);
  const mean = reduceMean(x, axes, true);
  const variance = sub(reduceMean(mul(x, x), axes, true), mul(mean, mean));
  const gain = div(perChannel(scale), sqrt(add(variance, epsilon)));
  return add(mul(x, gain), sub(perChannel(bias), mul(mean, gain)));
}
