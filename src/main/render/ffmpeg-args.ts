// Builds ffmpeg argument lists for encoding raw frames from stdin. Pure, tested on literals.
import { carriesSound, type ExportFormat, type OutputSize } from '../../shared/project/schema';

/** Fully specified encode settings. */
export interface EncodeSettings {
  readonly format: ExportFormat;
  /** Size of the frames written to stdin. */
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly outputSize: OutputSize;
  /** 0 (smallest file) to 100 (best). */
  readonly quality: number;
  readonly audioPath?: string;
  /** For png: a folder; frames are frame_00001.png, ... */
  readonly outputPath: string;
}

/** Output dimensions: scaled down (never up) to the target height, even where the codec needs it. */
export function outputDimensions(s: Pick<EncodeSettings, 'width' | 'height' | 'outputSize' | 'format'>): [number, number] {
  const target = s.outputSize === '1080p' ? 1080 : s.outputSize === '720p' ? 720 : s.height;
  const scale = Math.min(1, target / s.height);
  let w = Math.round(s.width * scale);
  let h = Math.round(s.height * scale);
  // yuv420p stores chroma per 2x2 block, so its frames need even sides.
  if (inputPixelFormat(s.format) === 'yuv420p') {
    w -= w % 2;
    h -= h % 2;
  }
  return [Math.max(w, 2), Math.max(h, 2)];
}

/**
 * The raw frame layout piped to ffmpeg: planar yuv420p for the video codecs that encode it (the
 * caller converts only what changed between frames, see yuv420.ts), packed RGB for GIF and PNG.
 */
export function inputPixelFormat(format: ExportFormat): 'yuv420p' | 'rgb24' {
  return format === 'mp4' || format === 'webm' ? 'yuv420p' : 'rgb24';
}

const lerp = (best: number, worst: number, quality: number) => Math.round(worst + ((best - worst) * Math.min(100, Math.max(0, quality))) / 100);

export function buildFfmpegArgs(s: EncodeSettings, output: string): string[] {
  const [w, h] = outputDimensions(s);
  const scale = w !== s.width || h !== s.height ? `scale=${w}:${h}:flags=lanczos` : null;
  const args = ['-hide_banner', '-nostdin', '-y', '-f', 'rawvideo', '-pix_fmt', inputPixelFormat(s.format), '-s', `${s.width}x${s.height}`, '-r', String(s.fps), '-i', 'pipe:0'];
  const withAudio = s.audioPath && carriesSound(s.format);
  if (withAudio) args.push('-i', s.audioPath as string);
  switch (s.format) {
    case 'mp4':
      if (scale) args.push('-vf', scale);
      // 'veryfast' keeps encoding from starving generation on small CPUs; CRF holds the quality.
      args.push('-c:v', 'libx264', '-preset', 'veryfast', '-crf', String(lerp(14, 35, s.quality)), '-pix_fmt', 'yuv420p', '-movflags', '+faststart');
      // The video sets the length: a shorter track is padded with silence (plain -shortest dropped
      // the last video frame), a longer one is cut.
      if (withAudio) args.push('-af', 'apad', '-c:a', 'aac', '-b:a', '160k', '-shortest');
      args.push('-f', 'mp4');
      break;
    case 'webm':
      if (scale) args.push('-vf', scale);
      args.push('-c:v', 'libvpx-vp9', '-b:v', '0', '-crf', String(lerp(18, 45, s.quality)), '-pix_fmt', 'yuv420p', '-row-mt', '1');
      if (withAudio) args.push('-af', 'apad', '-c:a', 'libopus', '-b:a', '128k', '-shortest');
      args.push('-f', 'webm');
      break;
    case 'gif':
      args.push('-filter_complex', `[0:v]${scale ? `${scale},` : ''}split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=sierra2_4a`, '-f', 'gif');
      break;
    case 'png':
      if (scale) args.push('-vf', scale);
      args.push('-c:v', 'png', '-f', 'image2');
      return [...args, '-progress', 'pipe:2', `${output}/frame_%05d.png`];
  }
  return [...args, '-progress', 'pipe:2', output];
}
