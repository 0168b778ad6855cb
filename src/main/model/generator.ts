// The generator on the graph IR: the published GANimation layer for layer, with its PyTorch
// state-dict parameter names (weights move between this project and original checkpoints as-is),
// and the dispatch to the residual family (residual-generator.ts) by the config's family.
import * as G from '../graph';
import { auConditionedConv, type AuStemForm } from './au-stem';
import { generatorFamily, type GeneratorConfig } from './config';
import { residualForward, residualParamSpecs } from './residual-generator';

/** Layout: image [N, 3, S, S] RGB in [-1, 1]; color [N, 3, S, S] in [-1, 1]; attention [N, 1, S, S] in [0, 1]. */
export interface GeneratorOutputs {
  readonly color: G.Value;
  readonly attention: G.Value;
  /** attention * image + (1 - attention) * color: attention 1 keeps the input pixel. */
  readonly composite: G.Value;
}

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly role: 'conv' | 'conv-bias' | 'norm-scale' | 'norm-shift';
  /**
   * Replaces the role's initialisation (init.ts): 'zero' for a conv that must start silent,
   * 'keep-logit' for an attention bias that starts at "keep the input pixel".
   */
  readonly init?: 'zero' | 'keep-logit';
}

/** Instance norm over [N, C, H, W] with per-channel scale and shift [C]. */
export type NormFn = (x: G.Value, scale: G.Value, shift: G.Value) => G.Value;

/** A family's network from image and AUs to its two heads; the composite is made in one place below. */
export type HeadsFn = (image: G.Value, aus: G.Value) => Pick<GeneratorOutputs, 'color' | 'attention'>;

/** Every generator parameter in the order the family declares them (state-dict order for ganimation). */
export function generatorParamSpecs(cfg: GeneratorConfig): ParamSpec[] {
  return generatorFamily(cfg) === 'residual' ? residualParamSpecs(cfg) : ganimationParamSpecs(cfg);
}

function ganimationParamSpecs(cfg: GeneratorConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const convW = (index: string, out: number, inCh: number, k: number, transposed = false) => {
    specs.push({ name: `${index}.weight`, shape: transposed ? [inCh, out, k, k] : [out, inCh, k, k], role: 'conv' });
    return out;
  };
  const norm = (index: string, ch: number) => {
    specs.push({ name: `${index}.weight`, shape: [ch], role: 'norm-scale' });
    specs.push({ name: `${index}.bias`, shape: [ch], role: 'norm-shift' });
  };
  let ch = convW('main.0', cfg.convDim, 3 + cfg.cDim, 7);
  norm('main.1', ch);
  let layer = 3;
  for (let i = 0; i < 2; i++, layer += 3) {
    ch = convW(`main.${layer}`, ch * 2, ch, 4);
    norm(`main.${layer + 1}`, ch);
  }
  for (let r = 0; r < cfg.repeatNum; r++, layer++) {
    convW(`main.${layer}.main.0`, ch, ch, 3);
    norm(`main.${layer}.main.1`, ch);
    convW(`main.${layer}.main.3`, ch, ch, 3);
    norm(`main.${layer}.main.4`, ch);
  }
  for (let i = 0; i < 2; i++, layer += 3) {
    ch = convW(`main.${layer}`, ch / 2, ch, 4, true);
    norm(`main.${layer + 1}`, ch);
  }
  specs.push({ name: 'img_reg.0.weight', shape: [3, ch, 7, 7], role: 'conv' });
  specs.push({ name: 'attetion_reg.0.weight', shape: [1, ch, 7, 7], role: 'conv' });
  return specs;
}

export interface Generator {
  readonly config: GeneratorConfig;
  /** Parameters by state-dict name, shared by every application of the network. */
  readonly params: ReadonlyMap<string, G.Value>;
  apply(image: G.Value, aus: G.Value): GeneratorOutputs;
}

export interface GeneratorBuildOptions {
  /**
   * 'primitives' (default) builds instance norm from reductions and a multiply-add, which runs
   * faster on onnxruntime's CPU kernels than its single-threaded InstanceNormalization;
   * 'kernel' emits the ONNX op, as PyTorch's exporter does.
   */
  readonly instanceNorm?: 'primitives' | 'kernel';
  /**
   * The residual family's resize-then-conv upsampling, as one ConvTranspose with a kernel tied to
   * the 3x3 weights ('transposed', default: same values and gradients, fewer FLOPs, bench/infer.ts)
   * or literally as nearest 2x upsampling then a 3x3 conv ('upsample').
   */
  readonly resizeConv?: 'transposed' | 'upsample';
  /** How the first layer conditions on the AUs ('tiled', default, as defined; 'split', the training graphs' faster exact form; au-stem.ts). */
  readonly auStem?: AuStemForm;
}

/** Declares the generator's parameters in `graph`; `apply` can then be called any number of times (e.g. for the cycle). */
export function defineGenerator(graph: G.Graph, cfg: GeneratorConfig, prefix = '', options: GeneratorBuildOptions = {}): Generator {
  const norm: NormFn = options.instanceNorm === 'kernel' ? G.instanceNorm : G.instanceNormDecomposed;
  const params = new Map<string, G.Value>();
  for (const spec of generatorParamSpecs(cfg)) params.set(spec.name, graph.param(prefix + spec.name, spec.shape));
  const p = (name: string): G.Value => params.get(name) as G.Value;
  const heads = generatorFamily(cfg) === 'residual' ? residualForward(cfg, p, norm, options) : ganimationForward(cfg, p, norm, options.auStem ?? 'tiled');
  function apply(image: G.Value, aus: G.Value): GeneratorOutputs {
    const { color, attention } = heads(image, aus);
    const composite = G.add(G.mul(attention, image), G.mul(G.sub(1, attention), color));
    return { color, attention, composite };
  }
  return { config: cfg, params, apply };
}

function ganimationForward(cfg: GeneratorConfig, p: (name: string) => G.Value, norm: NormFn, auStem: AuStemForm): HeadsFn {
  const pad = (n: number) => [n, n, n, n];
  const normRelu = (y: G.Value, index: number, relu = true): G.Value => {
    const normed = norm(y, p(`main.${index + 1}.weight`), p(`main.${index + 1}.bias`));
    return relu ? G.relu(normed) : normed;
  };
  const convInRelu = (x: G.Value, index: number, k: number, stride: number, transposed = false): G.Value => {
    const w = p(`main.${index}.weight`);
    const options = { strides: [stride, stride], pads: pad(k === 7 ? 3 : 1) };
    return normRelu(transposed ? G.convTranspose(x, w, null, options) : G.conv(x, w, null, options), index);
  };
  return (image, aus) => {
    let h = normRelu(auConditionedConv(image, aus, p('main.0.weight'), null, auStem), 0);
    let layer = 3;
    for (let i = 0; i < 2; i++, layer += 3) h = convInRelu(h, layer, 4, 2);
    for (let r = 0; r < cfg.repeatNum; r++, layer++) {
      const blockConv = (x: G.Value, sub: number, relu: boolean) => {
        const y = G.conv(x, p(`main.${layer}.main.${sub}.weight`), null, { pads: pad(1) });
        const n = norm(y, p(`main.${layer}.main.${sub + 1}.weight`), p(`main.${layer}.main.${sub + 1}.bias`));
        return relu ? G.relu(n) : n;
      };
      h = G.add(h, blockConv(blockConv(h, 0, true), 3, false));
    }
    for (let i = 0; i < 2; i++, layer += 3) h = convInRelu(h, layer, 4, 2, true);
    // Both heads read the same features with the same 7x7 window: one conv with 3 + 1 output
    // channels gathers the 128x128 window once (forward) and once for both weight gradients.
    const heads = G.conv(h, G.concat([p('img_reg.0.weight'), p('attetion_reg.0.weight')], 0), null, { pads: pad(3) });
    const color = G.tanh(G.slice(heads, { axes: [1], starts: [0], ends: [3] }));
    const attention = G.sigmoid(G.slice(heads, { axes: [1], starts: [3], ends: [4] }));
    return { color, attention };
  };
}
