// Reading and writing face crops for the CLI: any image sharp reads, resized to the model size, as
// [3, S, S] floats in [-1, 1]; and back to PNG.
import path from 'node:path';
import sharp from 'sharp';
import { StudioError } from '../../shared/errors';
import { writeFileAtomic } from '../io/atomic-write';

export async function readCrop(file: string, size: number): Promise<Float32Array> {
  let data: Buffer;
  try {
    data = await sharp(file).rotate().removeAlpha().toColourspace('srgb').resize(size, size, { fit: 'cover' }).raw().toBuffer();
  } catch (err) {
    throw new StudioError('bad-image', `cannot read image ${file}: ${(err as Error).message}`);
  }
  const out = new Float32Array(3 * size * size);
  for (let i = 0; i < size * size; i++) for (let c = 0; c < 3; c++) out[c * size * size + i] = data[i * 3 + c] / 127.5 - 1;
  return out;
}

/** Writes [C, S, S] values as an image; `range` says how values map to 0-255. */
export async function writeTensorImage(file: string, tensor: Float32Array, size: number, range: 'signed' | 'unit'): Promise<void> {
  const channels = tensor.length / (size * size);
  const bytes = Buffer.alloc(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    for (let c = 0; c < 3; c++) {
      const v = tensor[(channels === 1 ? 0 : c) * size * size + i];
      bytes[i * 3 + c] = Math.round(range === 'signed' ? (Math.min(1, Math.max(-1, v)) + 1) * 127.5 : Math.min(1, Math.max(0, v)) * 255);
    }
  }
  const ext = path.extname(file).toLowerCase();
  const image = sharp(bytes, { raw: { width: size, height: size, channels: 3 } });
  const encoded = ext === '.jpg' || ext === '.jpeg' ? await image.jpeg({ quality: 95 }).toBuffer() : await image.png().toBuffer();
  writeFileAtomic(file, encoded);
}
