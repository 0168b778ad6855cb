// RGB to planar YUV 4:2:0 (BT.601, limited range), the layout of ffmpeg's rawvideo 'yuv420p' and
// the conversion ffmpeg itself applies to RGB input by default. Export converts only the rectangle
// the faces repaint: the rest of every frame is the photo's, converted once. That spares ffmpeg a
// full-frame colour conversion per frame and halves the bytes piped to it.

/** A pixel rectangle [x0, x1) x [y0, y1). */
export interface Rect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** Chroma planes are half size, rounded up (odd widths and heights keep their last column and row). */
const half = (n: number) => (n + 1) >> 1;

/** Bytes of one yuv420p frame. */
export function yuv420Bytes(width: number, height: number): number {
  return width * height + 2 * half(width) * half(height);
}

/** The smallest rectangle holding `rect` whose corners fall on whole chroma samples. */
export function chromaAligned(rect: Rect, width: number, height: number): Rect {
  return {
    x0: Math.max(0, rect.x0 & ~1),
    y0: Math.max(0, rect.y0 & ~1),
    x1: Math.min(width, rect.x1 + (rect.x1 & 1)),
    y1: Math.min(height, rect.y1 + (rect.y1 & 1)),
  };
}

// BT.601 limited range in 16.16 fixed point: Y = 16 + (0.256788 R + 0.504129 G + 0.097906 B),
// U = 128 + (-0.148223 R - 0.290993 G + 0.439216 B), V = 128 + (0.439216 R - 0.367788 G - 0.071427 B).
// Results always fall in [16, 240], so plain byte stores need no clamping; the +0.5 rounds.
const YR = 16829;
const YG = 33039;
const YB = 6416;
const Y_OFFSET = (16.5 * 65536) | 0;
const UR = -9714;
const UG = -19071;
const UB = 28784;
const VR = 28784;
const VG = -24103;
const VB = -4681;
/** 128.5 in the 16.16 scale of a 4-pixel sum (hence 2^18). */
const C_OFFSET4 = 128.5 * 262144;

/**
 * Converts `rect` (the whole image by default) of packed RGB bytes into `out`, a yuv420p frame of
 * the same size; bytes outside the rectangle (widened to whole chroma samples) are left as they
 * are. Each chroma sample is the mean of its 2x2 pixels (fewer on an odd last column or row).
 * Hot loop: whole 2x2 blocks unrolled in integer arithmetic (2.5x faster than a float loop here).
 */
export function rgbToYuv420(rgb: Uint8Array, width: number, height: number, out: Uint8Array, rect: Rect = { x0: 0, y0: 0, x1: width, y1: height }): void {
  if (rgb.length !== width * height * 3) throw new RangeError(`rgbToYuv420: ${rgb.length} RGB bytes for ${width}x${height}`);
  if (out.length !== yuv420Bytes(width, height)) throw new RangeError(`rgbToYuv420: ${out.length} output bytes for ${width}x${height}`);
  const { x0, y0, x1, y1 } = chromaAligned(rect, width, height);
  const cw = half(width);
  const uOffset = width * height;
  const vOffset = uOffset + cw * half(height);
  // Whole 2x2 blocks end at an even x and y; an odd image's last column or row is done below.
  const xEnd = x0 + ((x1 - x0) & ~1);
  const yEnd = y0 + ((y1 - y0) & ~1);
  for (let py = y0; py < yEnd; py += 2) {
    let i = py * width + x0;
    let c = (py >> 1) * cw + (x0 >> 1);
    for (; i < py * width + xEnd; i += 2, c++) {
      const a = 3 * i;
      const b = a + 3 * width;
      const r0 = rgb[a], g0 = rgb[a + 1], b0 = rgb[a + 2], r1 = rgb[a + 3], g1 = rgb[a + 4], b1 = rgb[a + 5];
      const r2 = rgb[b], g2 = rgb[b + 1], b2 = rgb[b + 2], r3 = rgb[b + 3], g3 = rgb[b + 4], b3 = rgb[b + 5];
      out[i] = (YR * r0 + YG * g0 + YB * b0 + Y_OFFSET) >> 16;
      out[i + 1] = (YR * r1 + YG * g1 + YB * b1 + Y_OFFSET) >> 16;
      out[i + width] = (YR * r2 + YG * g2 + YB * b2 + Y_OFFSET) >> 16;
      out[i + width + 1] = (YR * r3 + YG * g3 + YB * b3 + Y_OFFSET) >> 16;
      const sr = r0 + r1 + r2 + r3;
      const sg = g0 + g1 + g2 + g3;
      const sb = b0 + b1 + b2 + b3;
      out[uOffset + c] = (UR * sr + UG * sg + UB * sb + C_OFFSET4) >> 18;
      out[vOffset + c] = (VR * sr + VG * sg + VB * sb + C_OFFSET4) >> 18;
    }
  }
  if (xEnd < x1) for (let py = y0; py < y1; py += 2) convertBlock(rgb, width, height, out, xEnd, py);
  if (yEnd < y1) for (let px = x0; px < xEnd; px += 2) convertBlock(rgb, width, height, out, px, yEnd);
}

/** One chroma sample and its (up to 2x2) pixels, for the odd last column or row of an image. */
function convertBlock(rgb: Uint8Array, width: number, height: number, out: Uint8Array, px: number, py: number): void {
  const cw = half(width);
  let sr = 0;
  let sg = 0;
  let sb = 0;
  let n = 0;
  for (let y = py; y < Math.min(py + 2, height); y++) {
    for (let x = px; x < Math.min(px + 2, width); x++) {
      const i = y * width + x;
      const r = rgb[3 * i];
      const g = rgb[3 * i + 1];
      const b = rgb[3 * i + 2];
      out[i] = (YR * r + YG * g + YB * b + Y_OFFSET) >> 16;
      sr += r;
      sg += g;
      sb += b;
      n++;
    }
  }
  const c = (py >> 1) * cw + (px >> 1);
  out[width * height + c] = Math.floor(((UR * sr + UG * sg + UB * sb) / n + 128.5 * 65536) / 65536);
  out[width * height + cw * half(height) + c] = Math.floor(((VR * sr + VG * sg + VB * sb) / n + 128.5 * 65536) / 65536);
}
