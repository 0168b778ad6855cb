// Encodes raw RGB frames with ffmpeg: frames are piped to stdin with backpressure; the output is
// written under a temporary name beside the target and renamed only on success. Cancel or failure
// kills ffmpeg, waits for it and removes the partial output; a failure carries ffmpeg's stderr tail.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import { buildFfmpegArgs, inputPixelFormat, type EncodeSettings } from './ffmpeg-args';
import { ProgressParser, type FfmpegProgress } from './ffmpeg-progress';
import { yuv420Bytes } from './yuv420';

export interface EncoderOptions {
  readonly ffmpegPath: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: FfmpegProgress) => void;
}

export interface Encoder {
  /**
   * Resolves once the frame has been written to ffmpeg's stdin (so the buffer may be reused). The
   * frame is laid out as `inputPixelFormat(settings.format)` says: yuv420p or packed RGB.
   */
  write(frame: Uint8Array): Promise<void>;
  /** Closes stdin, waits for ffmpeg, moves the output into place. */
  finish(): Promise<{ outputPath: string; framesEncoded: number }>;
  /** Stops ffmpeg and removes everything it wrote. */
  abort(): Promise<void>;
  readonly pid: number | undefined;
}

/** Fails before ffmpeg starts when the destination folder is missing, is a file, or refuses writes. */
function checkDestination(settings: EncodeSettings): void {
  const dir = path.dirname(path.resolve(settings.outputPath));
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new StudioError('no-such-folder', `cannot export to ${settings.outputPath}: folder ${dir} does not exist`);
  }
  if (!stat.isDirectory()) throw new StudioError('no-such-folder', `cannot export to ${settings.outputPath}: ${dir} is a file, not a folder`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new StudioError('not-writable', `cannot export to ${settings.outputPath}: folder ${dir} is not writable`);
  }
}

/** Where ffmpeg writes until it succeeds: a hidden name beside the target, unique to this process and moment. */
function partialPathOf(final: string, format: EncodeSettings['format']): string {
  return path.join(path.dirname(final), `.${path.basename(final)}.partial-${process.pid}-${Date.now()}${format === 'png' ? '' : path.extname(final)}`);
}

/** ffmpeg's failure, with its stderr tail below the message. */
function ffmpegFailure(parser: ProgressParser, final: string, why: string): StudioError {
  const said = parser.stderrTail();
  const detail = `\n--- ffmpeg said ---\n${said || '(nothing)'}`;
  // The one failure a user can act on at once: say it plainly, with ffmpeg's words below.
  if (/No space left on device|File too large/i.test(parser.writeError() ?? said) || /SIGXFSZ/.test(why)) {
    return new StudioError('disk-full', `could not write ${final}: the disk is full or the file reached the system's size limit; the export was stopped and its partial file removed${detail}`);
  }
  return new StudioError('ffmpeg-failed', `ffmpeg ${why}${detail}`);
}

/**
 * Hands one frame to ffmpeg's stdin and resolves once the OS has it, so the caller may reuse the
 * buffer. If ffmpeg dies meanwhile, its exit ends the wait (the next write then reports the failure).
 */
function writeToStdin(child: ChildProcessWithoutNullStreams, frame: Uint8Array): Promise<void> {
  return new Promise<void>((resolve) => {
    const onClose = () => resolve();
    child.once('close', onClose);
    child.stdin.write(frame, () => {
      child.off('close', onClose);
      resolve();
    });
  });
}

/** Puts the finished output in place of the target (a file or a PNG folder). */
function moveIntoPlace(temp: string, final: string): void {
  try {
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(temp, final);
  } catch (err) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw new StudioError('write-failed', `could not move the export into ${final}: ${(err as Error).message}`);
  }
}

export function createEncoder(settings: EncodeSettings, options: EncoderOptions): Encoder {
  checkDestination(settings);
  const final = path.resolve(settings.outputPath);
  const temp = partialPathOf(final, settings.format);
  if (settings.format === 'png') fs.mkdirSync(temp);
  const pixelFormat = inputPixelFormat(settings.format);
  const frameBytes = pixelFormat === 'yuv420p' ? yuv420Bytes(settings.width, settings.height) : settings.width * settings.height * 3;
  const parser = new ProgressParser();
  let progress: FfmpegProgress = { framesEncoded: 0, fps: 0, done: false };
  const child: ChildProcessWithoutNullStreams = spawn(options.ffmpegPath, buildFfmpegArgs(settings, temp), { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  let spawnError: Error | null = null;
  let stdinError: Error | null = null;
  let aborted = false;
  child.on('error', (err) => (spawnError = err));
  child.stdin.on('error', (err) => (stdinError = err));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    const p = parser.push(chunk);
    if (p) {
      progress = p;
      options.onProgress?.(p);
    }
  });
  const cleanup = () => fs.rmSync(temp, { recursive: true, force: true });

  const abort = async (): Promise<void> => {
    aborted = true;
    child.stdin.destroy();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
    cleanup();
  };
  options.signal?.addEventListener('abort', () => void abort(), { once: true });

  return {
    pid: child.pid,
    async write(frame) {
      if (frame.length !== frameBytes) throw new StudioError('bad-frame', `frame has ${frame.length} bytes; ${settings.width}x${settings.height} ${pixelFormat} needs ${frameBytes}`);
      if (aborted) throw new StudioError('cancelled', 'the export was cancelled');
      if (spawnError || stdinError || child.exitCode !== null || child.signalCode !== null) {
        await abort();
        throw ffmpegFailure(parser, final, spawnError ? `could not start: ${(spawnError as Error).message}` : 'stopped while frames were still being written');
      }
      await writeToStdin(child, frame);
    },
    async finish() {
      child.stdin.end();
      const { code, signal } = await exited;
      if (aborted) throw new StudioError('cancelled', 'the export was cancelled');
      if (code !== 0 || parser.writeError()) {
        cleanup();
        throw ffmpegFailure(parser, final, signal ? `was killed (${signal})` : code !== 0 ? `exited with code ${code}` : `could not write the output: ${parser.writeError()}`);
      }
      moveIntoPlace(temp, final);
      return { outputPath: final, framesEncoded: progress.framesEncoded };
    },
    abort,
  };
}
