// The mesh warp on generated photos: identity bit for bit, landmarks landing where asked, nothing
// moving outside the mesh, regions, and the crop-size sampling table against the full-resolution warp.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/random';
import { errorOf, movedPoints as moved } from '../testing';
import { cropTransform, photoToCrop } from './crop';
import type { RgbImage } from './image-io';
import { CANONICAL_FACE, FACE_MESH, meshPointsInCrop, meshPointsInPhoto, RING_INSET } from './mesh';
import { applyWarpTable, meshBounds, warpPhoto, warpTable } from './mesh-warp';
import { bandEnergy } from '../eval/sharpness';

const [W, H] = [320, 300];
/** The canonical face drawn 256 px wide at (32, 20); mouth corner 48 put on a pixel centre. */
const landmarks = CANONICAL_FACE.map(([u, v]) => [32 + 256 * u, 20 + 256 * v] as [number, number]);
landmarks[48] = [126.5, 193.5];
const transform = cropTransform({ landmarks }, { size: 128 });
const src = meshPointsInPhoto(FACE_MESH, landmarks, transform);

/** A deterministic photo: smooth bands plus noise, so every shift shows. */
function texture(width: number, height: number, seed: number, noise = 40): RgbImage {
  const rng = new Rng(seed);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = Math.round(100 + 50 * Math.sin(x / (5 + c) + y / 9) + 30 * Math.cos(y / 7 - c) + noise * (rng.next() - 0.5));
    }
  }
  return { width, height, data };
}

/** Bytes where a and b differ (a length mismatch counts every byte); cheaper than toEqual on megabytes. */
function differingBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}


/** A smile-like move in pixels of a face 256 px wide: mouth corners out and up, lips after them, chin down. */
const smile = (p: Float64Array, k = 1) =>
  moved(p, [[48, -7 * k, -6 * k], [54, 7 * k, -6 * k], [60, -6 * k, -5 * k], [64, 6 * k, -5 * k], [49, -3 * k, -3 * k], [53, 3 * k, -3 * k], [59, -4 * k, -2 * k], [55, 4 * k, -2 * k], [57, 0, 2 * k], [8, 0, 3 * k], [7, 0, 2 * k], [9, 0, 2 * k]]);

describe('warpPhoto', () => {
  const photo = texture(W, H, 1);

  it('is the identity bit for bit with zero displacement, on any crop', () => {
    const rolled = meshPointsInPhoto(FACE_MESH, landmarks, { ...transform, angle: 0.3 });
    for (const points of [src, rolled]) {
      const { region, changed } = warpPhoto(photo, FACE_MESH, points, Float64Array.from(points));
      expect(changed).toBeNull();
      expect(differingBytes(region.rgb, photo.data)).toBe(0);
      expect(region.rgb === photo.data).toBe(false);
    }
  });

  it('lands a landmark where asked: the target pixel holds the source pixel', () => {
    const dst = moved(src, [[48, -4, -3]]);
    const { region } = warpPhoto(photo, FACE_MESH, src, dst);
    const at = (img: Uint8Array, x: number, y: number) => Array.from(img.subarray((y * W + x) * 3, (y * W + x) * 3 + 3));
    expect(at(region.rgb, 122, 190)).toEqual(at(photo.data, 126, 193));
    expect(at(region.rgb, 122, 190)).not.toEqual(at(photo.data, 122, 190));
  });

  it('leaves no pixel unwarped between triangles: a whole-face shift moves every interior pixel', () => {
    // Every landmark moved 3 px right and 2 px down: inside the face each triangle is a pure shift,
    // so a pixel missed by the rasteriser (a gap along a shared edge) would keep its own value.
    const dst = Float64Array.from(src);
    for (let i = 0; i < 68; i++) [dst[2 * i], dst[2 * i + 1]] = [src[2 * i] + 3, src[2 * i + 1] + 2];
    const { region } = warpPhoto(photo, FACE_MESH, src, dst);
    let [checked, wrong] = [0, 0];
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const [u, v] = photoToCrop(transform, x - 2.5, y - 1.5);
        if (u < 0.3 * 128 || u > 0.7 * 128 || v < 0.35 * 128 || v > 0.65 * 128) continue;
        checked++;
        for (let c = 0; c < 3; c++) if (region.rgb[(y * W + x) * 3 + c] !== photo.data[((y - 2) * W + x - 3) * 3 + c]) wrong++;
      }
    }
    expect(checked).toBeGreaterThan(5000);
    expect(wrong).toBe(0);
  });

  it('moves a point-like mark by the displacement, within 0.5 px', () => {
    // The nose tip: its neighbours lie 12-18 px away. The mark is found by its peak (a parabola
    // through the brightest pixel and its neighbours): its centroid lags, because the triangles
    // behind a moved vertex stretch and those ahead shrink, which skews any mark wider than a point.
    const [mx, my] = [src[2 * 30], src[2 * 30 + 1]];
    const [dx, dy] = [3.3, -2.6];
    const flat = { width: W, height: H, data: new Uint8Array(W * H * 3) };
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) flat.data.fill(40 + Math.round(200 * Math.exp(-((x + 0.5 - mx) ** 2 + (y + 0.5 - my) ** 2) / (2 * 1.2 ** 2))), (y * W + x) * 3, (y * W + x) * 3 + 3);
    const peak = (img: Uint8Array): [number, number] => {
      let [best, bx, by] = [-1, 0, 0];
      for (let i = 0; i < W * H; i++) if (img[3 * i] > best) [best, bx, by] = [img[3 * i], i % W, Math.floor(i / W)];
      const v = (x: number, y: number) => img[(y * W + x) * 3];
      const vertex = (a: number, b: number, c: number) => (0.5 * (a - c)) / (a - 2 * b + c);
      return [bx + 0.5 + vertex(v(bx - 1, by), best, v(bx + 1, by)), by + 0.5 + vertex(v(bx, by - 1), best, v(bx, by + 1))];
    };
    const [px, py] = peak(flat.data);
    expect(Math.hypot(px - mx, py - my)).toBeLessThan(0.05);
    const [qx, qy] = peak(warpPhoto(flat, FACE_MESH, src, moved(src, [[30, dx, dy]])).region.rgb);
    expect(Math.hypot(qx - (mx + dx), qy - (my + dy))).toBeLessThan(0.5);
  });

  it('changes nothing outside the ring and reports a rectangle holding every change', () => {
    const { region, changed } = warpPhoto(photo, FACE_MESH, src, smile(src));
    expect(changed).not.toBeNull();
    const r = changed!;
    let [differing, outsideRect, outsideRing] = [0, 0, 0];
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = (y * W + x) * 3;
        if (region.rgb[i] === photo.data[i] && region.rgb[i + 1] === photo.data[i + 1] && region.rgb[i + 2] === photo.data[i + 2]) continue;
        differing++;
        if (!(x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1)) outsideRect++;
        const [u, v] = photoToCrop(transform, x + 0.5, y + 0.5);
        if (Math.min(u, v, 128 - u, 128 - v) < RING_INSET * 128) outsideRing++;
      }
    }
    expect(differing).toBeGreaterThan(2000);
    expect([outsideRect, outsideRing]).toEqual([0, 0]);
    // The rectangle is tight: the smile moves only the mouth and chin, far from the ring's top.
    const ringTop = Math.min(...Array.from({ length: FACE_MESH.pointCount - 68 }, (_, k) => src[2 * (68 + k) + 1]));
    expect(r.y0).toBeGreaterThan(ringTop + 40);
  });

  it('writes a region of the photo as the same pixels as the whole-photo warp', () => {
    const bounds = meshBounds(src, W, H);
    const rgb = new Uint8Array((bounds.x1 - bounds.x0) * (bounds.y1 - bounds.y0) * 3).fill(7);
    const dst = smile(src);
    const whole = warpPhoto(photo, FACE_MESH, src, dst);
    const part = warpPhoto(photo, FACE_MESH, src, dst, { rect: bounds, rgb });
    expect(part.region.rgb === rgb).toBe(true);
    expect(part.changed).toEqual(whole.changed);
    const stride = (bounds.x1 - bounds.x0) * 3;
    for (let y = bounds.y0; y < bounds.y1; y++) {
      expect(differingBytes(rgb.subarray((y - bounds.y0) * stride, (y - bounds.y0 + 1) * stride), whole.region.rgb.subarray((y * W + bounds.x0) * 3, (y * W + bounds.x1) * 3))).toBe(0);
    }
  });

  it('refuses a region that does not fit, the photo itself as output, and non-finite points', () => {
    const rect = { x0: 10, y0: 10, x1: 20, y1: 20 };
    expect(errorOf(() => warpPhoto(photo, FACE_MESH, src, src, { rect, rgb: new Uint8Array(10) })).code).toBe('warp-bad-output');
    expect(errorOf(() => warpPhoto(photo, FACE_MESH, src, src, { rect: { ...rect, x1: W + 1 }, rgb: new Uint8Array((W + 1 - 10) * 30) })).code).toBe('warp-bad-output');
    expect(errorOf(() => warpPhoto(photo, FACE_MESH, src, src, { rect: { x0: 0, y0: 0, x1: W, y1: H }, rgb: photo.data })).code).toBe('warp-bad-output');
    expect(errorOf(() => warpPhoto(photo, FACE_MESH, src, moved(src, [[3, Infinity, 0]]))).code).toBe('warp-bad-points');
  });
});

describe('warpTable', () => {
  const S = 128;
  const crop = texture(S, S, 2);
  const cropSrc = meshPointsInCrop(FACE_MESH, CANONICAL_FACE.map(([u, v]) => [u * S, v * S] as const), S);
  const cropDst = smile(cropSrc, 0.5);
  /** RGB bytes [S, S, 3] -> planar floats [3, S, S] on the byte scale. */
  const planar = (img: RgbImage) => Float32Array.from({ length: 3 * S * S }, (_, i) => img.data[(i % (S * S)) * 3 + Math.floor(i / (S * S))]);

  it('is the identity table with zero displacement', () => {
    const table = warpTable(S, cropSrc, cropSrc, FACE_MESH);
    const input = planar(crop);
    expect(applyWarpTable(input, table)).toEqual(input);
    expect(table.index.length).toBe(4 * S * S);
    expect(Math.min(...table.index)).toBeGreaterThanOrEqual(0);
  });

  it('agrees with the full-resolution warp (bilinear kernel) on the same geometry up to rounding', () => {
    const table = warpTable(S, cropSrc, cropDst, FACE_MESH);
    const input = planar(crop);
    const fromTable = applyWarpTable(input, table);
    const full = planar({ ...crop, data: warpPhoto(crop, FACE_MESH, cropSrc, cropDst, undefined, 'bilinear').region.rgb });
    let worst = 0;
    let differing = 0;
    for (let i = 0; i < full.length; i++) {
      worst = Math.max(worst, Math.abs(fromTable[i] - full[i]));
      if (full[i] !== input[i]) differing++;
    }
    expect(differing).toBeGreaterThan(500);
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-3);
    // Taps stay inside the crop and the weights of each pixel sum to one.
    for (let p = 0; p < S * S; p++) expect(table.weight[4 * p] + table.weight[4 * p + 1] + table.weight[4 * p + 2] + table.weight[4 * p + 3]).toBeCloseTo(1, 5);
    expect(Math.max(...table.index)).toBeLessThan(S * S);
  });

  it('undoes itself with source and target swapped', () => {
    const smooth = planar(texture(S, S, 3, 0));
    const there = applyWarpTable(smooth, warpTable(S, cropSrc, cropDst, FACE_MESH));
    const back = applyWarpTable(there, warpTable(S, cropDst, cropSrc, FACE_MESH));
    const meanError = (a: Float32Array) => a.reduce((s, v, i) => s + Math.abs(v - smooth[i]), 0) / a.length;
    expect(meanError(there)).toBeGreaterThan(0.5);
    expect(meanError(back)).toBeLessThan(0.2 * meanError(there));
  });

  it('refuses a tensor of another size', () => {
    expect(errorOf(() => applyWarpTable(new Float32Array(10), warpTable(S, cropSrc, cropSrc, FACE_MESH))).code).toBe('warp-bad-table');
  });
});

describe('warpPhoto kernels', () => {
  /** Every point shifted right by dx pixels: the whole face region samples at the same fraction. */
  const shifted = (dx: number) => Float64Array.from(src, (v, i) => (i < 2 * 68 && i % 2 === 0 ? v + dx : v));
  const interior = (image: RgbImage): RgbImage => {
    // The eyes-to-mouth box of the canonical face, well inside the moved triangles.
    const [x0, y0, x1, y1] = [100, 110, 220, 220];
    const data = new Uint8Array((x1 - x0) * (y1 - y0) * 3);
    for (let y = y0; y < y1; y++) data.set(image.data.subarray((y * image.width + x0) * 3, (y * image.width + x1) * 3), (y - y0) * (x1 - x0) * 3);
    return { width: x1 - x0, height: y1 - y0, data };
  };

  it('bicubic keeps more fine detail than bilinear at a half-pixel shift, and both move by whole pixels exactly', () => {
    const photo = texture(W, H, 7);
    const whole = warpPhoto(photo, FACE_MESH, src, shifted(1)).region;
    // A 1 px shift reads whole pixels: the cubic taps beside the centre weigh 0.
    for (let y = 110; y < 220; y++) for (let x = 100; x < 220; x++) expect(whole.rgb[(y * W + x) * 3]).toBe(photo.data[(y * W + x - 1) * 3]);
    const before = bandEnergy(interior(photo));
    const cubic = bandEnergy(interior({ width: W, height: H, data: warpPhoto(photo, FACE_MESH, src, shifted(0.5)).region.rgb })) / before;
    const linear = bandEnergy(interior({ width: W, height: H, data: warpPhoto(photo, FACE_MESH, src, shifted(0.5), undefined, 'bilinear').region.rgb })) / before;
    expect(linear).toBeLessThan(0.85);
    expect(cubic).toBeGreaterThan(linear + 0.05);
  });
});
