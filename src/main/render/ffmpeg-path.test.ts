import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { resolveFfmpeg } from './ffmpeg-path';

describe('resolveFfmpeg', () => {
  it('finds a working ffmpeg without configuration', () => {
    const found = resolveFfmpeg({});
    expect(['ffmpeg-static', '@ffmpeg-installer/ffmpeg', 'PATH']).toContain(found.source);
    const run = spawnSync(found.path, ['-version'], { encoding: 'utf8' });
    expect(run.stdout).toMatch(/^ffmpeg version/);
  });
  it('prefers FFMPEG_PATH and names it when it is broken', () => {
    const found = resolveFfmpeg({});
    expect(resolveFfmpeg({ FFMPEG_PATH: found.path }).source).toBe('FFMPEG_PATH');
    expect(() => resolveFfmpeg({ FFMPEG_PATH: '/no/such/ffmpeg' })).toThrow(/FFMPEG_PATH is set to \/no\/such\/ffmpeg/);
  });
});
