// `ganimation render project.json -o out.mp4`: exports a project's animation with a progress line.
import { formatDuration } from '../../shared/duration';
import { carriesSound } from '../../shared/project/schema';
import { GeneratorThread } from '../infer/generator-thread';
import { parseDevice } from '../infer/providers';
import { loadProject, photoPathOf } from '../project/project-file';
import { probeAudio } from '../render/audio-probe';
import { exportVideo } from '../render/export-video';
import type { OutputSize, VideoFormat } from '../render/ffmpeg-args';
import { resolveFfmpeg } from '../render/ffmpeg-path';
import { UsageError } from './args';
import { endProgressLine, progressLine, type Command } from './command';
import { defaultModelPath } from './default-model';

const FORMATS: VideoFormat[] = ['mp4', 'webm', 'gif', 'png'];
const SIZES: OutputSize[] = ['original', '1080p', '720p'];

function parseRange(text: string | undefined): [number, number] | null {
  if (!text) return null;
  const m = /^([\d.]+)-([\d.]+)$/.exec(text);
  if (!m || Number(m[1]) >= Number(m[2])) throw new UsageError(`--range needs start-end in seconds, e.g. 1-3.5, got "${text}"`);
  return [Number(m[1]), Number(m[2])];
}

export const renderCommand: Command = {
  name: 'render',
  summary: "export a project's animation as video (or a PNG sequence)",
  usage: 'project.json -o out.mp4 [--format mp4|webm|gif|png] [--size original|1080p|720p] [--fps 30]',
  flags: {
    out: { type: 'string', alias: 'o', description: 'output file (a folder for png)', required: true, placeholder: 'file' },
    format: { type: 'string', description: "mp4, webm, gif or png (default: the project's)", placeholder: 'name' },
    size: { type: 'string', description: "original, 1080p or 720p (default: the project's)", placeholder: 'size' },
    fps: { type: 'number', description: "frames per second (default: the project's)" },
    quality: { type: 'number', description: '0-100 (default: the project\'s)' },
    range: { type: 'string', description: 'seconds start-end, e.g. 0-2.5', placeholder: 'a-b' },
    audio: { type: 'string', description: 'audio track to mux (mp4, webm)', placeholder: 'file' },
    model: { type: 'string', description: 'model file (default: the bundled model)', placeholder: 'file' },
    device: { type: 'string', description: 'auto, cpu, cuda, dml, coreml (default auto)', placeholder: 'name' },
  },
  async run({ positional, flags }) {
    const [file] = positional;
    if (!file) throw new UsageError('give the project file');
    const project = loadProject(file);
    const format = ((flags.format as string | undefined) ?? project.output.format) as VideoFormat;
    const size = ((flags.size as string | undefined) ?? project.output.size) as OutputSize;
    if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
    if (!SIZES.includes(size)) throw new UsageError(`--size must be one of ${SIZES.join(', ')}`);
    const audioPath = carriesSound(format) ? ((flags.audio as string | undefined) ?? project.output.audioPath) : null;
    // A file ffmpeg finds no sound in is refused before any frame is made, not after all of them.
    if (audioPath) await probeAudio(resolveFfmpeg().path, audioPath);
    const engine = await GeneratorThread.load((flags.model as string | undefined) ?? defaultModelPath(), { device: parseDevice((flags.device as string | undefined) ?? 'auto') });
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    try {
      const result = await exportVideo(project, photoPathOf(file, project), engine, {
        format, size, outputPath: flags.out as string,
        fps: (flags.fps as number | undefined) ?? project.fps,
        quality: (flags.quality as number | undefined) ?? project.output.quality,
        range: parseRange(flags.range as string | undefined) ?? project.output.range,
        audioPath,
        batchSize: 8,
        ffmpegPath: resolveFfmpeg().path,
        signal: controller.signal,
        // No ETA before the first frame: there is no rate to estimate it from yet.
        onProgress: (p) => progressLine(`${p.stage}: frame ${p.framesEncoded}/${p.totalFrames} | ${p.framesPerSecond.toFixed(1)} fps${p.framesEncoded > 0 ? ` | ETA ${formatDuration(p.etaSeconds)}` : ''}`),
      });
      endProgressLine();
      console.log(`${result.outputPath}: ${result.frames} frames (${result.generated} generated) in ${(result.totalMs / 1000).toFixed(1)} s`);
    } finally {
      process.removeListener('SIGINT', stop);
      await engine.close();
    }
  },
};
