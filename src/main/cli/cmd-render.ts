// `ganimation render project.json -o out.mp4`: exports a project's animation with a progress line.
import { formatDuration } from '../../shared/duration';
import { carriesSound, EXPORT_FORMATS, OUTPUT_SIZES } from '../../shared/project/schema';
import { GeneratorThread } from '../infer/generator-thread';
import { loadProject, photoPathOf } from '../project/project-file';
import { probeAudio } from '../render/audio-probe';
import { exportVideo } from '../render/export-video';
import { resolveFfmpeg } from '../render/ffmpeg-path';
import { UsageError } from './args';
import { defineCommand, endProgressLine, progressLine, onStopSignal } from './command';
import { defaultModelPath } from './default-model';
import { deviceFlag } from './device-flag';

function parseRange(text: string | undefined): [number, number] | null {
  if (!text) return null;
  const m = /^([\d.]+)-([\d.]+)$/.exec(text);
  if (!m || Number(m[1]) >= Number(m[2])) throw new UsageError(`--range needs start-end in seconds, e.g. 1-3.5, got "${text}"`);
  return [Number(m[1]), Number(m[2])];
}

export const renderCommand = defineCommand({
  name: 'render',
  summary: "export a project's animation as video (or a PNG sequence)",
  usage: `project.json -o out.mp4 [--format ${EXPORT_FORMATS.join('|')}] [--size ${OUTPUT_SIZES.join('|')}] [--fps 30]`,
  flags: {
    out: { type: 'string', alias: 'o', description: 'output file (a folder for png)', required: true, placeholder: 'file' },
    format: { type: 'string', choices: EXPORT_FORMATS, description: "output format (default: the project's)" },
    size: { type: 'string', choices: OUTPUT_SIZES, description: "frame size (default: the project's)" },
    fps: { type: 'number', description: "frames per second (default: the project's)" },
    quality: { type: 'number', description: '0-100 (default: the project\'s)' },
    range: { type: 'string', description: 'seconds start-end, e.g. 0-2.5', placeholder: 'a-b' },
    audio: { type: 'string', description: `audio track to mux (${EXPORT_FORMATS.filter(carriesSound).join(', ')})`, placeholder: 'file' },
    model: { type: 'string', description: 'model file (default: the bundled model)', placeholder: 'file' },
    device: deviceFlag,
  },
  async run({ positional, flags }) {
    const [file] = positional;
    if (!file) throw new UsageError('give the project file');
    const project = loadProject(file);
    const format = flags.format ?? project.output.format;
    const size = flags.size ?? project.output.size;
    const audioPath = carriesSound(format) ? (flags.audio ?? project.output.audioPath) : null;
    // A file ffmpeg finds no sound in is refused before any frame is made, not after all of them.
    if (audioPath) await probeAudio(resolveFfmpeg().path, audioPath);
    const engine = await GeneratorThread.load(flags.model ?? defaultModelPath(), { device: flags.device ?? 'auto' });
    const controller = new AbortController();
    const stop = () => controller.abort();
    const removeStopSignal = onStopSignal(stop);
    try {
      const result = await exportVideo(project, photoPathOf(file, project), engine, {
        format, size, outputPath: flags.out,
        fps: flags.fps ?? project.fps,
        quality: flags.quality ?? project.output.quality,
        range: parseRange(flags.range) ?? project.output.range,
        audioPath,
        batchSize: 8,
        ffmpegPath: resolveFfmpeg().path,
        signal: controller.signal,
        onNotice: (message) => {
          endProgressLine();
          console.warn(`warning: ${message}`);
        },
        // No ETA before the first frame: there is no rate to estimate it from yet.
        onProgress: (p) => progressLine(`${p.stage}: frame ${p.framesEncoded}/${p.totalFrames} | ${p.framesPerSecond.toFixed(1)} fps${p.framesEncoded > 0 ? ` | ETA ${formatDuration(p.etaSeconds)}` : ''}`),
      });
      endProgressLine();
      console.log(`${result.outputPath}: ${result.frames} frames (${result.generated} generated) in ${(result.totalMs / 1000).toFixed(1)} s`);
    } finally {
      removeStopSignal();
      await engine.close();
    }
  },
});
