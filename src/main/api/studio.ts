// One studio: everything the operation table acts on (storage, models, open photos, projects,
// audio, exports, training runs, the event bus), built from a config and owned by one object, so the
// Electron shell, web mode and tests each build their own, and two can live in one process.
import type { ArgsOf, OperationName, ResultOf, StudioEvent } from '../../shared/api';
import { StudioError, type Result } from '../../shared/errors';
import { EventBus } from './events';
import { ExportJobs } from './export-jobs';
import { createHandlers, dispatchTo } from './handlers';
import { AudioTracks } from './studio-audio';
import { ModelLibrary } from './studio-models';
import { StudioProjects } from './studio-projects';
import { PhotoSession } from './studio-session';
import { StudioStorage } from './studio-storage';
import { TrainingJobs } from './training-jobs';

/** What only the host can do; web mode has none of these, and the operations say so. */
export interface StudioHost {
  /** Shows a file in the system's file manager. */
  readonly revealFile?: (file: string) => void;
  /** A save dialog opening at `suggested`; null when cancelled. */
  readonly chooseSavePath?: (suggested: string) => Promise<string | null>;
  /** A folder picker; null when cancelled. */
  readonly chooseFolder?: () => Promise<string | null>;
}

export interface StudioConfig {
  /** Uploaded photos, projects, exports, training runs and audio tracks (photos/, projects/, exports/, runs/, audio/). */
  readonly dataDir: string;
  /** Imported and studio-trained models; every .onnx in it is offered. */
  readonly modelsDir: string;
  /** Models offered before the models folder's (the bundled one, a command-line one); missing files are left out; the first renders. */
  readonly models?: readonly string[];
  /** The sample portrait the first screen offers; absent or null: none. */
  readonly samplePhoto?: string | null;
  /** Folders training photos may be read from; absent or null: any (the desktop app, where the user picks them). */
  readonly dataRoots?: readonly string[] | null;
  readonly host?: StudioHost;
}

export interface Studio {
  /** Runs one operation of the table with raw (unvalidated) arguments. */
  dispatch(name: string, args: unknown): Promise<Result<unknown>>;
  /** Job events ('export.progress', 'train.progress') of this studio only; returns the unsubscriber. */
  subscribe(listener: (event: StudioEvent) => void): () => void;
  /** A finished export in the exports folder, by file name (web-mode downloads); null when there is none. */
  exportFile(fileName: string): string | null;
  /** Cancels exports and stops training runs (waiting for each to clean up), closes the photos; later calls fail with 'studio-closed'. */
  dispose(): Promise<void>;
}

export function createStudio(config: StudioConfig): Studio {
  const host = config.host ?? {};
  const bus = new EventBus();
  const storage = new StudioStorage(config.dataDir);
  const models = new ModelLibrary(config.models ?? [], config.modelsDir);
  const photos = new PhotoSession(storage, models, config.samplePhoto ?? null);
  const audio = new AudioTracks(storage);
  const projects = new StudioProjects(storage, photos);
  const exports = new ExportJobs({ storage, photos, models, audio, bus, chooseSavePath: host.chooseSavePath, revealFile: host.revealFile });
  const training = new TrainingJobs({ storage, models, bus, dataRoots: config.dataRoots ?? null, chooseFolder: host.chooseFolder });
  const handlers = createHandlers({ photos, models, projects, audio, exports, training });
  let closing: Promise<void> | null = null;
  const closed = (): Result<unknown> => ({ ok: false, error: { code: 'studio-closed', message: 'this studio has been closed' } });
  return {
    dispatch: async (name, args) => (closing ? closed() : dispatchTo(handlers, name, args)),
    subscribe: (listener) => {
      if (closing) throw new StudioError('studio-closed', 'this studio has been closed');
      return bus.subscribe(listener);
    },
    exportFile: (fileName) => (closing ? null : exports.file(fileName)),
    dispose: () => {
      closing ??= Promise.all([exports.dispose(), training.dispose()])
        .then(() => photos.closeAll())
        .finally(() => bus.clear());
      return closing;
    },
  };
}

/** Runs one operation with typed arguments and returns its value, throwing its error (for scripts and tests; transports use dispatch). */
export async function invoke<K extends OperationName>(studio: Pick<Studio, 'dispatch'>, name: K, args: ArgsOf<K>): Promise<ResultOf<K>> {
  const r = await studio.dispatch(name, args);
  if (!r.ok) throw new StudioError(r.error.code, r.error.message, r.error.details);
  return r.value as ResultOf<K>;
}
