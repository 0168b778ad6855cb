// Geometry from a landmark motion basis: per AU vector, the face's landmarks move where the basis
// puts them, the photo's face region is warped at full resolution over the landmark mesh (anchors
// fixed on the crop square, so the background never moves), and the generator reads the crop warped
// the same way at crop size (the warp the training step graphs apply, so both see one geometry).
// A model's mouth interior is laid into both where the warp opens a mouth the photo shows closed.
import { StudioError } from '../../shared/errors';
import { photoToCrop, type RgbImage } from '../face';
import type { Point } from '../face/face-frame';
import { checkWarpPoints, FACE_MESH, foldGuard, meshLandmarks, meshPointsInCrop, meshPointsInPhoto, scaleDisplacement } from '../face/mesh';
import { applyWarpTable, meshBounds, PHOTO_KERNEL, warpPhoto, warpTable, type WarpKernel, type WarpRegion } from '../face/mesh-warp';
import { moveLandmarks, type MotionBasis } from '../face/motion-model';
import { cropTensorBuffer, layMouthInterior, rgbBuffer, type MouthInterior } from '../face/mouth-interior';
import { mouthOpenedBy, mouthRepaintGate } from '../face/mouth-opening';
import type { RepaintRegion } from '../../shared/repaint';
import type { ModelMotion } from '../infer/model-motion';
import { ausKey } from './scene';
import { identityGeometry, type FaceGeometry, type FaceGeometryInput, type FaceWarp, type WarpedRegion } from './scene-geometry';

/** Where one AU vector puts a face: mesh points in the photo and in the crop, and how much of the motion the fold guard kept. */
interface Placement {
  readonly key: string;
  readonly photoPoints: Float64Array;
  readonly cropPoints: Float64Array;
  /** 1 when the whole motion was kept; less when it would have folded the mesh. */
  readonly scale: number;
  /** How far these AUs open a mouth the photo shows closed, 0 (not at all) to 1 (mouthOpenedBy). */
  readonly opened: number;
}


/** Why a face is not warped, when it is not; the scene shows it as the photo's own geometry. */
export type GeometryNotice = (faceId: number, reason: string) => void;

/** What a model adds to its motion basis (model-file.ts): where its generator may repaint, and the mouth interior its warp lays into an opened mouth. */
export interface MotionExtras {
  readonly repaintRegion?: RepaintRegion;
  readonly mouthInterior?: MouthInterior | null;
}

/**
 * A FaceGeometry that moves each face by `basis`. A face whose landmarks cannot be warped (outside
 * the photo, not finite) falls back to no warp, and `onNotice` says why.
 */
export function motionGeometry(basis: MotionBasis, onNotice?: GeometryNotice, kernel: WarpKernel = PHOTO_KERNEL, extras: MotionExtras = {}): FaceGeometry {
  return (face) => {
    try {
      return new MotionWarp(basis, face, kernel, extras, onNotice);
    } catch (err) {
      if (!(err instanceof StudioError)) throw err;
      onNotice?.(face.id, err.message);
      return identityGeometry(face);
    }
  };
}

/**
 * The geometry a generator's model carries: its motion basis, or none (the original GANimation, a
 * corrupt basis). `kernel` is how its full-resolution warp samples the photo (the live preview's is
 * bilinear, api/frame-worker.ts).
 */
export function geometryOf(engine: { readonly motion: ModelMotion }, onNotice?: GeometryNotice, kernel: WarpKernel = PHOTO_KERNEL): FaceGeometry {
  const { basis, repaintRegion, mouthInterior } = engine.motion;
  return basis ? motionGeometry(basis, onNotice, kernel, { repaintRegion, mouthInterior }) : identityGeometry;
}

class MotionWarp implements FaceWarp {
  readonly bounds: WarpedRegion['rect'];
  private readonly photoSource: Float64Array;
  private readonly cropSource: Float64Array;
  private readonly sourceAus: Float32Array;
  /** The last placement and warped region: preview and export ask for the same AUs twice in a row (crop, then region). */
  private last: Placement | null = null;
  private readonly region: WarpRegion;
  /** The AU key the region holds the warp of, and whether that warp moved any pixel. */
  private regionKey: string | null = null;
  private regionChanged = false;
  /** Present for a model whose repaint region is the mouth opening (model-file.ts RepaintRegion). */
  readonly repaintGate?: (aus: Float32Array) => Float32Array;
  private readonly mouthInterior: MouthInterior | null;

  constructor(
    private readonly basis: MotionBasis,
    private readonly face: FaceGeometryInput,
    private readonly kernel: WarpKernel,
    extras: MotionExtras,
    private readonly onNotice?: GeometryNotice,
  ) {
    if (extras.repaintRegion === 'mouth-opening') this.repaintGate = (aus) => this.mouthGate(aus);
    this.mouthInterior = extras.mouthInterior ?? null;
    if (!face.sourceAus) throw new StudioError('warp-no-source-aus', `face ${face.id} has no source AUs to move from`);
    this.sourceAus = Float32Array.from(face.sourceAus);
    const { photo, transform } = face;
    this.photoSource = meshPointsInPhoto(FACE_MESH, face.landmarks, transform);
    this.cropSource = meshPointsInCrop(FACE_MESH, face.landmarks.map(([x, y]) => photoToCrop(transform, x, y)), transform.size);
    checkWarpPoints(FACE_MESH, this.photoSource, this.photoSource, photo.width, photo.height);
    this.bounds = meshBounds(this.photoSource, photo.width, photo.height);
    const { x0, y0, x1, y1 } = this.bounds;
    this.region = { rect: this.bounds, rgb: new Uint8Array(3 * (x1 - x0) * (y1 - y0)) };
  }

  private place(aus: Float32Array): Placement {
    const key = ausKey(aus);
    if (this.last?.key === key) return this.last;
    const { photo, transform } = this.face;
    let moved = moveLandmarks(this.face.landmarks as readonly Point[], this.basis, this.sourceAus, aus);
    // Moved landmarks may leave the photo (a jaw drop near its bottom edge): the warp clips there.
    let target = meshPointsInPhoto(FACE_MESH, moved, transform);
    try {
      checkWarpPoints(FACE_MESH, this.photoSource, target, photo.width, photo.height);
    } catch (err) {
      // Motion that is not finite (AUs that are not numbers): this frame keeps the face's own geometry.
      if (!(err instanceof StudioError)) throw err;
      this.onNotice?.(this.face.id, err.message);
      moved = this.face.landmarks as readonly Point[] as Point[];
      target = this.photoSource;
    }
    const guard = foldGuard(FACE_MESH, this.photoSource, target);
    const cropTarget = meshPointsInCrop(FACE_MESH, moved.map(([x, y]) => photoToCrop(transform, x, y)), transform.size);
    const cropPoints = scaleDisplacement(this.cropSource, cropTarget, guard.scale);
    this.last = { key, photoPoints: guard.points, cropPoints, scale: guard.scale, opened: mouthOpenedBy(meshLandmarks(this.cropSource), meshLandmarks(cropPoints), transform.size) };
    return this.last;
  }

  warpedRegion(aus: Float32Array): WarpedRegion | null {
    const placement = this.place(aus);
    // A held pose (the same AUs frame after frame) reuses the region already warped for it.
    if (this.regionKey !== placement.key) {
      this.regionChanged = warpPhoto(this.face.photo as RgbImage, FACE_MESH, this.photoSource, placement.photoPoints, this.region, this.kernel).changed !== null;
      if (this.regionChanged && this.mouthInterior) {
        const { x0, y0, x1, y1 } = this.region.rect;
        const inRegion = meshLandmarks(placement.photoPoints).map(([x, y]): Point => [x - x0, y - y0]);
        layMouthInterior(this.mouthInterior, rgbBuffer({ width: x1 - x0, height: y1 - y0, rgb: this.region.rgb }), inRegion, placement.opened);
      }
      this.regionKey = placement.key;
    }
    return this.regionChanged ? this.region : null;
  }

  cropTensor(aus: Float32Array): Float32Array {
    const placement = this.place(aus);
    const size = this.face.transform.size;
    const crop = applyWarpTable(this.face.crop, warpTable(size, this.cropSource, placement.cropPoints, FACE_MESH));
    if (this.mouthInterior) layMouthInterior(this.mouthInterior, cropTensorBuffer(crop, size), meshLandmarks(placement.cropPoints), placement.opened);
    return crop;
  }

  /** Where a model limited to the mouth opening may repaint these AUs' output (face/mouth-opening.ts). */
  private mouthGate(aus: Float32Array): Float32Array {
    const placement = this.place(aus);
    return mouthRepaintGate(meshLandmarks(placement.cropPoints), placement.opened, this.face.transform.size);
  }
}
