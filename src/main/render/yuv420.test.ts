// The JS conversion against ffmpeg's own rgb24 -> yuv420p (what export used to leave to ffmpeg),
// and the rectangle conversion against the whole-frame one.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { resolveFfmpeg } from './ffmpeg-path';
import { chromaAligned, rgbToYuv420, yuv420Bytes } from './yuv420';

/** A smooth picture with some texture, as a photo has (a noise image would test chroma filters only). */
function picture(width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 3 * (y * width + x);
      rgb[i] = (255 * x) / width;
      rgb[i + 1] = 128 + 100 * Math.sin(x / 7 + y / 11);
      rgb[i + 2] = (255 * y) / height;
    }
  }
  return rgb;
}

function ffmpegYuv(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const args = ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1'];
  const run = spawnSync(resolveFfmpeg().path, args, { input: rgb, maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(String(run.stderr));
  return new Uint8Array(run.stdout);
}

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('rgbToYuv420', () => {
  // Even sizes only: for odd ones ffmpeg resamples chroma with a scaling filter, not 2x2 means.
  it.each([
    [64, 48],
    [320, 180],
  ])('matches ffmpeg on a %ix%i picture (luma within 1, chroma within 2)', (width, height) => {
    const rgb = picture(width, height);
    const ours = new Uint8Array(yuv420Bytes(width, height));
    rgbToYuv420(rgb, width, height, ours);
    const theirs = ffmpegYuv(rgb, width, height);
    expect(theirs.length).toBe(ours.length);
    expect(maxDiff(ours.subarray(0, width * height), theirs.subarray(0, width * height))).toBeLessThanOrEqual(1);
    expect(maxDiff(ours.subarray(width * height), theirs.subarray(width * height))).toBeLessThanOrEqual(2);
  });

  it('fills the last column and row of an odd-sized frame', () => {
    const [width, height] = [7, 5];
    const rgb = Uint8Array.from({ length: width * height * 3 }, (_, i) => [200, 40, 90][i % 3]);
    const out = new Uint8Array(yuv420Bytes(width, height)).fill(0);
    rgbToYuv420(rgb, width, height, out);
    expect(out.length).toBe(35 + 2 * 4 * 3);
    const [y, u, v] = [16 + 0.256788 * 200 + 0.504129 * 40 + 0.097906 * 90, 128 - 0.148223 * 200 - 0.290993 * 40 + 0.439216 * 90, 128 + 0.439216 * 200 - 0.367788 * 40 - 0.071427 * 90].map(Math.round);
    expect([...out]).toEqual([...Array(35).fill(y), ...Array(12).fill(u), ...Array(12).fill(v)]);
  });

  it('converts only the rectangle, widened to whole chroma samples, and leaves the rest alone', () => {
    const [width, height] = [41, 30];
    const before = picture(width, height);
    const after = Uint8Array.from(before, (value, i) => 255 - value + (i % 3));
    const full = new Uint8Array(yuv420Bytes(width, height));
    rgbToYuv420(after, width, height, full);
    const partial = new Uint8Array(yuv420Bytes(width, height));
    rgbToYuv420(before, width, height, partial);
    const rect = chromaAligned({ x0: 7, y0: 5, x1: 41, y1: 19 }, width, height);
    expect(rect).toEqual({ x0: 6, y0: 4, x1: 41, y1: 20 });
    rgbToYuv420(after, width, height, partial, { x0: 7, y0: 5, x1: 41, y1: 19 });
    const want = new Uint8Array(yuv420Bytes(width, height));
    rgbToYuv420(before, width, height, want);
    const cw = Math.ceil(width / 2);
    const chroma = (plane: number, cx: number, cy: number) => width * height + plane * cw * Math.ceil(height / 2) + cy * cw + cx;
    for (let y = rect.y0; y < rect.y1; y++) for (let x = rect.x0; x < rect.x1; x++) want[y * width + x] = full[y * width + x];
    for (let cy = rect.y0 / 2; cy < Math.ceil(rect.y1 / 2); cy++) {
      for (let cx = rect.x0 / 2; cx < Math.ceil(rect.x1 / 2); cx++) for (const plane of [0, 1]) want[chroma(plane, cx, cy)] = full[chroma(plane, cx, cy)];
    }
    expect(Buffer.from(partial).equals(Buffer.from(want))).toBe(true);
  });

  it('refuses buffers of the wrong size', () => {
    expect(() => rgbToYuv420(new Uint8Array(10), 4, 4, new Uint8Array(24))).toThrow(/10 RGB bytes for 4x4/);
    expect(() => rgbToYuv420(new Uint8Array(48), 4, 4, new Uint8Array(23))).toThrow(/23 output bytes/);
  });
});
