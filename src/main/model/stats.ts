// Parameter and FLOP counts of the networks, read off the compiled graph (2 FLOPs per multiply-add
// of Conv, ConvTranspose, MatMul and Gemm; elementwise work is not counted).
import * as G from '../graph';
import type { ModelPreset } from './config';
import { criticParamSpecs, defineCritic } from './critic';
import { defineGenerator, generatorParamSpecs } from './generator';
import { parameterCount } from './init';

function product(dims: readonly G.Dim[]): number {
  return dims.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
}

/** FLOPs of one run of the graph's nodes with a batch of 1 (symbolic dims count as 1). */
export function countFlops(graph: G.Graph): number {
  let flops = 0;
  for (const node of graph.nodes) {
    const out = node.outputs[0].shape;
    if (node.op === 'Conv') {
      const w = (node.inputs[1] as G.Value).shape;
      flops += 2 * product(out) * product(w.slice(1));
    } else if (node.op === 'ConvTranspose') {
      const x = (node.inputs[0] as G.Value).shape;
      const w = (node.inputs[1] as G.Value).shape;
      flops += 2 * product(x) * product(w.slice(1));
    } else if (node.op === 'MatMul' || node.op === 'Gemm') {
      const a = (node.inputs[0] as G.Value).shape;
      const inner = node.op === 'Gemm' && node.attrs.transA ? a[0] : a[a.length - 1];
      flops += 2 * product(out) * (typeof inner === 'number' ? inner : 1);
    }
  }
  return flops;
}

export interface PresetStats {
  readonly generatorParams: number;
  readonly criticParams: number;
  /** One generator forward on one image. */
  readonly generatorGflops: number;
  readonly criticGflops: number;
}

export function presetStats(preset: ModelPreset): PresetStats {
  const s = preset.generator.imageSize;
  const gGraph = new G.Graph('g');
  defineGenerator(gGraph, preset.generator).apply(gGraph.input('image', 'float32', [1, 3, s, s]), gGraph.input('aus', 'float32', [1, preset.generator.cDim]));
  const dGraph = new G.Graph('d');
  defineCritic(dGraph, preset.critic).apply(dGraph.input('image', 'float32', [1, 3, preset.critic.imageSize, preset.critic.imageSize]));
  return {
    generatorParams: parameterCount(generatorParamSpecs(preset.generator)),
    criticParams: parameterCount(criticParamSpecs(preset.critic)),
    generatorGflops: countFlops(gGraph) / 1e9,
    criticGflops: countFlops(dGraph) / 1e9,
  };
}
