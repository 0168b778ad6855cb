// The studio's working state in main: opened photos' metadata (the pixels, face detection and
// rendering live in the frame engine's worker thread), the models and the storage folders.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FaceSummary, ModelEntry, OpenedPhoto, RenderedFrame } from '../../shared/api';
import { StudioError } from '../../shared/errors';
import type { Face } from '../face';
import { cropTransform } from '../face/crop';
import { writeFileAtomic } from '../io/atomic-write';
import { exportGeneratorModel, readModelInfo } from '../model/model-file';
import { importPthStateDict, inferGeneratorArch } from '../model/pth/import-pth';
import { frameEngine } from './frame-worker';

/** A face as the session keeps it: enough to crop, paste back and describe it. */
export interface SessionFace {
  readonly id: number;
  readonly box: Face['box'];
  readonly landmarks: Face['landmarks'];
  readonly sourceAus: readonly number[];
  readonly tooSmall: boolean;
  readonly cutByBorder: boolean;
}

export interface OpenPhoto {
  readonly name: string;
  /** Where the photo is on disk (uploads are stored in the studio's photos folder) and its hash. */
  readonly path: string;
  readonly sha256: string;
  readonly width: number;
  readonly height: number;
  readonly faces: readonly SessionFace[];
}

const MAX_OPEN_PHOTOS = 4;
const photos = new Map<string, OpenPhoto>();
let modelPaths: string[] = [];
let activeModel: string | null = null;
let importDir: string | null = null;
let dataDir: string | null = null;

/** Where the studio keeps uploaded photos, projects, exports, training runs and audio tracks (photos/, projects/, exports/, runs/, audio/). */
export function configureStorage(dir: string): void {
  dataDir = path.resolve(dir);
}

export type StorageKind = 'photos' | 'projects' | 'exports' | 'runs' | 'audio';

export function storageDir(kind: StorageKind): string {
  if (!dataDir) throw new StudioError('no-storage', 'this studio has no data folder for photos, projects and exports');
  const dir = path.join(dataDir, kind);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function openPhotoOf(photoId: string): OpenPhoto {
  const open = photos.get(photoId);
  if (!open) throw new StudioError('photo-closed', 'that photo is no longer open; open it again');
  return open;
}

/** The model that renders previews and exports. */
export function activeModelPath(): string {
  if (!activeModel) throw new StudioError('no-model', 'no model is loaded: import a model (.onnx, or an original .pth checkpoint) first');
  return activeModel;
}

/** Which model files the studio offers, which one renders, and where imported models are kept. */
export function configureModels(paths: readonly string[], options: { active?: string; importDir?: string } = {}): void {
  modelPaths = paths.filter((p) => fs.existsSync(p)).map((p) => path.resolve(p));
  activeModel = options.active ? path.resolve(options.active) : (modelPaths[0] ?? null);
  if (activeModel && !modelPaths.includes(activeModel)) modelPaths.unshift(activeModel);
  importDir = options.importDir ?? null;
}

/** Adds an uploaded .onnx model or original .pth checkpoint (converted) to the import folder and makes it active. */
export function importModel(name: string, dataBase64: string): ModelEntry[] {
  if (!importDir) throw new StudioError('no-model-folder', 'this studio has no folder for imported models');
  fs.mkdirSync(importDir, { recursive: true });
  const base = path.basename(name).replace(/\.(onnx|pth)$/i, '').replace(/[^\w.-]+/g, '_') || 'model';
  const target = path.join(importDir, `${base}.onnx`);
  const bytes = Buffer.from(dataBase64, 'base64');
  try {
    convertUpload(name, base, bytes, target);
  } catch (err) {
    // Errors name the temporary upload; the user knows the file by the name they picked.
    const info = err as StudioError;
    throw new StudioError(info.code ?? 'bad-model', String(info.message).replace(/\S*\.upload-\d+\.(onnx|pth)/g, name));
  }
  if (!modelPaths.includes(target)) modelPaths.push(target);
  activeModel = target;
  return listModels();
}

function convertUpload(name: string, base: string, bytes: Buffer, target: string): void {
  const dir = path.dirname(target);
  if (/\.pth$/i.test(name)) {
    const temp = path.join(dir, `.${base}.upload-${process.pid}.pth`);
    try {
      fs.writeFileSync(temp, bytes);
      const { tensors } = importPthStateDict(temp);
      const cfg = inferGeneratorArch(tensors);
      writeFileAtomic(target, exportGeneratorModel(new Map([...tensors].map(([k, t]) => [k, t.data])), cfg, { provenance: { importedFrom: path.basename(name) } }));
    } finally {
      fs.rmSync(temp, { force: true });
    }
  } else {
    const temp = path.join(dir, `.${base}.upload-${process.pid}.onnx`);
    try {
      fs.writeFileSync(temp, bytes);
      readModelInfo(temp);
      fs.renameSync(temp, target);
    } finally {
      fs.rmSync(temp, { force: true });
    }
  }
}

/** The folder where imported and studio-trained models are kept. */
export function modelsFolder(): string {
  if (!importDir) throw new StudioError('no-model-folder', 'this studio has no folder for models');
  fs.mkdirSync(importDir, { recursive: true });
  return importDir;
}

/** Offers a model file (e.g. one just trained) in the list, without making it active; returns its id. */
export function addModel(file: string): string {
  const id = path.resolve(file);
  readModelInfo(id);
  if (!modelPaths.includes(id)) modelPaths.push(id);
  return id;
}

export function useModel(id: string): ModelEntry[] {
  if (!modelPaths.includes(id)) throw new StudioError('no-such-model', `no model ${id} in the list`);
  activeModel = id;
  return listModels();
}

/** Model metadata by file, kept while the file is unchanged: listing must not re-decode every model. */
const infoCache = new Map<string, { mtimeMs: number; size: number; info: ReturnType<typeof readModelInfo> }>();

function cachedModelInfo(file: string): ReturnType<typeof readModelInfo> {
  const { mtimeMs, size } = fs.statSync(file);
  const hit = infoCache.get(file);
  if (hit && hit.mtimeMs === mtimeMs && hit.size === size) return hit.info;
  const info = readModelInfo(file);
  infoCache.set(file, { mtimeMs, size, info });
  return info;
}

export function listModels(): ModelEntry[] {
  return modelPaths.map((file) => {
    const info = cachedModelInfo(file);
    const a = info.architecture;
    const provenance = info.provenance.trainedBy ?? (info.provenance.importedFrom ? `imported from ${info.provenance.importedFrom}` : 'unknown');
    const steps = typeof info.metrics.steps === 'number' ? info.metrics.steps : null;
    return {
      id: file,
      name: path.basename(file, '.onnx'),
      imageSize: info.imageSize,
      architecture: `conv_dim ${a.convDim}, ${a.repeatNum} blocks`,
      provenance,
      active: file === activeModel,
      trainingData: info.trainingData ?? null,
      steps,
      sizeBytes: fs.statSync(file).size,
      removable: isRemovable(file),
      modelCard: info.modelCard,
    };
  });
}

const isRemovable = (file: string): boolean => importDir !== null && path.dirname(file) === path.resolve(importDir);

/** Deletes an imported or trained model file; the bundled model is never removed. */
export function removeModel(id: string): ModelEntry[] {
  if (!modelPaths.includes(id)) throw new StudioError('no-such-model', `no model ${id} in the list`);
  if (!isRemovable(id)) throw new StudioError('not-removable', `${path.basename(id)} is bundled with the studio and cannot be removed`);
  fs.rmSync(id, { force: true });
  infoCache.delete(id);
  modelPaths = modelPaths.filter((p) => p !== id);
  if (activeModel === id) activeModel = modelPaths[0] ?? null;
  return listModels();
}

/**
 * Opens an uploaded photo: it is stored once in the photos folder under its content hash (so
 * projects can refer to it), then decoded and its faces found in the frame engine.
 */
export async function openPhoto(name: string, dataBase64: string): Promise<OpenedPhoto> {
  const ext = (path.extname(name).toLowerCase().match(/^\.(jpe?g|png|webp)$/)?.[0]) ?? '.img';
  return keepUpload('photos', Buffer.from(dataBase64, 'base64'), (sha256) => `${sha256.slice(0, 20)}${ext}`, (stored, sha256) => registerPhoto(name, stored, sha256));
}

/**
 * Stores an upload once in a storage folder, under a name made from its content hash, and hands it
 * to `use`; a file that `use` rejects (not a usable photo, no sound...) is not kept, unless it was
 * there before.
 */
export async function keepUpload<T>(kind: StorageKind, bytes: Buffer, nameFor: (sha256: string) => string, use: (stored: string, sha256: string) => Promise<T>): Promise<T> {
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  const stored = path.join(storageDir(kind), nameFor(sha256));
  const isNew = !fs.existsSync(stored);
  if (isNew) writeFileAtomic(stored, bytes);
  try {
    return await use(stored, sha256);
  } catch (err) {
    if (isNew) fs.rmSync(stored, { force: true });
    throw err;
  }
}

/** The bundled sample portrait: set by the host (its resources folder differs between the app and web mode). */
let samplePortrait: string | null = null;

export function configureSample(file: string | null): void {
  samplePortrait = file;
}

/** Opens the sample portrait like any photo the user opened (a copy is stored; projects can use it). */
export async function openSamplePhoto(): Promise<OpenedPhoto> {
  if (!samplePortrait || !fs.existsSync(samplePortrait)) throw new StudioError('no-sample', `the sample portrait is missing${samplePortrait ? ` (${samplePortrait})` : ''}`);
  return openPhoto(SAMPLE_NAME, fs.readFileSync(samplePortrait).toString('base64'));
}

/** The sample's name in the studio: who it is, and where it comes from. */
const SAMPLE_NAME = 'Sample - Eileen Collins (NASA, public domain).jpg';

/** Opens a photo from disk with faces already known (a project's), keeping their ids. */
export function openPhotoWithFaces(name: string, file: string, sha256: string, faces: readonly SessionFace[]): Promise<OpenedPhoto> {
  return registerPhoto(name, file, sha256, faces);
}

async function registerPhoto(name: string, file: string, sha256: string, knownFaces?: readonly SessionFace[]): Promise<OpenedPhoto> {
  const photoId = crypto.randomUUID();
  const { width, height, faces, imageUrl } = await frameEngine.call('open', { photoId, file, name, ...(knownFaces ? { faces: knownFaces } : {}) });
  photos.set(photoId, { name, path: file, sha256, width, height, faces });
  while (photos.size > MAX_OPEN_PHOTOS) {
    const oldest = photos.keys().next().value as string;
    photos.delete(oldest);
    void frameEngine.call('close', { photoId: oldest });
  }
  return { photoId, name, width, height, imageUrl, faces: faces.map(summarize) };
}

/** A face as the renderer sees it, with the square the generator crops (the same recipe as rendering, at any size). */
function summarize(f: SessionFace): FaceSummary {
  const t = cropTransform(f, { size: 128 });
  return { id: f.id, box: f.box, sourceAus: [...f.sourceAus], tooSmall: f.tooSmall, cutByBorder: f.cutByBorder, crop: { centerX: t.centerX, centerY: t.centerY, side: t.scale * t.size, angle: t.angle } };
}

export async function renderFrame(photoId: string, requests: readonly { faceId: number; aus: readonly number[] }[], options: { attention?: boolean; previewSide?: number } = {}): Promise<RenderedFrame> {
  openPhotoOf(photoId);
  return frameEngine.call('render', { photoId, model: activeModelPath(), requests, attention: options.attention ?? false, ...(options.previewSide ? { previewSide: options.previewSide } : {}) });
}
