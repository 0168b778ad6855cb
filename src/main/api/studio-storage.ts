// One studio's data folder: uploaded photos, projects, exports, training runs and audio tracks, each
// in a subfolder made on first use; uploads are stored once under a name made from their content.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic-write';

export type StorageKind = 'photos' | 'projects' | 'exports' | 'runs' | 'audio';

export class StudioStorage {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = path.resolve(dataDir);
  }

  /** The subfolder for one kind of file, made if missing. */
  dir(kind: StorageKind): string {
    const dir = path.join(this.root, kind);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  /**
   * Stores an upload once in a storage folder, under a name made from its content hash, and hands it
   * to `use`; a file that `use` rejects (not a usable photo, no sound...) is not kept, unless it was
   * there before.
   */
  async keepUpload<T>(kind: StorageKind, bytes: Buffer, nameFor: (sha256: string) => string, use: (stored: string, sha256: string) => Promise<T>): Promise<T> {
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    const stored = path.join(this.dir(kind), nameFor(sha256));
    const isNew = !fs.existsSync(stored);
    if (isNew) writeFileAtomic(stored, bytes);
    try {
      return await use(stored, sha256);
    } catch (err) {
      if (isNew) fs.rmSync(stored, { force: true });
      throw err;
    }
  }
}
