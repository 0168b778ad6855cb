// Long jobs (training, export) run off the thread that drives them (the studio's main process, the
// web server, the CLI), so it never stalls: in a worker thread, or in a child process where the job
// needs its own process settings (training: see TRAINING_PROCESS_ENV). One protocol for both: the
// worker posts events, an error or nothing; a 'cancel' message aborts the job's signal.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { StudioError, toErrorInfo, type StudioErrorInfo } from '../../shared/errors';

type WorkerMessage<E> = { kind: 'event'; event: E } | { kind: 'error'; error: StudioErrorInfo };

/** Set in a job's child process to the worker's name: the module then serves the job sent to it. */
const JOB_PROCESS_ENV = 'GANIMATION_JOB_PROCESS';

export interface JobOptions {
  /** Run in a child process with these extra environment variables, instead of a worker thread. */
  readonly processEnv?: Readonly<Record<string, string>>;
}

/**
 * glibc returns every allocation above its mmap threshold (at most 32 MB by default) to the system
 * when it is freed, so the next one faults every page in again. onnxruntime allocates a training
 * step's large outputs afresh each run: at the paper preset that is 44k page faults, 0.6 s, per
 * critic step on the machine measured. A higher threshold, which only the environment can set
 * before the process starts, keeps that memory in the heap; elsewhere these variables are ignored.
 */
export const TRAINING_PROCESS_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: String(2 ** 31 - 1),
  MALLOC_TRIM_THRESHOLD_: String(2 ** 32 - 1),
};

/**
 * Runs the worker module `moduleUrl` with `job` as its data. From TypeScript sources (CLI, tests,
 * web mode) the worker first registers tsx's loader, as its parent did; from the Electron bundle it
 * loads the bundled entry `<bundledName>.js` beside the main bundle. Resolves when the worker ends,
 * rejects with the job's error as a StudioError (code and details kept).
 */
export function runWorkerJob<J, E>(moduleUrl: string, bundledName: string, job: J, onEvent: (e: E) => void, signal?: AbortSignal, options: JobOptions = {}): Promise<void> {
  const worker = options.processEnv ? forkJobProcess(moduleUrl, bundledName, job, options.processEnv) : spawnWorker(moduleUrl, bundledName, job);
  const cancel = () => (worker instanceof Worker ? worker.postMessage('cancel') : worker.connected && worker.send('cancel'));
  if (signal?.aborted) cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  return new Promise<void>((resolve, reject) => {
    let failed: Error | null = null;
    worker.on('message', (msg: WorkerMessage<E>) => {
      if (msg.kind === 'event') onEvent(msg.event);
      else failed = new StudioError(msg.error.code, msg.error.message, msg.error.details);
    });
    worker.on('error', (err) => (failed = err));
    worker.on('exit', (code: number | null, killedBy?: NodeJS.Signals | null) => {
      signal?.removeEventListener('abort', cancel);
      if (failed) reject(failed);
      else if (code !== 0) reject(new Error(`${bundledName} ${killedBy ? `was killed (${killedBy})` : `exited with code ${code}`}`));
      else resolve();
    });
  });
}

/**
 * Starts the worker module as a child process (from sources through tsx's loader, from the bundle
 * as its own entry, which Electron runs as plain Node) and sends it the job.
 */
function forkJobProcess(moduleUrl: string, bundledName: string, job: unknown, env: Readonly<Record<string, string>>): ChildProcess {
  const fromSources = moduleUrl.endsWith('.ts');
  const entry = fromSources ? fileURLToPath(moduleUrl) : fileURLToPath(new URL(`./${bundledName}.js`, moduleUrl));
  const child = fork(entry, [], {
    env: { ...process.env, ...env, [JOB_PROCESS_ENV]: bundledName, ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) },
    execArgv: fromSources ? ['--import', import.meta.resolve('tsx')] : [],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.send({ kind: 'job', job });
  return child;
}

/** Starts the worker module: from sources through tsx's loader, from the bundle as its own entry. */
export function spawnWorker(moduleUrl: string, bundledName: string, data: unknown): Worker {
  return moduleUrl.endsWith('.ts')
    ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl)}); });`, { eval: true, workerData: data })
    : new Worker(new URL(`./${bundledName}.js`, moduleUrl), { workerData: data });
}

/** Inside a worker: runs `body` on the job when this thread (or child process) was started for it (`isJob` says so). */
export function serveWorkerJob<J, E>(isJob: (data: unknown) => data is J, body: (job: J, emit: (e: E) => void, signal: AbortSignal) => Promise<void>): void {
  if (process.env[JOB_PROCESS_ENV] && process.send) {
    serveJobProcess(isJob, body);
    return;
  }
  if (!parentPort || !isJob(workerData)) return;
  const port = parentPort;
  const controller = new AbortController();
  port.on('message', (msg) => msg === 'cancel' && controller.abort());
  void body(workerData, (event) => port.postMessage({ kind: 'event', event }), controller.signal)
    .catch((err: unknown) => port.postMessage({ kind: 'error', error: toErrorInfo(err) }))
    .finally(() => port.close());
}

/** The child-process side: the job arrives as the first message; events go back over IPC; the process ends with the job. */
function serveJobProcess<J, E>(isJob: (data: unknown) => data is J, body: (job: J, emit: (e: E) => void, signal: AbortSignal) => Promise<void>): void {
  // IPC keeps messages in order, so waiting for the last one's callback waits for all of them.
  let flushed: Promise<void> = Promise.resolve();
  const send = (msg: WorkerMessage<E>) => {
    flushed = new Promise<void>((resolve) => (process.connected && process.send ? process.send(msg, undefined, {}, () => resolve()) : resolve()));
    return flushed;
  };
  const controller = new AbortController();
  // Without its parent the job has no one to report to: stop it (a training run checkpoints on cancel).
  process.on('disconnect', () => controller.abort());
  // Ctrl+C in a terminal reaches the whole process group: the parent decides (it cancels the job,
  // which then checkpoints), so the job must not die of it first.
  process.on('SIGINT', () => undefined);
  process.on('message', (msg: { kind?: string; job?: unknown } | string) => {
    if (msg === 'cancel') controller.abort();
    else if (typeof msg === 'object' && msg.kind === 'job' && isJob(msg.job)) {
      void body(msg.job, (event) => void send({ kind: 'event', event }), controller.signal)
        .catch((err: unknown) => send({ kind: 'error', error: toErrorInfo(err) }))
        .finally(async () => {
          await flushed;
          process.exit(0);
        });
    }
  });
}
