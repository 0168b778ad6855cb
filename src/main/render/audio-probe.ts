// Reads what an audio file holds with ffmpeg itself (the binary the export uses, so whatever it can
// read here it can mux later): its first audio stream's codec and the file's duration.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { StudioError } from '../../shared/errors';

export interface AudioInfo {
  readonly codec: string;
  /** Null when ffmpeg does not know it (some raw streams). */
  readonly durationSeconds: number | null;
}

/** What `ffmpeg -i` printed about a file: its audio codec and duration, or null for no audio stream. */
export function parseAudioInfo(ffmpegSays: string): AudioInfo | null {
  const audio = /Stream #\d+:\d+.*?: Audio: ([\w-]+)/.exec(ffmpegSays);
  if (!audio) return null;
  const d = /Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(ffmpegSays);
  return { codec: audio[1], durationSeconds: d ? Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]) : null };
}

/** The file's audio, or a clear error naming `displayName` when ffmpeg finds none. */
export async function probeAudio(ffmpegPath: string, file: string, displayName = path.basename(file)): Promise<AudioInfo> {
  // With no output, ffmpeg describes the input on stderr and exits 1: that is the expected path.
  const said = await new Promise<string>((resolve, reject) => {
    const child = spawn(ffmpegPath, ['-hide_banner', '-nostdin', '-i', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (text += chunk.slice(0, 65536 - text.length)));
    child.on('error', reject);
    child.on('close', () => resolve(text));
  });
  const info = parseAudioInfo(said);
  if (!info) throw new StudioError('no-audio', `${displayName} has no audio track that ffmpeg can read`);
  return info;
}
