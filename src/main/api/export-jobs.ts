// One studio's exports: each runs in a worker thread and pushes its progress as 'export.progress'
// events (its status can also be asked for by id). Output goes to the studio's exports folder under
// a name that never replaces an existing file, or to a path the user chose in the save dialog.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ExportStatus } from '../../shared/api';
import { StudioError, toErrorInfo } from '../../shared/errors';
import { carriesSound, type OutputSettings } from '../../shared/project/schema';
import type { Timeline } from '../../shared/timeline/model';
import { runExportInWorker, type ExportJob } from '../render/export-worker';
import { resolveFfmpeg } from '../render/ffmpeg-path';
import type { EventBus } from './events';
import type { AudioTracks } from './studio-audio';
import type { ModelLibrary } from './studio-models';
import { projectOf } from './studio-projects';
import type { PhotoSession } from './studio-session';
import type { StudioStorage } from './studio-storage';

interface Job {
  status: ExportStatus;
  readonly controller: AbortController;
  readonly started: number;
  /** Settles when the worker has finished, been cancelled or failed (and cleaned up). */
  finished: Promise<void>;
}

/** Finished jobs kept for status calls and downloads; older ones are forgotten. */
const MAX_FINISHED_JOBS = 20;

const EXTENSIONS: Record<OutputSettings['format'], string> = { mp4: '.mp4', webm: '.webm', gif: '.gif', png: '' };

/** `name.ext`, or `name (2).ext`, ... when taken: an export never replaces a file. */
function freeName(dir: string, fileName: string, format: OutputSettings['format']): string {
  const ext = EXTENSIONS[format];
  const base = fileName.toLowerCase().endsWith(ext) && ext ? fileName.slice(0, -ext.length) : fileName;
  for (let n = 1; ; n++) {
    const candidate = `${base}${n > 1 ? ` (${n})` : ''}${ext}`;
    if (!fs.existsSync(path.join(dir, candidate))) return candidate;
  }
}

export interface ExportStart {
  readonly photoId: string;
  readonly timeline: Timeline;
  readonly output: OutputSettings;
  readonly fps: number;
  readonly fileName: string;
  readonly outputPath?: string;
}

export interface ExportJobsDeps {
  readonly storage: StudioStorage;
  readonly photos: PhotoSession;
  readonly models: ModelLibrary;
  readonly audio: AudioTracks;
  readonly bus: EventBus;
  /** The host's save dialog (desktop), starting at a suggested path; null when cancelled. */
  readonly chooseSavePath?: (suggested: string) => Promise<string | null>;
  /** Shows a file in the host's file manager (desktop). */
  readonly revealFile?: (file: string) => void;
}

export class ExportJobs {
  private readonly jobs = new Map<string, Job>();
  /** Paths the user chose in the save dialog: the only places outside the exports folder an export may write. */
  private readonly chosenPaths = new Set<string>();

  constructor(private readonly deps: ExportJobsDeps) {}

  /** Asks the user where to save (desktop only); null when cancelled. The path is then allowed for one export. */
  async choosePath(fileName: string, format: OutputSettings['format']): Promise<{ path: string } | null> {
    const dialog = this.deps.chooseSavePath;
    if (!dialog) throw new StudioError('not-supported', 'this studio cannot show a save dialog (web mode saves to its exports folder; download the file when done)');
    const chosen = await dialog(path.join(this.deps.storage.dir('exports'), `${fileName}${EXTENSIONS[format]}`));
    if (!chosen) return null;
    const resolved = path.resolve(chosen);
    this.chosenPaths.add(resolved);
    return { path: resolved };
  }

  start(args: ExportStart): ExportStatus {
    const { photos, models, audio } = this.deps;
    const open = photos.openPhotoOf(args.photoId);
    const modelPath = models.activePath();
    const audioPath = carriesSound(args.output.format) && args.output.audioPath ? audio.exportable(args.output.audioPath) : null;
    const outputPath = this.outputPathFor(args);
    const project = projectOf(open, path.join(path.dirname(outputPath), 'export.json'), args.timeline, args.output);
    const jobId = crypto.randomUUID();
    const job: Job = {
      controller: new AbortController(),
      started: performance.now(),
      status: { jobId, state: 'running', stage: 'preparing', notices: [], framesEncoded: 0, totalFrames: 0, framesPerSecond: 0, etaSeconds: 0, elapsedSeconds: 0, fileName: path.basename(outputPath), outputPath },
      finished: Promise.resolve(),
    };
    this.jobs.set(jobId, job);
    const request: ExportJob = {
      project,
      photoPath: open.path,
      modelPath,
      device: 'auto',
      ffmpegPath: resolveFfmpeg().path,
      options: { format: args.output.format, outputPath, size: args.output.size, fps: args.fps, quality: args.output.quality, range: args.output.range, audioPath, batchSize: 8 },
    };
    job.finished = this.run(job, request).finally(() => this.forgetOldJobs());
    return job.status;
  }

  /** Runs the export in its worker; the job's status follows it, and windows follow it through events. */
  private run(job: Job, request: ExportJob): Promise<void> {
    const elapsed = () => (performance.now() - job.started) / 1000;
    // Progress ~4 times a second, state changes at once.
    const announce = this.deps.bus.throttled('export.progress', 250);
    const update = (status: ExportStatus) => {
      job.status = status;
      announce(() => status, status.state !== 'running');
    };
    return runExportInWorker(
      request,
      (p) => update({ ...job.status, stage: p.stage, framesEncoded: p.framesEncoded, totalFrames: p.totalFrames, framesPerSecond: p.framesPerSecond, etaSeconds: p.etaSeconds, elapsedSeconds: elapsed() }),
      job.controller.signal,
      (message) => {
        if (!job.status.notices.includes(message)) update({ ...job.status, notices: [...job.status.notices, message] });
      },
    ).then(
      (report) => update({ ...job.status, state: 'done', stage: 'done', framesEncoded: report.frames, totalFrames: report.frames, etaSeconds: 0, elapsedSeconds: elapsed() }),
      (err) => {
        const cancelled = job.controller.signal.aborted;
        update({ ...job.status, state: cancelled ? 'cancelled' : 'failed', elapsedSeconds: elapsed(), ...(cancelled ? {} : { error: toErrorInfo(err) }) });
      },
    );
  }

  status(jobId: string): ExportStatus {
    const job = this.jobOf(jobId);
    return job.status.state === 'running' ? { ...job.status, elapsedSeconds: (performance.now() - job.started) / 1000 } : job.status;
  }

  /** Stops the export: ffmpeg is killed and the partial output removed (by the export itself). */
  cancel(jobId: string): ExportStatus {
    const job = this.jobOf(jobId);
    if (job.status.state === 'running') job.controller.abort();
    return job.status;
  }

  reveal(jobId: string): { shown: boolean } {
    const job = this.jobOf(jobId);
    if (job.status.state !== 'done' || !this.deps.revealFile) return { shown: false };
    this.deps.revealFile(job.status.outputPath);
    return { shown: true };
  }

  /** The finished export's file in the exports folder, for web-mode downloads (null when not one). */
  file(fileName: string): string | null {
    const exportsDir = this.deps.storage.dir('exports');
    const job = [...this.jobs.values()].find((j) => j.status.fileName === fileName && j.status.state === 'done' && path.dirname(j.status.outputPath) === exportsDir);
    return job && fs.existsSync(job.status.outputPath) && fs.statSync(job.status.outputPath).isFile() ? job.status.outputPath : null;
  }

  /** Cancels every running export and waits until each has stopped and removed its partial file. */
  async dispose(): Promise<void> {
    const jobs = [...this.jobs.values()];
    for (const job of jobs) if (job.status.state === 'running') job.controller.abort();
    await Promise.all(jobs.map((job) => job.finished));
  }

  private outputPathFor(args: ExportStart): string {
    if (args.outputPath) {
      // Only a path the user picked in the save dialog (who confirmed any replacement there).
      const chosen = path.resolve(args.outputPath);
      if (!this.chosenPaths.delete(chosen)) throw new StudioError('path-not-chosen', `${args.outputPath} was not chosen in the save dialog`);
      return chosen;
    }
    const dir = this.deps.storage.dir('exports');
    return path.join(dir, freeName(dir, args.fileName, args.output.format));
  }

  private forgetOldJobs(): void {
    const finished = [...this.jobs.entries()].filter(([, j]) => j.status.state !== 'running');
    for (const [id] of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED_JOBS))) this.jobs.delete(id);
  }

  private jobOf(jobId: string): Job {
    const job = this.jobs.get(jobId);
    if (!job) throw new StudioError('no-such-job', `no export ${jobId}`);
    return job;
  }
}
