// Image decoding and encoding with sharp: JPEG, PNG and WebP (and anything else sharp reads) to
// 8-bit RGB with EXIF orientation applied; grayscale, CMYK, 16-bit and alpha are converted.
import fs from 'node:fs';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { StudioError } from '../../shared/errors';
import { writeFileAtomic } from '../io/atomic-write';

/** Interleaved 8-bit RGB, row-major. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export const MAX_MEGAPIXELS = 50;

/** Decodes a file (or bytes, named by `name` in errors) to RGB; refuses photos over MAX_MEGAPIXELS. */
export async function decodeImage(source: string | Uint8Array, name = typeof source === 'string' ? source : 'image'): Promise<RgbImage> {
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try {
      bytes = fs.readFileSync(source);
    } catch (err) {
      throw new StudioError('image-unreadable', `cannot read ${name}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  } else bytes = source;
  if (bytes.length === 0) throw new StudioError('image-empty', `${name} is empty (0 bytes)`);
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new StudioError('image-corrupt', `${name} is not an image sharp can read (corrupt, truncated or another file type)`);
  }
  const megapixels = ((meta.width ?? 0) * (meta.height ?? 0)) / 1e6;
  if (megapixels > MAX_MEGAPIXELS) {
    throw new StudioError('image-too-large', `${name} is ${meta.width}x${meta.height} (${megapixels.toFixed(0)} MP); the limit is ${MAX_MEGAPIXELS} MP`);
  }
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: false, failOn: 'truncated' })
      .rotate()
      .toColourspace('srgb')
      .flatten({ background: '#ffffff' })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (err) {
    throw new StudioError('image-corrupt', `${name} could not be decoded: ${(err as Error).message}`);
  }
}

/** Writes RGB as JPEG (quality 95) or PNG by extension, atomically. */
export async function encodeImage(image: RgbImage, file: string): Promise<void> {
  const ext = path.extname(file).toLowerCase();
  const pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  let bytes: Buffer;
  if (ext === '.jpg' || ext === '.jpeg') bytes = await pipeline.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer();
  else if (ext === '.png') bytes = await pipeline.png().toBuffer();
  else if (ext === '.webp') bytes = await pipeline.webp({ quality: 95 }).toBuffer();
  else throw new StudioError('bad-output', `cannot write ${file}: use .jpg, .png or .webp`);
  writeFileAtomic(file, bytes);
}
