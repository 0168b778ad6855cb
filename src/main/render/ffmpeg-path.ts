// Finds the ffmpeg binary: FFMPEG_PATH, then the optional ffmpeg-static package, then
// @ffmpeg-installer/ffmpeg (its binary ships inside the npm package), then ffmpeg on PATH.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { StudioError } from '../../shared/errors';

export interface FfmpegLocation {
  readonly path: string;
  /** Where it came from: 'FFMPEG_PATH', 'ffmpeg-static', '@ffmpeg-installer/ffmpeg' or 'PATH'. */
  readonly source: string;
}

/** A binary, or why this source has none. */
type Probe = { readonly path: string } | { readonly missing: string };

// A runtime require (not an import) keeps resolution synchronous for its callers, and bundlers
// leave it alone, so ffmpeg-static may be absent without breaking the build.
// Not named `require`: the Electron bundle injects its own `require` shim into the same chunk.
const requireCjs = createRequire(import.meta.url);

function runs(binary: string): boolean {
  const probe = spawnSync(binary, ['-version'], { stdio: 'ignore', timeout: 10_000 });
  return probe.status === 0;
}

function fromPackage(name: string, pick: (mod: unknown) => unknown): Probe {
  let mod: unknown;
  try {
    mod = requireCjs(name);
  } catch {
    return { missing: 'not installed' };
  }
  const found = pick(mod);
  if (typeof found !== 'string' || !fs.existsSync(found)) return { missing: `no binary for ${process.platform}-${process.arch}` };
  return runs(found) ? { path: found } : { missing: `${found} does not run` };
}

function fromPath(env: NodeJS.ProcessEnv): Probe {
  const names = process.platform === 'win32' ? ['ffmpeg.exe'] : ['ffmpeg'];
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    for (const name of names) {
      const candidate = path.join(dir, name);
      if (fs.existsSync(candidate) && runs(candidate)) return { path: candidate };
    }
  }
  return { missing: dirs.length ? 'no working ffmpeg in any PATH folder' : 'PATH is empty' };
}

/** Resolves ffmpeg once per call; throws StudioError 'ffmpeg-missing' listing every source tried. */
export function resolveFfmpeg(env: NodeJS.ProcessEnv = process.env): FfmpegLocation {
  if (env.FFMPEG_PATH) {
    if (fs.existsSync(env.FFMPEG_PATH) && runs(env.FFMPEG_PATH)) return { path: env.FFMPEG_PATH, source: 'FFMPEG_PATH' };
    throw new StudioError('ffmpeg-missing', `FFMPEG_PATH is set to ${env.FFMPEG_PATH}, but that is not a working ffmpeg binary (it must run "ffmpeg -version")`);
  }
  const sources: [string, () => Probe][] = [
    ['ffmpeg-static', () => fromPackage('ffmpeg-static', (m) => m)],
    ['@ffmpeg-installer/ffmpeg', () => fromPackage('@ffmpeg-installer/ffmpeg', (m) => (m as { path?: unknown }).path)],
    ['PATH', () => fromPath(env)],
  ];
  const tried = ['FFMPEG_PATH (not set)'];
  for (const [source, probe] of sources) {
    const found = probe();
    if ('path' in found) return { path: found.path, source };
    tried.push(`${source} (${found.missing})`);
  }
  throw new StudioError('ffmpeg-missing', `no ffmpeg found; tried ${tried.join(', ')}. Install ffmpeg or set FFMPEG_PATH to its binary`);
}
