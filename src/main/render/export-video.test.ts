// Exporting a real photo's animation with the real engines: the file read back with ffmpeg has the
// requested frames, size and codec, a decoded frame matches the compositor's own frame, identical
// AU vectors are generated once, and a cancelled export leaves nothing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { evaluate } from '../../shared/timeline/evaluate';
import { addKey } from '../../shared/timeline/edits';
import { timelineOf, type Project } from '../../shared/project/schema';
import { applyPaste, cropFace, decodeImage, planPaste, rgbToTensor } from '../face';
import { disposeAllSessions, GeneratorEngine } from '../infer/generator-engine';
import { PRESETS } from '../model/config';
import { exportGeneratorModel, writeFileAtomic } from '../model/model-file';
import { readSafetensors } from '../model/safetensors';
import { newProject } from '../project/new-project';
import { saveProject } from '../project/project-file';
import { exportVideo, type ExportOptions } from './export-video';
import { resolveFfmpeg } from './ffmpeg-path';

const SHARED = path.resolve(__dirname, '../../../../shared');
const PORTRAIT = path.join(SHARED, 'data/tw-expressions/images/0101a02.jpg');
const have = fs.existsSync(PORTRAIT);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-export-'));
const ffmpeg = resolveFfmpeg().path;
afterAll(() => disposeAllSessions());

async function setup(): Promise<{ project: Project; engine: GeneratorEngine; file: string }> {
  const weights = new Map([...readSafetensors(path.join(SHARED, 'fixtures/ganimation-tiny/generator.safetensors'))].map(([k, t]) => [k, t.data]));
  const modelFile = path.join(tmp, 'tiny.onnx');
  writeFileAtomic(modelFile, exportGeneratorModel(weights, PRESETS.tiny.generator, { provenance: { importedFrom: 'fixture' } }));
  const file = path.join(tmp, 'scene.json');
  const photo = path.join(tmp, 'portrait.jpg');
  fs.copyFileSync(PORTRAIT, photo);
  let project = { ...(await newProject(photo, file)), duration: 2, fps: 10 };
  let t = timelineOf(project);
  t = addKey(t, 0, 'AU12', 0, 0, 'linear');
  t = addKey(t, 0, 'AU12', 1, 1, 'hold');
  t = addKey(t, 0, 'AU12', 2, 1, 'linear');
  project = { ...project, faces: project.faces.map((f) => ({ ...f, tracks: t.faces[0].tracks as Project['faces'][number]['tracks'] })) };
  saveProject(file, project);
  return { project, engine: await GeneratorEngine.load(modelFile, { device: 'cpu' }), file };
}

const options = (out: string, extra: Partial<ExportOptions> = {}): ExportOptions & { ffmpegPath: string } => ({
  format: 'mp4', outputPath: out, size: 'original', fps: 10, quality: 100, range: null, audioPath: null, batchSize: 4, ffmpegPath: ffmpeg, ...extra,
});

function psnr(a: Uint8Array, b: Uint8Array): number {
  let mse = 0;
  for (let i = 0; i < a.length; i++) mse += (a[i] - b[i]) ** 2;
  return 10 * Math.log10((255 * 255) / (mse / a.length));
}

describe.skipIf(!have)('exportVideo', () => {
  it('writes every frame, generates repeated AU vectors once, and matches the compositor frame', async () => {
    const { project, engine } = await setup();
    const out = path.join(tmp, 'smile.mp4');
    const result = await exportVideo(project, path.join(tmp, 'portrait.jpg'), engine, options(out));
    expect(result.frames).toBe(20);
    expect(result.generated).toBeLessThan(20);
    const info = spawnSync(ffmpeg, ['-hide_banner', '-i', out], { encoding: 'utf8' }).stderr;
    expect(info).toMatch(/Duration: 00:00:02\.00/);
    expect(info).toMatch(/Video: h264.*yuv420p.*256x256/);
    const raw = spawnSync(ffmpeg, ['-v', 'error', '-i', out, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 1 << 26 }).stdout;
    expect(raw.length).toBe(20 * 256 * 256 * 3);
    const photo = await decodeImage(path.join(tmp, 'portrait.jpg'));
    const { crop, transform } = cropFace(photo, { landmarks: project.faces[0].landmarks }, { size: 32 });
    const [frame] = await engine.generate(rgbToTensor(crop), [evaluate(timelineOf(project), 1).get(0)!]);
    const expected = new Uint8Array(photo.data);
    applyPaste(planPaste(photo, transform), expected, frame.color, frame.attention);
    expect(psnr(raw.subarray(10 * 256 * 256 * 3, 11 * 256 * 256 * 3), expected)).toBeGreaterThan(35);
  });

  it('exports a photo of odd width and height (yuv420p with a half chroma sample at the edges)', async () => {
    const { project, engine } = await setup();
    const oddPhoto = path.join(tmp, 'odd.jpg');
    await sharp(PORTRAIT).extend({ right: 1, bottom: 3, background: '#808080' }).jpeg({ quality: 95 }).toFile(oddPhoto);
    const odd = await newProject(oddPhoto, path.join(tmp, 'odd.json'));
    const oddProject = { ...odd, duration: project.duration, fps: project.fps, faces: odd.faces.map((f) => ({ ...f, tracks: project.faces[0].tracks })) };
    const out = path.join(tmp, 'odd.mp4');
    const result = await exportVideo(oddProject, oddPhoto, engine, options(out, { range: [1, 1.3] }));
    expect(result.frames).toBe(3);
    // ffmpeg scales 257x259 to the even 256x258 H.264 needs; compare with the compositor frame scaled alike.
    const raw = spawnSync(ffmpeg, ['-v', 'error', '-i', out, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 1 << 26 }).stdout;
    expect(raw.length).toBe(3 * 256 * 258 * 3);
    const photo = await decodeImage(oddPhoto);
    const { crop, transform } = cropFace(photo, { landmarks: oddProject.faces[0].landmarks }, { size: 32 });
    const [frame] = await engine.generate(rgbToTensor(crop), [evaluate(timelineOf(oddProject), 1).get(0)!]);
    const expected = new Uint8Array(photo.data);
    applyPaste(planPaste(photo, transform), expected, frame.color, frame.attention);
    const scaled = await sharp(expected, { raw: { width: 257, height: 259, channels: 3 } }).resize(256, 258, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer();
    expect(psnr(raw.subarray(0, 256 * 258 * 3), scaled)).toBeGreaterThan(30);
  });

  it('writes a PNG sequence (RGB frames) that is the compositor frame', async () => {
    const { project, engine } = await setup();
    const out = path.join(tmp, 'frames');
    const result = await exportVideo(project, path.join(tmp, 'portrait.jpg'), engine, options(out, { format: 'png', range: [1, 1.2] }));
    expect(result.frames).toBe(2);
    expect(fs.readdirSync(out).sort()).toEqual(['frame_00001.png', 'frame_00002.png']);
    const photo = await decodeImage(path.join(tmp, 'portrait.jpg'));
    const { crop, transform } = cropFace(photo, { landmarks: project.faces[0].landmarks }, { size: 32 });
    const [frame] = await engine.generate(rgbToTensor(crop), [evaluate(timelineOf(project), 1).get(0)!]);
    const expected = new Uint8Array(photo.data);
    applyPaste(planPaste(photo, transform), expected, frame.color, frame.attention);
    const written = await decodeImage(path.join(out, 'frame_00001.png'));
    // Lossless: the frame is the reference paste-back's, up to the SIMD kernel's rare rounding step.
    let differing = 0;
    for (let i = 0; i < expected.length; i++) {
      expect(Math.abs(written.data[i] - expected[i])).toBeLessThanOrEqual(1);
      if (written.data[i] !== expected[i]) differing++;
    }
    expect(differing).toBeLessThan(expected.length / 500);
  });

  it('leaves no file when cancelled', async () => {
    const { project, engine } = await setup();
    const out = path.join(tmp, 'cancelled.mp4');
    const controller = new AbortController();
    await expect(exportVideo(project, path.join(tmp, 'portrait.jpg'), engine, { ...options(out), signal: controller.signal, onProgress: (p) => p.framesEncoded === 3 && controller.abort() })).rejects.toThrow(/cancelled/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('partial'))).toEqual([]);
  });
});
