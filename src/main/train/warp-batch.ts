// Geometry for training batches: a crop's landmarks moved by the run's motion basis from its own AUs
// to the target AUs, and the two sampling tables the step graphs warp with (to the target landmarks,
// and back for the cycle), packed per batch in the layout of model/warp-graph.ts; with them, for a
// run limited to the mouth opening or carrying a mouth interior, where each pass may repaint and the
// interior it lays, as the studio's warp does (render/motion-geometry.ts).
import { StudioError } from '../../shared/errors';
import { MIRROR_INDEX, type Point } from '../face/face-frame';
import { FACE_MESH, foldGuard, meshLandmarks, meshPointsInCrop } from '../face/mesh';
import { applyWarpTable, warpTable, type WarpTable } from '../face/mesh-warp';
import { moveLandmarks, type MotionBasis } from '../face/motion-model';
import { mouthInteriorLayer, type MouthInterior } from '../face/mouth-interior';
import { mouthOpenedBy, mouthRepaintGate } from '../face/mouth-opening';
import { WARP_TAPS } from '../model/warp-graph';
import { LANDMARK_VALUES, type CropSet } from './batches';
import type { BatchMouth, BatchWarpTables } from './step-runner';

/** Crop `index`'s 68 landmarks in crop pixels; mirrored left-right (points and their iBUG order) as writeCrop mirrors the pixels. */
export function cropLandmarks(crops: CropSet, index: number, mirror: boolean): Point[] {
  if (!crops.landmarks) throw new StudioError('dataset-without-landmarks', 'the training set has no landmarks; rebuild its dataset cache to train with geometry');
  const at = (i: number): Point => [crops.landmarks![index * LANDMARK_VALUES + 2 * i], crops.landmarks![index * LANDMARK_VALUES + 2 * i + 1]];
  if (!mirror) return Array.from({ length: 68 }, (_, i) => at(i));
  return Array.from({ length: 68 }, (_, i) => {
    const [x, y] = at(MIRROR_INDEX[i]);
    return [crops.size - x, y];
  });
}

export interface CropWarp {
  /** Warps the crop to the target landmarks. */
  readonly forward: WarpTable;
  /** Warps an image at the target landmarks back to the crop's own. */
  readonly inverse: WarpTable;
  /** Share of the motion kept by the fold guard (1: all of it). */
  readonly scale: number;
  /** The crop's own 68 landmarks and where the warp puts them (after the fold guard), crop pixels. */
  readonly source: readonly Point[];
  readonly target: readonly Point[];
}

/** The warp of one crop from its own AUs to the target AUs (AUs length 17, [0, 1]). */
export function cropWarp(size: number, landmarks: readonly Point[], basis: MotionBasis, sourceAus: ArrayLike<number>, targetAus: ArrayLike<number>): CropWarp {
  return cropWarpTo(size, landmarks, moveLandmarks(landmarks, basis, sourceAus, targetAus));
}

/** The warp of one crop from its landmarks onto `target` (68 points in crop pixels), cut by the fold guard, and back. */
export function cropWarpTo(size: number, landmarks: readonly Point[], target: readonly Point[]): CropWarp {
  const { src, guard } = guardedMove(size, landmarks, target);
  return { forward: warpTable(size, src, guard.points, FACE_MESH), inverse: warpTable(size, guard.points, src, FACE_MESH), scale: guard.scale, source: meshLandmarks(src), target: meshLandmarks(guard.points) };
}

/** A mouth interior as a layer over a crop (face/mouth-interior.ts mouthInteriorLayer): alpha [S, S], colour times alpha [3, S, S]. */
export interface InteriorLayer {
  readonly alpha: Float32Array;
  readonly colour: Float32Array;
}

/** What the run's model adds to its warp (run-motion.ts): a repaint limited to the mouth opening, and a mouth interior. */
export interface RunMouth {
  readonly gate: boolean;
  readonly interior: MouthInterior | null;
}

/** Lays an interior layer over a crop [3, S, S] in place: crop * (1 - alpha) + colour, as the step graphs do. */
export function layInterior(crop: Float32Array, layer: InteriorLayer): void {
  const plane = layer.alpha.length;
  for (let i = 0; i < crop.length; i++) crop[i] = crop[i] * (1 - layer.alpha[i % plane]) + layer.colour[i];
}

/** The gate ([S, S] in [0, 1], 1: may repaint) and interior of each pass of one crop; absent parts are the run's absent options. */
export interface CropMouth {
  readonly gate?: { readonly forward: Float32Array; readonly inverse: Float32Array };
  readonly interior?: { readonly forward: InteriorLayer; readonly inverse: InteriorLayer };
}

/**
 * Where each pass over `crop` ([3, S, S] in [-1, 1]) may repaint, and the interior it lays: the
 * forward pass moves the crop's landmarks to the target, the cycle's pass moves them back, and each
 * opens a mouth where the studio's warp would (mouthOpenedBy). The cycle's interior takes its
 * brightness from the crop's own lips, where it is laid.
 */
export function cropMouth(size: number, warp: CropWarp, crop: Float32Array, run: RunMouth): CropMouth {
  const openedForward = mouthOpenedBy(warp.source, warp.target, size);
  const openedBack = mouthOpenedBy(warp.target, warp.source, size);
  return {
    ...(run.gate ? { gate: { forward: mouthRepaintGate(warp.target, openedForward, size), inverse: mouthRepaintGate(warp.source, openedBack, size) } } : {}),
    ...(run.interior
      ? {
          interior: {
            forward: mouthInteriorLayer(run.interior, applyWarpTable(crop, warp.forward), size, warp.target, openedForward),
            inverse: mouthInteriorLayer(run.interior, crop, size, warp.source, openedBack),
          },
        }
      : {}),
  };
}

/** cropWarp's forward table alone, for steps with no cycle (the warm start). */
export function cropForwardWarp(size: number, landmarks: readonly Point[], basis: MotionBasis, sourceAus: ArrayLike<number>, targetAus: ArrayLike<number>): WarpTable {
  return cropForwardWarpTo(size, landmarks, moveLandmarks(landmarks, basis, sourceAus, targetAus));
}

/** The forward table moving the crop's landmarks onto `target` (68 points in crop pixels), cut by the fold guard. */
export function cropForwardWarpTo(size: number, landmarks: readonly Point[], target: readonly Point[]): WarpTable {
  const { src, guard } = guardedMove(size, landmarks, target);
  return warpTable(size, src, guard.points, FACE_MESH);
}

/** The crop's mesh points and where `target` moves them, cut by the fold guard. */
function guardedMove(size: number, landmarks: readonly Point[], target: readonly Point[]) {
  const src = meshPointsInCrop(FACE_MESH, landmarks, size);
  const moved = meshPointsInCrop(FACE_MESH, target, size);
  return { src, guard: foldGuard(FACE_MESH, src, moved) };
}

/** Tables of a batch, sample after sample, as the step graphs' int64 index and float weight inputs. */
export function packTables(tables: readonly WarpTable[]): BatchWarpTables {
  const per = tables.length ? tables[0].index.length : 0;
  const index = new BigInt64Array(tables.length * per);
  const weight = new Float32Array(tables.length * per);
  tables.forEach((t, b) => {
    if (t.index.length !== per || per % WARP_TAPS !== 0) throw new StudioError('bad-warp-table', `warp table ${b} has ${t.index.length} taps; ${per} (a multiple of ${WARP_TAPS}) expected`);
    for (let i = 0; i < per; i++) index[b * per + i] = BigInt(t.index[i]);
    weight.set(t.weight, b * per);
  });
  return { index, weight };
}

/** The mouths of a batch, sample after sample, as the step graphs' gate and interior inputs; undefined when the run adds nothing to its warp. */
export function packMouths(mouths: readonly CropMouth[], size: number): BatchMouth | undefined {
  const plane = size * size;
  const pack = (parts: readonly Float32Array[], per: number) => {
    const out = new Float32Array(parts.length * per);
    parts.forEach((p, b) => out.set(p, b * per));
    return out;
  };
  const gates = mouths.map((m) => m.gate);
  const interiors = mouths.map((m) => m.interior);
  const gate = gates.every((g) => g) ? { forward: pack(gates.map((g) => g!.forward), plane), inverse: pack(gates.map((g) => g!.inverse), plane) } : undefined;
  const layer = (direction: 'forward' | 'inverse') => ({ alpha: pack(interiors.map((i) => i![direction].alpha), plane), colour: pack(interiors.map((i) => i![direction].colour), 3 * plane) });
  const interior = interiors.every((i) => i) ? { forward: layer('forward'), inverse: layer('inverse') } : undefined;
  if (!gate && !interior) return undefined;
  return { ...(gate ? { gate } : {}), ...(interior ? { interior } : {}) };
}
