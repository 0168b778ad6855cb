// Runs training in a worker thread so the caller (studio main process or CLI) never stalls:
// the worker loads the dataset cache, trains, and posts every TrainEvent back; a 'cancel' message
// stops it within one step, after a checkpoint.
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { loadDataset } from './dataset';
import type { TrainConfig } from './train-config';
import { train, type TrainEvent } from './trainer';

export interface WorkerJob {
  readonly runDir: string;
  readonly cacheDir: string;
  readonly config: TrainConfig;
  readonly resume: boolean;
}

type WorkerMessage = { kind: 'event'; event: TrainEvent } | { kind: 'error'; message: string } | { kind: 'finished' };

/** Starts training in a worker; resolves when it finishes or is cancelled, rejects with its error. */
export function runTrainingInWorker(job: WorkerJob, onEvent: (e: TrainEvent) => void, signal?: AbortSignal): Promise<void> {
  const self = import.meta.url;
  // Run from TypeScript sources (CLI, tests), the worker first registers tsx's loader, as its parent did.
  const worker = self.endsWith('.ts')
    ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(self)}); });`, { eval: true, workerData: job })
    : new Worker(new URL(self), { workerData: job });
  const cancel = () => worker.postMessage('cancel');
  signal?.addEventListener('abort', cancel, { once: true });
  return new Promise<void>((resolve, reject) => {
    let failed: Error | null = null;
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.kind === 'event') onEvent(msg.event);
      else if (msg.kind === 'error') failed = new Error(msg.message);
    });
    worker.on('error', (err) => (failed = err));
    worker.on('exit', (code) => {
      signal?.removeEventListener('abort', cancel);
      if (failed) reject(failed);
      else if (code !== 0) reject(new Error(`training worker exited with code ${code}`));
      else resolve();
    });
  });
}

async function workerMain(job: WorkerJob): Promise<void> {
  const port = parentPort!;
  const controller = new AbortController();
  port.on('message', (msg) => msg === 'cancel' && controller.abort());
  try {
    const data = loadDataset(job.cacheDir);
    await train({ runDir: job.runDir, config: job.config, ...data, resume: job.resume, signal: controller.signal, onEvent: (event) => port.postMessage({ kind: 'event', event }) });
  } catch (err) {
    port.postMessage({ kind: 'error', message: (err as Error).message });
  } finally {
    port.close();
  }
}

if (parentPort && (workerData as WorkerJob | undefined)?.runDir) void workerMain(workerData as WorkerJob);
