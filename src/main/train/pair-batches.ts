// Warm-start data: pairs of one performer's neutral and posed crops (labels.csv), the posed crop
// aligned onto the neutral one by a similarity on the stable landmarks, and a seeded, resumable
// sampler of batches: the neutral crop, both AU sets, its forward warp and the aligned posed crop.
import path from 'node:path';
import { AU_COUNT } from '../../shared/aus';
import { StudioError } from '../../shared/errors';
import { invertSimilarity, type Similarity } from '../face/face-frame';
import type { WarpTable } from '../face/mesh-warp';
import type { LabelRow } from '../face/motion-data';
import type { MotionBasis } from '../face/motion-model';
import { NEUTRAL, stableAlignment } from '../face/motion-pairs';
import { EpochShuffle, writeCrop, type CropSet, type ShuffleState } from './batches';
import type { PairStepBatch } from './step-runner';
import { cropForwardWarp, cropLandmarks, packTables } from './warp-batch';

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

export interface PairSamplerOptions {
  readonly batchSize: number;
  readonly seed: number;
  /** Geometry: each batch carries the forward tables that move the neutral crop by this basis to the posed AUs. */
  readonly motionBasis?: MotionBasis | null;
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
    for (let b = 0; b < batchSize; b++) {
      const pair = this.pairs[this.shuffle.next()];
      writeCrop(this.crops, pair.neutral, false, real.subarray(b * plane, (b + 1) * plane));
      writeCrop(this.crops, pair.posed, false, posedCrop);
      resampleSimilar(posedCrop, size, pair.neutralToPosed, pairTarget.subarray(b * plane, (b + 1) * plane));
      const neutralAus = aus.subarray(pair.neutral * AU_COUNT, (pair.neutral + 1) * AU_COUNT);
      const posedAus = aus.subarray(pair.posed * AU_COUNT, (pair.posed + 1) * AU_COUNT);
      realAus.set(neutralAus, b * AU_COUNT);
      targetAus.set(posedAus, b * AU_COUNT);
      if (motionBasis) forward.push(cropForwardWarp(size, cropLandmarks(this.crops, pair.neutral, false), motionBasis, neutralAus, posedAus));
    }
    const batch = { real, realAus, targetAus, pairTarget };
    return forward.length ? { ...batch, warp: { forward: packTables(forward) } } : batch;
  }
}
