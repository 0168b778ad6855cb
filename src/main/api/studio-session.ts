// One studio's opened photos: their metadata in main (the pixels, face detection and rendering live
// in the frame engine's worker thread, which every studio in the process shares by photo id).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FaceSummary, OpenedPhoto, RenderedFrame } from '../../shared/api';
import { StudioError } from '../../shared/errors';
import type { Face } from '../face';
import { cropTransform } from '../face/crop';
import { frameEngine } from './frame-worker';
import type { ModelLibrary } from './studio-models';
import type { StudioStorage } from './studio-storage';

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

export type FrameEngine = typeof frameEngine;

/** The photos a studio keeps open; opening another closes the oldest. */
const MAX_OPEN_PHOTOS = 4;

/** The sample's name in the studio: who it is, and where it comes from. */
const SAMPLE_NAME = 'Sample - Eileen Collins (NASA, public domain).jpg';

export class PhotoSession {
  private readonly photos = new Map<string, OpenPhoto>();

  /**
   * @param samplePhoto the bundled sample portrait (its resources folder differs between the app and
   *   web mode); null when this studio has none.
   */
  constructor(
    private readonly storage: StudioStorage,
    private readonly models: ModelLibrary,
    private readonly samplePhoto: string | null,
    private readonly engine: FrameEngine = frameEngine,
  ) {}

  openPhotoOf(photoId: string): OpenPhoto {
    const open = this.photos.get(photoId);
    if (!open) throw new StudioError('photo-closed', 'that photo is no longer open; open it again');
    return open;
  }

  /**
   * Opens an uploaded photo: it is stored once in the photos folder under its content hash (so
   * projects can refer to it), then decoded and its faces found in the frame engine.
   */
  openPhoto(name: string, dataBase64: string): Promise<OpenedPhoto> {
    const ext = (path.extname(name).toLowerCase().match(/^\.(jpe?g|png|webp)$/)?.[0]) ?? '.img';
    return this.storage.keepUpload('photos', Buffer.from(dataBase64, 'base64'), (sha256) => `${sha256.slice(0, 20)}${ext}`, (stored, sha256) => this.register(name, stored, sha256));
  }

  /** Opens the sample portrait like any photo the user opened (a copy is stored; projects can use it). */
  async openSamplePhoto(): Promise<OpenedPhoto> {
    const sample = this.samplePhoto;
    if (!sample || !fs.existsSync(sample)) throw new StudioError('no-sample', `the sample portrait is missing${sample ? ` (${sample})` : ''}`);
    return this.openPhoto(SAMPLE_NAME, fs.readFileSync(sample).toString('base64'));
  }

  /** Opens a photo from disk with faces already known (a project's), keeping their ids. */
  openPhotoWithFaces(name: string, file: string, sha256: string, faces: readonly SessionFace[]): Promise<OpenedPhoto> {
    return this.register(name, file, sha256, faces);
  }

  async renderFrame(photoId: string, requests: readonly { faceId: number; aus: readonly number[] }[], options: { attention?: boolean; previewSide?: number } = {}): Promise<RenderedFrame> {
    this.openPhotoOf(photoId);
    return this.engine.call('render', { photoId, model: this.models.activePath(), requests, attention: options.attention ?? false, ...(options.previewSide ? { previewSide: options.previewSide } : {}) });
  }

  /** Releases every open photo in the frame engine. */
  async closeAll(): Promise<void> {
    const ids = [...this.photos.keys()];
    this.photos.clear();
    await Promise.all(ids.map((photoId) => this.engine.call('close', { photoId })));
  }

  private async register(name: string, file: string, sha256: string, knownFaces?: readonly SessionFace[]): Promise<OpenedPhoto> {
    const photoId = crypto.randomUUID();
    const { width, height, faces, imageUrl } = await this.engine.call('open', { photoId, file, name, ...(knownFaces ? { faces: knownFaces } : {}) });
    this.photos.set(photoId, { name, path: file, sha256, width, height, faces });
    while (this.photos.size > MAX_OPEN_PHOTOS) {
      const oldest = this.photos.keys().next().value as string;
      this.photos.delete(oldest);
      void this.engine.call('close', { photoId: oldest });
    }
    return { photoId, name, width, height, imageUrl, faces: faces.map(summarize) };
  }
}

/** A face as the renderer sees it, with the square the generator crops (the same recipe as rendering, at any size). */
function summarize(f: SessionFace): FaceSummary {
  const t = cropTransform(f, { size: 128 });
  return { id: f.id, box: f.box, sourceAus: [...f.sourceAus], tooSmall: f.tooSmall, cutByBorder: f.cutByBorder, crop: { centerX: t.centerX, centerY: t.centerY, side: t.scale * t.size, angle: t.angle } };
}
