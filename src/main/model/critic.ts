// The GANimation critic (PatchGAN realness map plus AU regression head) on the graph IR, with the
// original state-dict parameter names.
import * as G from '../graph';
import type { CriticConfig } from './config';
import type { ParamSpec } from './generator';

export interface CriticOutputs {
  /** Realness per patch [N, S/2^r, S/2^r]; higher means more real. */
  readonly patch: G.Value;
  /** Regressed AU intensities [N, cDim]. */
  readonly aus: G.Value;
}

export function auKernelSize(cfg: CriticConfig): number {
  const k = cfg.imageSize / 2 ** cfg.repeatNum;
  if (!Number.isInteger(k) || k < 1) {
    throw new Error(`critic: image size ${cfg.imageSize} is not divisible by 2^${cfg.repeatNum}`);
  }
  return k;
}

/** Every critic parameter in state-dict order. */
export function criticParamSpecs(cfg: CriticConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  let inCh = 3;
  let ch = cfg.convDim;
  for (let i = 0; i < cfg.repeatNum; i++) {
    specs.push({ name: `main.${2 * i}.weight`, shape: [ch, inCh, 4, 4], role: 'conv' });
    specs.push({ name: `main.${2 * i}.bias`, shape: [ch], role: 'conv-bias' });
    inCh = ch;
    ch *= 2;
  }
  const k = auKernelSize(cfg);
  specs.push({ name: 'conv1.weight', shape: [1, inCh, 3, 3], role: 'conv' });
  specs.push({ name: 'conv2.weight', shape: [cfg.cDim, inCh, k, k], role: 'conv' });
  return specs;
}

export interface Critic {
  readonly config: CriticConfig;
  readonly params: ReadonlyMap<string, G.Value>;
  /** image [N, 3, S, S] RGB in [-1, 1]. */
  apply(image: G.Value): CriticOutputs;
}

export function defineCritic(graph: G.Graph, cfg: CriticConfig, prefix = ''): Critic {
  const params = new Map<string, G.Value>();
  for (const spec of criticParamSpecs(cfg)) params.set(spec.name, graph.param(prefix + spec.name, spec.shape));
  const p = (name: string): G.Value => params.get(name) as G.Value;
  const side = cfg.imageSize / 2 ** cfg.repeatNum;

  function apply(image: G.Value): CriticOutputs {
    let h = image;
    for (let i = 0; i < cfg.repeatNum; i++) {
      const conv = G.conv(h, p(`main.${2 * i}.weight`), p(`main.${2 * i}.bias`), { strides: [2, 2], pads: [1, 1, 1, 1] });
      h = G.leakyRelu(conv, 0.01);
    }
    const patch = G.reshape(G.conv(h, p('conv1.weight'), null, { pads: [1, 1, 1, 1] }), [image.shape[0], side, side]);
    const aus = G.reshape(G.conv(h, p('conv2.weight'), null), [image.shape[0], cfg.cDim]);
    return { patch, aus };
  }
  return { config: cfg, params, apply };
}
