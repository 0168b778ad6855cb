// Compiles the training steps to ONNX: the critic step (adversarial loss, AU regression, and the
// gradient penalty's second-order backward or the lazy R1 penalty) and the generator step, each
// returning its loss terms and the gradients of the network it trains. Weights are graph inputs,
// fed fresh every step; with geometry, each sample's warp tables are inputs too.
import { StudioError } from '../../shared/errors';
import * as G from '../graph';
import type { ModelPreset } from '../model/config';
import { defineCritic } from '../model/critic';
import { defineGenerator } from '../model/generator';
import { criticLosses, DEFAULT_LOSS_WEIGHTS, generatorLosses, ORIGINAL_LOSS_OPTIONS, pairLosses, totalOf, type BatchWarp, type LossOptions, type LossTerms, type LossWeights } from '../model/losses';
import { WARP_TAPS, warpImage } from '../model/warp-graph';

export const G_PREFIX = 'G.';
export const D_PREFIX = 'D.';
export const LOSS_PREFIX = 'loss/';
export const GRAD_PREFIX = 'grad/';

/**
 * Which critic terms a critic graph differentiates: the original steps main and GP separately;
 * 'r1' is the lazy R1 step of the non-saturating and hinge objectives.
 */
export type CriticPart = 'main+gp' | 'main' | 'gp' | 'r1';

export interface StepGraphOptions {
  readonly preset: ModelPreset;
  readonly batchSize: number;
  readonly lossWeights?: LossWeights;
  readonly lossOptions?: LossOptions;
  /** Warp tables as inputs (the geometry-first recipe): forward to the target landmarks, inverse back. */
  readonly geometry?: boolean;
  /**
   * With geometry, what the run's model adds to its warp (train/warp-batch.ts RunMouth): `gate`, each
   * pass's repaint limited to an input gate; `interior`, a mouth interior laid after each warp.
   */
  readonly mouth?: { readonly gate: boolean; readonly interior: boolean };
  /** How the gradient rules emit patterns with several fast forms (a table measured on this machine, train/weight-grad-tuning.ts); default: the size rules. */
  readonly emission?: G.GraphEmission;
}

/**
 * Names of the warp inputs per direction: `<direction>_index` int64 and `<direction>_weight` float,
 * [B, 1, 4 * S * S]; with StepGraphOptions.mouth, `<direction>_gate` [B, 1, S, S],
 * `<direction>_interior_alpha` [B, 1, S, S] and `<direction>_interior` [B, 3, S, S].
 */
export const WARP_INPUTS = ['forward', 'inverse'] as const;
export type WarpDirection = (typeof WARP_INPUTS)[number];

export interface StepGraph {
  readonly model: Uint8Array;
  /** Loss keys such as 'D/gp', output as `loss/<key>`. */
  readonly lossKeys: readonly string[];
  /** State-dict names of the trained network's parameters, output as `grad/<name>`. */
  readonly gradNames: readonly string[];
}

function batchInputs(graph: G.Graph, options: StepGraphOptions) {
  return { ...imageAndAuInputs(graph, options), ...(options.geometry ? { warp: warpInputs(graph, options) } : {}) };
}

function imageAndAuInputs(graph: G.Graph, options: StepGraphOptions) {
  const { batchSize: b } = options;
  const s = options.preset.generator.imageSize;
  const c = options.preset.generator.cDim;
  return {
    real: graph.input('real', 'float32', [b, 3, s, s]),
    realAus: graph.input('real_aus', 'float32', [b, c]),
    targetAus: graph.input('target_aus', 'float32', [b, c]),
  };
}

function warpInputs(graph: G.Graph, options: StepGraphOptions): BatchWarp {
  const { batchSize: b, mouth } = options;
  const s = options.preset.generator.imageSize;
  const [forward, inverse] = WARP_INPUTS.map((direction) => warpInput(graph, direction, b, s, mouth?.interior ?? false));
  const gate = (direction: WarpDirection) => graph.input(`${direction}_gate`, 'float32', [b, 1, s, s]);
  return { forward, inverse, ...(mouth?.gate ? { gate: { forward: gate('forward'), inverse: gate('inverse') } } : {}) };
}

/** The warp of one direction as a function of the image: the sampling tables, then the mouth interior laid over it when the run has one. */
function warpInput(graph: G.Graph, direction: WarpDirection, b: number, s: number, interior = false): (image: G.Value) => G.Value {
  const index = graph.input(`${direction}_index`, 'int64', [b, 1, WARP_TAPS * s * s]);
  const weight = graph.input(`${direction}_weight`, 'float32', [b, 1, WARP_TAPS * s * s]);
  if (!interior) return (image: G.Value) => warpImage(image, index, weight);
  const alpha = graph.input(`${direction}_interior_alpha`, 'float32', [b, 1, s, s]);
  const colour = graph.input(`${direction}_interior`, 'float32', [b, 3, s, s]);
  return (image: G.Value) => G.add(G.mul(warpImage(image, index, weight), G.sub(1, alpha)), colour);
}

/** The terms each critic part differentiates. */
const CRITIC_PART_TERMS: Record<CriticPart, readonly string[] | null> = {
  'main+gp': null,
  main: ['D/real', 'D/cond', 'D/fake'],
  gp: ['D/gp'],
  r1: ['D/r1'],
};

function finish(graph: G.Graph, terms: LossTerms, differentiate: readonly string[], params: ReadonlyMap<string, G.Value>): StepGraph {
  for (const [key, value] of Object.entries(terms)) graph.output(LOSS_PREFIX + key, value);
  const names = [...params.keys()];
  const grads = G.backward(totalOf(terms, differentiate), [...params.values()]);
  names.forEach((name, i) => graph.output(GRAD_PREFIX + name, grads[i]));
  return { model: G.toOnnx(graph, { params: 'inputs' }), lossKeys: Object.keys(terms), gradNames: names };
}

/** The generator as the step graphs build it: the first layer without tiled AU maps (model/au-stem.ts), the same values for less work. */
const STEP_GENERATOR = { auStem: 'split' } as const;

export function buildCriticStep(options: StepGraphOptions, part: CriticPart = 'main+gp'): StepGraph {
  const graph = new G.Graph(`critic-step-${part}`, options.emission);
  const gen = defineGenerator(graph, options.preset.generator, G_PREFIX, STEP_GENERATOR);
  const critic = defineCritic(graph, options.preset.critic, D_PREFIX);
  const inputs = batchInputs(graph, options);
  const alpha = graph.input('alpha', 'float32', [options.batchSize, 1, 1, 1]);
  const all = criticLosses(gen, critic, { ...inputs, alpha }, options.batchSize, options.lossWeights ?? DEFAULT_LOSS_WEIGHTS, options.lossOptions ?? ORIGINAL_LOSS_OPTIONS);
  const wanted = CRITIC_PART_TERMS[part] ?? Object.keys(all);
  const missing = wanted.filter((k) => !(k in all));
  if (missing.length) throw new StudioError('bad-critic-part', `critic part "${part}" needs ${missing.join(', ')}, which the ${options.lossOptions?.adversarial ?? 'wgan-gp'} objective does not have`);
  const terms = Object.fromEntries(wanted.map((k) => [k, all[k]]));
  return finish(graph, terms, wanted, critic.params);
}

export function buildGeneratorStep(options: StepGraphOptions): StepGraph {
  const graph = new G.Graph('generator-step', options.emission);
  const gen = defineGenerator(graph, options.preset.generator, G_PREFIX, STEP_GENERATOR);
  const critic = defineCritic(graph, options.preset.critic, D_PREFIX);
  const terms = generatorLosses(gen, critic, batchInputs(graph, options), options.batchSize, options.lossWeights ?? DEFAULT_LOSS_WEIGHTS, options.lossOptions ?? ORIGINAL_LOSS_OPTIONS);
  return finish(graph, terms, Object.keys(terms), gen.params);
}

/**
 * The warm start's generator step on same-performer pairs: inputs real (the neutral crop), real_aus,
 * target_aus (the posed photo's AUs), with geometry the forward warp tables only, and pair_target
 * (the posed photo aligned onto the neutral crop, [B, 3, S, S] in [-1, 1]); gradients of G only.
 */
export function buildPairStep(options: StepGraphOptions): StepGraph {
  const graph = new G.Graph('pair-step', options.emission);
  const gen = defineGenerator(graph, options.preset.generator, G_PREFIX, STEP_GENERATOR);
  const s = options.preset.generator.imageSize;
  const batch = {
    ...imageAndAuInputs(graph, options),
    pairTarget: graph.input('pair_target', 'float32', [options.batchSize, 3, s, s]),
    ...((options.lossWeights?.pairMouth ?? 0) > 0 ? { pairMouth: graph.input('pair_mouth', 'float32', [options.batchSize, 1, s, s]) } : {}),
    ...(options.geometry ? { warp: { forward: warpInput(graph, 'forward', options.batchSize, s) } } : {}),
  };
  const terms = pairLosses(gen, batch, options.lossWeights ?? DEFAULT_LOSS_WEIGHTS, options.lossOptions ?? ORIGINAL_LOSS_OPTIONS);
  return finish(graph, terms, Object.keys(terms), gen.params);
}
