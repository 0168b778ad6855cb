// A worker module for worker-job's tests: reports where it runs, echoes its job, fails on request,
// and waits for a cancel when asked to.
import { runWorkerJob, serveWorkerJob, type JobOptions } from './worker-job';

export interface EchoJob {
  readonly echo: string;
  readonly fail?: boolean;
  readonly waitForCancel?: boolean;
}
export type EchoEvent = { pid: number; threadless: boolean; mmapThreshold: string | null; echo: string } | { cancelled: true };

export function runEcho(job: EchoJob, onEvent: (e: EchoEvent) => void, signal?: AbortSignal, options?: JobOptions): Promise<void> {
  return runWorkerJob(import.meta.url, 'echo-job', job, onEvent, signal, options);
}

const isEcho = (data: unknown): data is EchoJob => !!data && typeof data === 'object' && 'echo' in data;

serveWorkerJob<EchoJob, EchoEvent>(isEcho, async (job, emit, signal) => {
  const { isMainThread } = await import('node:worker_threads');
  emit({ pid: process.pid, threadless: isMainThread, mmapThreshold: process.env.MALLOC_MMAP_THRESHOLD_ ?? null, echo: job.echo });
  if (job.fail) throw new Error(`asked to fail: ${job.echo}`);
  if (job.waitForCancel) {
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    emit({ cancelled: true });
  }
});
