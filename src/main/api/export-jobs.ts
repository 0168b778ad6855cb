// Exports started from the studio: each runs in a worker thread and is polled by id. Output goes to
// the studio's exports folder under a name that never replaces an existing file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ExportStatus } from '../../shared/api';
import { StudioError, toErrorInfo } from '../../shared/errors';
import { carriesSound, type OutputSettings } from '../../shared/project/schema';
import type { Timeline } from '../../shared/timeline/model';
import { runExportInWorker } from '../render/export-worker';
import { resolveFfmpeg } from '../render/ffmpeg-path';
import { throttledPublisher } from './events';
import { exportableAudio } from './studio-audio';
import { projectOf } from './studio-projects';
import { activeModelPath, openPhotoOf, storageDir } from './studio-session';

interface Job {
  status: ExportStatus;
  readonly controller: AbortController;
  readonly started: number;
}

const jobs = new Map<string, Job>();
/** Finished jobs kept for polling; older ones are forgotten. */
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

/** Host hooks the Electron shell sets: show a file in the file manager, and a save dialog. */
let revealHook: ((file: string) => void) | null = null;
let saveDialogHook: ((suggested: string) => Promise<string | null>) | null = null;
export function setRevealHook(hook: (file: string) => void): void {
  revealHook = hook;
}
export function setSaveDialogHook(hook: (suggested: string) => Promise<string | null>): void {
  saveDialogHook = hook;
}

/** Paths the user chose in the save dialog: the only places outside the exports folder an export may write. */
const chosenPaths = new Set<string>();

/** Asks the user where to save (desktop only); null when cancelled. The path is then allowed for one export. */
export async function chooseExportPath(fileName: string, format: OutputSettings['format']): Promise<{ path: string } | null> {
  if (!saveDialogHook) throw new StudioError('not-supported', 'this studio cannot show a save dialog (web mode saves to its exports folder; download the file when done)');
  const chosen = await saveDialogHook(path.join(storageDir('exports'), `${fileName}${EXTENSIONS[format]}`));
  if (!chosen) return null;
  const resolved = path.resolve(chosen);
  chosenPaths.add(resolved);
  return { path: resolved };
}

export function startExport(args: { photoId: string; timeline: Timeline; output: OutputSettings; fps: number; fileName: string; outputPath?: string }): ExportStatus {
  const open = openPhotoOf(args.photoId);
  const modelPath = activeModelPath();
  const audioPath = carriesSound(args.output.format) && args.output.audioPath ? exportableAudio(args.output.audioPath) : null;
  let outputPath: string;
  if (args.outputPath) {
    // Only a path the user picked in the save dialog (who confirmed any replacement there).
    outputPath = path.resolve(args.outputPath);
    if (!chosenPaths.delete(outputPath)) throw new StudioError('path-not-chosen', `${args.outputPath} was not chosen in the save dialog`);
  } else {
    const dir = storageDir('exports');
    outputPath = path.join(dir, freeName(dir, args.fileName, args.output.format));
  }
  const fileName = path.basename(outputPath);
  const project = projectOf(open, path.join(path.dirname(outputPath), 'export.json'), args.timeline, args.output);
  const jobId = crypto.randomUUID();
  const job: Job = {
    controller: new AbortController(),
    started: performance.now(),
    status: { jobId, state: 'running', stage: 'preparing', framesEncoded: 0, totalFrames: 0, framesPerSecond: 0, etaSeconds: 0, elapsedSeconds: 0, fileName, outputPath },
  };
  jobs.set(jobId, job);
  const elapsed = () => (performance.now() - job.started) / 1000;
  // Windows follow the job through events (progress ~4 times a second, state changes at once).
  const announce = throttledPublisher('export.progress', 250);
  const update = (status: ExportStatus) => {
    job.status = status;
    announce(() => status, status.state !== 'running');
  };
  runExportInWorker(
    {
      project,
      photoPath: open.path,
      modelPath,
      device: 'auto',
      ffmpegPath: resolveFfmpeg().path,
      options: { format: args.output.format, outputPath, size: args.output.size, fps: args.fps, quality: args.output.quality, range: args.output.range, audioPath, batchSize: 8 },
    },
    (p) => update({ ...job.status, stage: p.stage, framesEncoded: p.framesEncoded, totalFrames: p.totalFrames, framesPerSecond: p.framesPerSecond, etaSeconds: p.etaSeconds, elapsedSeconds: elapsed() }),
    job.controller.signal,
  ).then(
    (report) => update({ ...job.status, state: 'done', stage: 'done', framesEncoded: report.frames, totalFrames: report.frames, etaSeconds: 0, elapsedSeconds: elapsed() }),
    (err) => {
      const cancelled = job.controller.signal.aborted;
      update({ ...job.status, state: cancelled ? 'cancelled' : 'failed', elapsedSeconds: elapsed(), ...(cancelled ? {} : { error: toErrorInfo(err) }) });
    },
  ).finally(forgetOldJobs);
  return job.status;
}

function forgetOldJobs(): void {
  const finished = [...jobs.entries()].filter(([, j]) => j.status.state !== 'running');
  for (const [id] of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED_JOBS))) jobs.delete(id);
}

function jobOf(jobId: string): Job {
  const job = jobs.get(jobId);
  if (!job) throw new StudioError('no-such-job', `no export ${jobId}`);
  return job;
}

export const exportStatus = (jobId: string): ExportStatus => {
  const job = jobOf(jobId);
  return job.status.state === 'running' ? { ...job.status, elapsedSeconds: (performance.now() - job.started) / 1000 } : job.status;
};

/** Stops the export: ffmpeg is killed and the partial output removed (by the export itself). */
export function cancelExport(jobId: string): ExportStatus {
  const job = jobOf(jobId);
  if (job.status.state === 'running') job.controller.abort();
  return job.status;
}

export function revealExport(jobId: string): { shown: boolean } {
  const job = jobOf(jobId);
  if (job.status.state !== 'done' || !revealHook) return { shown: false };
  revealHook(job.status.outputPath);
  return { shown: true };
}

/** The finished export's file in the exports folder, for web-mode downloads (null when not one). */
export function exportFile(fileName: string): string | null {
  const exportsDir = storageDir('exports');
  const job = [...jobs.values()].find((j) => j.status.fileName === fileName && j.status.state === 'done' && path.dirname(j.status.outputPath) === exportsDir);
  return job && fs.existsSync(job.status.outputPath) && fs.statSync(job.status.outputPath).isFile() ? job.status.outputPath : null;
}
