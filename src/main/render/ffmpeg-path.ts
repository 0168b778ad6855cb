// Finds the ffmpeg binary: FFMPEG_PATH, then the optional ffmpeg-static package, then
// @ffmpeg-installer/ffmpeg (its binary ships inside the npm package), then ffmpeg on PATH.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { StudioError } from '../../shared/errors';

export interface FfmpegLocation {
  readonly path: string;
  /** Where it came from: 'FFMPEG_PATH', 'ffmpeg-static', '@ffmpeg-installer/ffmpeg' or 'PATH'. */
  readonly source: string;
}

const require = createRequire(import.meta.url);

function fromPackage(name: string, pick: (mod: unknown) => unknown): string | null {
  try {
    const found = pick(require(name));
    return typeof found === 'string' && fs.existsSync(found) ? found : null;
  } catch {
    return null;
  }
}

function runs(binary: string): boolean {
  const probe = spawnSync(binary, ['-version'], { stdio: 'ignore', timeout: 10_000 });
  return probe.status === 0;
}

export function resolveFfmpeg(env: NodeJS.ProcessEnv = process.env): FfmpegLocation {
  const tried: string[] = [];
  if (env.FFMPEG_PATH) {
    if (fs.existsSync(env.FFMPEG_PATH) && runs(env.FFMPEG_PATH)) return { path: env.FFMPEG_PATH, source: 'FFMPEG_PATH' };
    throw new StudioError('ffmpeg-missing', `FFMPEG_PATH is set to ${env.FFMPEG_PATH}, but that is not a working ffmpeg binary`);
  }
  const candidates: [string, () => string | null][] = [
    ['ffmpeg-static', () => fromPackage('ffmpeg-static', (m) => m)],
    ['@ffmpeg-installer/ffmpeg', () => fromPackage('@ffmpeg-installer/ffmpeg', (m) => (m as { path?: string }).path)],
    ['PATH', () => (runs('ffmpeg') ? 'ffmpeg' : null)],
  ];
  for (const [source, find] of candidates) {
    const found = find();
    if (found) return { path: found, source };
    tried.push(source);
  }
  throw new StudioError('ffmpeg-missing', `no ffmpeg found (tried FFMPEG_PATH, ${tried.join(', ')}); install ffmpeg or set FFMPEG_PATH`);
}
