// Exports a project as video: frames sampled at the output fps, each face's AU vector per frame,
// identical vectors generated once, generator calls batched, frames composited by the scene (as the
// preview's are) at full photo resolution, and piped to ffmpeg.
import { StudioError } from '../../shared/errors';
import type { ExportFormat, OutputSize, Project } from '../../shared/project/schema';
import { evaluate, frameTimes } from '../../shared/timeline/evaluate';
import { timelineOf } from '../../shared/project/schema';
import { decodeImage } from '../face';
import type { FrameGenerator } from '../infer/generator-thread';
import { createEncoder, type Encoder } from './encoder';
import { inputPixelFormat, type EncodeSettings } from './ffmpeg-args';
import { geometryOf } from './motion-geometry';
import { ausKey, Scene, type FaceRender } from './scene';
import { rgbToYuv420, yuv420Bytes } from './yuv420';

export interface ExportOptions {
  readonly format: ExportFormat;
  readonly outputPath: string;
  readonly size: OutputSize;
  readonly fps: number;
  readonly quality: number;
  /** Seconds [start, end); the whole project when null. */
  readonly range: readonly [number, number] | null;
  readonly audioPath: string | null;
  /** Frames per generator call. */
  readonly batchSize: number;
}

export interface ExportProgress {
  readonly stage: 'preparing' | 'rendering' | 'finalizing' | 'done';
  readonly framesGenerated: number;
  readonly framesEncoded: number;
  readonly totalFrames: number;
  readonly framesPerSecond: number;
  readonly etaSeconds: number;
}

export interface ExportReport {
  readonly outputPath: string;
  readonly frames: number;
  /** Distinct (face, AU vector) pairs sent to the generator. */
  readonly generated: number;
  readonly totalMs: number;
  readonly generationMs: number;
  readonly compositingMs: number;
  /** Time the render loop waited on ffmpeg (backpressure and finishing). */
  readonly encodingMs: number;
}

/** Faces with no keyframes render as themselves: they are left untouched rather than regenerated. */
function animatedFaces(project: Project): Project['faces'] {
  return project.faces.filter((f) => Object.values(f.tracks).some((t) => (t?.length ?? 0) > 0));
}

/** Output frame buffers handed to ffmpeg before the first is reused (3 MB each at 1080p yuv420p). */
const FRAMES_IN_FLIGHT = 8;
/** Chunks of generator calls started ahead of the frame being composited. */
const CHUNKS_AHEAD = 3;

type Chunk = Awaited<ReturnType<typeof generateChunk>>;

/**
 * Chunks generated one after another (never two generator runs at once), started ahead of use.
 * Stopping lets the run in progress finish (a session must not be released under it) and starts no more.
 */
class ChunkQueue {
  private readonly started = new Map<number, Promise<Chunk>>();
  private tail: Promise<unknown> = Promise.resolve();
  private stopped = false;
  constructor(private readonly generate: (start: number) => Promise<Chunk>) {}

  ensure(start: number): void {
    if (this.started.has(start)) return;
    const run = this.tail.then(() => {
      if (this.stopped) throw new StudioError('cancelled', 'the export was cancelled');
      return this.generate(start);
    });
    run.catch(() => undefined); // awaited by take(); a chunk never taken must not be an unhandled rejection
    this.tail = run.catch(() => undefined);
    this.started.set(start, run);
  }

  take(start: number): Promise<Chunk> {
    this.ensure(start);
    const run = this.started.get(start) as Promise<Chunk>;
    this.started.delete(start);
    return run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.tail;
  }
}

/** Generated frames kept per face for reuse by later frames with the same AUs. */
const MAX_CACHED_FRAMES = 1500;


/** Where the time of an export went, in ms (ExportReport's split). */
interface Timing {
  generationMs: number;
  compositingMs: number;
  encodingMs: number;
}

type ProgressReport = (stage: ExportProgress['stage'], done: number) => void;

/** The project's photo, checked against the size the project was made on, as a scene of its animated faces. */
async function sceneOf(project: Project, photoPath: string, engine: FrameGenerator, onNotice?: (message: string) => void): Promise<Scene> {
  const photo = await decodeImage(photoPath);
  if (photo.width !== project.photo.width || photo.height !== project.photo.height) {
    throw new StudioError('photo-changed', `${photoPath} is ${photo.width}x${photo.height}; the project expects ${project.photo.width}x${project.photo.height}`);
  }
  const scene = new Scene(photo, animatedFaces(project), engine.imageSize, geometryOf(engine, (faceId, why) => onNotice?.(`face ${faceId}: ${why}`)));
  if (engine.motion.problem) onNotice?.(engine.motion.problem);
  return scene;
}

/** Progress as one object: frames done of all, the rate since `started` and the time left at that rate. */
function progressReporter(started: number, totalFrames: number, onProgress?: (p: ExportProgress) => void): ProgressReport {
  return (stage, done) => {
    const seconds = (performance.now() - started) / 1000;
    const rate = done / Math.max(seconds, 1e-9);
    onProgress?.({ stage, framesGenerated: done, framesEncoded: done, totalFrames, framesPerSecond: rate, etaSeconds: (totalFrames - done) / Math.max(rate, 1e-9) });
  };
}

interface RenderLoop {
  readonly frameCount: number;
  readonly chunkSize: number;
  readonly generation: ChunkQueue;
  readonly frames: FrameWriter;
  readonly encoder: Encoder;
  readonly signal?: AbortSignal;
  readonly timing: Timing;
  readonly report: ProgressReport;
}

/** Composites every frame in order and hands it to ffmpeg; returns how many (face, AU vector) pairs were generated. */
async function renderFrames(loop: RenderLoop): Promise<number> {
  const { frameCount, chunkSize, generation, frames, encoder, timing } = loop;
  let generated = 0;
  let frameIndex = 0;
  for (let chunk = 0; chunk < frameCount; chunk += chunkSize) {
    // Generation runs a few chunks ahead on onnxruntime's threads, so that it never waits for
    // compositing or for ffmpeg, and they never wait for it.
    for (let ahead = chunk; ahead < Math.min(frameCount, chunk + CHUNKS_AHEAD * chunkSize); ahead += chunkSize) generation.ensure(ahead);
    let t0 = performance.now();
    const current = await generation.take(chunk);
    timing.generationMs += performance.now() - t0;
    generated += current.generated;
    for (const outputs of current.perFrame) {
      if (loop.signal?.aborted) throw new StudioError('cancelled', 'the export was cancelled');
      const slot = frames.slot(frameIndex);
      t0 = performance.now();
      await slot.written;
      timing.encodingMs += performance.now() - t0;
      t0 = performance.now();
      frames.compose(slot, outputs);
      timing.compositingMs += performance.now() - t0;
      slot.written = encoder.write(slot.data);
      // Awaited later; marked handled now so a cancel that rejects several pending writes is not an
      // unhandled rejection (which would end a worker thread before the partial file is removed).
      slot.written.catch(() => undefined);
      frameIndex++;
      loop.report('rendering', frameIndex);
    }
  }
  return generated;
}

export async function exportVideo(
  project: Project,
  photoPath: string,
  engine: FrameGenerator,
  options: ExportOptions & { ffmpegPath: string; signal?: AbortSignal; onProgress?: (p: ExportProgress) => void; onNotice?: (message: string) => void },
): Promise<ExportReport> {
  const started = performance.now();
  const scene = await sceneOf(project, photoPath, engine, options.onNotice);
  const { photo } = scene;
  const caches = new Map(scene.faces.map((f) => [f.id, new Map<string, FaceRender>()]));
  const timeline = timelineOf(project);
  const [start, end] = options.range ?? [0, project.duration];
  const times = frameTimes(project.duration, options.fps, start, Math.min(end, project.duration));
  if (times.length === 0) throw new StudioError('empty-range', `the range ${start}-${end} s holds no frame at ${options.fps} fps`);
  const settings: EncodeSettings = { format: options.format, width: photo.width, height: photo.height, fps: options.fps, outputSize: options.size, quality: options.quality, audioPath: options.audioPath ?? undefined, outputPath: options.outputPath };
  const encoder = createEncoder(settings, { ffmpegPath: options.ffmpegPath, signal: options.signal });
  const timing: Timing = { generationMs: 0, compositingMs: 0, encodingMs: 0 };
  const report = progressReporter(started, times.length, options.onProgress);
  const chunkSize = options.batchSize * 4;
  const generation = new ChunkQueue((start) => generateChunk(scene, caches, timeline, times.slice(start, start + chunkSize), engine, options.batchSize));
  try {
    report('preparing', 0);
    const frames = new FrameWriter(scene, inputPixelFormat(options.format));
    const generated = await renderFrames({ frameCount: times.length, chunkSize, generation, frames, encoder, signal: options.signal, timing, report });
    const t1 = performance.now();
    await frames.allWritten();
    timing.encodingMs += performance.now() - t1;
    report('finalizing', times.length);
    const t0 = performance.now();
    const { outputPath } = await encoder.finish();
    timing.encodingMs += performance.now() - t0;
    report('done', times.length);
    return { outputPath, frames: times.length, generated, totalMs: performance.now() - started, ...timing };
  } catch (err) {
    await Promise.all([encoder.abort(), generation.stop()]);
    throw err;
  }
}

interface FrameSlot {
  readonly data: Uint8Array;
  written: Promise<void>;
}

/**
 * Output frames in the layout ffmpeg reads. The scene composites each frame in RGB, and only the
 * rectangle its faces can change is copied or converted into the output buffer: the rest of each
 * buffer keeps the photo's pixels, written once. Buffers are recycled (fresh 8-bit frames of a large
 * photo cost more than compositing); a buffer is reused only after ffmpeg's stdin has taken it, and
 * several frames in flight keep ffmpeg fed while this thread composites.
 */
class FrameWriter {
  private readonly slots: FrameSlot[];

  constructor(
    private readonly scene: Scene,
    private readonly layout: 'yuv420p' | 'rgb24',
  ) {
    const { photo } = scene;
    let background = photo.data;
    if (layout === 'yuv420p') {
      background = new Uint8Array(yuv420Bytes(photo.width, photo.height));
      rgbToYuv420(photo.data, photo.width, photo.height, background);
    }
    this.slots = Array.from({ length: FRAMES_IN_FLIGHT }, () => ({ data: new Uint8Array(background), written: Promise.resolve() }));
  }

  slot(frameIndex: number): FrameSlot {
    return this.slots[frameIndex % this.slots.length];
  }

  /** Writes one frame's faces into a slot whose earlier frame ffmpeg has taken. */
  compose(slot: FrameSlot, renders: ReadonlyMap<number, FaceRender>): void {
    const rect = this.scene.footprint;
    if (!rect) return;
    const frame = this.scene.render(renders);
    const { width, height } = this.scene.photo;
    if (this.layout === 'yuv420p') {
      rgbToYuv420(frame, width, height, slot.data, rect);
      return;
    }
    const { x0, y0, x1, y1 } = rect;
    for (let y = y0; y < y1; y++) slot.data.set(frame.subarray(3 * (y * width + x0), 3 * (y * width + x1)), 3 * (y * width + x0));
  }

  allWritten(): Promise<unknown> {
    return Promise.all(this.slots.map((s) => s.written));
  }
}

/** Every face's render for each frame of a chunk; AU vectors seen before come from the face's cache. */
async function generateChunk(scene: Scene, caches: Map<number, Map<string, FaceRender>>, timeline: ReturnType<typeof timelineOf>, times: number[], engine: FrameGenerator, batchSize: number) {
  const ausPerFrame = times.map((t) => evaluate(timeline, t));
  let generated = 0;
  for (const face of scene.faces) {
    const cache = caches.get(face.id) as Map<string, FaceRender>;
    const missing = new Map<string, Float32Array>();
    for (const aus of ausPerFrame) {
      const v = aus.get(face.id) as Float32Array;
      const key = ausKey(v);
      if (!cache.has(key)) missing.set(key, v);
    }
    // Bounded memory on long exports: forget results of earlier chunks when the cache is large.
    if (cache.size + missing.size > MAX_CACHED_FRAMES) cache.clear();
    const results = await scene.generate(engine, face.id, [...missing.values()], batchSize);
    [...missing.keys()].forEach((key, i) => cache.set(key, results[i]));
    generated += missing.size;
  }
  const perFrame = ausPerFrame.map((aus) => new Map(scene.faces.map((f) => [f.id, caches.get(f.id)?.get(ausKey(aus.get(f.id) as Float32Array)) as FaceRender])));
  return { perFrame, generated };
}
