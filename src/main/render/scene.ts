// One scene per (photo, faces, model crop size): each face's crop transform, generator input, paste
// plan and geometry, and the paste kernel that composites them into the photo. Preview, export and
// `ganimation edit` all generate and composite through it, so a frame is made one way everywhere.
import { StudioError } from '../../shared/errors';
import { cropFace, PasteKernel, planPaste, rgbToTensor, type CropOutput, type CropTransform, type Face, type PastePlan, type RgbImage } from '../face';
import type { FrameGenerator } from '../infer/generator-thread';
import { gateRepaint, identityGeometry, type FaceGeometry, type FaceWarp, type WarpedRegion } from './scene-geometry';
import type { Rect } from './yuv420';

export interface SceneFace {
  readonly id: number;
  readonly transform: CropTransform;
  readonly paste: PastePlan;
  readonly warp: FaceWarp;
}

/** One face's part of a frame: its AU vector (length 17, [0, 1]) and the generator's output for it. */
export interface FaceRender {
  readonly aus: Float32Array;
  readonly output: CropOutput;
}

/** A key for an AU vector, equal for vectors that agree to 1e-4: frames with the same key are the same frame. */
export const ausKey = (aus: Float32Array): string => Array.from(aus, (v) => Math.round(v * 1e4)).join(',');

export class Scene {
  readonly faces: readonly SceneFace[];
  /** The photo rectangle that any face can change (paste footprints and warp bounds); null without faces. */
  readonly footprint: Rect | null;
  private readonly kernel: PasteKernel;
  /** Whether any face has a geometry that moves pixels: without one, rendering is the paste alone. */
  private readonly warps: boolean;
  /** Per face with warp bounds: the photo's own pixels there, laid back when its warp stops applying. */
  private readonly unwarped: (Uint8Array | null)[];
  /** Per face: whether a warped region of it is in the kernel's base now. */
  private readonly warped: boolean[];

  constructor(
    readonly photo: RgbImage,
    faces: readonly (Pick<Face, 'id' | 'landmarks'> & { readonly sourceAus?: ArrayLike<number> })[],
    /** The model's crop side in pixels. */
    readonly size: number,
    geometry: FaceGeometry = identityGeometry,
  ) {
    this.faces = faces.map((face) => {
      const { crop, transform } = cropFace(photo, face, { size });
      const warp = geometry({ id: face.id, sourceAus: face.sourceAus, photo, landmarks: face.landmarks, transform, crop: rgbToTensor(crop) });
      return { id: face.id, transform, paste: planPaste(photo, transform), warp };
    });
    this.kernel = new PasteKernel(photo, this.faces.map((f) => f.paste));
    this.footprint = unionRect(footprintRect(photo.width, this.faces.map((f) => f.paste)), ...this.faces.map((f) => f.warp.bounds));
    this.unwarped = this.faces.map((f) => (f.warp.bounds ? regionOf(photo, f.warp.bounds) : null));
    this.warps = this.unwarped.some((u) => u !== null);
    this.warped = this.faces.map(() => false);
  }

  /** The last rendered frame, RGB bytes of the photo's size; rewritten by the next render. */
  get frame(): Uint8Array {
    return this.kernel.frame;
  }

  face(id: number): SceneFace {
    const face = this.faces.find((f) => f.id === id);
    if (!face) throw new StudioError('no-such-face', `the photo has no face ${id}`);
    return face;
  }

  /**
   * The generator's outputs for one face under each AU vector, in batches of `batchSize`. Without
   * geometry every vector reads the same crop; with it, each vector's crop is of its own warped photo.
   */
  async generate(engine: FrameGenerator, faceId: number, ausList: readonly Float32Array[], batchSize?: number): Promise<FaceRender[]> {
    const { warp } = this.face(faceId);
    if (ausList.length === 0) return [];
    if (!warp.bounds) {
      const crop = warp.cropTensor(ausList[0]);
      const outputs = await engine.generate(crop, ausList, batchSize);
      return outputs.map((output, i) => ({ aus: ausList[i], output: gatedOutput(warp, ausList[i], output, crop) }));
    }
    const crops = ausList.map((aus) => warp.cropTensor(aus));
    // Where a model may repaint only inside a gate and the gate is empty for a pose, its output is
    // the warped crop itself: the generator is not run for it (most frames of a gated model).
    const gates = ausList.map((aus) => warp.repaintGate?.(aus) ?? null);
    const run = ausList.map((_, i) => gates[i] === null || (gates[i] as Float32Array).some((g) => g > 0));
    const ran = run.some(Boolean) ? await engine.generateBatch(crops.filter((_, i) => run[i]), ausList.filter((_, i) => run[i]), batchSize) : [];
    let next = 0;
    return ausList.map((aus, i) => {
      const gate = gates[i];
      if (!run[i]) return { aus, output: keptOutput(crops[i]) };
      const output = ran[next++];
      return { aus, output: gate ? { ...output, ...gateRepaint(output, gate, crops[i]) } : output };
    });
  }

  /** One frame's outputs for the faces asked for, one generator call per face (a preview frame, an edited photo). */
  async generateFaces(engine: FrameGenerator, requests: readonly { readonly faceId: number; readonly aus: Float32Array }[]): Promise<Map<number, FaceRender>> {
    const renders = new Map<number, FaceRender>();
    for (const r of requests) {
      // The full-resolution warp of the same pose runs while the generator does (render reuses it).
      const [[render]] = await Promise.all([this.generate(engine, r.faceId, [r.aus]), Promise.resolve().then(() => this.face(r.faceId).warp.warpedRegion(r.aus))]);
      renders.set(r.faceId, render);
    }
    return renders;
  }

  /**
   * Composites one frame into `frame` and returns it: each face given is warped to its AUs and
   * blended as A * warped + (1 - A) * C over the warped photo; a face not given shows the photo.
   */
  render(renders: ReadonlyMap<number, FaceRender>): Uint8Array {
    const perFace = this.faces.map((f) => renders.get(f.id) ?? null);
    if (this.warps) this.layWarps(perFace);
    this.kernel.composite(perFace.map((r) => r?.output ?? null));
    return this.kernel.frame;
  }

  /** Puts this frame's warped regions into the base the faces blend over. */
  private layWarps(perFace: readonly (FaceRender | null)[]): void {
    const regions = this.faces.map((f, k) => {
      const render = perFace[k];
      return render && f.warp.bounds ? checkedRegion(f, f.warp.bounds, f.warp.warpedRegion(render.aus)) : null;
    });
    // Every earlier region is undone before any is laid: regions of neighbouring faces may overlap.
    // A face laid again over the whole of its bounds needs no undo: its region rewrites every pixel.
    this.faces.forEach((f, k) => {
      if (!this.warped[k]) return;
      const bounds = f.warp.bounds as Rect;
      const again = regions[k]?.rect;
      if (again && sameRect(again, bounds)) return;
      this.kernel.rebase(bounds, this.unwarped[k] as Uint8Array);
      this.warped[k] = false;
    });
    regions.forEach((region, k) => {
      if (!region) return;
      this.kernel.rebase(region.rect, region.rgb);
      this.warped[k] = true;
    });
  }
}

/**
 * The output limited to where the face's geometry lets the generator repaint for these AUs (its
 * model's repaint region); `input` is the crop the generator read for them.
 */
export function gatedOutput<T extends CropOutput & { readonly composite: Float32Array }>(warp: FaceWarp, aus: Float32Array, output: T, input: Float32Array): T {
  return warp.repaintGate ? { ...output, ...gateRepaint(output, warp.repaintGate(aus), input) } : output;
}

/** The output of a generator that keeps every pixel of its input crop [3, S, S]: attention 1, and the crop as colour and composite. */
function keptOutput(crop: Float32Array): CropOutput & { readonly composite: Float32Array } {
  return { color: crop, attention: new Float32Array(crop.length / 3).fill(1), composite: crop };
}

function checkedRegion(face: SceneFace, bounds: Rect, region: WarpedRegion | null): WarpedRegion | null {
  if (!region) return null;
  const { rect, rgb } = region;
  if (rect.x0 < bounds.x0 || rect.y0 < bounds.y0 || rect.x1 > bounds.x1 || rect.y1 > bounds.y1 || rect.x1 < rect.x0 || rect.y1 < rect.y0) {
    throw new StudioError('warp-out-of-bounds', `face ${face.id}: the warped region ${JSON.stringify(rect)} is not inside the warp's bounds ${JSON.stringify(bounds)}`);
  }
  const want = 3 * (rect.x1 - rect.x0) * (rect.y1 - rect.y0);
  if (rgb.length !== want) throw new StudioError('warp-out-of-bounds', `face ${face.id}: the warped region holds ${rgb.length} bytes; its rectangle needs ${want}`);
  return region;
}

/** The photo's RGB rows under a rectangle. */
function regionOf(photo: RgbImage, rect: Rect): Uint8Array {
  const row = 3 * (rect.x1 - rect.x0);
  const out = new Uint8Array(row * (rect.y1 - rect.y0));
  for (let y = rect.y0; y < rect.y1; y++) out.set(photo.data.subarray(3 * (y * photo.width + rect.x0), 3 * (y * photo.width + rect.x1)), row * (y - rect.y0));
  return out;
}

const sameRect = (a: Rect, b: Rect): boolean => a.x0 === b.x0 && a.y0 === b.y0 && a.x1 === b.x1 && a.y1 === b.y1;

function unionRect(...rects: (Rect | null)[]): Rect | null {
  const present = rects.filter((r): r is Rect => r !== null);
  if (present.length === 0) return null;
  return {
    x0: Math.min(...present.map((r) => r.x0)),
    y0: Math.min(...present.map((r) => r.y0)),
    x1: Math.max(...present.map((r) => r.x1)),
    y1: Math.max(...present.map((r) => r.y1)),
  };
}

/** The photo rectangle that any of these pastes can change; null when they cover nothing. */
export function footprintRect(width: number, plans: readonly PastePlan[]): Rect | null {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const plan of plans) {
    for (const p of plan.pixel) {
      const i = p / 3;
      const x = i % width;
      const y = (i - x) / width;
      if (x < x0) x0 = x;
      if (x >= x1) x1 = x + 1;
      if (y < y0) y0 = y;
      if (y >= y1) y1 = y + 1;
    }
  }
  return x1 > x0 ? { x0, y0, x1, y1 } : null;
}
