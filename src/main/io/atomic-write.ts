// Atomic file writes: a temporary file in the same folder, fsync, rename; the temporary file is
// removed on failure, so a crash or a full disk never leaves a half-written file under the final name.
import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '../../shared/errors';

export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  const dir = path.dirname(file);
  if (!fs.existsSync(dir)) throw new StudioError('no-such-folder', `cannot write ${file}: folder ${dir} does not exist`);
  const temp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}`);
  try {
    writeSynced(temp, bytes);
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new StudioError('write-failed', `could not write ${file}: ${(err as Error).message}`);
  }
}

/** Writes every byte and fsyncs, so a later rename publishes complete data. */
export function writeSynced(file: string, bytes: Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    let offset = 0;
    while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
