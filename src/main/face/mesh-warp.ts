// The piecewise-affine mesh warp: every output pixel inside a moved destination triangle reads the
// source photo through that triangle's inverse affine map (a bicubic tap at full resolution, bilinear
// in the crop-size tables); everything else is copied, so zero displacement is the identity bit for
// bit. Two consumers share one rasteriser: the full-resolution warp of a photo region (preview,
// export) and the sampling table at crop size (training graphs, see model/warp-graph.ts).
import { StudioError } from '../../shared/errors';
import type { RgbImage } from './image-io';
import type { WarpMesh } from './mesh';
import { WarpSampler } from './warp-kernel';

/** A pixel rectangle [x0, x1) x [y0, y1) (the same shape as render's Rect). */
export interface WarpRect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** RGB rows of a rectangle of the photo, (rect.x1 - rect.x0) * 3 bytes each; the whole photo when rect is. */
export interface WarpRegion {
  readonly rect: WarpRect;
  readonly rgb: Uint8Array;
}

/** What the rasteriser found for one destination mesh: spans of moved triangles and their inverse maps. */
interface Raster {
  /** [triangle, y, xFirst, xLast] per span, inclusive pixel columns. */
  readonly spans: Int32Array;
  readonly spanCount: number;
  /**
   * Per triangle [a, b, c, d, e, f]: output pixel (x, y) samples the source at pixel-index position
   * (a x + b y + c, d x + e y + f), pixel centres at +0.5 folded into c and f.
   */
  readonly affine: Float64Array;
  /** Bounding rectangle of the spans, null when nothing moved. */
  readonly changed: WarpRect | null;
}

/** Slack, in pixels, by which a span reaches past its triangle's edges, so triangles sharing an edge leave no gap between them. */
const EDGE_SLACK_PX = 1e-6;

function assertPoints(mesh: WarpMesh, src: Float64Array, dst: Float64Array): void {
  if (src.length !== 2 * mesh.pointCount || dst.length !== 2 * mesh.pointCount) {
    throw new StudioError('warp-bad-points', `the warp needs ${mesh.pointCount} source and target points, got ${src.length / 2} and ${dst.length / 2}`);
  }
  for (let i = 0; i < src.length; i++) {
    if (!Number.isFinite(src[i]) || !Number.isFinite(dst[i])) throw new StudioError('warp-bad-points', `the warp's point ${i >> 1} is not finite`);
  }
}

/** The dst -> src affine of triangle (i, j, k) in pixel-index space, or false when the destination triangle has no area. */
function inverseAffine(src: Float64Array, dst: Float64Array, i: number, j: number, k: number, out: Float64Array, at: number): boolean {
  const e1x = dst[2 * j] - dst[2 * i];
  const e1y = dst[2 * j + 1] - dst[2 * i + 1];
  const e2x = dst[2 * k] - dst[2 * i];
  const e2y = dst[2 * k + 1] - dst[2 * i + 1];
  const det = e1x * e2y - e2x * e1y;
  if (det === 0) return false;
  const f1x = src[2 * j] - src[2 * i];
  const f1y = src[2 * j + 1] - src[2 * i + 1];
  const f2x = src[2 * k] - src[2 * i];
  const f2y = src[2 * k + 1] - src[2 * i + 1];
  const a = (f1x * e2y - f2x * e1y) / det;
  const b = (f2x * e1x - f1x * e2x) / det;
  const d = (f1y * e2y - f2y * e1y) / det;
  const e = (f2y * e1x - f1y * e2x) / det;
  // src = M (q - dst_i) + src_i for a continuous point q; pixel (x, y) is q = (x + 0.5, y + 0.5) and reads index position src - 0.5.
  const cx = 0.5 - dst[2 * i];
  const cy = 0.5 - dst[2 * i + 1];
  out[at] = a;
  out[at + 1] = b;
  out[at + 2] = a * cx + b * cy + src[2 * i] - 0.5;
  out[at + 3] = d;
  out[at + 4] = e;
  out[at + 5] = d * cx + e * cy + src[2 * i + 1] - 0.5;
  return true;
}

/** Rasterises the moved triangles of the destination mesh over a width x height pixel grid. */
function rasterise(mesh: WarpMesh, src: Float64Array, dst: Float64Array, width: number, height: number): Raster {
  const tri = mesh.triangles;
  const affine = new Float64Array((tri.length / 3) * 6);
  let spans = new Int32Array(4096);
  let n = 0;
  let [rx0, ry0, rx1, ry1] = [width, height, 0, 0];
  const moved = (p: number) => src[2 * p] !== dst[2 * p] || src[2 * p + 1] !== dst[2 * p + 1];
  for (let t = 0; t < tri.length / 3; t++) {
    const v = [tri[3 * t], tri[3 * t + 1], tri[3 * t + 2]];
    if (!v.some(moved) || !inverseAffine(src, dst, v[0], v[1], v[2], affine, 6 * t)) continue;
    const xs = v.map((p) => dst[2 * p]);
    const ys = v.map((p) => dst[2 * p + 1]);
    const sign = (xs[1] - xs[0]) * (ys[2] - ys[0]) - (xs[2] - xs[0]) * (ys[1] - ys[0]) > 0 ? 1 : -1;
    const yFirst = Math.max(0, Math.ceil(Math.min(...ys) - 0.5 - EDGE_SLACK_PX));
    const yLast = Math.min(height - 1, Math.floor(Math.max(...ys) - 0.5 + EDGE_SLACK_PX));
    for (let y = yFirst; y <= yLast; y++) {
      const yc = y + 0.5;
      let lo = -Infinity;
      let hi = Infinity;
      for (let e = 0; e < 3; e++) {
        const [ax, ay, bx, by] = [xs[e], ys[e], xs[(e + 1) % 3], ys[(e + 1) % 3]];
        const beta = sign * (by - ay);
        if (beta === 0) {
          // A horizontal edge bounds rows, not columns: the row is inside unless it lies beyond it.
          if (sign * (bx - ax) * (yc - ay) < -EDGE_SLACK_PX * Math.abs(bx - ax)) hi = -Infinity;
          continue;
        }
        const xEdge = ax + ((yc - ay) * (bx - ax)) / (by - ay);
        if (beta > 0) hi = Math.min(hi, xEdge + EDGE_SLACK_PX);
        else lo = Math.max(lo, xEdge - EDGE_SLACK_PX);
      }
      const xFirst = Math.max(0, Math.ceil(lo - 0.5));
      const xLast = Math.min(width - 1, Math.floor(hi - 0.5));
      if (xFirst > xLast) continue;
      if (n + 4 > spans.length) {
        const grown = new Int32Array(spans.length * 2);
        grown.set(spans);
        spans = grown;
      }
      spans[n] = t;
      spans[n + 1] = y;
      spans[n + 2] = xFirst;
      spans[n + 3] = xLast;
      n += 4;
      rx0 = Math.min(rx0, xFirst);
      rx1 = Math.max(rx1, xLast + 1);
      ry0 = Math.min(ry0, y);
      ry1 = Math.max(ry1, y + 1);
    }
  }
  return { spans, spanCount: n / 4, affine, changed: n ? { x0: rx0, y0: ry0, x1: rx1, y1: ry1 } : null };
}

/** The pixel rectangle the mesh's points cover in a width x height image: a warp of these source points changes nothing outside it (target points beyond it are clipped). */
export function meshBounds(points: Float64Array, width: number, height: number): WarpRect {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i < points.length; i += 2) {
    x0 = Math.min(x0, points[i]);
    x1 = Math.max(x1, points[i]);
    y0 = Math.min(y0, points[i + 1]);
    y1 = Math.max(y1, points[i + 1]);
  }
  return { x0: Math.max(0, Math.floor(x0)), y0: Math.max(0, Math.floor(y0)), x1: Math.min(width, Math.ceil(x1)), y1: Math.min(height, Math.ceil(y1)) };
}

/** Margin, in pixels, that keeps a run's accumulated positions from stepping past the last safe tap. */
const RUN_MARGIN_PX = 1e-6;

/** How the full-resolution warp reads the photo between pixel centres. */
export type WarpKernel = 'cubic' | 'bilinear';

/**
 * The default kernel of warpPhoto. Catmull-Rom (Keys, a = -0.5) keeps the photo's fine detail where
 * bilinear softens it: every moved triangle samples at fractional positions, and a bilinear tap
 * half-way between pixels halves the amplitude of a 3 px period (Catmull-Rom keeps 0.69 of it).
 * Bilinear stays for the crop-size tables, whose taps the training graphs differentiate through.
 */
export const PHOTO_KERNEL: WarpKernel = 'cubic';

/**
 * Samples of the photo at `count` positions (px + i a, py + i d), pixel-index space, written as RGB
 * from target[o]. Positions are linear in i, so a run whose two ends keep every tap inside the photo
 * needs no clamping anywhere: its loop has no bounds tests and truncates instead of flooring
 * (measured: 4.8 ms against 6.3 ms with per-pixel bounds tests and Math.floor, 533 px face region,
 * every triangle moved, bilinear). Given the warp's sampler (target being its frame), such a run is
 * queued on it instead, to be sampled in WebAssembly (warp-kernel.ts); the JS samplers here are the
 * reference it is tested against, and sample the runs near the border.
 */
export function sampleRun(photo: RgbImage, kernel: WarpKernel, px: number, py: number, a: number, d: number, count: number, target: Uint8ClampedArray, o: number, sampler?: WarpSampler): void {
  const xEnd = px + a * (count - 1);
  const yEnd = py + d * (count - 1);
  // Taps reach `before` pixels below the sample's floor and `after` above it (two scalars: a pair
  // destructured from an array literal took half the span loop's time).
  const before = kernel === 'cubic' ? 1 : 0;
  const after = before + 1;
  const inside =
    Math.min(px, xEnd) >= before + RUN_MARGIN_PX &&
    Math.min(py, yEnd) >= before + RUN_MARGIN_PX &&
    Math.max(px, xEnd) < photo.width - after - RUN_MARGIN_PX &&
    Math.max(py, yEnd) < photo.height - after - RUN_MARGIN_PX;
  if (inside && sampler) {
    sampler.add(px, py, a, d, count, o);
    return;
  }
  sampler?.flush();
  if (kernel === 'cubic') sampleCubic(photo, inside, px, py, a, d, count, target, o);
  else if (inside) sampleInside(photo.data, photo.width * 3, px, py, a, d, count, target, o);
  else sampleClamped(photo, px, py, a, d, count, target, o);
}

function sampleInside(pix: Uint8Array, rowBytes: number, px: number, py: number, a: number, d: number, count: number, target: Uint8ClampedArray, o: number): void {
  for (let i = 0; i < count; i++, px += a, py += d, o += 3) {
    const ix = px | 0;
    const iy = py | 0;
    const fx = px - ix;
    const fy = py - iy;
    const i00 = iy * rowBytes + ix * 3;
    const i01 = i00 + rowBytes;
    const w11 = fx * fy;
    const w10 = fx - w11;
    const w01 = fy - w11;
    const w00 = 1 - fx - w01;
    target[o] = w00 * pix[i00] + w10 * pix[i00 + 3] + w01 * pix[i01] + w11 * pix[i01 + 3];
    target[o + 1] = w00 * pix[i00 + 1] + w10 * pix[i00 + 4] + w01 * pix[i01 + 1] + w11 * pix[i01 + 4];
    target[o + 2] = w00 * pix[i00 + 2] + w10 * pix[i00 + 5] + w01 * pix[i01 + 2] + w11 * pix[i01 + 5];
  }
}

/** sampleRun near the photo's border: taps beyond it read its edge pixels. */
function sampleClamped(photo: RgbImage, px: number, py: number, a: number, d: number, count: number, target: Uint8ClampedArray, o: number): void {
  const { width, height, data: pix } = photo;
  const rowBytes = width * 3;
  for (let i = 0; i < count; i++, px += a, py += d, o += 3) {
    const ix = Math.floor(px);
    const iy = Math.floor(py);
    const fx = px - ix;
    const fy = py - iy;
    const cx0 = Math.min(width - 1, Math.max(0, ix)) * 3;
    const cx1 = Math.min(width - 1, Math.max(0, ix + 1)) * 3;
    const cy0 = Math.min(height - 1, Math.max(0, iy)) * rowBytes;
    const cy1 = Math.min(height - 1, Math.max(0, iy + 1)) * rowBytes;
    const w11 = fx * fy;
    const w10 = fx - w11;
    const w01 = fy - w11;
    const w00 = 1 - fx - w01;
    for (let c = 0; c < 3; c++) target[o + c] = w00 * pix[cy0 + cx0 + c] + w10 * pix[cy0 + cx1 + c] + w01 * pix[cy1 + cx0 + c] + w11 * pix[cy1 + cx1 + c];
  }
}

/** Catmull-Rom weights of the taps at -1, 0, 1, 2 around a sample at fraction t in [0, 1); they sum to 1. */
function cubicWeights(t: number, w: Float64Array): void {
  const t2 = t * t;
  const t3 = t2 * t;
  w[0] = -0.5 * t3 + t2 - 0.5 * t;
  w[1] = 1.5 * t3 - 2.5 * t2 + 1;
  w[2] = -1.5 * t3 + 2 * t2 + 0.5 * t;
  w[3] = 0.5 * t3 - 0.5 * t2;
}

const wx = new Float64Array(4);
const wy = new Float64Array(4);
const columns = new Int32Array(4);
const rows = new Int32Array(4);

/** Bicubic samples of a run (see sampleRun); `inside` says no tap leaves the photo, else taps are clamped to its edge. */
function sampleCubic(photo: RgbImage, inside: boolean, px: number, py: number, a: number, d: number, count: number, target: Uint8ClampedArray, o: number): void {
  const { width, height, data: pix } = photo;
  const rowBytes = width * 3;
  for (let i = 0; i < count; i++, px += a, py += d, o += 3) {
    const ix = Math.floor(px);
    const iy = Math.floor(py);
    cubicWeights(px - ix, wx);
    cubicWeights(py - iy, wy);
    for (let k = 0; k < 4; k++) {
      columns[k] = (inside ? ix + k - 1 : Math.min(width - 1, Math.max(0, ix + k - 1))) * 3;
      rows[k] = (inside ? iy + k - 1 : Math.min(height - 1, Math.max(0, iy + k - 1))) * rowBytes;
    }
    let r = 0;
    let g = 0;
    let b = 0;
    for (let ky = 0; ky < 4; ky++) {
      const row = rows[ky];
      let rr = 0;
      let gg = 0;
      let bb = 0;
      for (let kx = 0; kx < 4; kx++) {
        const at = row + columns[kx];
        const w = wx[kx];
        rr += w * pix[at];
        gg += w * pix[at + 1];
        bb += w * pix[at + 2];
      }
      const w = wy[ky];
      r += w * rr;
      g += w * gg;
      b += w * bb;
    }
    target[o] = r;
    target[o + 1] = g;
    target[o + 2] = b;
  }
}

function checkRegion(photo: RgbImage, out: WarpRegion): void {
  const { x0, y0, x1, y1 } = out.rect;
  const inside = Number.isInteger(x0) && Number.isInteger(y0) && Number.isInteger(x1) && Number.isInteger(y1) && x0 >= 0 && y0 >= 0 && x0 <= x1 && y0 <= y1 && x1 <= photo.width && y1 <= photo.height;
  if (!inside || out.rgb.length !== (x1 - x0) * (y1 - y0) * 3) {
    throw new StudioError('warp-bad-output', `the warp's output region ${x0},${y0}-${x1},${y1} (${out.rgb.length} bytes) does not fit the ${photo.width}x${photo.height} photo`);
  }
  if (out.rgb.buffer === photo.data.buffer) throw new StudioError('warp-bad-output', 'the warp cannot write into the photo it reads');
}

/** The photo's pixels into out's rectangle, except inside `skip` (the warp's sampler writes every pixel there). */
function copyPhotoAround(photo: RgbImage, out: WarpRegion, skip: WarpRect | null): void {
  const { x0, y0, x1, y1 } = out.rect;
  const row = (y: number, from: number, to: number) => {
    if (from < to) out.rgb.set(photo.data.subarray((y * photo.width + from) * 3, (y * photo.width + to) * 3), ((y - y0) * (x1 - x0) + from - x0) * 3);
  };
  for (let y = y0; y < y1; y++) {
    if (skip && y >= skip.y0 && y < skip.y1) {
      row(y, x0, skip.x0);
      row(y, skip.x1, x1);
    } else row(y, x0, x1);
  }
}

/**
 * Warps the photo so that the mesh's source points move to the target points (photo pixels, from
 * meshPointsInPhoto; guard the target with foldGuard first). Writes every pixel of out.rect: the
 * photo's own, with the warped pixels over them; default out is a copy of the whole photo. Returns
 * the region and the rectangle whose pixels differ from the photo's (null when nothing moved), so
 * callers copy or convert only that.
 */
export function warpPhoto(photo: RgbImage, mesh: WarpMesh, src: Float64Array, dst: Float64Array, out?: WarpRegion, kernel: WarpKernel = PHOTO_KERNEL): { region: WarpRegion; changed: WarpRect | null } {
  assertPoints(mesh, src, dst);
  const { width, height } = photo;
  if (out) checkRegion(photo, out);
  const region = out ?? { rect: { x0: 0, y0: 0, x1: width, y1: height }, rgb: new Uint8Array(photo.data) };
  const raster = rasterise(mesh, src, dst, width, height);
  const { x0, y0, x1, y1 } = region.rect;
  const c = raster.changed;
  const clipped = c && { x0: Math.max(c.x0, x0), y0: Math.max(c.y0, y0), x1: Math.min(c.x1, x1), y1: Math.min(c.y1, y1) };
  const changed = clipped && clipped.x0 < clipped.x1 && clipped.y0 < clipped.y1 ? clipped : null;
  if (out) copyPhotoAround(photo, out, changed);
  if (!changed) return { region, changed };
  const stride = (x1 - x0) * 3;
  // Spans inside the photo queue on the WebAssembly sampler; the rest sample here into its frame, a
  // clamped view (it stores with rounding and clamping, cheaper than Math.round per channel).
  const sampler = WarpSampler.of(photo);
  const target = sampler.begin(kernel, region.rect, changed, raster.spanCount);
  const { spans, affine } = raster;
  for (let s = 0; s < raster.spanCount; s++) {
    const y = spans[4 * s + 1];
    if (y < y0 || y >= y1) continue;
    const xFirst = Math.max(x0, spans[4 * s + 2]);
    const xLast = Math.min(x1 - 1, spans[4 * s + 3]);
    if (xFirst > xLast) continue;
    const k = 6 * spans[4 * s];
    const px = affine[k] * xFirst + affine[k + 1] * y + affine[k + 2];
    const py = affine[k + 3] * xFirst + affine[k + 4] * y + affine[k + 5];
    sampleRun(photo, kernel, px, py, affine[k], affine[k + 3], xLast - xFirst + 1, target, (y - y0) * stride + (xFirst - x0) * 3, sampler);
  }
  sampler.finish(region.rgb);
  return { region, changed };
}

/** Bilinear taps per output pixel in a WarpTable (model/warp-graph.ts reads the same layout). */
const TAPS = 4;

/**
 * A warp of a size x size crop as a sampling table: output pixel p = y * size + x reads
 * sum over k < 4 of weight[4p + k] * input[index[4p + k]] per channel, taps clamped to the crop.
 */
export interface WarpTable {
  readonly size: number;
  readonly index: Int32Array;
  readonly weight: Float32Array;
}

/**
 * The warp of warpPhoto at crop size, as a table (points in crop pixels, from meshPointsInCrop).
 * The inverse warp is the same call with src and dst swapped.
 */
export function warpTable(size: number, src: Float64Array, dst: Float64Array, mesh: WarpMesh): WarpTable {
  assertPoints(mesh, src, dst);
  const pixels = size * size;
  const index = new Int32Array(TAPS * pixels);
  const weight = new Float32Array(TAPS * pixels);
  for (let p = 0; p < pixels; p++) {
    index.fill(p, TAPS * p, TAPS * p + TAPS);
    weight[TAPS * p] = 1;
  }
  const { spans, spanCount, affine } = rasterise(mesh, src, dst, size, size);
  const clamp = (i: number) => Math.min(size - 1, Math.max(0, i));
  for (let s = 0; s < spanCount; s++) {
    const [t, y, xFirst, xLast] = [spans[4 * s], spans[4 * s + 1], spans[4 * s + 2], spans[4 * s + 3]];
    const k = 6 * t;
    for (let x = xFirst; x <= xLast; x++) {
      const px = affine[k] * x + affine[k + 1] * y + affine[k + 2];
      const py = affine[k + 3] * x + affine[k + 4] * y + affine[k + 5];
      const ix = Math.floor(px);
      const iy = Math.floor(py);
      const fx = px - ix;
      const fy = py - iy;
      const at = TAPS * (y * size + x);
      const [x0, x1, y0, y1] = [clamp(ix), clamp(ix + 1), clamp(iy) * size, clamp(iy + 1) * size];
      index[at] = y0 + x0;
      index[at + 1] = y0 + x1;
      index[at + 2] = y1 + x0;
      index[at + 3] = y1 + x1;
      weight[at] = (1 - fx) * (1 - fy);
      weight[at + 1] = fx * (1 - fy);
      weight[at + 2] = (1 - fx) * fy;
      weight[at + 3] = fx * fy;
    }
  }
  return { size, index, weight };
}

/** Applies a warp table to a tensor [C, S, S] (any value range); returns a new [C, S, S]. */
export function applyWarpTable(tensor: Float32Array, table: WarpTable): Float32Array {
  const pixels = table.size * table.size;
  if (tensor.length % pixels !== 0) throw new StudioError('warp-bad-table', `a ${table.size}x${table.size} warp table cannot apply to a tensor of ${tensor.length} values`);
  const out = new Float32Array(tensor.length);
  const { index, weight } = table;
  for (let base = 0; base < tensor.length; base += pixels) {
    for (let p = 0, k = 0; p < pixels; p++, k += TAPS) {
      out[base + p] =
        weight[k] * tensor[base + index[k]] + weight[k + 1] * tensor[base + index[k + 1]] + weight[k + 2] * tensor[base + index[k + 2]] + weight[k + 3] * tensor[base + index[k + 3]];
    }
  }
  return out;
}
