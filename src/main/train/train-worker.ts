// Training in a worker thread: the worker loads the dataset caches, trains, and posts every
// TrainEvent back; cancelling stops it within one step, after a checkpoint.
import { runWorkerJob, serveWorkerJob } from '../workers/worker-job';
import { loadDataset } from './dataset';
import type { TrainConfig } from './train-config';
import { train, type TrainEvent } from './trainer';

export interface WorkerJob {
  readonly runDir: string;
  /** One or more dataset caches, trained on together. */
  readonly cacheDirs: readonly string[];
  readonly config: TrainConfig;
  readonly resume: boolean;
}

/** Starts training in a worker; resolves when it finishes or is cancelled, rejects with its error. */
export function runTrainingInWorker(job: WorkerJob, onEvent: (e: TrainEvent) => void, signal?: AbortSignal): Promise<void> {
  return runWorkerJob(import.meta.url, 'train-worker', job, onEvent, signal);
}

const isTrainJob = (data: unknown): data is WorkerJob => !!data && typeof data === 'object' && 'cacheDirs' in data && 'config' in data;

serveWorkerJob<WorkerJob, TrainEvent>(isTrainJob, async (job, emit, signal) => {
  const data = loadDataset(job.cacheDirs);
  await train({ runDir: job.runDir, config: job.config, ...data, resume: job.resume, signal, onEvent: emit });
});
