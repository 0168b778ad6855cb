// The self-describing inference model: one .onnx with inputs `image` [N, 3, S, S] RGB in [-1, 1]
// and `aus` [N, 17] in [0, 1], outputs `color`, `attention` and `composite`, and metadata_props
// that say what it is (architecture, AU order, normalisation, provenance, metrics, model card).
import fs from 'node:fs';
import * as G from '../graph';
import { decodeModel } from '../graph/onnx-decode';
import { AU_ORDER } from '../../shared/aus';
import { StudioError } from '../../shared/errors';
import { isRepaintRegion, REPAINT_REGIONS, type RepaintRegion } from '../../shared/repaint';
import { describeGenerator, generatorFamily, parseGeneratorConfig, type GeneratorConfig } from './config';
import { defineGenerator, generatorParamSpecs } from './generator';

export { writeFileAtomic } from '../io/atomic-write';

export const MODEL_FORMAT_VERSION = 1;
export const NORMALIZATION = 'image: RGB NCHW in [-1, 1]; aus: OpenFace intensity / 5, in [0, 1]';
const KEY = (name: string) => `ganimation.${name}`;

export interface ModelProvenance {
  readonly trainedBy?: string;
  readonly importedFrom?: string;
  readonly createdAt: string;
}

export interface ModelInfo {
  readonly formatVersion: number;
  /** Fully specified: files written before the residual family read as family 'ganimation'. */
  readonly architecture: Required<GeneratorConfig>;
  readonly imageSize: number;
  readonly auOrder: readonly string[];
  readonly normalization: string;
  readonly provenance: ModelProvenance;
  readonly metrics: Record<string, unknown>;
  readonly trainingData?: string;
  readonly modelCard: string;
  /** The landmark motion basis the model warps with (face/motion-model.ts JSON), or null: geometry off. */
  readonly motionBasis: string | null;
  /** Where the generator may repaint (with geometry): anywhere (its attention alone decides), or only in the mouth opening the warp makes. */
  readonly repaintRegion: RepaintRegion;
  /** The mouth interior the warp lays into a mouth it opens (face/mouth-interior.ts JSON), or null: the warp alone. */
  readonly mouthInterior: string | null;
}

export interface ExportInfo {
  readonly provenance: Omit<ModelProvenance, 'createdAt'>;
  readonly metrics?: Record<string, unknown>;
  readonly trainingData?: string;
  readonly modelCard?: string;
  /** A serialised motion basis (serializeMotionBasis) to carry; models without one run with geometry off. */
  readonly motionBasis?: string;
  /** Default 'anywhere' (not written). */
  readonly repaintRegion?: RepaintRegion;
  /** A serialised mouth interior (serializeMouthInterior) to carry; only a model with a motion basis uses it. */
  readonly mouthInterior?: string;
}

/** Builds the inference graph with the weights embedded and serialises it. */
export function exportGeneratorModel(weights: ReadonlyMap<string, Float32Array>, cfg: GeneratorConfig, info: ExportInfo): Uint8Array {
  // Written in full (family included) so that readers never have to guess.
  const architecture = parseGeneratorConfig(cfg, 'the model to export');
  for (const spec of generatorParamSpecs(cfg)) {
    const w = weights.get(spec.name);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if (!w) throw new StudioError('missing-weight', `the weights lack ${spec.name}, which a ${describeGenerator(cfg)} generator needs`);
    if (w.length !== count) throw new StudioError('missing-weight', `the weight ${spec.name} has ${w.length} values; a ${describeGenerator(cfg)} generator needs [${spec.shape.join(', ')}] (${count})`);
  }
  const graph = new G.Graph('ganimation_generator');
  // The instance-norm kernel is a little faster than primitives at inference (bench/infer.ts).
  const gen = defineGenerator(graph, cfg, '', { instanceNorm: 'kernel' });
  const out = gen.apply(graph.input('image', 'float32', ['N', 3, cfg.imageSize, cfg.imageSize]), graph.input('aus', 'float32', ['N', cfg.cDim]));
  graph.output('color', out.color);
  graph.output('attention', out.attention);
  graph.output('composite', out.composite);
  const provenance: ModelProvenance = { ...info.provenance, createdAt: new Date().toISOString() };
  const metadata: Record<string, string> = {
    [KEY('format_version')]: String(MODEL_FORMAT_VERSION),
    [KEY('architecture')]: JSON.stringify(architecture),
    [KEY('image_size')]: String(cfg.imageSize),
    [KEY('au_order')]: AU_ORDER.join(','),
    [KEY('normalization')]: NORMALIZATION,
    [KEY('provenance')]: JSON.stringify(provenance),
    [KEY('metrics')]: JSON.stringify(info.metrics ?? {}),
    [KEY('model_card')]: info.modelCard ?? '',
  };
  if (info.trainingData) metadata[KEY('training_data')] = info.trainingData;
  if (info.motionBasis) metadata[KEY('motion_basis')] = info.motionBasis;
  if (info.repaintRegion && info.repaintRegion !== 'anywhere') metadata[KEY('repaint_region')] = info.repaintRegion;
  if (info.mouthInterior) {
    if (!info.motionBasis) throw new StudioError('mouth-interior-needs-geometry', 'a mouth interior is laid into the opening the warp makes; a model without a motion basis cannot carry one');
    metadata[KEY('mouth_interior')] = info.mouthInterior;
  }
  const docString = generatorFamily(cfg) === 'residual' ? 'GANimation Studio residual generator (starts as the identity)' : 'GANimation generator (Pumarola et al., ECCV 2018)';
  return G.toOnnx(graph, { params: weights, metadata, docString });
}

/** Reads and checks a model's metadata; files that are not GANimation models are refused by name. */
export function readModelInfo(file: string): ModelInfo {
  return modelInfoOf(readModelBytes(file), file);
}

/** A model file's bytes, or an error that names the file. */
export function readModelBytes(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new StudioError('model-unreadable', `cannot read model ${file}: ${(err as Error).message}`);
  }
}

/** The metadata of a model already read (`file` names it in errors); see readModelInfo. */
export function modelInfoOf(bytes: Uint8Array, file: string): ModelInfo {
  return infoFromModel(decodeOrFail(bytes, file), file);
}

function decodeOrFail(bytes: Uint8Array, file: string): ReturnType<typeof decodeModel> {
  try {
    return decodeModel(bytes);
  } catch (err) {
    throw new StudioError('not-onnx', `${file} is not an ONNX model (${(err as Error).message})`);
  }
}

function infoFromModel(model: ReturnType<typeof decodeModel>, file: string): ModelInfo {
  const props = new Map(model.metadataProps.map((p) => [p.key, p.value]));
  const required = ['format_version', 'architecture', 'image_size', 'au_order', 'normalization', 'provenance'];
  const missing = required.filter((k) => !props.has(KEY(k)));
  if (missing.length) {
    throw new StudioError('not-ganimation-model', `${file} is an ONNX model but not a GANimation Studio model: its metadata lacks ${missing.map(KEY).join(', ')}`);
  }
  const parse = <T>(key: string): T => {
    try {
      return JSON.parse(props.get(KEY(key)) ?? 'null') as T;
    } catch {
      throw new StudioError('bad-model-metadata', `${file}: metadata ${KEY(key)} is not valid JSON`);
    }
  };
  const auOrder = (props.get(KEY('au_order')) as string).split(',');
  const architecture = parseGeneratorConfig(parse<unknown>('architecture'), file);
  const imageSize = Number(props.get(KEY('image_size')));
  if (imageSize !== architecture.imageSize) throw new StudioError('bad-model-metadata', `${file}: image size ${imageSize} differs from its architecture's ${architecture.imageSize}`);
  if (auOrder.join(',') !== AU_ORDER.join(',')) throw new StudioError('bad-model-metadata', `${file}: AU order ${auOrder.join(' ')} differs from the studio's`);
  return {
    formatVersion: Number(props.get(KEY('format_version'))),
    architecture,
    imageSize,
    auOrder,
    normalization: props.get(KEY('normalization')) as string,
    provenance: parse<ModelProvenance>('provenance'),
    metrics: parse<Record<string, unknown>>('metrics') ?? {},
    trainingData: props.get(KEY('training_data')),
    modelCard: props.get(KEY('model_card')) ?? '',
    motionBasis: props.get(KEY('motion_basis')) ?? null,
    repaintRegion: repaintRegionOf(props.get(KEY('repaint_region')), file),
    mouthInterior: props.get(KEY('mouth_interior')) ?? null,
  };
}

function repaintRegionOf(value: string | undefined, file: string): RepaintRegion {
  if (value === undefined) return 'anywhere';
  if (!isRepaintRegion(value)) throw new StudioError('bad-model-metadata', `${file}: metadata ${KEY('repaint_region')} is "${value}"; one of ${REPAINT_REGIONS.join(', ')} expected`);
  return value;
}

/**
 * The generator weights embedded in a model file, by parameter name, with its architecture: the
 * starting point for training on from a model (e.g. continuing the bundled one).
 */
export function readGeneratorWeights(file: string): { config: Required<GeneratorConfig>; weights: Map<string, Float32Array> } {
  const model = decodeOrFail(readModelBytes(file), file);
  const config = infoFromModel(model, file).architecture;
  const graph = model.graph;
  const byName = new Map(graph.initializer.map((t) => [t.name, t]));
  const weights = new Map<string, Float32Array>();
  for (const spec of generatorParamSpecs(config)) {
    const t = byName.get(spec.name);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if (!t || t.dataType !== 1 || t.rawData.byteLength !== count * 4) {
      throw new StudioError('missing-weight', `${file} does not hold the float32 weight ${spec.name} [${spec.shape.join(', ')}] its architecture needs`);
    }
    // Copied: rawData views the file's bytes and may be unaligned.
    const values = new Float32Array(count);
    new Uint8Array(values.buffer).set(t.rawData);
    weights.set(spec.name, values);
  }
  return { config, weights };
}
