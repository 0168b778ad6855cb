// Implementations of the shared operation table, Electron-free: the IPC shell and the web-mode
// server are two transports over this one table. Arguments are validated here, at the boundary.
import { OPERATIONS, type ArgsOf, type OperationName, type ResultOf } from '../../shared/api';
import { toErrorInfo, type Result } from '../../shared/errors';
import { resolveFfmpeg } from '../render/ffmpeg-path';
import packageJson from '../../../package.json';
import { cancelExport, chooseExportPath, exportStatus, revealExport, startExport } from './export-jobs';
import { uploadAudio } from './studio-audio';
import { chooseTrainingFolder, startTraining, stopTraining, trainSample, trainStatus } from './training-jobs';
import { autosaveStudioProject, listStudioProjects, openStudioProject, saveStudioProject } from './studio-projects';
import { importModel, listModels, openPhoto, openSamplePhoto, removeModel, renderFrame, useModel } from './studio-session';

type Handlers = { readonly [K in OperationName]: (args: ArgsOf<K>) => Promise<ResultOf<K>> };

export const handlers: Handlers = {
  'app.info': async () => ({
    name: packageJson.name,
    version: packageJson.version,
    platform: `${process.platform}-${process.arch}`,
    versions: { node: process.versions.node, ...(process.versions.electron ? { electron: process.versions.electron } : {}) },
    host: process.versions.electron ? 'electron' : 'web',
  }),
  'ffmpeg.info': async () => resolveFfmpeg(),
  'photo.open': ({ name, dataBase64 }) => openPhoto(name, dataBase64),
  'photo.openSample': () => openSamplePhoto(),
  'frame.render': ({ photoId, faces, attention, previewSide }) => renderFrame(photoId, faces, { attention: attention ?? false, previewSide }),
  'models.list': async () => listModels(),
  'models.import': async ({ name, dataBase64 }) => importModel(name, dataBase64),
  'models.use': async ({ id }) => useModel(id),
  'models.remove': async ({ id }) => removeModel(id),
  'project.save': async ({ photoId, name, timeline, output }) => saveStudioProject(photoId, name, timeline, output),
  'project.autosave': async ({ photoId, name, timeline, output }) => autosaveStudioProject(photoId, name, timeline, output),
  'project.list': async () => listStudioProjects(),
  'project.open': ({ name }) => openStudioProject(name),
  'audio.upload': ({ name, dataBase64 }) => uploadAudio(name, dataBase64),
  'export.choosePath': ({ fileName, format }) => chooseExportPath(fileName, format),
  'export.start': async (args) => startExport(args),
  'export.status': async ({ jobId }) => exportStatus(jobId),
  'export.cancel': async ({ jobId }) => cancelExport(jobId),
  'export.reveal': async ({ jobId }) => revealExport(jobId),
  'train.start': async (settings) => startTraining(settings),
  'train.chooseFolder': () => chooseTrainingFolder(),
  'train.status': async ({ runId }) => trainStatus(runId),
  'train.stop': async ({ runId }) => stopTraining(runId),
  'train.sample': async ({ runId }) => trainSample(runId),
};

/** Validates raw arguments against the operation's schema, runs it, and wraps the outcome. */
export async function dispatch(name: string, rawArgs: unknown): Promise<Result<unknown>> {
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
