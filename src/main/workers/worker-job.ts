// Long jobs (training, export) run in worker threads so the process that drives them (the studio's
// main process, the web server, the CLI) never stalls. One protocol for all of them: the worker
// posts events, an error or nothing; a 'cancel' message aborts the job's signal.
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { StudioError, toErrorInfo, type StudioErrorInfo } from '../../shared/errors';

type WorkerMessage<E> = { kind: 'event'; event: E } | { kind: 'error'; error: StudioErrorInfo };

/**
 * Runs the worker module `moduleUrl` with `job` as its data. From TypeScript sources (CLI, tests,
 * web mode) the worker first registers tsx's loader, as its parent did; from the Electron bundle it
 * loads the bundled entry `<bundledName>.js` beside the main bundle. Resolves when the worker ends,
 * rejects with the job's error as a StudioError (code and details kept).
 */
export function runWorkerJob<J, E>(moduleUrl: string, bundledName: string, job: J, onEvent: (e: E) => void, signal?: AbortSignal): Promise<void> {
  const worker = spawnWorker(moduleUrl, bundledName, job);
  const cancel = () => worker.postMessage('cancel');
  if (signal?.aborted) cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  return new Promise<void>((resolve, reject) => {
    let failed: Error | null = null;
    worker.on('message', (msg: WorkerMessage<E>) => {
      if (msg.kind === 'event') onEvent(msg.event);
      else failed = new StudioError(msg.error.code, msg.error.message, msg.error.details);
    });
    worker.on('error', (err) => (failed = err));
    worker.on('exit', (code) => {
      signal?.removeEventListener('abort', cancel);
      if (failed) reject(failed);
      else if (code !== 0) reject(new Error(`${bundledName} exited with code ${code}`));
      else resolve();
    });
  });
}

/** Starts the worker module: from sources through tsx's loader, from the bundle as its own entry. */
export function spawnWorker(moduleUrl: string, bundledName: string, data: unknown): Worker {
  return moduleUrl.endsWith('.ts')
    ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl)}); });`, { eval: true, workerData: data })
    : new Worker(new URL(`./${bundledName}.js`, moduleUrl), { workerData: data });
}

/** Inside a worker: runs `body` on the job when this thread was started for it (`isJob` says so). */
export function serveWorkerJob<J, E>(isJob: (data: unknown) => data is J, body: (job: J, emit: (e: E) => void, signal: AbortSignal) => Promise<void>): void {
  if (!parentPort || !isJob(workerData)) return;
  const port = parentPort;
  const controller = new AbortController();
  port.on('message', (msg) => msg === 'cancel' && controller.abort());
  void body(workerData, (event) => port.postMessage({ kind: 'event', event }), controller.signal)
    .catch((err: unknown) => port.postMessage({ kind: 'error', error: toErrorInfo(err) }))
    .finally(() => port.close());
}
