// The studio's frame engine, in a worker thread: it decodes opened photos, finds their faces, and
// renders preview frames (generator plus paste-back plus JPEG encoding), so none of that blocks the
// process serving the window. Main keeps only each photo's metadata.
import sharp from 'sharp';
import { StudioError } from '../../shared/errors';
import { applyPaste, cropFace, decodeImage, detectFaces, estimateAus, planPaste, rgbToTensor, type PastePlan, type RgbImage } from '../face';
import { GeneratorEngine } from '../infer/generator-engine';
import { rpcClient, serveRpc } from '../workers/rpc';
import type { SessionFace } from './studio-session';

interface Held {
  readonly photo: RgbImage;
  readonly faces: readonly SessionFace[];
  /** Per face and model size: the crop tensor and where it pastes back. */
  readonly prepared: Map<string, { image: Float32Array; plan: PastePlan }>;
}

const held = new Map<string, Held>();

/** A JPEG data URL, scaled down to `maxSide` when given (previews need not carry every pixel). */
async function dataUrl(image: RgbImage, maxSide?: number): Promise<string> {
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  if (maxSide && Math.max(image.width, image.height) > maxSide) pipeline = pipeline.resize(maxSide, maxSide, { fit: 'inside' });
  return `data:image/jpeg;base64,${(await pipeline.jpeg({ quality: 90 }).toBuffer()).toString('base64')}`;
}

const methods = {
  /** Decodes a photo file; finds its faces unless they are given (a project's, ids kept). */
  async open(args: { photoId: string; file: string; name: string; faces?: readonly SessionFace[] }) {
    // Errors name the file as the user knows it, not the stored copy.
    const photo = await decodeImage(args.file, args.name);
    const faces = args.faces ?? (await detectFaces(photo)).map((f) => ({ id: f.id, box: f.box, landmarks: f.landmarks, sourceAus: Array.from(estimateAus(f)), tooSmall: f.tooSmall, cutByBorder: f.cutByBorder }));
    held.set(args.photoId, { photo, faces, prepared: new Map() });
    return { width: photo.width, height: photo.height, faces, imageUrl: await dataUrl(photo) };
  },

  async close(args: { photoId: string }) {
    held.delete(args.photoId);
    return null;
  },

  async render(args: { photoId: string; model: string; requests: readonly { faceId: number; aus: readonly number[] }[]; attention: boolean; previewSide?: number }) {
    const open = held.get(args.photoId);
    if (!open) throw new StudioError('photo-closed', 'that photo is no longer open; open it again');
    const t0 = performance.now();
    const engine = await GeneratorEngine.load(args.model);
    const frame = new Uint8Array(open.photo.data);
    // Attention overlay: pasting a white "color" over black with the real masks gives, per pixel,
    // how much of it the generator repaints.
    const overlay = args.attention ? new Uint8Array(frame.length) : null;
    const white = args.attention ? new Float32Array(3 * engine.imageSize * engine.imageSize).fill(1) : null;
    for (const r of args.requests) {
      const face = open.faces.find((f) => f.id === r.faceId);
      if (!face) throw new StudioError('no-such-face', `the photo has no face ${r.faceId}`);
      const key = `${r.faceId}:${engine.imageSize}`;
      let prepared = open.prepared.get(key);
      if (!prepared) {
        const { crop, transform } = cropFace(open.photo, face, { size: engine.imageSize });
        prepared = { image: rgbToTensor(crop), plan: planPaste(open.photo, transform) };
        open.prepared.set(key, prepared);
      }
      const [out] = await engine.generate(prepared.image, [Float32Array.from(r.aus)]);
      applyPaste(prepared.plan, frame, out.color, out.attention);
      if (overlay && white) applyPaste(prepared.plan, overlay, white, out.attention);
    }
    const size = { width: open.photo.width, height: open.photo.height };
    const imageUrl = await dataUrl({ ...size, data: frame }, args.previewSide);
    return { imageUrl, ...(overlay ? { attentionUrl: await dataUrl({ ...size, data: overlay }, args.previewSide) } : {}), ms: performance.now() - t0, provider: engine.provider.used };
  },
};

/** The main-process side: calls into the engine thread (started on first use). */
export const frameEngine = rpcClient<typeof methods>(import.meta.url, 'frame-worker');

serveRpc('frame-worker', methods);
