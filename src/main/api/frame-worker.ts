// The studio's frame engine, in a worker thread: it decodes opened photos, finds their faces, and
// renders preview frames (generator plus paste-back plus JPEG encoding), so none of that blocks the
// process serving the window. Main keeps only each photo's metadata.
import sharp from 'sharp';
import { StudioError } from '../../shared/errors';
import { decodeImage, detectFaces, estimateAus, PasteKernel, type RgbImage } from '../face';
import type { WarpKernel } from '../face/mesh-warp';
import { GeneratorEngine } from '../infer/generator-engine';
import { geometryOf } from '../render/motion-geometry';
import { Scene } from '../render/scene';
import { rpcClient, serveRpc } from '../workers/rpc';
import type { SessionFace } from './studio-session';

/**
 * The kernel of the studio's live preview. Bicubic costs more per frame even in WebAssembly (measured
 * by bench:preview, 1080 px face, 2026-12-02: 79 / 50 / 35 ms against 68 / 39 / 29 ms bilinear at
 * full / 1280 / 720 px), and a preview frame is shown scaled and replaced at once; export and every
 * saved or measured frame keep the warp's default (PHOTO_KERNEL, bicubic).
 */
const PREVIEW_KERNEL: WarpKernel = 'bilinear';

interface Held {
  readonly photo: RgbImage;
  readonly faces: readonly SessionFace[];
  /** Per model file: the scene of every face (crop size and geometry are the model's), and the attention overlay's kernel over it. */
  readonly scenes: Map<string, PreviewScene>;
  /** The render in progress: renders of one photo run one at a time, as they share its scene's frame. */
  queue: Promise<unknown>;
}

interface PreviewScene {
  readonly scene: Scene;
  /** Faces the model's geometry could not warp, and why (they show without motion). */
  readonly notices: string[];
  /** The attention overlay's kernel (over black) and its white "color", made when first asked for. */
  overlay: { kernel: PasteKernel; white: Float32Array } | null;
}

/**
 * The scene a preview renders, per model and preview size. A preview smaller than the photo is
 * made on the photo scaled to that size (faces scaled with it): the frame is shown at that size
 * anyway, and the warp, the paste-back and the JPEG then cost what that size costs.
 */
async function sceneFor(open: Held, engine: GeneratorEngine, previewSide: number | undefined): Promise<PreviewScene> {
  const scale = previewSide && Math.max(open.photo.width, open.photo.height) > previewSide ? previewSide / Math.max(open.photo.width, open.photo.height) : 1;
  const key = `${engine.modelPath}|${engine.imageSize}|${scale}`;
  let held = open.scenes.get(key);
  if (!held) {
    const notices: string[] = engine.motion.problem ? [engine.motion.problem] : [];
    const geometry = geometryOf(engine, (faceId, why) => notices.push(`face ${faceId}: ${why}`), PREVIEW_KERNEL);
    const photo = scale === 1 ? open.photo : await scaled(open.photo, scale);
    const faces = scale === 1 ? open.faces : open.faces.map((f) => ({ ...f, landmarks: f.landmarks.map(([x, y]) => [x * (photo.width / open.photo.width), y * (photo.height / open.photo.height)] as const) }));
    held = { scene: new Scene(photo, faces, engine.imageSize, geometry), notices, overlay: null };
    open.scenes.set(key, held);
  }
  return held;
}

/** The photo resized by `scale` (sharp's default filter, as the preview's JPEG was scaled before). */
async function scaled(photo: RgbImage, scale: number): Promise<RgbImage> {
  const width = Math.max(1, Math.round(photo.width * scale));
  const height = Math.max(1, Math.round(photo.height * scale));
  const data = await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } }).resize(width, height, { fit: 'fill' }).raw().toBuffer();
  return { width, height, data: new Uint8Array(data) };
}

async function renderFrame(open: Held, args: RenderArgs) {
  const t0 = performance.now();
  const engine = await GeneratorEngine.load(args.model);
  const preview = await sceneFor(open, engine, args.previewSide);
  const { scene } = preview;
  const renders = await scene.generateFaces(engine, args.requests.map((r) => ({ faceId: r.faceId, aus: Float32Array.from(r.aus) })));
  const size = { width: scene.photo.width, height: scene.photo.height };
  const imageUrl = await dataUrl({ ...size, data: scene.render(renders) }, args.previewSide);
  let attentionUrl: string | undefined;
  if (args.attention) {
    // Attention overlay: pasting a white "color" over black with the real masks gives, per pixel,
    // how much of it the generator repaints.
    preview.overlay ??= { kernel: new PasteKernel({ ...size, data: new Uint8Array(scene.photo.data.length) }, scene.faces.map((f) => f.paste)), white: new Float32Array(3 * engine.imageSize * engine.imageSize).fill(1) };
    const { kernel, white } = preview.overlay;
    kernel.composite(scene.faces.map((f) => {
      const render = renders.get(f.id);
      return render ? { color: white, attention: render.output.attention } : null;
    }));
    attentionUrl = await dataUrl({ ...size, data: kernel.frame }, args.previewSide);
  }
  const notices = [...new Set(preview.notices)];
  return { imageUrl, ...(attentionUrl ? { attentionUrl } : {}), ...(notices.length ? { notices } : {}), ms: performance.now() - t0, provider: engine.provider.used };
}

interface RenderArgs {
  readonly photoId: string;
  readonly model: string;
  readonly requests: readonly { faceId: number; aus: readonly number[] }[];
  readonly attention: boolean;
  readonly previewSide?: number;
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
    held.set(args.photoId, { photo, faces, scenes: new Map(), queue: Promise.resolve() });
    return { width: photo.width, height: photo.height, faces, imageUrl: await dataUrl(photo) };
  },

  async close(args: { photoId: string }) {
    held.delete(args.photoId);
    return null;
  },

  async render(args: RenderArgs) {
    const open = held.get(args.photoId);
    if (!open) throw new StudioError('photo-closed', 'that photo is no longer open; open it again');
    const run = open.queue.then(() => renderFrame(open, args));
    open.queue = run.catch(() => undefined);
    return run;
  },
};

/** The main-process side: calls into the engine thread (started on first use). */
export const frameEngine = rpcClient<typeof methods>(import.meta.url, 'frame-worker');

serveRpc('frame-worker', methods);
