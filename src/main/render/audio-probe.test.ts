// Audio files read with the real ffmpeg: a generated tone, a video with no sound, and not audio at all.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAudioInfo, probeAudio } from './audio-probe';
import { resolveFfmpeg } from './ffmpeg-path';

const ffmpeg = resolveFfmpeg().path;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-audio-'));

describe('probeAudio', () => {
  it('reads the codec and duration of an audio file', async () => {
    const wav = path.join(dir, 'tone.wav');
    spawnSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2.5', wav]);
    const info = await probeAudio(ffmpeg, wav);
    expect(info.codec).toBe('pcm_s16le');
    expect(info.durationSeconds).toBeCloseTo(2.5, 1);
  });
  it('refuses a silent video and a text file, naming the file as the user knows it', async () => {
    const silent = path.join(dir, 'silent.mp4');
    spawnSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'color=size=64x64:duration=1', '-pix_fmt', 'yuv420p', silent]);
    await expect(probeAudio(ffmpeg, silent, 'holiday.mp4')).rejects.toThrow(/^holiday\.mp4 has no audio track that ffmpeg can read$/);
    const text = path.join(dir, 'notes.mp3');
    fs.writeFileSync(text, 'not audio at all');
    await expect(probeAudio(ffmpeg, text)).rejects.toThrow(/^notes\.mp3 has no audio track that ffmpeg can read$/);
  });
});

describe('parseAudioInfo', () => {
  it('takes the first audio stream of a file with video and audio', () => {
    const said = 'Input #0, mov,mp4\n  Duration: 01:02:03.50, start: 0\n    Stream #0:0(und): Video: h264\n    Stream #0:1(eng): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz';
    expect(parseAudioInfo(said)).toEqual({ codec: 'aac', durationSeconds: 3723.5 });
  });
});
