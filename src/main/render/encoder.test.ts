// The encoder with the real ffmpeg: files read back with ffmpeg itself (codec, pixel format, size,
// frame count, fidelity), cancel and kill leave nothing behind, bad destinations fail up front.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StudioError } from '../../shared/errors';
import { createEncoder, type Encoder } from './encoder';
import { inputPixelFormat, type EncodeSettings } from './ffmpeg-args';
import { resolveFfmpeg } from './ffmpeg-path';
import { rgbToYuv420, yuv420Bytes } from './yuv420';

const ffmpeg = resolveFfmpeg().path;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-encode-'));

function frame(w: number, h: number, t: number): Uint8Array {
  const f = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      f[i] = (x * 255) / w;
      f[i + 1] = (y * 255) / h;
      f[i + 2] = (t * 8) % 256;
    }
  }
  return f;
}

/** A frame as the encoder takes it for these settings. */
function input(settings: EncodeSettings, t: number): Uint8Array {
  const rgb = frame(settings.width, settings.height, t);
  if (inputPixelFormat(settings.format) === 'rgb24') return rgb;
  const yuv = new Uint8Array(yuv420Bytes(settings.width, settings.height));
  rgbToYuv420(rgb, settings.width, settings.height, yuv);
  return yuv;
}

async function encode(settings: EncodeSettings, frames: number): Promise<string> {
  const enc = createEncoder(settings, { ffmpegPath: ffmpeg });
  for (let t = 0; t < frames; t++) await enc.write(input(settings, t));
  return (await enc.finish()).outputPath;
}

/** Decodes a video back to raw RGB frames with ffmpeg. */
function decode(file: string, w: number, h: number): Uint8Array[] {
  const out = spawnSync(ffmpeg, ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 1 << 28 });
  const frames: Uint8Array[] = [];
  for (let o = 0; o + w * h * 3 <= out.stdout.length; o += w * h * 3) frames.push(out.stdout.subarray(o, o + w * h * 3));
  return frames;
}

/** The error that writing `frames` frames and finishing ends with, or null when the encode succeeds. */
async function failureOf(enc: Encoder, frameSettings: EncodeSettings, frames: number): Promise<Error | null> {
  try {
    for (let t = 0; t < frames; t++) await enc.write(input(frameSettings, t));
    await enc.finish();
    return null;
  } catch (err) {
    return err as Error;
  }
}

const streamInfo = (file: string) => spawnSync(ffmpeg, ['-hide_banner', '-i', file], { encoding: 'utf8' }).stderr;

function psnr(a: Uint8Array, b: Uint8Array): number {
  let mse = 0;
  for (let i = 0; i < a.length; i++) mse += (a[i] - b[i]) ** 2;
  return 10 * Math.log10((255 * 255) / (mse / a.length));
}

const settings = (dir: string, extra: Partial<EncodeSettings>): EncodeSettings => ({ format: 'mp4', width: 320, height: 240, fps: 30, outputSize: 'original', quality: 90, outputPath: path.join(dir, 'out.mp4'), ...extra });

describe('createEncoder', () => {
  it('writes H.264 yuv420p MP4 with every frame, even size and high fidelity', async () => {
    const dir = tmp();
    const odd = await encode(settings(dir, { width: 321, height: 241, outputPath: path.join(dir, 'odd.mp4') }), 3);
    expect(streamInfo(odd)).toMatch(/Video: h264.*yuv420p.*320x240/);
    fs.rmSync(odd);
    const file = await encode(settings(dir, {}), 30);
    const frames = decode(file, 320, 240);
    expect(frames.length).toBe(30);
    expect(psnr(frames[10], frame(320, 240, 10))).toBeGreaterThan(35);
    expect(fs.readdirSync(dir)).toEqual(['out.mp4']);
  });
  it('writes WebM (VP9), GIF and a PNG sequence, and scales to 720p', async () => {
    const dir = tmp();
    expect(streamInfo(await encode(settings(dir, { format: 'webm', outputPath: path.join(dir, 'v.webm') }), 10))).toMatch(/Video: vp9/);
    expect(streamInfo(await encode(settings(dir, { format: 'gif', outputPath: path.join(dir, 'v.gif') }), 10))).toMatch(/Video: gif/);
    const pngDir = await encode(settings(dir, { format: 'png', outputPath: path.join(dir, 'frames') }), 5);
    expect(fs.readdirSync(pngDir).sort()).toEqual(['frame_00001.png', 'frame_00002.png', 'frame_00003.png', 'frame_00004.png', 'frame_00005.png']);
    const big = await encode(settings(dir, { width: 1600, height: 1200, outputSize: '720p', outputPath: path.join(dir, 'big.mp4') }), 3);
    expect(streamInfo(big)).toMatch(/960x720/);
  });
  it('muxes an audio track, ending with the video', async () => {
    const dir = tmp();
    const wav = path.join(dir, 'tone.wav');
    spawnSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', wav]);
    const file = await encode(settings(dir, { audioPath: wav }), 30);
    expect(streamInfo(file)).toMatch(/Audio: aac/);
    expect(streamInfo(file)).toMatch(/Duration: 00:00:01\.0/); // the longer audio is cut at the video's end
    // A shorter audio track is padded with silence: the video keeps every frame.
    const short = path.join(dir, 'short.wav');
    spawnSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.3', short]);
    const padded = await encode(settings(dir, { audioPath: short, outputPath: path.join(dir, 'padded.mp4') }), 30);
    expect(decode(padded, 320, 240).length).toBe(30);
  });
  it('cancel leaves no output, no temporary file and no process', async () => {
    const dir = tmp();
    const controller = new AbortController();
    const enc = createEncoder(settings(dir, {}), { ffmpegPath: ffmpeg, signal: controller.signal });
    for (let t = 0; t < 5; t++) await enc.write(input(settings(dir, {}), t));
    controller.abort();
    await enc.abort();
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(() => process.kill(enc.pid as number, 0)).toThrow();
    await expect(enc.finish()).rejects.toThrow(/cancelled/);
  });
  it('a killed ffmpeg gives a clear error, and the user file under the target name survives', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'out.mp4'), 'the user made this');
    const enc = createEncoder(settings(dir, {}), { ffmpegPath: ffmpeg });
    await enc.write(input(settings(dir, {}), 0));
    process.kill(enc.pid as number, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    const error = await failureOf(enc, settings(dir, {}), 50);
    expect(error?.message).toMatch(/ffmpeg (was killed|stopped)/);
    expect(fs.readFileSync(path.join(dir, 'out.mp4'), 'utf8')).toBe('the user made this');
    expect(fs.readdirSync(dir)).toEqual(['out.mp4']);
  });
  it('a disk that fills up stops the export with a clear error, and the user file under the target name survives', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'out.mp4'), 'the user made this');
    // ffmpeg under a 2 KiB file size limit, with the signal ignored so writes fail (EFBIG) as on a full disk.
    const limited = path.join(dir, 'ffmpeg-small-disk.sh');
    fs.writeFileSync(limited, `#!/bin/sh\ntrap '' XFSZ\nulimit -f 4\nexec ${JSON.stringify(ffmpeg)} "$@"\n`, { mode: 0o755 });
    const enc = createEncoder(settings(dir, { quality: 100 }), { ffmpegPath: limited });
    const error = await failureOf(enc, settings(dir, {}), 60);
    expect(error?.message).toMatch(/^could not write .*out\.mp4: the disk is full/);
    expect((error as StudioError).code).toBe('disk-full');
    expect(fs.readFileSync(path.join(dir, 'out.mp4'), 'utf8')).toBe('the user made this');
    expect(fs.readdirSync(dir).sort()).toEqual(['ffmpeg-small-disk.sh', 'out.mp4']);
  });
  it('refuses a frame of the wrong layout', async () => {
    const dir = tmp();
    const enc = createEncoder(settings(dir, {}), { ffmpegPath: ffmpeg });
    await expect(enc.write(frame(320, 240, 0))).rejects.toThrow(/230400 bytes; 320x240 yuv420p needs 115200/);
    await enc.abort();
  });
  it('refuses a missing destination folder before starting ffmpeg', () => {
    expect(() => createEncoder(settings('/no/such/folder', {}), { ffmpegPath: ffmpeg })).toThrow(/folder \/no\/such\/folder does not exist/);
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'a file');
    expect(() => createEncoder(settings(dir, { outputPath: path.join(dir, 'notes.txt', 'out.mp4') }), { ffmpegPath: ffmpeg })).toThrow(/notes\.txt is a file, not a folder/);
    expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
  });
});
