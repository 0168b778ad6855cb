// Builds the training set from a folder: scan, hash, crop and label each image through a pluggable
// face step, and cache crops plus a manifest keyed by content hash, reused on the next build.
// A bad file is skipped with its reason; the rest goes on.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AU_COUNT } from '../../shared/aus';
import { StudioError } from '../../shared/errors';
import { LANDMARK_VALUES, type CropSet } from './batches';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);
const MANIFEST = 'manifest.json';
const CROPS = 'crops.u8';
const CACHE_VERSION = 1;

export type SkipReason = 'corrupt' | 'no-face' | 'too-small' | 'unreadable' | 'duplicate' | 'empty' | 'unlabeled';

/**
 * What the face step makes of one image: a square RGB crop [S, S, 3], its AUs, and where known the
 * 68 landmarks in crop pixels ([x0, y0, x1, y1, ...], pixel edges at integers), or why not.
 */
export type FaceStepResult = { ok: true; crop: Uint8Array; aus: Float32Array; landmarks?: Float32Array } | { ok: false; reason: SkipReason; detail: string };
export type FaceStep = (file: string, bytes: Buffer) => Promise<FaceStepResult>;

export interface ManifestItem {
  readonly file: string;
  readonly sha256: string;
  readonly aus: number[];
  /** 68 landmarks in crop pixels, flattened [x0, y0, ...]; absent in caches built before they were kept. */
  readonly landmarks?: number[];
  readonly split: 'train' | 'validation';
}

export interface Manifest {
  readonly version: number;
  readonly size: number;
  /** Describes how crops and labels were made; a different recipe invalidates the cache. */
  readonly recipe: string;
  readonly items: ManifestItem[];
  readonly skipped: { file: string; reason: SkipReason; detail: string }[];
}

export interface BuildOptions {
  readonly folder: string;
  readonly cacheDir: string;
  readonly size: number;
  readonly recipe: string;
  readonly faceStep: FaceStep;
  readonly validationFraction: number;
  readonly signal?: AbortSignal;
  /** Save what is done so far at least this often (ms), so a killed build resumes; default 60 s. */
  readonly flushEveryMs?: number;
  readonly onProgress?: (p: { stage: 'scanning' | 'processing'; done: number; total: number; file?: string }) => void;
}

/** Cache folders inside a training run: photos with face detection, and already-aligned crops. */
export const RUN_CACHE_NAMES = { detected: 'dataset', aligned: 'dataset-aligned' } as const;

/** The run's dataset caches that exist, in a fixed order. */
export function runCacheDirs(runDir: string): string[] {
  return Object.values(RUN_CACHE_NAMES)
    .map((name) => path.join(runDir, name))
    .filter((dir) => fs.existsSync(path.join(dir, MANIFEST)));
}

export function scanImages(folder: string): string[] {
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) throw new StudioError('no-such-folder', `dataset folder ${folder} does not exist or is not a folder`);
  const found: string[] = [];
  // Symbolic links are followed; real paths already visited are skipped, so link cycles end.
  const visited = new Set<string>();
  const walk = (dir: string) => {
    const real = fs.realpathSync(dir);
    if (visited.has(real)) return;
    visited.add(real);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      let stat: fs.Stats | null;
      try {
        stat = entry.isSymbolicLink() ? fs.statSync(full) : null;
      } catch {
        continue;
      }
      const isDir = stat ? stat.isDirectory() : entry.isDirectory();
      const isFile = stat ? stat.isFile() : entry.isFile();
      if (isDir) walk(full);
      else if (isFile && IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) found.push(full);
    }
  };
  walk(folder);
  return found.sort();
}

/** Split by file content, so adding files later never moves an old file between splits. */
function splitOf(sha256: string, validationFraction: number): 'train' | 'validation' {
  return parseInt(sha256.slice(0, 8), 16) / 0x100000000 < validationFraction ? 'validation' : 'train';
}

export function readManifest(cacheDir: string): Manifest | null {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(cacheDir, MANIFEST), 'utf8')) as Manifest;
    return m.version === CACHE_VERSION ? m : null;
  } catch {
    return null;
  }
}

type Skip = Manifest['skipped'][number];

/** A previous cache of the same crop size and recipe, with intact crops: its faces are reused by content hash. */
interface ReusableCache {
  readonly manifest: Manifest;
  readonly indexOf: ReadonlyMap<string, number>;
  crop(index: number): Uint8Array;
}

function reusableCache(options: BuildOptions): ReusableCache | null {
  const previous = readManifest(options.cacheDir);
  if (!previous || previous.size !== options.size || previous.recipe !== options.recipe) return null;
  const old = loadCrops(options.cacheDir, previous);
  if (!old) return null;
  const cropBytes = options.size * options.size * 3;
  return { manifest: previous, indexOf: new Map(previous.items.map((item, i) => [item.sha256, i])), crop: (i) => old.pixels.subarray(i * cropBytes, (i + 1) * cropBytes) };
}

/** A file's bytes, or why it is skipped (unreadable, empty); `relative` names it in the manifest. */
function readImageFile(file: string, relative: string): { bytes: Buffer } | { skip: Skip } {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    return { skip: { file: relative, reason: 'unreadable', detail: (err as Error).message } };
  }
  return bytes.length === 0 ? { skip: { file: relative, reason: 'empty', detail: 'the file is empty (0 bytes)' } } : { bytes };
}

/** The manifest entry of a face the face step cropped; landmarks kept to 0.01 px. */
function itemOf(relative: string, sha256: string, result: Extract<FaceStepResult, { ok: true }>, validationFraction: number): ManifestItem {
  const landmarks = result.landmarks ? { landmarks: Array.from(result.landmarks, (v) => Math.round(v * 100) / 100) } : {};
  return { file: relative, sha256, aus: Array.from(result.aus), ...landmarks, split: splitOf(sha256, validationFraction) };
}

export async function buildDataset(options: BuildOptions): Promise<Manifest> {
  options.onProgress?.({ stage: 'scanning', done: 0, total: 0 });
  const files = scanImages(options.folder);
  const reusable = reusableCache(options);
  const items: ManifestItem[] = [];
  const crops: Uint8Array[] = [];
  const skipped: Skip[] = [];
  const seen = new Set<string>();
  // A partial save keeps the previous cache's entries not reached yet, so nothing computed is lost.
  const flush = () => {
    const pending = reusable ? reusable.manifest.items.flatMap((item, i) => (seen.has(item.sha256) ? [] : [i])) : [];
    writeCache(options.cacheDir, { version: CACHE_VERSION, size: options.size, recipe: options.recipe, items: [...items, ...pending.map((i) => reusable!.manifest.items[i])], skipped }, [
      ...crops,
      ...pending.map((i) => reusable!.crop(i)),
    ]);
  };
  let lastFlush = performance.now();
  for (const [done, file] of files.entries()) {
    if (performance.now() - lastFlush > (options.flushEveryMs ?? 60_000) && !options.signal?.aborted) {
      flush();
      lastFlush = performance.now();
    }
    if (options.signal?.aborted) {
      flush();
      throw new StudioError('cancelled', 'dataset building was cancelled (the faces done so far are saved and reused next time)');
    }
    options.onProgress?.({ stage: 'processing', done, total: files.length, file });
    const relative = path.relative(options.folder, file);
    const read = readImageFile(file, relative);
    if ('skip' in read) {
      skipped.push(read.skip);
      continue;
    }
    const sha256 = crypto.createHash('sha256').update(read.bytes).digest('hex');
    if (seen.has(sha256)) {
      skipped.push({ file: relative, reason: 'duplicate', detail: 'same content as another file in the folder' });
      continue;
    }
    seen.add(sha256);
    const old = reusable?.indexOf.get(sha256);
    if (reusable && old !== undefined) {
      items.push({ ...reusable.manifest.items[old], file: relative });
      crops.push(reusable.crop(old));
      continue;
    }
    const result = await options.faceStep(file, read.bytes);
    if (!result.ok) {
      skipped.push({ file: relative, reason: result.reason, detail: result.detail });
      continue;
    }
    items.push(itemOf(relative, sha256, result, options.validationFraction));
    crops.push(result.crop);
  }
  options.onProgress?.({ stage: 'processing', done: files.length, total: files.length });
  const manifest: Manifest = { version: CACHE_VERSION, size: options.size, recipe: options.recipe, items, skipped };
  writeCache(options.cacheDir, manifest, crops);
  return manifest;
}

function writeCache(cacheDir: string, manifest: Manifest, crops: Uint8Array[]): void {
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmpCrops = path.join(cacheDir, `.${CROPS}.tmp-${process.pid}`);
  const tmpManifest = path.join(cacheDir, `.${MANIFEST}.tmp-${process.pid}`);
  try {
    const fd = fs.openSync(tmpCrops, 'w');
    try {
      for (const c of crops) fs.writeSync(fd, c);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.writeFileSync(tmpManifest, JSON.stringify(manifest, null, 1));
    fs.renameSync(tmpCrops, path.join(cacheDir, CROPS));
    fs.renameSync(tmpManifest, path.join(cacheDir, MANIFEST));
  } finally {
    fs.rmSync(tmpCrops, { force: true });
    fs.rmSync(tmpManifest, { force: true });
  }
}

function loadCrops(cacheDir: string, manifest: Manifest): { pixels: Uint8Array } | null {
  try {
    const pixels = fs.readFileSync(path.join(cacheDir, CROPS));
    return pixels.length === manifest.items.length * manifest.size * manifest.size * 3 ? { pixels } : null;
  } catch {
    return null;
  }
}

/**
 * The cached crops of one or more caches (e.g. detected photos plus aligned crops), split into
 * training and validation sets, plus a hash of the manifests for checkpoints. All caches must share
 * one crop size.
 */
export function loadDataset(cacheDirs: string | readonly string[]): { train: CropSet; validation: CropSet; manifestHash: string; manifests: Manifest[] } {
  const dirs = typeof cacheDirs === 'string' ? [cacheDirs] : cacheDirs;
  if (dirs.length === 0) throw new StudioError('no-dataset-cache', 'no dataset cache given: build one first (ganimation dataset <folder> -o <cache>)');
  const caches = dirs.map((cacheDir) => {
    const manifest = readManifest(cacheDir);
    if (!manifest) throw new StudioError('no-dataset-cache', `no dataset cache in ${cacheDir}; build it first (ganimation dataset <folder> -o ${cacheDir})`);
    const loaded = loadCrops(cacheDir, manifest);
    if (!loaded) throw new StudioError('dataset-damaged', `dataset cache ${cacheDir} is damaged (${CROPS} does not match ${MANIFEST}); delete the folder and build it again`);
    if (manifest.size !== readManifest(dirs[0])!.size) throw new StudioError('dataset-sizes-differ', `dataset cache ${cacheDir} has ${manifest.size} px crops, ${dirs[0]} has ${readManifest(dirs[0])!.size} px: build every cache of a run for the same preset`);
    return { manifest, pixels: loaded.pixels };
  });
  const size = caches[0].manifest.size;
  const bytes = size * size * 3;
  const pick = (split: ManifestItem['split']): CropSet => {
    const chosen = caches.flatMap((c) => c.manifest.items.flatMap((item, i) => (item.split === split ? [{ c, item, i }] : [])));
    const pixels = new Uint8Array(chosen.length * bytes);
    const aus = new Float32Array(chosen.length * AU_COUNT);
    const withLandmarks = chosen.every(({ item }) => item.landmarks?.length === LANDMARK_VALUES);
    const landmarks = withLandmarks ? new Float32Array(chosen.length * LANDMARK_VALUES) : null;
    chosen.forEach(({ c, item, i }, dst) => {
      pixels.set(c.pixels.subarray(i * bytes, (i + 1) * bytes), dst * bytes);
      aus.set(item.aus, dst * AU_COUNT);
      if (landmarks) landmarks.set(item.landmarks as number[], dst * LANDMARK_VALUES);
    });
    return { size, count: chosen.length, pixels, aus, landmarks, files: chosen.map(({ item }) => path.basename(item.file)) };
  };
  // One cache hashes exactly as before multi-cache runs existed, so older checkpoints still resume.
  const itemKeys = caches.map((c) => JSON.stringify(c.manifest.items.map((i) => [i.sha256, i.split])));
  const manifestHash = crypto.createHash('sha256').update(itemKeys.join('\n')).digest('hex');
  return { train: pick('train'), validation: pick('validation'), manifestHash, manifests: caches.map((c) => c.manifest) };
}
