// Measures a generator on a folder of face photos: AU control (Pearson r and MAE between target and
// re-estimated AUs), identity (face-api descriptor distance), faithfulness (crop change with the
// face's own AUs, mean attention), survival (a face is still detected) and sharpness kept (face
// detail of each output against its input), beside the trivial baseline "output = input". Outputs are
// measured as the model's crop, or (`photo`) as the full photo the studio's scene renders.
import path from 'node:path';
import sharp from 'sharp';
import { AU_COUNT, AU_ORDER, type AuName } from '../../shared/aus';
import { EMOTIONS, emotionAus } from '../../shared/emotions';
import { alignedCrop, cropFace, decodeImage, detectFaces, detectInAlignedCrop, estimateAus, faceDescriptor, rgbToTensor, tensorToRgb, type CropTransform, type Face, type RgbImage } from '../face';
import { largestFace } from '../face/precomputed';
import { geometryOf } from '../render/motion-geometry';
import { gatedOutput, Scene } from '../render/scene';
import type { GeneratorEngine } from '../infer/generator-engine';
import { scanImages } from '../train/dataset';
import { sharpnessKept } from './sharpness';

/** The single AUs the evaluation drives, each alone at three intensities. */
export const CONTROL_AUS: readonly AuName[] = ['AU01', 'AU02', 'AU04', 'AU05', 'AU06', 'AU09', 'AU12', 'AU15', 'AU20', 'AU25', 'AU26', 'AU45'];
export const CONTROL_LEVELS = [0.3, 0.6, 0.9] as const;
/** The AUs whose mean r the default model's goal is stated over (issue #8). */
export const GOAL_AUS: readonly AuName[] = ['AU01', 'AU02', 'AU04', 'AU06', 'AU12', 'AU15', 'AU25', 'AU26'];

export interface EvalOptions {
  readonly folder: string;
  /** These photos instead of every image under `folder` (e.g. the photos of some performers). */
  readonly files?: readonly string[];
  readonly limit: number;
  /** Only these AUs (default CONTROL_AUS) and no emotion presets: for quick checks. */
  readonly aus?: readonly AuName[];
  readonly presets?: boolean;
  /** Keep [input, own-AU reconstruction, one output per emotion preset] crops of this many faces, for a contact sheet. */
  readonly sheetFaces?: number;
  /** The images are aligned face crops (UTKFace): each is the input crop; detection, on a padded copy, only gives its AUs. */
  readonly aligned?: boolean;
  /**
   * Measure AU control, identity, survival and sharpness on the full photo the studio's scene renders
   * (warp at the photo's resolution, generator output pasted back), as preview and export show it,
   * instead of on the model's crop. Faithfulness and attention stay the crop's. Not with `aligned`.
   */
  readonly photo?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface EvalTable {
  /** Pearson r of target vs measured intensity, per driven AU. */
  readonly auR: Record<string, number>;
  readonly meanR: number;
  /** Mean r over the GOAL_AUS that were driven. */
  readonly goalMeanR: number;
  readonly auMae: number;
  readonly identityMean: number;
  readonly identityUnder06: number;
  readonly faithfulnessError: number;
  readonly meanAttention: number;
  readonly survival: number;
  /** Outputs that lost their face, per target ("AU26 0.9", "surprised"), most first: where survival is lost. */
  readonly facesLostBy: Record<string, number>;
  /** Mean band-pass energy of each output's face region over the input crop's (1 = as sharp; see sharpness.ts). */
  readonly sharpness: number;
}

export interface EvalReport {
  readonly faces: number;
  readonly skipped: { file: string; reason: string }[];
  readonly model: EvalTable;
  readonly baseline: EvalTable;
  /** Contact-sheet rows (see EvalOptions.sheetFaces); not part of the JSON report. */
  readonly sheet?: RgbImage[][];
}

interface Sample {
  au: number;
  target: number;
  measured: number | null;
}

interface Accumulator {
  samples: Sample[];
  absErrors: number[];
  distances: number[];
  detected: number;
  outputs: number;
  lostBy: Map<string, number>;
  faithfulness: number[];
  attention: number[];
  sharpness: number[];
}

const newAccumulator = (): Accumulator => ({ samples: [], absErrors: [], distances: [], detected: 0, outputs: 0, lostBy: new Map(), faithfulness: [], attention: [], sharpness: [] });

/** Side of a crop once framed for the detector, and the border around it. */
const FRAMED_SIDE = 224;
const FRAMED_BORDER = 112;

/** A generated crop, enlarged and framed with a border, so the detector sees a face of usual size. */
async function framed(crop: RgbImage): Promise<RgbImage> {
  const { data, info } = await sharp(crop.data, { raw: { width: crop.width, height: crop.height, channels: 3 } })
    .resize(FRAMED_SIDE, FRAMED_SIDE, { kernel: 'cubic' })
    .extend({ top: FRAMED_BORDER, bottom: FRAMED_BORDER, left: FRAMED_BORDER, right: FRAMED_BORDER, background: '#808080' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/** Pearson r of paired samples (NaN under two pairs, 0 when either side is constant). */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

function summarize(acc: Accumulator, aus: readonly AuName[]): EvalTable {
  const auR: Record<string, number> = {};
  for (const au of aus) {
    const index = AU_ORDER.indexOf(au);
    const pairs = acc.samples.filter((s) => s.au === index && s.measured !== null);
    auR[au] = pearson(pairs.map((p) => p.target), pairs.map((p) => p.measured as number));
  }
  const finite = Object.values(auR).filter(Number.isFinite);
  const goal = GOAL_AUS.map((au) => auR[au]).filter((r) => r !== undefined && Number.isFinite(r));
  return {
    auR,
    meanR: mean(finite),
    goalMeanR: mean(goal),
    auMae: mean(acc.absErrors),
    identityMean: mean(acc.distances),
    identityUnder06: acc.distances.length ? acc.distances.filter((d) => d < 0.6).length / acc.distances.length : NaN,
    faithfulnessError: mean(acc.faithfulness),
    meanAttention: mean(acc.attention),
    survival: acc.outputs ? acc.detected / acc.outputs : NaN,
    facesLostBy: Object.fromEntries([...acc.lostBy].sort(([a, x], [b, y]) => y - x || a.localeCompare(b))),
    sharpness: mean(acc.sharpness.filter(Number.isFinite)),
  };
}

const countLost = (acc: Accumulator, label: string): void => void acc.lostBy.set(label, (acc.lostBy.get(label) ?? 0) + 1);

/** Re-measures one output (a framed crop or a whole photo) against its target and the input's identity. */
async function measure(acc: Accumulator, image: RgbImage, target: EvalTarget, inputDescriptor: Float32Array | null): Promise<void> {
  const { driven } = target;
  acc.outputs++;
  const face = largestFace(await detectFaces(image));
  const measured = face ? estimateAus(face) : null;
  if (measured) {
    acc.detected++;
    measured.forEach((v, i) => acc.absErrors.push(Math.abs(v - target.aus[i])));
  } else countLost(acc, target.label);
  if (driven !== null) acc.samples.push({ au: driven, target: target.aus[driven], measured: measured ? measured[driven] : null });
  const descriptor = inputDescriptor ? await faceDescriptor(image) : null;
  if (descriptor && inputDescriptor) acc.distances.push(Math.hypot(...descriptor.map((v, i) => v - inputDescriptor[i])));
}

/** What "output = input" measures: the input's AUs and identity descriptor, and its face region in the measured image's pixels (null: all of it). */
interface InputReference {
  readonly aus: Float32Array | null;
  readonly descriptor: Float32Array | null;
  readonly region: readonly (readonly [number, number])[] | null;
}

/** The whole photo as the outputs of photo mode are measured: its face is the one already detected. */
async function photoReference(photo: RgbImage, face: Face): Promise<InputReference> {
  return { aus: estimateAus(face), descriptor: await faceDescriptor(photo), region: face.landmarks };
}

/** The crop framed as crop-mode outputs are, detected the same way; its region mapped back to crop pixels. */
async function cropReference(crop: RgbImage): Promise<InputReference> {
  const image = await framed(crop);
  const face = largestFace(await detectFaces(image));
  return {
    aus: face ? estimateAus(face) : null,
    descriptor: await faceDescriptor(image),
    region: face ? face.landmarks.map(([x, y]) => [((x - FRAMED_BORDER) * crop.width) / FRAMED_SIDE, ((y - FRAMED_BORDER) * crop.height) / FRAMED_SIDE] as const) : null,
  };
}

/** One absolute AU vector the protocol drives every face to. */
export interface EvalTarget {
  readonly aus: Float32Array;
  /** The AU driven alone, or null for an emotion preset. */
  readonly driven: number | null;
  /** "AU12 0.9" or the preset's name. */
  readonly label: string;
}

/** Each AU alone at each control level, then the emotion presets at full intensity. */
export function targetsFor(aus: readonly AuName[], presets: boolean): EvalTarget[] {
  const targets: EvalTarget[] = [];
  for (const au of aus) {
    for (const level of CONTROL_LEVELS) {
      const v = new Float32Array(AU_COUNT);
      v[AU_ORDER.indexOf(au)] = level;
      targets.push({ aus: v, driven: AU_ORDER.indexOf(au), label: `${au} ${level}` });
    }
  }
  if (presets) for (const e of EMOTIONS) targets.push({ aus: Float32Array.from(emotionAus(e, 1)), driven: null, label: e });
  return targets;
}

export async function evaluateModel(engine: GeneratorEngine, options: EvalOptions): Promise<EvalReport> {
  const aus = options.aus ?? CONTROL_AUS;
  const targets = targetsFor(aus, options.presets ?? true);
  const files = spread(options.files ?? scanImages(options.folder), options.limit);
  const sheet: RgbImage[][] = [];
  const model = newAccumulator();
  const baseline = newAccumulator();
  const skipped: EvalReport['skipped'] = [];
  let faces = 0;
  for (const [i, file] of files.entries()) {
    options.onProgress?.(i, files.length);
    const photo = await decodeImage(file).catch(() => null);
    const found = !photo ? [] : options.aligned ? await detectInAlignedCrop(photo) : await detectFaces(photo);
    if (!photo || found.length === 0) {
      skipped.push({ file: path.basename(file), reason: photo ? 'no face' : 'unreadable' });
      continue;
    }
    faces++;
    const face = largestFace(found) as (typeof found)[number];
    const size = engine.imageSize;
    const { crop, transform } = options.aligned
      ? { crop: await alignedCrop(photo, size), transform: alignedTransform(photo, size) }
      : cropFace(photo, face, { size });
    const input = rgbToTensor(crop);
    const source = estimateAus(face);
    const ausList = [source, ...targets.map((t) => t.aus)];
    // The model's geometry warps each target's input, as the studio's scene does.
    const scene = options.photo ? new Scene(photo, [{ ...face, sourceAus: source }], size, geometryOf(engine)) : null;
    const warp = scene ? scene.face(face.id).warp : geometryOf(engine)({ id: face.id, sourceAus: source, photo, landmarks: face.landmarks, transform, crop: input });
    const crops = ausList.map((a) => warp.cropTensor(a));
    const outputs = (await engine.generateBatch(crops, ausList)).map((o, k) => gatedOutput(warp, ausList[k], o, crops[k]));
    const [own, ...driven] = outputs;
    if (sheet.length < (options.sheetFaces ?? 0)) {
      const presetOutputs = driven.filter((_, k) => targets[k].driven === null).map((o) => tensorToRgb(o.composite, engine.imageSize));
      sheet.push([crop, tensorToRgb(own.composite, engine.imageSize), ...presetOutputs]);
    }
    model.faithfulness.push(mean(Array.from(tensorToRgb(own.composite, engine.imageSize).data, (v, k) => Math.abs(v - crop.data[k]))));
    model.attention.push(mean(Array.from(own.attention)));
    baseline.faithfulness.push(0);
    baseline.attention.push(1);
    // The baseline's output is the input itself: measured once, compared with every target.
    const reference = scene ? await photoReference(photo, face) : await cropReference(crop);
    for (const [k, t] of targets.entries()) {
      // The scene's frame buffer is rewritten by the next render, which comes after this target is measured.
      const output = scene
        ? { width: photo.width, height: photo.height, data: scene.render(new Map([[face.id, { aus: t.aus, output: driven[k] }]])) }
        : tensorToRgb(driven[k].composite, engine.imageSize);
      await measure(model, scene ? output : await framed(output), t, reference.descriptor);
      model.sharpness.push(sharpnessKept(scene ? photo : crop, output, reference.region));
      baseline.sharpness.push(1);
      baseline.outputs++;
      if (reference.aus) {
        baseline.detected++;
        reference.aus.forEach((v, j) => baseline.absErrors.push(Math.abs(v - t.aus[j])));
      } else countLost(baseline, t.label);
      if (t.driven !== null) baseline.samples.push({ au: t.driven, target: t.aus[t.driven], measured: reference.aus ? reference.aus[t.driven] : null });
      if (reference.descriptor) baseline.distances.push(0);
    }
  }
  options.onProgress?.(files.length, files.length);
  return { faces, skipped, model: summarize(model, aus), baseline: summarize(baseline, aus), ...(sheet.length ? { sheet } : {}) };
}

/** An aligned image's crop as a crop transform (sharp's cover fit: centred, the shorter side filling the crop). */
function alignedTransform(image: RgbImage, size: number): CropTransform {
  return { size, centerX: image.width / 2, centerY: image.height / 2, scale: Math.min(image.width, image.height) / size, angle: 0 };
}

/** `count` files evenly spread over the sorted list, so a limit samples every part of a folder (every performer, say). */
export function spread<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]);
}
