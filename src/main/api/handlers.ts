// The shared operation table implemented over one studio's parts, Electron-free: the IPC shell and
// the web-mode server are two transports over it. Arguments are validated here, at the boundary.
import { OPERATIONS, type ArgsOf, type OperationName, type ResultOf } from '../../shared/api';
import { toErrorInfo, type Result } from '../../shared/errors';
import { resolveFfmpeg } from '../render/ffmpeg-path';
import packageJson from '../../../package.json';
import type { ExportJobs } from './export-jobs';
import type { AudioTracks } from './studio-audio';
import type { ModelLibrary } from './studio-models';
import type { StudioProjects } from './studio-projects';
import type { PhotoSession } from './studio-session';
import type { TrainingJobs } from './training-jobs';

export type Handlers = { readonly [K in OperationName]: (args: ArgsOf<K>) => Promise<ResultOf<K>> };

/** What the operations act on: one studio's state, each part the owner of one kind. */
export interface StudioParts {
  readonly photos: PhotoSession;
  readonly models: ModelLibrary;
  readonly projects: StudioProjects;
  readonly audio: AudioTracks;
  readonly exports: ExportJobs;
  readonly training: TrainingJobs;
}

export function createHandlers({ photos, models, projects, audio, exports, training }: StudioParts): Handlers {
  return {
    'app.info': async () => ({
      name: packageJson.name,
      version: packageJson.version,
      platform: `${process.platform}-${process.arch}`,
      versions: { node: process.versions.node, ...(process.versions.electron ? { electron: process.versions.electron } : {}) },
      host: process.versions.electron ? 'electron' : 'web',
    }),
    'ffmpeg.info': async () => resolveFfmpeg(),
    'photo.open': ({ name, dataBase64 }) => photos.openPhoto(name, dataBase64),
    'photo.openSample': () => photos.openSamplePhoto(),
    'frame.render': ({ photoId, faces, attention, previewSide }) => photos.renderFrame(photoId, faces, { attention: attention ?? false, previewSide }),
    'models.list': async () => models.list(),
    'models.import': async ({ name, dataBase64 }) => models.importModel(name, dataBase64),
    'models.use': async ({ id }) => models.useModel(id),
    'models.remove': async ({ id }) => models.removeModel(id),
    'project.save': async ({ photoId, name, timeline, output }) => projects.save(photoId, name, timeline, output),
    'project.autosave': async ({ photoId, name, timeline, output }) => projects.autosave(photoId, name, timeline, output),
    'project.list': async () => projects.list(),
    'project.open': ({ name }) => projects.open(name),
    'audio.upload': ({ name, dataBase64 }) => audio.upload(name, dataBase64),
    'export.choosePath': ({ fileName, format }) => exports.choosePath(fileName, format),
    'export.start': async (args) => exports.start(args),
    'export.status': async ({ jobId }) => exports.status(jobId),
    'export.cancel': async ({ jobId }) => exports.cancel(jobId),
    'export.reveal': async ({ jobId }) => exports.reveal(jobId),
    'train.start': async (settings) => training.start(settings),
    'train.chooseFolder': () => training.chooseFolder(),
    'train.status': async ({ runId }) => training.status(runId),
    'train.stop': async ({ runId }) => training.stop(runId),
    'train.sample': async ({ runId }) => training.sample(runId),
  };
}

/** Validates raw arguments against the operation's schema, runs its handler, and wraps the outcome. */
export async function dispatchTo(handlers: Handlers, name: string, rawArgs: unknown): Promise<Result<unknown>> {
  if (!(name in OPERATIONS)) return { ok: false, error: { code: 'unknown-operation', message: `unknown operation "${name}"` } };
  const key = name as OperationName;
  const parsed = OPERATIONS[key].args.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: { code: 'bad-arguments', message: `${name}: ${issue.path.join('.') || 'arguments'}: ${issue.message}` } };
  }
  try {
    const handler = handlers[key] as (args: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(parsed.data) };
  } catch (err) {
    return { ok: false, error: toErrorInfo(err) };
  }
}
