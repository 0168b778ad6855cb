// Geometry for training batches: a crop's landmarks moved by the run's motion basis from its own AUs
// to the target AUs, and the two sampling tables the step graphs warp with (to the target landmarks,
// and back for the cycle), packed per batch in the layout of model/warp-graph.ts.
import { StudioError } from '../../shared/errors';
import { MIRROR_INDEX, type Point } from '../face/face-frame';
import { FACE_MESH, foldGuard, meshPointsInCrop } from '../face/mesh';
import { warpTable, type WarpTable } from '../face/mesh-warp';
import { moveLandmarks, type MotionBasis } from '../face/motion-model';
import { WARP_TAPS } from '../model/warp-graph';
import { LANDMARK_VALUES, type CropSet } from './batches';
import type { BatchWarpTables } from './step-runner';

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
}

/** The warp of one crop from its own AUs to the target AUs (AUs length 17, [0, 1]). */
export function cropWarp(size: number, landmarks: readonly Point[], basis: MotionBasis, sourceAus: ArrayLike<number>, targetAus: ArrayLike<number>): CropWarp {
  const { src, guard } = guardedMotion(size, landmarks, basis, sourceAus, targetAus);
  return { forward: warpTable(size, src, guard.points, FACE_MESH), inverse: warpTable(size, guard.points, src, FACE_MESH), scale: guard.scale };
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

/** The crop's mesh points and where the basis moves them, cut by the fold guard. */
function guardedMotion(size: number, landmarks: readonly Point[], basis: MotionBasis, sourceAus: ArrayLike<number>, targetAus: ArrayLike<number>) {
  return guardedMove(size, landmarks, moveLandmarks(landmarks, basis, sourceAus, targetAus));
}

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
