// A mouth interior taken from one photo of an open mouth, laid into the opening a warp makes when it
// parts lips that were closed: the warp alone can only stretch the lip line across the gap (a dark
// smear), and no pixel of the photo shows teeth. The interior is placed in a frame of the mouth
// itself (corner to corner, in mouth widths) in two halves: the upper teeth hang from the upper lip
// and the lower ones ride on the lower lip, each at its own size, so a small opening shows the
// edges of both rows and a wide one the dark between them, as a real jaw does.
import { StudioError } from '../../shared/errors';
import type { Point } from './face-frame';
import type { RgbImage } from './image-io';
import { innerLipGap } from './mouth-opening';

/** iBUG 68: the mouth's points are 48-67; the inner lips 60-67. */
const MOUTH_FIRST = 48;
const MOUTH_POINTS = 20;
/** Inner-lip points along the upper and the lower lip, corner (60) to corner (64). */
const UPPER_LIP = [60, 61, 62, 63, 64] as const;
const LOWER_LIP = [60, 67, 66, 65, 64] as const;

/** Least inner-lip opening, in mouth widths (innerLipGap / corner distance), that a photo's mouth interior may be taken from. */
export const MIN_INTERIOR_OPENING = 0.2;
/** Largest patch side, in pixels, a mouth interior may carry (its file stays small). */
const MAX_PATCH_SIDE = 512;
/** Margin round the mouth's points in a taken patch, in mouth widths. */
const PATCH_MARGIN = 0.15;
/** Band outside the inner lips, in mouth widths, whose mean colour is the lips' (for colour matching). */
const LIP_BAND = 0.08;
/**
 * Bounds of the gain that matches the interior's brightness to a face's lips. One gain for all
 * three channels: per-channel gains from lip colours tinted teeth green or blue where the two
 * faces' lips differ in hue more than in light.
 */
const GAIN_MIN = 0.7;
const GAIN_MAX = 1.4;
/** Feather at the inner lips, in mouth widths (at least one pixel). */
const FEATHER = 0.03;

/** A mouth interior: an RGB patch round one photo's open mouth and that mouth's points (iBUG 48-67) in patch pixels. */
export interface MouthInterior {
  /** Where it was taken from (a file name), for model cards. */
  readonly source: string;
  readonly width: number;
  readonly height: number;
  /** width * height RGB bytes, rows top to bottom. */
  readonly rgb: Uint8Array;
  /** iBUG points 48-67 in patch pixels (pixel centres at +0.5). */
  readonly mouth: readonly Point[];
  /** Mean RGB (0-255) of the lips just outside the opening. */
  readonly lipColor: readonly [number, number, number];
}

/**
 * A mouth's own frame: origin at the left inner corner (60), u along the corners in mouth widths,
 * v perpendicular to it (down the face when upright), in mouth widths.
 */
interface MouthFrame {
  readonly ox: number;
  readonly oy: number;
  /** Corner-to-corner vector (pixels); its length is the mouth width. */
  readonly ex: number;
  readonly ey: number;
  readonly width: number;
  /** Inner-lip v at the five points of each lip, with their u (increasing). */
  readonly upper: Curve;
  readonly lower: Curve;
}

interface Curve {
  readonly u: Float64Array;
  readonly v: Float64Array;
}

/** `point(i)` gives iBUG point i (48-67) in pixels. */
function mouthFrame(point: (i: number) => Point, what: string): MouthFrame {
  const [ox, oy] = point(60);
  const [cx, cy] = point(64);
  const ex = cx - ox;
  const ey = cy - oy;
  const width = Math.hypot(ex, ey);
  if (!(width > 2)) throw new StudioError('mouth-too-small', `${what}: the mouth's corners are ${width.toFixed(1)} px apart; a mouth interior needs more than 2 px`);
  const local = (i: number): Point => {
    const [x, y] = point(i);
    return [((x - ox) * ex + (y - oy) * ey) / (width * width), (-(x - ox) * ey + (y - oy) * ex) / (width * width)];
  };
  const curve = (lip: readonly number[]): Curve => {
    const pts = lip.map(local);
    for (let k = 1; k < pts.length; k++) {
      if (!(pts[k][0] > pts[k - 1][0])) throw new StudioError('mouth-bad-landmarks', `${what}: the inner-lip points ${lip.join(', ')} do not run from one corner to the other`);
    }
    return { u: Float64Array.from(pts, (p) => p[0]), v: Float64Array.from(pts, (p) => p[1]) };
  };
  return { ox, oy, ex, ey, width, upper: curve(UPPER_LIP), lower: curve(LOWER_LIP) };
}

/** The curve's v at u (piecewise linear, constant past its ends). */
function curveAt(c: Curve, u: number): number {
  const n = c.u.length;
  if (u <= c.u[0]) return c.v[0];
  for (let k = 1; k < n; k++) {
    if (u <= c.u[k]) {
      const t = (u - c.u[k - 1]) / (c.u[k] - c.u[k - 1]);
      return c.v[k - 1] + t * (c.v[k] - c.v[k - 1]);
    }
  }
  return c.v[n - 1];
}

/**
 * The mouth interior of `photo`, whose face has `landmarks` (68, photo pixels). Refused, by
 * `what`, when the mouth is not open wide enough to show one.
 */
export function takeMouthInterior(photo: RgbImage, landmarks: readonly Point[], what: string): MouthInterior {
  if (landmarks.length !== 68) throw new StudioError('mouth-bad-landmarks', `${what}: ${landmarks.length} landmarks; 68 expected`);
  const frame = mouthFrame((i) => landmarks[i], what);
  const opening = innerLipGap(landmarks) / frame.width;
  if (opening < MIN_INTERIOR_OPENING) {
    throw new StudioError('mouth-not-open', `${what}: its mouth is not open (the inner lips are ${opening.toFixed(2)} of the mouth's width apart; at least ${MIN_INTERIOR_OPENING} is needed): choose a photo that shows teeth or an open mouth`);
  }
  const pts = landmarks.slice(MOUTH_FIRST, MOUTH_FIRST + MOUTH_POINTS);
  const margin = PATCH_MARGIN * frame.width;
  const x0 = Math.max(0, Math.floor(Math.min(...pts.map((p) => p[0])) - margin));
  const y0 = Math.max(0, Math.floor(Math.min(...pts.map((p) => p[1])) - margin));
  const x1 = Math.min(photo.width, Math.ceil(Math.max(...pts.map((p) => p[0])) + margin));
  const y1 = Math.min(photo.height, Math.ceil(Math.max(...pts.map((p) => p[1])) + margin));
  const width = x1 - x0;
  const height = y1 - y0;
  if (width < 4 || height < 4) throw new StudioError('mouth-too-small', `${what}: the mouth lies outside the photo`);
  if (width > MAX_PATCH_SIDE || height > MAX_PATCH_SIDE) throw new StudioError('mouth-too-large', `${what}: the mouth spans ${width}x${height} px; at most ${MAX_PATCH_SIDE} px a side is kept (scale the photo down)`);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) rgb.set(photo.data.subarray(3 * ((y + y0) * photo.width + x0), 3 * ((y + y0) * photo.width + x1)), 3 * y * width);
  const mouth = pts.map(([x, y]): Point => [x - x0, y - y0]);
  return { source: what, width, height, rgb, mouth, lipColor: lipColor(rgbBuffer({ width, height, rgb }), mouthFrame((i) => mouth[i - MOUTH_FIRST], what)) };
}

/** A buffer a mouth interior is read from or laid into: pixel (x, y) of its own rectangle, RGB 0-255. */
export interface PixelBuffer {
  readonly width: number;
  readonly height: number;
  read(x: number, y: number, out: Float64Array): void;
  /** Sets the pixel to alpha * rgb + (1 - alpha) * its own. */
  blend(x: number, y: number, alpha: number, r: number, g: number, b: number): void;
}

/** An RGB byte buffer of `width` x `height`. */
export function rgbBuffer(image: { readonly width: number; readonly height: number; readonly rgb: Uint8Array }): PixelBuffer {
  const { width, height, rgb } = image;
  return {
    width,
    height,
    read(x, y, out) {
      const i = 3 * (y * width + x);
      out[0] = rgb[i];
      out[1] = rgb[i + 1];
      out[2] = rgb[i + 2];
    },
    blend(x, y, alpha, r, g, b) {
      const i = 3 * (y * width + x);
      rgb[i] = Math.round(alpha * r + (1 - alpha) * rgb[i]);
      rgb[i + 1] = Math.round(alpha * g + (1 - alpha) * rgb[i + 1]);
      rgb[i + 2] = Math.round(alpha * b + (1 - alpha) * rgb[i + 2]);
    },
  };
}

/** A crop tensor [3, S, S] in [-1, 1] (the generator's input). */
export function cropTensorBuffer(tensor: Float32Array, size: number): PixelBuffer {
  const plane = size * size;
  if (tensor.length !== 3 * plane) throw new StudioError('mouth-bad-buffer', `a ${size}x${size} crop holds ${3 * plane} values, not ${tensor.length}`);
  const to255 = (v: number) => (v + 1) * 127.5;
  const from255 = (v: number) => v / 127.5 - 1;
  return {
    width: size,
    height: size,
    read(x, y, out) {
      const p = y * size + x;
      out[0] = to255(tensor[p]);
      out[1] = to255(tensor[p + plane]);
      out[2] = to255(tensor[p + 2 * plane]);
    },
    blend(x, y, alpha, r, g, b) {
      const p = y * size + x;
      tensor[p] = alpha * from255(r) + (1 - alpha) * tensor[p];
      tensor[p + plane] = alpha * from255(g) + (1 - alpha) * tensor[p + plane];
      tensor[p + 2 * plane] = alpha * from255(b) + (1 - alpha) * tensor[p + 2 * plane];
    },
  };
}

/** Pixel centres of `buffer` inside the frame's local box [u0, u1] x [v(u) bounds], visited with their local (u, v). */
function forEachPixelNear(buffer: PixelBuffer, frame: MouthFrame, vMin: number, vMax: number, visit: (x: number, y: number, u: number, v: number) => void): void {
  const { ox, oy, ex, ey, width } = frame;
  // The local box's corners in pixels bound the pixels to visit.
  const corners = [
    [0, vMin],
    [1, vMin],
    [0, vMax],
    [1, vMax],
  ].map(([u, v]) => [ox + u * ex - v * ey, oy + u * ey + v * ex]);
  const x0 = Math.max(0, Math.floor(Math.min(...corners.map((c) => c[0]))));
  const x1 = Math.min(buffer.width - 1, Math.ceil(Math.max(...corners.map((c) => c[0]))));
  const y0 = Math.max(0, Math.floor(Math.min(...corners.map((c) => c[1]))));
  const y1 = Math.min(buffer.height - 1, Math.ceil(Math.max(...corners.map((c) => c[1]))));
  const w2 = width * width;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - ox;
      const dy = y + 0.5 - oy;
      visit(x, y, (dx * ex + dy * ey) / w2, (-dx * ey + dy * ex) / w2);
    }
  }
}

/** Mean colour of the band just outside the inner lips, over the middle 80% of the mouth. */
function lipColor(buffer: PixelBuffer, frame: MouthFrame): [number, number, number] {
  const sum = [0, 0, 0];
  let count = 0;
  const px = new Float64Array(3);
  const top = Math.min(...frame.upper.v) - LIP_BAND;
  const bottom = Math.max(...frame.lower.v) + LIP_BAND;
  forEachPixelNear(buffer, frame, top, bottom, (x, y, u, v) => {
    if (u < 0.1 || u > 0.9) return;
    const up = curveAt(frame.upper, u);
    const low = curveAt(frame.lower, u);
    if ((v < up && v >= up - LIP_BAND) || (v > low && v <= low + LIP_BAND)) {
      buffer.read(x, y, px);
      for (let c = 0; c < 3; c++) sum[c] += px[c];
      count++;
    }
  });
  // A mouth too small to hold a band (a few pixels) matches nothing: neutral grey gains of 1.
  return count === 0 ? [128, 128, 128] : [sum[0] / count, sum[1] / count, sum[2] / count];
}

/** Bilinear sample of the interior's patch at pixel-index position (px, py), clamped to the patch. */
function samplePatch(interior: MouthInterior, px: number, py: number, out: Float64Array): void {
  const { width, height, rgb } = interior;
  const fx = Math.min(width - 1, Math.max(0, px));
  const fy = Math.min(height - 1, Math.max(0, py));
  const ix = Math.min(width - 2, Math.floor(fx));
  const iy = Math.min(height - 2, Math.floor(fy));
  const tx = fx - ix;
  const ty = fy - iy;
  const i00 = 3 * (iy * width + ix);
  const i01 = i00 + 3 * width;
  for (let c = 0; c < 3; c++) {
    const top = rgb[i00 + c] * (1 - tx) + rgb[i00 + 3 + c] * tx;
    const bottom = rgb[i01 + c] * (1 - tx) + rgb[i01 + 3 + c] * tx;
    out[c] = top * (1 - ty) + bottom * ty;
  }
}

/**
 * Lays `interior` into the mouth opening of a face in `buffer`, whose landmarks there are
 * `landmarks` (68, buffer pixels), at strength `amount` in [0, 1] (0 leaves the buffer as it is).
 * Its brightness is matched to the face's lips, and it fades in over the inner lips. Returns how many
 * pixels it touched.
 */
export function layMouthInterior(interior: MouthInterior, buffer: PixelBuffer, landmarks: readonly Point[], amount: number): number {
  if (!(amount > 0)) return 0;
  let target: MouthFrame;
  try {
    target = mouthFrame((i) => landmarks[i], 'the moved face');
  } catch (err) {
    // A mouth too small or folded to lay an interior in keeps the warp's own pixels.
    if (err instanceof StudioError) return 0;
    throw err;
  }
  const source = mouthFrame((i) => interior.mouth[i - MOUTH_FIRST], interior.source);
  const lips = lipColor(buffer, target);
  const sum = (c: readonly number[]) => c[0] + c[1] + c[2];
  const gain = Math.min(GAIN_MAX, Math.max(GAIN_MIN, sum(lips) / Math.max(1, sum(interior.lipColor))));
  const feather = Math.max(FEATHER, 1 / target.width);
  const strength = Math.min(1, amount);
  const top = Math.min(...target.upper.v);
  const bottom = Math.max(...target.lower.v);
  const px = new Float64Array(3);
  let touched = 0;
  forEachPixelNear(buffer, target, top, bottom, (x, y, u, v) => {
    if (u <= 0 || u >= 1) return;
    const up = curveAt(target.upper, u);
    const low = curveAt(target.lower, u);
    if (v <= up || v >= low) return;
    const fromUpper = v - up;
    const fromLower = low - v;
    const sUp = curveAt(source.upper, u);
    const sLow = curveAt(source.lower, u);
    const half = (sLow - sUp) / 2;
    // Upper half of the opening: hanging from the source's upper lip; lower half: riding on its
    // lower lip; past either half of the source's opening, its middle row.
    const sv = fromUpper <= fromLower ? sUp + Math.min(fromUpper, half) : sLow - Math.min(fromLower, half);
    const sx = source.ox + u * source.ex - sv * source.ey - 0.5;
    const sy = source.oy + u * source.ey + sv * source.ex - 0.5;
    samplePatch(interior, sx, sy, px);
    const alpha = strength * Math.min(1, Math.min(fromUpper, fromLower) / feather);
    buffer.blend(x, y, alpha, Math.min(255, px[0] * gain), Math.min(255, px[1] * gain), Math.min(255, px[2] * gain));
    touched++;
  });
  return touched;
}

/**
 * What layMouthInterior would do to a crop tensor [3, S, S] in [-1, 1], as a layer: per pixel its
 * alpha [S, S] and its colour times alpha [3, S, S], so laid = crop * (1 - alpha) + colour. The
 * training step graphs lay the interior this way after their own warp; the lips' brightness is read
 * from `crop`.
 */
export function mouthInteriorLayer(interior: MouthInterior, crop: Float32Array, size: number, landmarks: readonly Point[], amount: number): { alpha: Float32Array; colour: Float32Array } {
  const plane = size * size;
  const alpha = new Float32Array(plane);
  const colour = new Float32Array(3 * plane);
  const from255 = (v: number) => v / 127.5 - 1;
  const reader = cropTensorBuffer(crop, size);
  layMouthInterior(interior, {
    width: size,
    height: size,
    read: (x, y, out) => reader.read(x, y, out),
    blend(x, y, a, r, g, b) {
      // Each pixel is laid once; were one laid twice the later layer would cover the earlier, as blend does.
      const p = y * size + x;
      const keep = 1 - a;
      alpha[p] = 1 - keep * (1 - alpha[p]);
      colour[p] = a * from255(r) + keep * colour[p];
      colour[p + plane] = a * from255(g) + keep * colour[p + plane];
      colour[p + 2 * plane] = a * from255(b) + keep * colour[p + 2 * plane];
    },
  }, landmarks, amount);
  return { alpha, colour };
}

/** How the interior is kept in a model file (metadata, JSON). */
interface SerializedMouthInterior {
  readonly version: 1;
  readonly source: string;
  readonly width: number;
  readonly height: number;
  readonly mouth: readonly (readonly [number, number])[];
  readonly lipColor: readonly [number, number, number];
  /** Base64 of the RGB bytes. */
  readonly rgb: string;
}

export function serializeMouthInterior(interior: MouthInterior): string {
  const value: SerializedMouthInterior = {
    version: 1,
    source: interior.source,
    width: interior.width,
    height: interior.height,
    mouth: interior.mouth.map(([x, y]) => [round3(x), round3(y)]),
    lipColor: interior.lipColor.map(round3) as unknown as [number, number, number],
    rgb: Buffer.from(interior.rgb.buffer, interior.rgb.byteOffset, interior.rgb.byteLength).toString('base64'),
  };
  return JSON.stringify(value);
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

/** Parses and checks a serialised interior; the error names `what` and the field. */
export function parseMouthInterior(text: string, what: string): MouthInterior {
  let raw: Partial<SerializedMouthInterior>;
  try {
    raw = JSON.parse(text) as Partial<SerializedMouthInterior>;
  } catch {
    throw new StudioError('bad-mouth-interior', `${what} is not valid JSON`);
  }
  const fail = (field: string, problem: string): never => {
    throw new StudioError('bad-mouth-interior', `${what}: ${field} ${problem}`);
  };
  if (raw.version !== 1) fail('version', `is ${JSON.stringify(raw.version)}; 1 expected`);
  const side = (v: unknown, field: string): number => (Number.isInteger(v) && (v as number) >= 4 && (v as number) <= MAX_PATCH_SIDE ? (v as number) : fail(field, `must be a whole number of pixels from 4 to ${MAX_PATCH_SIDE}`));
  const width = side(raw.width, 'width');
  const height = side(raw.height, 'height');
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (!Array.isArray(raw.mouth) || raw.mouth.length !== MOUTH_POINTS || !raw.mouth.every((p) => Array.isArray(p) && p.length === 2 && p.every(finite))) {
    fail('mouth', `must hold ${MOUTH_POINTS} finite [x, y] points (iBUG 48-67)`);
  }
  if (!Array.isArray(raw.lipColor) || raw.lipColor.length !== 3 || !raw.lipColor.every((v) => finite(v) && v >= 0 && v <= 255)) fail('lipColor', 'must be three numbers from 0 to 255');
  if (typeof raw.rgb !== 'string') fail('rgb', 'is missing');
  const rgb = new Uint8Array(Buffer.from(raw.rgb as string, 'base64'));
  if (rgb.length !== width * height * 3) fail('rgb', `holds ${rgb.length} bytes; ${width}x${height} RGB needs ${width * height * 3}`);
  const mouth = (raw.mouth as [number, number][]).map(([x, y]): Point => [x, y]);
  // The frame is built once here so that a mouth that cannot place an interior is refused at load.
  mouthFrame((i) => mouth[i - MOUTH_FIRST], what);
  return { source: typeof raw.source === 'string' ? raw.source : 'unknown', width, height, rgb, mouth, lipColor: raw.lipColor as [number, number, number] };
}
