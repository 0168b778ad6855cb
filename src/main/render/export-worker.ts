// Video export in a worker thread, so the studio stays responsive while frames are generated,
// composited and encoded: progress events stream back, and cancelling kills ffmpeg and removes
// the partial output (as exportVideo does in any thread).
import type { Project } from '../../shared/project/schema';
import { GeneratorThread } from '../infer/generator-thread';
import type { Device } from '../infer/providers';
import { runWorkerJob, serveWorkerJob } from '../workers/worker-job';
import { exportVideo, type ExportOptions, type ExportProgress, type ExportReport } from './export-video';

export interface ExportJob {
  readonly project: Project;
  readonly photoPath: string;
  readonly modelPath: string;
  readonly device: Device;
  readonly options: ExportOptions;
  readonly ffmpegPath: string;
}

/** Progress, a notice (what kept the model's geometry from warping a face, or a corrupt motion basis), and the report. */
export type ExportEvent = { type: 'progress'; progress: ExportProgress } | { type: 'notice'; message: string } | { type: 'done'; report: ExportReport };

/** Runs an export in a worker; resolves with its report, rejects with its error (code kept: 'cancelled', ...). */
export async function runExportInWorker(job: ExportJob, onProgress: (p: ExportProgress) => void, signal?: AbortSignal, onNotice?: (message: string) => void): Promise<ExportReport> {
  let report: ExportReport | null = null;
  await runWorkerJob<ExportJob, ExportEvent>(import.meta.url, 'export-worker', job, (e) => {
    if (e.type === 'done') report = e.report;
    else if (e.type === 'notice') onNotice?.(e.message);
    else onProgress(e.progress);
  }, signal);
  if (!report) throw new Error('the export worker ended without a result');
  return report;
}

const isExportJob = (data: unknown): data is ExportJob => !!data && typeof data === 'object' && 'project' in data && 'ffmpegPath' in data;

serveWorkerJob<ExportJob, ExportEvent>(isExportJob, async (job, emit, signal) => {
  // The generator gets a thread of its own, so this one composites and feeds ffmpeg meanwhile.
  const engine = await GeneratorThread.load(job.modelPath, { device: job.device });
  // Progress at most ~10 times a second: each message crosses threads.
  let last = 0;
  const report = await exportVideo(job.project, job.photoPath, engine, {
    ...job.options,
    ffmpegPath: job.ffmpegPath,
    signal,
    onNotice: (message) => emit({ type: 'notice', message }),
    onProgress: (progress) => {
      const now = performance.now();
      if (now - last < 100 && progress.stage === 'rendering') return;
      last = now;
      emit({ type: 'progress', progress });
    },
  }).finally(() => engine.close());
  emit({ type: 'done', report });
});
