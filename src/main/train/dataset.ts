// Builds the training set from a folder: scan, hash, crop and label each image through a pluggable
// face step, and cache crops plus a manifest keyed by content hash, reused on the next build.
// A bad file is skipped with its reason; the rest goes on.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AU_DIM, type CropSet } from './batches';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);
const MANIFEST = 'manifest.json';
const CROPS = 'crops.u8';
const CACHE_VERSION = 1;

export type SkipReason = 'corrupt' | 'no-face' | 'too-small' | 'unreadable' | 'duplicate' | 'empty' | 'unlabeled';

/** What the face step makes of one image: a square RGB crop [S, S, 3] and its AUs, or why not. */
export type FaceStepResult = { ok: true; crop: Uint8Array; aus: Float32Array } | { ok: false; reason: SkipReason; detail: string };
export type FaceStep = (file: string, bytes: Buffer) => Promise<FaceStepResult>;

export interface ManifestItem {
  readonly file: string;
  readonly sha256: string;
  readonly aus: number[];
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
  readonly onProgress?: (p: { stage: 'scanning' | 'processing'; done: number; total: number; file?: string }) => void;
}

export function scanImages(folder: string): string[] {
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) throw new Error(`dataset folder ${folder} does not exist or is not a folder`);
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

export async function buildDataset(options: BuildOptions): Promise<Manifest> {
  options.onProgress?.({ stage: 'scanning', done: 0, total: 0 });
  const files = scanImages(options.folder);
  const previous = readManifest(options.cacheDir);
  const reusable = previous && previous.size === options.size && previous.recipe === options.recipe ? previous : null;
  const oldCrops = reusable ? loadCrops(options.cacheDir, reusable) : null;
  const oldIndex = new Map(reusable?.items.map((item, i) => [item.sha256, i]) ?? []);
  const cropBytes = options.size * options.size * 3;
  const items: ManifestItem[] = [];
  const crops: Uint8Array[] = [];
  const skipped: Manifest['skipped'] = [];
  const seen = new Set<string>();
  for (const [done, file] of files.entries()) {
    if (options.signal?.aborted) throw new Error('dataset building was cancelled');
    options.onProgress?.({ stage: 'processing', done, total: files.length, file });
    const relative = path.relative(options.folder, file);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (err) {
      skipped.push({ file: relative, reason: 'unreadable', detail: (err as Error).message });
      continue;
    }
    if (bytes.length === 0) {
      skipped.push({ file: relative, reason: 'empty', detail: 'the file is empty (0 bytes)' });
      continue;
    }
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    if (seen.has(sha256)) {
      skipped.push({ file: relative, reason: 'duplicate', detail: 'same content as another file in the folder' });
      continue;
    }
    seen.add(sha256);
    const old = oldIndex.get(sha256);
    if (old !== undefined && oldCrops) {
      items.push({ ...reusable!.items[old], file: relative });
      crops.push(oldCrops.pixels.subarray(old * cropBytes, (old + 1) * cropBytes));
      continue;
    }
    const result = await options.faceStep(file, bytes);
    if (!result.ok) {
      skipped.push({ file: relative, reason: result.reason, detail: result.detail });
      continue;
    }
    items.push({ file: relative, sha256, aus: Array.from(result.aus), split: splitOf(sha256, options.validationFraction) });
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

/** The cached crops split into training and validation sets, plus the manifest's hash for checkpoints. */
export function loadDataset(cacheDir: string): { train: CropSet; validation: CropSet; manifestHash: string; manifest: Manifest } {
  const manifest = readManifest(cacheDir);
  if (!manifest) throw new Error(`no dataset cache in ${cacheDir}; build it first (ganimation dataset <folder> -o ${cacheDir})`);
  const loaded = loadCrops(cacheDir, manifest);
  if (!loaded) throw new Error(`dataset cache ${cacheDir} is damaged (${CROPS} does not match ${MANIFEST}); rebuild it`);
  const pick = (split: ManifestItem['split']): CropSet => {
    const indices = manifest.items.flatMap((item, i) => (item.split === split ? [i] : []));
    const bytes = manifest.size * manifest.size * 3;
    const pixels = new Uint8Array(indices.length * bytes);
    const aus = new Float32Array(indices.length * AU_DIM);
    indices.forEach((src, dst) => {
      pixels.set(loaded.pixels.subarray(src * bytes, (src + 1) * bytes), dst * bytes);
      aus.set(manifest.items[src].aus, dst * AU_DIM);
    });
    return { size: manifest.size, count: indices.length, pixels, aus };
  };
  const manifestHash = crypto.createHash('sha256').update(JSON.stringify(manifest.items.map((i) => [i.sha256, i.split]))).digest('hex');
  return { train: pick('train'), validation: pick('validation'), manifestHash, manifest };
}
