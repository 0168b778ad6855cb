// Where the bundled default model lives, and a clear error while none is bundled.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StudioError } from '../../shared/errors';

export const BUNDLED_MODEL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../resources/models/default.onnx');

export function defaultModelPath(): string {
  if (!fs.existsSync(BUNDLED_MODEL)) {
    throw new StudioError('no-model', `no bundled model at ${BUNDLED_MODEL} yet; pass --model <file.onnx> (train one with 'ganimation train', or import an original checkpoint with 'ganimation import-pth')`);
  }
  return BUNDLED_MODEL;
}
