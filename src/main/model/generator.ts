// The GANimation generator on the graph IR, layer for layer as the original PyTorch code, with its
// state-dict parameter names, so weights move between this project and original checkpoints as-is.
import * as G from '../graph';
import type { GeneratorConfig } from './config';

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
}

/** Every generator parameter in state-dict order. */
export function generatorParamSpecs(cfg: GeneratorConfig): ParamSpec[] {
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
}

/** Declares the generator's parameters in `graph`; `apply` can then be called any number of times (e.g. for the cycle). */
export function defineGenerator(graph: G.Graph, cfg: GeneratorConfig, prefix = '', options: GeneratorBuildOptions = {}): Generator {
  const norm = options.instanceNorm === 'kernel' ? G.instanceNorm : G.instanceNormDecomposed;
  const params = new Map<string, G.Value>();
  for (const spec of generatorParamSpecs(cfg)) params.set(spec.name, graph.param(prefix + spec.name, spec.shape));
  const p = (name: string): G.Value => params.get(name) as G.Value;
  const pad = (n: number) => [n, n, n, n];
  const convInRelu = (x: G.Value, index: number, k: number, stride: number, transposed = false, relu = true): G.Value => {
    const w = p(`main.${index}.weight`);
    const options = { strides: [stride, stride], pads: pad(k === 7 ? 3 : 1) };
    const y = transposed ? G.convTranspose(x, w, null, options) : G.conv(x, w, null, options);
    const normed = norm(y, p(`main.${index + 1}.weight`), p(`main.${index + 1}.bias`));
    return relu ? G.relu(normed) : normed;
  };

  function apply(image: G.Value, aus: G.Value): GeneratorOutputs {
    const auMaps = G.expand(G.unsqueeze(aus, [2, 3]), [1, 1, cfg.imageSize, cfg.imageSize]);
    let h = convInRelu(G.concat([image, auMaps], 1), 0, 7, 1);
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
    const composite = G.add(G.mul(attention, image), G.mul(G.sub(1, attention), color));
    return { color, attention, composite };
  }
  return { config: cfg, params, apply };
}

