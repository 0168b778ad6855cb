// Draws training batches from the cached crops: a per-epoch shuffle fixed by the seed, random
// flips, target AUs from another sample plus noise, and GP weights. Its state is a few numbers, so
// a resumed run draws exactly the batches the interrupted one would have.
import { AU_COUNT } from '../../shared/aus';
import { StudioError } from '../../shared/errors';
import { Rng } from '../../shared/random';
import type { MotionBasis } from '../face/motion-model';
import type { StepBatch } from './step-runner';
import { cropLandmarks, cropMouth, cropWarp, packMouths, packTables, type CropMouth, type RunMouth } from './warp-batch';

/** Floats per face in CropSet.landmarks: 68 points, x and y. */
export const LANDMARK_VALUES = 68 * 2;

/** Crops as RGB bytes [N, S, S, 3] and their AUs [N, 17] in [0, 1]. */
export interface CropSet {
  readonly size: number;
  readonly count: number;
  readonly pixels: Uint8Array;
  readonly aus: Float32Array;
  /** Landmarks in crop pixels [N, 68, 2], or null when any crop lacks them (caches built before they were kept). */
  readonly landmarks?: Float32Array | null;
  /** Basename of each crop's source image [N] (warm-start pairs find their crops by it); absent in hand-made sets. */
  readonly files?: readonly string[];
}

/** Where an EpochShuffle stands: the epoch and the position in its order. */
export interface ShuffleState {
  readonly epoch: number;
  readonly cursor: number;
}

export interface SamplerState extends ShuffleState {
  readonly rng: ReturnType<Rng['getState']>;
}

/** Indices 0..count-1, in a new order fixed by the seed every epoch; resumable from its ShuffleState. */
export class EpochShuffle {
  private order: number[];

  constructor(
    private readonly count: number,
    private readonly seed: number,
    private epochNumber = 0,
    private cursor = 0,
  ) {
    this.order = this.epochOrder();
  }

  get state(): ShuffleState {
    return { epoch: this.epochNumber, cursor: this.cursor };
  }

  get epoch(): number {
    return this.epochNumber;
  }

  next(): number {
    if (this.cursor >= this.order.length) {
      this.epochNumber += 1;
      this.cursor = 0;
      this.order = this.epochOrder();
    }
    return this.order[this.cursor++];
  }

  private epochOrder(): number[] {
    return new Rng(this.seed * 7919 + this.epochNumber).shuffle([...Array(this.count).keys()]);
  }
}

export interface SamplerOptions {
  readonly batchSize: number;
  readonly seed: number;
  readonly flip: boolean;
  readonly targetNoise: number;
  /** Geometry: each batch carries warp tables that move its crops by this basis to the target AUs. */
  readonly motionBasis?: MotionBasis | null;
  /** Geometry: the repaint gate and mouth interior of each pass, when the run's model has them. */
  readonly mouth?: RunMouth | null;
}

export class BatchSampler {
  private readonly shuffle: EpochShuffle;
  private rng: Rng;

  constructor(
    private readonly crops: CropSet,
    private readonly options: SamplerOptions,
    state?: SamplerState,
  ) {
    if (crops.count < 1) throw new StudioError('no-training-faces', 'the training set is empty: the dataset has no usable face outside its validation share (add photos, or lower --validation-fraction)');
    this.rng = state ? Rng.fromState(state.rng) : new Rng(options.seed ^ 0x5eed);
    this.shuffle = new EpochShuffle(crops.count, options.seed, state?.epoch, state?.cursor);
  }

  get state(): SamplerState {
    return { ...this.shuffle.state, rng: this.rng.getState() };
  }

  get currentEpoch(): number {
    return this.shuffle.epoch;
  }

  next(): StepBatch {
    const { batchSize, flip, targetNoise } = this.options;
    const { size } = this.crops;
    const plane = 3 * size * size;
    const real = new Float32Array(batchSize * plane);
    const realAus = new Float32Array(batchSize * AU_COUNT);
    const targetAus = new Float32Array(batchSize * AU_COUNT);
    const alpha = new Float32Array(batchSize);
    const warps: ReturnType<typeof cropWarp>[] = [];
    const mouths: CropMouth[] = [];
    const runMouth = this.options.mouth;
    const addsToWarp = !!runMouth && (runMouth.gate || runMouth.interior !== null);
    for (let b = 0; b < batchSize; b++) {
      const index = this.shuffle.next();
      const mirror = flip && this.rng.next() < 0.5;
      writeCrop(this.crops, index, mirror, real.subarray(b * plane, (b + 1) * plane));
      realAus.set(this.crops.aus.subarray(index * AU_COUNT, (index + 1) * AU_COUNT), b * AU_COUNT);
      const other = this.rng.int(this.crops.count);
      for (let k = 0; k < AU_COUNT; k++) {
        const v = this.crops.aus[other * AU_COUNT + k] + this.rng.uniform(-targetNoise, targetNoise);
        targetAus[b * AU_COUNT + k] = v;
      }
      alpha[b] = this.rng.next();
      const basis = this.options.motionBasis;
      if (!basis) continue;
      const warp = cropWarp(size, cropLandmarks(this.crops, index, mirror), basis, realAus.subarray(b * AU_COUNT, (b + 1) * AU_COUNT), targetAus.subarray(b * AU_COUNT, (b + 1) * AU_COUNT));
      warps.push(warp);
      if (addsToWarp) mouths.push(cropMouth(size, warp, real.subarray(b * plane, (b + 1) * plane), runMouth));
    }
    if (warps.length === 0) return { real, realAus, targetAus, alpha };
    const mouth = packMouths(mouths, size);
    return { real, realAus, targetAus, alpha, warp: { forward: packTables(warps.map((w) => w.forward)), inverse: packTables(warps.map((w) => w.inverse)) }, ...(mouth ? { mouth } : {}) };
  }

}

/** Crop `index` as [3, S, S] floats in [-1, 1], optionally mirrored left-right. */
export function writeCrop(crops: CropSet, index: number, mirror: boolean, out: Float32Array): void {
  const { size, pixels } = crops;
  const base = index * size * size * 3;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const src = base + (y * size + (mirror ? size - 1 - x : x)) * 3;
      const dst = y * size + x;
      for (let c = 0; c < 3; c++) out[c * size * size + dst] = pixels[src + c] / 127.5 - 1;
    }
  }
}
