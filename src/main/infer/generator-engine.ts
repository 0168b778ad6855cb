// Runs a GANimation generator model: session cache keyed by model content and provider, warm-up,
// and batched generation for one crop under many AU vectors (animation) or many crops.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import { modelInfoOf, readModelBytes, type ModelInfo } from '../model/model-file';
import { motionOfModel, type ModelMotion } from './model-motion';
import { createSession, runSession, type Session } from './ort-session';
import { candidatesFor, unavailableReason, type Device, type ProviderReport } from './providers';

/** One generated frame. color and composite [3, S, S] in [-1, 1]; attention [1, S, S] in [0, 1]. */
export interface GeneratedFrame {
  readonly color: Float32Array;
  readonly attention: Float32Array;
  readonly composite: Float32Array;
}

interface CacheEntry {
  readonly session: Session;
  readonly report: ProviderReport;
}

/** Sessions by model content, device and spin setting: two files with the same model share one. */
const sessions = new Map<string, Promise<CacheEntry>>();
/** Warm engines by file path, device and spin setting, with the file's signature when loaded. */
const engines = new Map<string, { signature: string; engine: Promise<GeneratorEngine> }>();

/** Size, modification time and inode; null when the file cannot be read (loading then says why). */
function fileSignature(file: string): string | null {
  try {
    const stat = fs.statSync(file);
    return `${stat.size}:${stat.mtimeMs}:${stat.ino}`;
  } catch {
    return null;
  }
}

async function openSession(bytes: Uint8Array, device: Device, spinWait: boolean): Promise<CacheEntry> {
  const reasons: string[] = [];
  for (const provider of candidatesFor(device)) {
    const unavailable = unavailableReason(provider);
    if (unavailable) {
      reasons.push(unavailable);
      continue;
    }
    try {
      const session = await createSession(bytes, { executionProviders: [provider], spinWait });
      return { session, report: { requested: device, used: provider, ...(reasons.length ? { fallbackReason: reasons.join('; ') } : {}) } };
    } catch (err) {
      reasons.push(`${provider}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new StudioError('no-provider', `no execution provider could load the model: ${reasons.join('; ')}`);
}

export class GeneratorEngine {
  /** The model's motion basis (geometry), parsed once. */
  readonly motion: ModelMotion;

  private constructor(
    readonly modelPath: string,
    readonly info: ModelInfo,
    readonly provider: ProviderReport,
    private readonly session: Session,
    private readonly cacheKey: string,
  ) {
    this.motion = motionOfModel(info, modelPath);
  }

  /**
   * Loads a model on the requested device, warmed up by one frame; a file loaded before and not
   * changed since (same size, modification time and inode) gives the same engine at once. Callers
   * such as the preview ask for their engine on every frame, and re-reading, hashing and warming up
   * a 6 MB model each time cost more than the frame itself.
   * `spinWait: false` suits a generator that shares the CPU with other busy work (see SessionOptions).
   */
  static load(modelPath: string, options: { device?: Device; spinWait?: boolean } = {}): Promise<GeneratorEngine> {
    const device = options.device ?? 'auto';
    const spinWait = options.spinWait ?? true;
    const fileKey = `${path.resolve(modelPath)}|${device}|${spinWait}`;
    const signature = fileSignature(modelPath);
    const known = engines.get(fileKey);
    if (known && signature && known.signature === signature) return known.engine;
    const engine = GeneratorEngine.open(modelPath, device, spinWait);
    if (signature) {
      engines.set(fileKey, { signature, engine });
      engine.catch(() => engines.delete(fileKey));
    }
    return engine;
  }

  /** Reads the model, opens (or shares) a session for its content and runs the warm-up frame. */
  private static async open(modelPath: string, device: Device, spinWait: boolean): Promise<GeneratorEngine> {
    const bytes = readModelBytes(modelPath);
    const info = modelInfoOf(bytes, modelPath);
    const key = `${crypto.createHash('sha256').update(bytes).digest('hex')}:${device}:${spinWait ? 'spin' : 'yield'}`;
    let entry = sessions.get(key);
    if (!entry) {
      entry = openSession(bytes, device, spinWait);
      sessions.set(key, entry);
      entry.catch(() => sessions.delete(key));
    }
    const { session, report } = await entry;
    const engine = new GeneratorEngine(modelPath, info, report, session, key);
    await engine.generate(new Float32Array(3 * info.imageSize * info.imageSize), [new Float32Array(info.architecture.cDim)]);
    return engine;
  }

  get imageSize(): number {
    return this.info.imageSize;
  }

  /** Values in each AU vector the model takes: its own architecture's cDim (AU_ORDER's 17 for every studio model). */
  get auCount(): number {
    return this.info.architecture.cDim;
  }

  /** One crop [3, S, S] under each AU vector, in batches of `batchSize`. */
  async generate(image: Float32Array, ausList: readonly Float32Array[], batchSize = 8): Promise<GeneratedFrame[]> {
    this.checkImage(image, 'image');
    return this.generateBatch(ausList.map(() => image), ausList, batchSize);
  }

  /** Crop i under AU vector i, in batches of `batchSize`. */
  async generateBatch(images: readonly Float32Array[], ausList: readonly Float32Array[], batchSize = 8): Promise<GeneratedFrame[]> {
    if (images.length !== ausList.length) throw new StudioError('bad-input', `generateBatch: ${images.length} images but ${ausList.length} AU vectors`);
    const s = this.imageSize;
    const plane = 3 * s * s;
    const c = this.auCount;
    const frames: GeneratedFrame[] = [];
    for (let start = 0; start < images.length; start += batchSize) {
      const n = Math.min(batchSize, images.length - start);
      const image = new Float32Array(n * plane);
      const aus = new Float32Array(n * c);
      for (let i = 0; i < n; i++) {
        this.checkImage(images[start + i], `images[${start + i}]`);
        if (ausList[start + i].length !== c) throw new StudioError('bad-input', `aus[${start + i}] has ${ausList[start + i].length} values; this model takes ${c}`);
        image.set(images[start + i], i * plane);
        aus.set(ausList[start + i], i * c);
      }
      const out = await runSession(this.session, { image: { data: image, dims: [n, 3, s, s] }, aus: { data: aus, dims: [n, c] } });
      const [color, attention, composite] = ['color', 'attention', 'composite'].map((k) => out[k].data as Float32Array);
      for (let i = 0; i < n; i++) {
        frames.push({
          color: color.slice(i * plane, (i + 1) * plane),
          attention: attention.slice(i * s * s, (i + 1) * s * s),
          composite: composite.slice(i * plane, (i + 1) * plane),
        });
      }
    }
    return frames;
  }

  /** Releases this model's session; the next load creates a new one. */
  async dispose(): Promise<void> {
    sessions.delete(this.cacheKey);
    for (const [fileKey, known] of engines) if ((await known.engine.catch(() => null))?.cacheKey === this.cacheKey) engines.delete(fileKey);
    await this.session.release();
  }

  private checkImage(image: Float32Array, what: string): void {
    const want = 3 * this.imageSize * this.imageSize;
    if (image.length !== want) throw new StudioError('bad-input', `${what} has ${image.length} values; this model takes [3, ${this.imageSize}, ${this.imageSize}] (${want})`);
  }
}

/** Releases every cached session (app shutdown, tests). */
export async function disposeAllSessions(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  engines.clear();
  for (const entry of all) await (await entry).session.release().catch(() => undefined);
}
