// Warm-start data: pairs of one performer's neutral and posed crops (labels.csv), the posed crop
// aligned onto the neutral one by a similarity on the stable landmarks and matched to its exposure,
// and a seeded, resumable sampler of batches: the neutral crop, both AU sets, its forward warp, the
// aligned posed crop and, with the landmark warp, where the posed mouth is open.
import path from 'node:path';
import { AU_COUNT } from '../../shared/aus';
import { StudioError } from '../../shared/errors';
import { applySimilarity, invertSimilarity, type Similarity } from '../face/face-frame';
import type { WarpTable } from '../face/mesh-warp';
import type { LabelRow } from '../face/motion-data';
import type { MotionBasis } from '../face/motion-model';
import { mouthOpening } from '../face/mouth-opening';
import { NEUTRAL, stableAlignment } from '../face/motion-pairs';
import { EpochShuffle, writeCrop, type CropSet, type ShuffleState } from './batches';
import type { PairStepBatch } from './step-runner';
import type { PairWarp } from './train-config';
import { cropForwardWarp, cropForwardWarpTo, cropLandmarks, packTables } from './warp-batch';

/** One warm-start pair: crop indices into the training CropSet. */
export interface CropPair {
  readonly neutral: number;
  readonly posed: number;
  /** Neutral crop pixels -> posed crop pixels: where each pixel of the pair target is read. */
  readonly neutralToPosed: Similarity;
}

export interface RefusedPair {
  readonly neutralFile: string;
  readonly posedFile: string;
  readonly reason: string;
}

export interface CropPairs {
  readonly pairs: CropPair[];
  readonly refused: RefusedPair[];
  /** labels.csv rows whose file is not among the crops (not a training crop, or no face found). */
  readonly unmatchedRows: number;
}

/**
 * Every neutral crop of a performer against every posed crop of the same performer, the crops found
 * by their source image's basename. Pairs whose stable points do not align (motion-pairs.ts limits)
 * are refused with the reason.
 */
export function buildCropPairs(labels: readonly LabelRow[], crops: CropSet): CropPairs {
  if (!crops.files || !crops.landmarks) throw new StudioError('dataset-without-landmarks', 'warm-start pairs need the file name and landmarks of every crop, and this dataset cache was built before they were kept: delete its folder to rebuild it');
  const indexOf = new Map<string, number>();
  for (const [i, file] of crops.files.entries()) if (!indexOf.has(file)) indexOf.set(file, i);
  const byPerformer = new Map<string, { file: string; index: number; neutral: boolean }[]>();
  let unmatchedRows = 0;
  for (const row of labels) {
    const file = path.basename(row.file);
    const index = indexOf.get(file);
    if (index === undefined || !row.performer || !row.expression) {
      unmatchedRows++;
      continue;
    }
    const photos = byPerformer.get(row.performer) ?? byPerformer.set(row.performer, []).get(row.performer)!;
    photos.push({ file, index, neutral: row.expression === NEUTRAL });
  }
  const pairs: CropPair[] = [];
  const refused: RefusedPair[] = [];
  for (const [, photos] of [...byPerformer].sort(([a], [b]) => a.localeCompare(b))) {
    for (const neutral of photos.filter((p) => p.neutral)) {
      const neutralMarks = cropLandmarks(crops, neutral.index, false);
      for (const posed of photos.filter((p) => !p.neutral)) {
        const alignment = stableAlignment(neutralMarks, cropLandmarks(crops, posed.index, false));
        if (typeof alignment === 'string') refused.push({ neutralFile: neutral.file, posedFile: posed.file, reason: alignment });
        else pairs.push({ neutral: neutral.index, posed: posed.index, neutralToPosed: invertSimilarity(alignment.similarity) });
      }
    }
  }
  return { pairs, refused, unmatchedRows };
}

/**
 * Resamples image [3, S, S] by `outToSource` (output pixels -> image pixels, pixel edges at integers)
 * into out [3, S, S]: bilinear, reads past the border clamped to the edge pixel.
 */
export function resampleSimilar(image: Float32Array, size: number, outToSource: Similarity, out: Float32Array): void {
  const plane = size * size;
  const clamp = (i: number) => Math.min(size - 1, Math.max(0, i));
  const { a, b, tx, ty } = outToSource;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const px = a * (x + 0.5) - b * (y + 0.5) + tx - 0.5;
      const py = b * (x + 0.5) + a * (y + 0.5) + ty - 0.5;
      const ix = Math.floor(px);
      const iy = Math.floor(py);
      const fx = px - ix;
      const fy = py - iy;
      const [x0, x1, y0, y1] = [clamp(ix), clamp(ix + 1), clamp(iy) * size, clamp(iy + 1) * size];
      for (let c = 0; c < 3; c++) {
        const src = image.subarray(c * plane, (c + 1) * plane);
        const top = (1 - fx) * src[y0 + x0] + fx * src[y0 + x1];
        const bottom = (1 - fx) * src[y1 + x0] + fx * src[y1 + x1];
        out[c * plane + y * size + x] = (1 - fy) * top + fy * bottom;
      }
    }
  }
}

/**
 * Gives each channel of `image` the mean and standard deviation it has in `reference` (both [3, S, S]
 * in [-1, 1]), clipped to [-1, 1]: two shots of a session differ in exposure and white balance,
 * which nothing in the neutral crop predicts and G should not learn.
 */
export function matchExposure(image: Float32Array, reference: Float32Array, plane: number): void {
  const stats = (x: Float32Array) => {
    let sum = 0, squares = 0;
    for (const v of x) {
      sum += v;
      squares += v * v;
    }
    const mean = sum / x.length;
    return { mean, std: Math.sqrt(Math.max(0, squares / x.length - mean * mean)) };
  };
  for (let c = 0; c < 3; c++) {
    const channel = image.subarray(c * plane, (c + 1) * plane);
    const from = stats(channel);
    const to = stats(reference.subarray(c * plane, (c + 1) * plane));
    const gain = from.std > 1e-6 ? to.std / from.std : 1;
    for (let i = 0; i < plane; i++) channel[i] = Math.min(1, Math.max(-1, (channel[i] - from.mean) * gain + to.mean));
  }
}

export interface PairSamplerOptions {
  readonly batchSize: number;
  readonly seed: number;
  /** Geometry: each batch carries the forward tables that move the neutral crop by this basis to the posed AUs. */
  readonly motionBasis?: MotionBasis | null;
  /** With geometry, where the neutral crop is warped: by the basis (default), or onto the posed photo's aligned landmarks (train-config.ts pairWarp). */
  readonly warpTo?: PairWarp;
}

/** Warm-start batches over the pairs, a new seeded order every epoch; no flips (a pair is one photo session, both as taken). */
export class PairSampler {
  private readonly shuffle: EpochShuffle;

  constructor(
    private readonly crops: CropSet,
    private readonly pairs: readonly CropPair[],
    private readonly options: PairSamplerOptions,
    state?: ShuffleState,
  ) {
    if (pairs.length < 1) throw new StudioError('no-warm-start-pairs', 'the warm start has no pairs: no performer has both a neutral and an aligned posed photo among the training crops (check labels.csv against --data, or train without --warm-start)');
    this.shuffle = new EpochShuffle(pairs.length, options.seed, state?.epoch, state?.cursor);
  }

  get state(): ShuffleState {
    return this.shuffle.state;
  }

  get currentEpoch(): number {
    return this.shuffle.epoch;
  }

  next(): PairStepBatch {
    const { batchSize, motionBasis } = this.options;
    const { size, aus } = this.crops;
    const plane = 3 * size * size;
    const real = new Float32Array(batchSize * plane);
    const pairTarget = new Float32Array(batchSize * plane);
    const posedCrop = new Float32Array(plane);
    const realAus = new Float32Array(batchSize * AU_COUNT);
    const targetAus = new Float32Array(batchSize * AU_COUNT);
    const forward: WarpTable[] = [];
    // Only the landmark warp knows where the posed photo's mouth opening lies on the warped crop.
    const pairMouth = motionBasis && this.options.warpTo === 'landmarks' ? new Float32Array(batchSize * size * size) : null;
    for (let b = 0; b < batchSize; b++) {
      const pair = this.pairs[this.shuffle.next()];
      writeCrop(this.crops, pair.neutral, false, real.subarray(b * plane, (b + 1) * plane));
      writeCrop(this.crops, pair.posed, false, posedCrop);
      resampleSimilar(posedCrop, size, pair.neutralToPosed, pairTarget.subarray(b * plane, (b + 1) * plane));
      matchExposure(pairTarget.subarray(b * plane, (b + 1) * plane), real.subarray(b * plane, (b + 1) * plane), size * size);
      const neutralAus = aus.subarray(pair.neutral * AU_COUNT, (pair.neutral + 1) * AU_COUNT);
      const posedAus = aus.subarray(pair.posed * AU_COUNT, (pair.posed + 1) * AU_COUNT);
      realAus.set(neutralAus, b * AU_COUNT);
      targetAus.set(posedAus, b * AU_COUNT);
      if (!motionBasis) continue;
      const neutral = cropLandmarks(this.crops, pair.neutral, false);
      if (!pairMouth) {
        forward.push(cropForwardWarp(size, neutral, motionBasis, neutralAus, posedAus));
        continue;
      }
      const posedOnNeutral = applySimilarity(invertSimilarity(pair.neutralToPosed), cropLandmarks(this.crops, pair.posed, false));
      forward.push(cropForwardWarpTo(size, neutral, posedOnNeutral));
      mouthOpening(posedOnNeutral, size, pairMouth.subarray(b * size * size, (b + 1) * size * size));
    }
    const batch = { real, realAus, targetAus, pairTarget, ...(pairMouth ? { pairMouth } : {}) };
    return forward.length ? { ...batch, warp: { forward: packTables(forward) } } : batch;
  }
}
