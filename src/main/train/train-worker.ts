// Training in a worker process: it (optionally) builds the dataset caches, loads them, trains, and
// posts every event back; cancelling stops it within one image or step, after a checkpoint when
// training had begun. A process rather than a thread, for its allocator settings (see
// TRAINING_PROCESS_ENV: 0.6 s of every paper critic step went to page faults) and so that a run's
// gigabytes go back to the system when it ends.
import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import type { RepaintRegion } from '../../shared/repaint';
import { readLabels } from '../face/motion-data';
import { readGeneratorWeights, readModelInfo } from '../model/model-file';
import { runWorkerJob, serveWorkerJob, TRAINING_PROCESS_ENV } from '../workers/worker-job';
import { buildSourceCache, type DatasetSource } from './build-sources';
import { loadDataset, type Manifest } from './dataset';
import type { CropSet } from './batches';
import { buildCropPairs, type CropPair, type RefusedPair } from './pair-batches';
import { checkRunRepaint, runMotionText, setRunMotion, setRunMouth, setRunRepaint } from './run-motion';
import type { TrainConfig } from './train-config';
import { train, type TrainEvent } from './trainer';

export interface WorkerJob {
  readonly runDir: string;
  /** One or more dataset caches, trained on together. */
  readonly cacheDirs: readonly string[];
  readonly config: TrainConfig;
  readonly resume: boolean;
  /** A model file whose generator weights a new run starts from. */
  readonly initGeneratorFrom?: string;
  /**
   * Where a geometry-first run without a motion basis gets one: a basis file (ganimation fit-motion)
   * or a model file that carries one; default: the model the generator starts from.
   */
  readonly motionFrom?: string;
  /**
   * A labelled folder (labels.csv: file, performer, expression) whose same-performer pairs among the
   * training crops, matched by file basename, feed the warm start (config.warmStartSteps).
   */
  readonly pairsFrom?: string;
  /**
   * Where the run's exports may repaint (run-motion.ts RUN_REPAINT_FILE); default: the region of the
   * model the run starts from. A run that has one keeps it, so a resumed run exports as it began.
   */
  readonly repaintRegion?: RepaintRegion;
  /** This machine's table of measured conv patterns, shared by its runs (TrainRun.patternTable). */
  readonly patternTable?: string;
  /** Build (or update) these caches first, in the same order as cacheDirs. */
  readonly build?: readonly { source: DatasetSource; cacheDir: string }[];
}

export type DatasetEvent =
  | { type: 'dataset'; folder: string; done: number; total: number }
  | { type: 'dataset-done'; faces: number; trainFaces: number; skipped: Manifest['skipped'] }
  /** The warm start's pairs: how many were made, which were refused and why, and labels.csv rows matching no training crop. */
  | { type: 'pairs-done'; folder: string; pairs: number; refused: RefusedPair[]; unmatchedRows: number };

export type WorkerEvent = TrainEvent | DatasetEvent;

/** Starts the job in a worker process; resolves when it finishes or is cancelled, rejects with its error. */
export function runTrainingInWorker(job: WorkerJob, onEvent: (e: WorkerEvent) => void, signal?: AbortSignal): Promise<void> {
  return runWorkerJob(import.meta.url, 'train-worker', job, onEvent, signal, { processEnv: TRAINING_PROCESS_ENV });
}

const isTrainJob = (data: unknown): data is WorkerJob => !!data && typeof data === 'object' && 'cacheDirs' in data && 'config' in data;

serveWorkerJob<WorkerJob, WorkerEvent>(isTrainJob, async (job, emit, signal) => {
  if (job.build) {
    const manifests: Manifest[] = [];
    for (const { source, cacheDir } of job.build) {
      manifests.push(await buildSourceCache(source, cacheDir, { preset: job.config.preset, validationFraction: job.config.validationFraction, signal, onProgress: (p) => emit({ type: 'dataset', ...p }) }));
    }
    const faces = manifests.reduce((n, m) => n + m.items.length, 0);
    const trainFaces = manifests.reduce((n, m) => n + m.items.filter((i) => i.split === 'train').length, 0);
    emit({ type: 'dataset-done', faces, trainFaces, skipped: manifests.flatMap((m) => m.skipped) });
    if (trainFaces === 0) throw new StudioError('no-training-faces', `no usable training faces in ${job.build.map((b) => b.source.folder).join(' or ')} (every photo was skipped, or all went to validation); the skipped files say why`);
  }
  checkRunRepaint(job.runDir, job.repaintRegion, job.config.geometry);
  if (job.repaintRegion) {
    fs.mkdirSync(job.runDir, { recursive: true });
    setRunRepaint(job.runDir, job.repaintRegion);
  }
  if (job.config.geometry) giveRunMotion(job);
  const data = loadDataset(job.cacheDirs);
  const initGenerator = job.initGeneratorFrom ? readGeneratorWeights(job.initGeneratorFrom).weights : undefined;
  const pairs = warmStartPairs(job, data.train, emit);
  await train({ runDir: job.runDir, config: job.config, ...data, pairs, resume: job.resume, initGenerator, ...(job.patternTable ? { patternTable: job.patternTable } : {}), ...(job.initGeneratorFrom ? { startedFrom: path.basename(job.initGeneratorFrom) } : {}), signal, onEvent: emit });
});

/** The warm start's pairs among the training crops, from job.pairsFrom's labels.csv, reported; undefined without pairsFrom. */
function warmStartPairs(job: WorkerJob, crops: CropSet, emit: (e: WorkerEvent) => void): CropPair[] | undefined {
  if (!job.pairsFrom) return undefined;
  const made = buildCropPairs(readLabels(job.pairsFrom), crops);
  emit({ type: 'pairs-done', folder: job.pairsFrom, pairs: made.pairs.length, refused: made.refused, unmatchedRows: made.unmatchedRows });
  return made.pairs;
}

/** Stores the run's motion basis (and a model's mouth interior and repaint region) from job.motionFrom or the starting model when the run has none yet. */
function giveRunMotion(job: WorkerJob): void {
  const from = job.motionFrom ?? job.initGeneratorFrom;
  if (!from || (runMotionText(job.runDir) !== null && !job.motionFrom)) return;
  const model = from.toLowerCase().endsWith('.onnx') ? readModelInfo(from) : null;
  const text = model ? model.motionBasis : fs.readFileSync(from, 'utf8');
  if (text === null) throw new StudioError('no-motion-basis', `${from} carries no motion basis; give a basis file (ganimation fit-motion makes one) or a model that carries one`);
  setRunMotion(job.runDir, text, from);
  // A model's mouth interior goes with its basis: a fine-tune of the bundled model keeps its teeth.
  if (model?.mouthInterior) setRunMouth(job.runDir, model.mouthInterior, `the mouth interior of ${from}`);
  // So does where it may repaint, unless the job said where (then the run has its region already).
  if (!job.repaintRegion && model && model.repaintRegion !== 'anywhere') setRunRepaint(job.runDir, model.repaintRegion);
}
