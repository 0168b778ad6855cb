// The residual generator family, which starts as the identity: GANimation's encoder and bottleneck,
// resize-then-conv upsampling (no ConvTranspose checkerboard), an attention head biased toward
// "keep" and a colour head that adds a zero-initialised delta to the input in tanh space.
import * as G from '../graph';
import { auConditionedConv } from './au-stem';
import type { GeneratorConfig } from './config';
import type { GeneratorBuildOptions, HeadsFn, NormFn, ParamSpec } from './generator';

/**
 * The input is pulled this far inside (-1, 1) before atanh, so saturated pixels stay finite; at
 * init the colour head returns them 1e-3 short, and the composite, weighted by 1 - attention
 * (~0.02), moves them by ~2e-5.
 */
const INPUT_BOUND = 1 - 1e-3;

/** Parameters in declaration order: stem, down.0-1, res.<r>.a/b, up.0-1, then the heads. */
export function residualParamSpecs(cfg: GeneratorConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const convNorm = (name: string, out: number, inCh: number, k: number): number => {
    specs.push({ name: `${name}.conv.weight`, shape: [out, inCh, k, k], role: 'conv' });
    specs.push({ name: `${name}.norm.weight`, shape: [out], role: 'norm-scale' });
    specs.push({ name: `${name}.norm.bias`, shape: [out], role: 'norm-shift' });
    return out;
  };
  let ch = convNorm('stem', cfg.convDim, 3 + cfg.cDim, 7);
  for (let i = 0; i < 2; i++) ch = convNorm(`down.${i}`, ch * 2, ch, 4);
  for (let r = 0; r < cfg.repeatNum; r++) {
    convNorm(`res.${r}.a`, ch, ch, 3);
    convNorm(`res.${r}.b`, ch, ch, 3);
  }
  for (let i = 0; i < 2; i++) ch = convNorm(`up.${i}`, ch / 2, ch, 3);
  specs.push({ name: 'color.weight', shape: [3, ch, 7, 7], role: 'conv', init: 'zero' });
  specs.push({ name: 'color.bias', shape: [3], role: 'conv-bias', init: 'zero' });
  specs.push({ name: 'attention.weight', shape: [1, ch, 7, 7], role: 'conv' });
  specs.push({ name: 'attention.bias', shape: [1], role: 'conv-bias', init: 'keep-logit' });
  return specs;
}

/**
 * x[i] of a nearest-2x-upsampled row reaches outputs 2i-1 .. 2i+2 of a following 3x3 conv (pad 1)
 * with taps w2, w1 + w2, w0 + w1, w0: row k of this [4, 3] matrix sums the 3x3 taps into tap k of
 * a 4x4 stride-2 transposed conv (pad 1) that computes the same function.
 */
const RESIZE_TAPS = Float32Array.of(0, 0, 1, 0, 1, 1, 1, 1, 0, 1, 0, 0);

/**
 * Nearest 2x upsampling then a 3x3 conv (pad 1), [N, I, H, W] -> [N, O, 2H, 2W], with weight
 * [O, I, 3, 3]. Computed as one ConvTranspose whose 4x4 kernel is M w M^T: the same output and
 * gradients (each output phase sums all nine taps, so no checkerboard) for 4/9 of the FLOPs of a
 * conv at the upsampled size; `form` 'upsample' builds the plain upsample-then-conv instead.
 */
export function resizeConv2x(x: G.Value, weight: G.Value, form: GeneratorBuildOptions['resizeConv'] = 'transposed'): G.Value {
  if (form === 'upsample') return G.conv(upsampleNearest2x(x), weight, null, { pads: [1, 1, 1, 1] });
  const m = x.graph.constant(RESIZE_TAPS, [4, 3], 'float32');
  const kernel = G.matmul(m, G.matmul(weight, G.transpose(m, [1, 0])));
  return G.convTranspose(x, G.transpose(kernel, [1, 0, 2, 3]), null, { strides: [2, 2], pads: [1, 1, 1, 1] });
}

/** Nearest-neighbour 2x upsampling from shape ops: [N, C, H, W] -> [N, C, 2H, 2W]. */
function upsampleNearest2x(x: G.Value): G.Value {
  const [n, c, h, w] = x.shape;
  if (typeof c !== 'number' || typeof h !== 'number' || typeof w !== 'number') {
    throw new G.GraphError('symbolic-shape', `upsampleNearest2x: ${x.name} needs static channels and spatial dims`);
  }
  return G.reshape(G.expand(G.unsqueeze(x, [3, 5]), [1, 1, 1, 2, 1, 2]), [n, c, 2 * h, 2 * w]);
}

/** atanh(x) = log((1 + x) / (1 - x)) / 2, for x strictly inside (-1, 1). */
function atanh(x: G.Value): G.Value {
  return G.mul(G.log(G.div(G.add(1, x), G.sub(1, x))), 0.5);
}

export function residualForward(cfg: GeneratorConfig, p: (name: string) => G.Value, norm: NormFn, options: Pick<GeneratorBuildOptions, 'resizeConv' | 'auStem'>): HeadsFn {
  const normRelu = (y: G.Value, name: string, relu: boolean): G.Value => {
    const normed = norm(y, p(`${name}.norm.weight`), p(`${name}.norm.bias`));
    return relu ? G.relu(normed) : normed;
  };
  const convNorm = (x: G.Value, name: string, k: number, stride: number, relu: boolean): G.Value => {
    const pad = k === 4 ? 1 : (k - 1) / 2;
    return normRelu(G.conv(x, p(`${name}.conv.weight`), null, { strides: [stride, stride], pads: [pad, pad, pad, pad] }), name, relu);
  };
  return (image, aus) => {
    let h = normRelu(auConditionedConv(image, aus, p('stem.conv.weight'), null, options.auStem ?? 'tiled'), 'stem', true);
    for (let i = 0; i < 2; i++) h = convNorm(h, `down.${i}`, 4, 2, true);
    for (let r = 0; r < cfg.repeatNum; r++) h = G.add(h, convNorm(convNorm(h, `res.${r}.a`, 3, 1, true), `res.${r}.b`, 3, 1, false));
    for (let i = 0; i < 2; i++) h = G.relu(norm(resizeConv2x(h, p(`up.${i}.conv.weight`), options.resizeConv), p(`up.${i}.norm.weight`), p(`up.${i}.norm.bias`)));
    // One conv with 3 + 1 outputs for both heads, as in the ganimation family (one window gather).
    const weight = G.concat([p('color.weight'), p('attention.weight')], 0);
    const heads = G.conv(h, weight, G.concat([p('color.bias'), p('attention.bias')], 0), { pads: [3, 3, 3, 3] });
    const delta = G.slice(heads, { axes: [1], starts: [0], ends: [3] });
    const color = G.tanh(G.add(atanh(G.clip(image, -INPUT_BOUND, INPUT_BOUND)), delta));
    const attention = G.sigmoid(G.slice(heads, { axes: [1], starts: [3], ends: [4] }));
    return { color, attention };
  };
}
