import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveFfmpeg } from './ffmpeg-path';

describe('resolveFfmpeg', () => {
  it('finds a working ffmpeg without configuration', () => {
    const found = resolveFfmpeg({ PATH: process.env.PATH });
    expect(['ffmpeg-static', '@ffmpeg-installer/ffmpeg', 'PATH']).toContain(found.source);
    expect(path.isAbsolute(found.path)).toBe(true);
    const run = spawnSync(found.path, ['-version'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^ffmpeg version/);
  });

  it('prefers FFMPEG_PATH', () => {
    const found = resolveFfmpeg({});
    expect(resolveFfmpeg({ FFMPEG_PATH: found.path })).toEqual({ path: found.path, source: 'FFMPEG_PATH' });
  });

  it('names a FFMPEG_PATH that is missing or is not ffmpeg', () => {
    expect(() => resolveFfmpeg({ FFMPEG_PATH: '/no/such/ffmpeg' })).toThrow(/FFMPEG_PATH is set to \/no\/such\/ffmpeg, but that is not a working ffmpeg/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffmpeg-path-'));
    const notFfmpeg = path.join(dir, 'ffmpeg');
    fs.writeFileSync(notFfmpeg, 'not a program');
    try {
      expect(() => resolveFfmpeg({ FFMPEG_PATH: notFfmpeg })).toThrow(expect.objectContaining({ code: 'ffmpeg-missing' }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
