// Runs the compiled step graphs on onnxruntime: feeds weights and a batch, returns loss terms and
// gradients as maps keyed by loss name and parameter name.
import { StudioError } from '../../shared/errors';
import { createSession, runSession, type HostTensor, type Session } from '../infer/ort-session';
import { criticParamSpecs } from '../model/critic';
import { generatorParamSpecs, type ParamSpec } from '../model/generator';
import {
  buildCriticStep, buildGeneratorStep, buildPairStep, D_PREFIX, G_PREFIX, GRAD_PREFIX, LOSS_PREFIX, WARP_INPUTS,
  type CriticPart, type StepGraph, type StepGraphOptions, type WarpDirection,
} from './step-graphs';

export type Weights = Map<string, Float32Array>;

/** A batch of sampling tables: for each sample and output pixel, four source pixels and weights ([B, 4 * S * S]). */
export interface BatchWarpTables {
  readonly index: BigInt64Array;
  readonly weight: Float32Array;
}

/** One training batch. Layouts: real [B, 3, S, S] in [-1, 1]; AUs [B, 17] in [0, 1]; alpha [B] in [0, 1]. */
export interface StepBatch {
  readonly real: Float32Array;
  readonly realAus: Float32Array;
  readonly targetAus: Float32Array;
  readonly alpha: Float32Array;
  /** Geometry: each real crop warped to its target landmarks (forward) and back (inverse). */
  readonly warp?: Readonly<Record<WarpDirection, BatchWarpTables>>;
  /** Geometry with StepGraphOptions.mouth: each pass's repaint gate and mouth interior. */
  readonly mouth?: BatchMouth;
}

/** Per direction, sample after sample: gates [B, S, S] in [0, 1] (1: may repaint) and interior layers (alpha [B, S, S], colour times alpha [B, 3, S, S]). */
export interface BatchMouth {
  readonly gate?: Readonly<Record<WarpDirection, Float32Array>>;
  readonly interior?: Readonly<Record<WarpDirection, { readonly alpha: Float32Array; readonly colour: Float32Array }>>;
}

/** A warm-start batch: real is the neutral crop, targetAus the posed photo's AUs, pairTarget [B, 3, S, S] in [-1, 1] the posed photo aligned onto it. */
export interface PairStepBatch extends Pick<StepBatch, 'real' | 'realAus' | 'targetAus'> {
  /** Geometry: the neutral crop warped to the posed AUs' landmarks. */
  readonly warp?: { readonly forward: BatchWarpTables };
  readonly pairTarget: Float32Array;
  /** [B, 1, S, S]: where the posed photo's mouth is open, as warped onto (pair-batches.ts mouthOpening); with the landmark warp only. */
  readonly pairMouth?: Float32Array;
}

/** What a step graph may be fed: the inputs it lacks are left out. */
type FedBatch = Pick<StepBatch, 'real' | 'realAus' | 'targetAus'> & {
  readonly alpha?: Float32Array;
  readonly warp?: Partial<Record<WarpDirection, BatchWarpTables>>;
  readonly mouth?: BatchMouth;
  readonly pairTarget?: Float32Array;
  readonly pairMouth?: Float32Array;
};

export interface StepResult {
  readonly losses: Record<string, number>;
  readonly grads: Map<string, Float32Array>;
}

interface Compiled {
  readonly graph: StepGraph;
  readonly session: Session;
  /** Output buffers reused by every run of this graph; results point into them until the next run. */
  readonly outputs: Record<string, HostTensor>;
}

/** Which graphs a run compiles: the critic parts given, the generator step and, for a warm start, the pair step. */
export interface StepGraphSet {
  readonly critic: ReadonlyMap<CriticPart, StepGraph>;
  readonly generator: StepGraph;
  readonly pair: StepGraph | null;
}

export interface StepGraphExtras {
  readonly pairStep?: boolean;
}

export function buildStepGraphs(options: StepGraphOptions, criticParts: readonly CriticPart[], extra: StepGraphExtras = {}): StepGraphSet {
  return {
    critic: new Map(criticParts.map((part) => [part, buildCriticStep(options, part)])),
    generator: buildGeneratorStep(options),
    pair: extra.pairStep ? buildPairStep(options) : null,
  };
}

export class StepRunner {
  private constructor(
    private readonly options: StepGraphOptions,
    private readonly critic: Map<CriticPart, Compiled>,
    private readonly generator: Compiled,
    /** The warm start's pair step, compiled only for runs that have one. */
    private readonly pair: Compiled | null,
    private readonly gSpecs: ParamSpec[],
    private readonly dSpecs: ParamSpec[],
  ) {}

  /** Compiles the generator step, the critic graphs for the given parts and, for a warm start, the pair step. */
  static async create(options: StepGraphOptions, criticParts: readonly CriticPart[] = ['main+gp'], extra: StepGraphExtras = {}): Promise<StepRunner> {
    const gSpecs = generatorParamSpecs(options.preset.generator);
    const dSpecs = criticParamSpecs(options.preset.critic);
    const compile = async (graph: StepGraph, specs: ParamSpec[]): Promise<Compiled> => ({
      graph,
      session: await createSession(graph.model, { memoryPattern: false }),
      outputs: outputBuffers(graph, specs),
    });
    const graphs = buildStepGraphs(options, criticParts, extra);
    const critic = new Map<CriticPart, Compiled>();
    for (const [part, graph] of graphs.critic) critic.set(part, await compile(graph, dSpecs));
    const generator = await compile(graphs.generator, gSpecs);
    const pair = graphs.pair ? await compile(graphs.pair, gSpecs) : null;
    return new StepRunner(options, critic, generator, pair, gSpecs, dSpecs);
  }

  /** The critic graphs compiled, in the order given to create. */
  get criticParts(): CriticPart[] {
    return [...this.critic.keys()];
  }

  runCritic(g: Weights, d: Weights, batch: StepBatch, part: CriticPart = 'main+gp'): Promise<StepResult> {
    const compiled = this.critic.get(part);
    if (!compiled) throw new StudioError('step-not-compiled', `critic graph "${part}" was not compiled for this run (its parts: ${this.criticParts.join(', ')})`);
    return this.run(compiled, g, d, batch);
  }

  runGenerator(g: Weights, d: Weights, batch: StepBatch): Promise<StepResult> {
    return this.run(this.generator, g, d, batch);
  }

  /** One warm-start step: the pair terms and the gradients of G (the critic takes no part). */
  runPair(g: Weights, batch: PairStepBatch): Promise<StepResult> {
    if (!this.pair) throw new StudioError('step-not-compiled', 'the pair step was not compiled for this run (it has no warm start)');
    return this.run(this.pair, g, null, batch);
  }

  async dispose(): Promise<void> {
    for (const c of [...this.critic.values(), this.generator, ...(this.pair ? [this.pair] : [])]) await c.session.release();
  }

  private async run(compiled: Compiled, g: Weights, d: Weights | null, batch: FedBatch): Promise<StepResult> {
    const { batchSize: b } = this.options;
    const s = this.options.preset.generator.imageSize;
    const c = this.options.preset.generator.cDim;
    const feeds: Record<string, HostTensor> = {
      real: { data: batch.real, dims: [b, 3, s, s] },
      real_aus: { data: batch.realAus, dims: [b, c] },
      target_aus: { data: batch.targetAus, dims: [b, c] },
    };
    if (batch.alpha) feeds.alpha = { data: batch.alpha, dims: [b, 1, 1, 1] };
    if (batch.pairTarget) feeds.pair_target = { data: batch.pairTarget, dims: [b, 3, s, s] };
    if (batch.pairMouth) feeds.pair_mouth = { data: batch.pairMouth, dims: [b, 1, s, s] };
    const wanted = new Set(compiled.session.inputNames);
    if (wanted.has('pair_mouth') && !batch.pairMouth) throw new StudioError('missing-pair-mouth', 'the pair step learns the mouth opening (lossWeights.pairMouth), but the batch has no pairMouth: it needs the landmark warp (pairWarp "landmarks") with geometry');
    for (const direction of WARP_INPUTS) {
      if (!wanted.has(`${direction}_index`)) continue;
      const tables = batch.warp?.[direction];
      if (!tables) throw new StudioError('missing-warp', `the step graphs warp their input, but the batch has no warp tables (${direction})`);
      const dims = [b, 1, 4 * s * s];
      feeds[`${direction}_index`] = { data: tables.index, dims };
      feeds[`${direction}_weight`] = { data: tables.weight, dims };
      if (wanted.has(`${direction}_gate`)) {
        const gate = batch.mouth?.gate?.[direction];
        if (!gate) throw new StudioError('missing-repaint-gate', `the step graphs limit the repaint to the mouth opening, but the batch has no ${direction} gate`);
        feeds[`${direction}_gate`] = { data: gate, dims: [b, 1, s, s] };
      }
      if (wanted.has(`${direction}_interior`)) {
        const layer = batch.mouth?.interior?.[direction];
        if (!layer) throw new StudioError('missing-mouth-interior', `the step graphs lay a mouth interior, but the batch has no ${direction} interior`);
        feeds[`${direction}_interior_alpha`] = { data: layer.alpha, dims: [b, 1, s, s] };
        feeds[`${direction}_interior`] = { data: layer.colour, dims: [b, 3, s, s] };
      }
    }
    addWeights(feeds, G_PREFIX, this.gSpecs, g);
    if (d) addWeights(feeds, D_PREFIX, this.dSpecs, d);
    for (const name of Object.keys(feeds)) if (!wanted.has(name)) delete feeds[name];
    const out = await runSession(compiled.session, feeds, compiled.outputs);
    const losses: Record<string, number> = {};
    for (const key of compiled.graph.lossKeys) losses[key] = (out[LOSS_PREFIX + key].data as Float32Array)[0];
    const grads = new Map(compiled.graph.gradNames.map((n) => [n, out[GRAD_PREFIX + n].data as Float32Array]));
    return { losses, grads };
  }
}

function outputBuffers(graph: StepGraph, specs: readonly ParamSpec[]): Record<string, HostTensor> {
  const outputs: Record<string, HostTensor> = {};
  for (const key of graph.lossKeys) outputs[LOSS_PREFIX + key] = { data: new Float32Array(1), dims: [] };
  const byName = new Map(specs.map((s) => [s.name, s.shape]));
  for (const name of graph.gradNames) {
    const shape = byName.get(name) as readonly number[];
    outputs[GRAD_PREFIX + name] = { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), dims: shape };
  }
  return outputs;
}

function addWeights(feeds: Record<string, HostTensor>, prefix: string, specs: readonly ParamSpec[], weights: Weights): void {
  for (const spec of specs) {
    const data = weights.get(spec.name);
    if (!data) throw new StudioError('weights-mismatch', `the weights lack parameter ${spec.name}: they were made for another architecture than this run's preset`);
    feeds[prefix + spec.name] = { data, dims: spec.shape };
  }
}
