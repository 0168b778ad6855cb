// Draws training batches from the cached crops: a per-epoch shuffle fixed by the seed, random
// flips, target AUs from another sample plus noise, and GP weights. Its state is a few numbers, so
// a resumed run draws exactly the batches the interrupted one would have.
import { AU_COUNT } from '../../shared/aus';
import { StudioError } from '../../shared/errors';
import { Rng } from '../../shared/random';
import type { MotionBasis } from '../face/motion-model';
import type { StepBatch } from './step-runner';
import { cropLandmarks, cropWarp, packTables } from './warp-batch';

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
}

export interface SamplerState {
  readonly epoch: number;
  readonly cursor: number;
  readonly rng: ReturnType<Rng['getState']>;
}

export interface SamplerOptions {
  readonly batchSize: number;
  readonly seed: number;
  readonly flip: boolean;
  readonly targetNoise: number;
  /** Geometry: each batch carries warp tables that move its crops by this basis to the target AUs. */
  readonly motionBasis?: MotionBasis | null;
}

export class BatchSampler {
  private epoch = 0;
  private cursor = 0;
  private order: number[];
  private rng: Rng;

  constructor(
    private readonly crops: CropSet,
    private readonly options: SamplerOptions,
    state?: SamplerState,
  ) {
    if (crops.count < 1) throw new StudioError('no-training-faces', 'the training set is empty: the dataset has no usable face outside its validation share (add photos, or lower --validation-fraction)');
    this.rng = state ? Rng.fromState(state.rng) : new Rng(options.seed ^ 0x5eed);
    this.epoch = state?.epoch ?? 0;
    this.cursor = state?.cursor ?? 0;
    this.order = this.epochOrder(this.epoch);
  }

  get state(): SamplerState {
    return { epoch: this.epoch, cursor: this.cursor, rng: this.rng.getState() };
  }

  get currentEpoch(): number {
    return this.epoch;
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
    for (let b = 0; b < batchSize; b++) {
      const index = this.take();
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
      if (basis) warps.push(cropWarp(size, cropLandmarks(this.crops, index, mirror), basis, realAus.subarray(b * AU_COUNT, (b + 1) * AU_COUNT), targetAus.subarray(b * AU_COUNT, (b + 1) * AU_COUNT)));
    }
    if (warps.length === 0) return { real, realAus, targetAus, alpha };
    return { real, realAus, targetAus, alpha, warp: { forward: packTables(warps.map((w) => w.forward)), inverse: packTables(warps.map((w) => w.inverse)) } };
  }

  private take(): number {
    if (this.cursor >= this.order.length) {
      this.epoch += 1;
      this.cursor = 0;
      this.order = this.epochOrder(this.epoch);
    }
    return this.order[this.cursor++];
  }

  private epochOrder(epoch: number): number[] {
    return new Rng(this.options.seed * 7919 + epoch).shuffle([...Array(this.crops.count).keys()]);
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
