// Builds the dataset caches of a training run from its sources: a folder of photos (faces detected
// and cropped) and optionally a folder of already-aligned crops, each into its own cache.
import path from 'node:path';
import type { PresetName } from '../../shared/presets';
import { presetByName } from '../model/config';
import { detectionsBeside, readDetections } from '../face/precomputed';
import { buildDataset, RUN_CACHE_NAMES, type Manifest } from './dataset';
import { alignedFaceStep, detectedFaceStep } from './face-steps';
import { readLabelsCsv } from './labels-csv';

export interface DatasetSource {
  readonly folder: string;
  /** Each image is already a face crop (detection only labels it). */
  readonly aligned: boolean;
}

export interface SourceBuildOptions {
  readonly preset: PresetName;
  /** OpenFace-style CSV of AU labels; the built-in estimator otherwise. */
  readonly labelsCsv?: string;
  /**
   * Precomputed detections (faces.jsonl.gz lines) used instead of detecting; default: the folder's
   * own faces.jsonl.gz when it has one; null: always detect.
   */
  readonly detectionsFile?: string | null;
  readonly validationFraction: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: { folder: string; done: number; total: number }) => void;
}

/** Builds (or updates) one cache. */
export async function buildSourceCache(source: DatasetSource, cacheDir: string, options: SourceBuildOptions): Promise<Manifest> {
  const size = presetByName(options.preset).generator.imageSize;
  const labels = options.labelsCsv ? readLabelsCsv(options.labelsCsv) : undefined;
  const detectionsFile = options.detectionsFile === undefined ? detectionsBeside(source.folder) : options.detectionsFile;
  const detections = detectionsFile ? readDetections(detectionsFile) : undefined;
  const faceStep = source.aligned && labels ? alignedFaceStep(size, labels) : detectedFaceStep(size, { aligned: source.aligned, labels, detections });
  const recipe = `${source.aligned ? 'aligned' : 'detected'}-${size}-${labels ? 'csv' : 'estimator-v2'}`;
  return buildDataset({
    folder: source.folder, cacheDir, size, recipe, faceStep,
    validationFraction: options.validationFraction,
    signal: options.signal,
    onProgress: (p) => p.stage === 'processing' && options.onProgress?.({ folder: source.folder, done: p.done, total: p.total }),
  });
}

/** The cache folder of each source inside a run: the photos' and the aligned crops'. */
export const runCacheDir = (runDir: string, source: DatasetSource): string => path.join(runDir, source.aligned ? RUN_CACHE_NAMES.aligned : RUN_CACHE_NAMES.detected);
