// Benchmark of a video export: 10 s at 30 fps of a 1920x1080 photo with one face, light preset, CPU.
// Prints the total and the split between generation, compositing and encoding, both as the render
// loop's wall time and as CPU time (the three run at once, so wall shares overlap), and compares
// the export's rate with the generator's raw throughput for the same number of distinct frames.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { addKey } from '../src/shared/timeline/edits';
import { timelineOf, type Project } from '../src/shared/project/schema';
import { decodeImage } from '../src/main/face';
import { GeneratorEngine } from '../src/main/infer/generator-engine';
import { GeneratorThread } from '../src/main/infer/generator-thread';
import { newProject } from '../src/main/project/new-project';
import { exportVideo } from '../src/main/render/export-video';
import { resolveFfmpeg } from '../src/main/render/ffmpeg-path';
import { geometryOf } from '../src/main/render/motion-geometry';
import { Scene } from '../src/main/render/scene';
import { benchModel } from './bench-model';
import { rgbToYuv420, yuv420Bytes } from '../src/main/render/yuv420';

const PORTRAIT = path.resolve(import.meta.dirname, '../../shared/data/tw-expressions/images/0101a02.jpg');

/** CPU seconds of finished child processes (ffmpeg, once exited), from Linux's /proc/self/stat. */
function childrenCpuSeconds(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of stat (cutime, cstime), counted from the state field (3) after the name.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
};

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-export-'));
  const photo = path.join(dir, 'photo.jpg');
  const face = await sharp(PORTRAIT).resize(540, 540).toBuffer();
  await sharp({ create: { width: 1920, height: 1080, channels: 3, background: '#3a4150' } }).composite([{ input: face, left: 690, top: 270 }]).jpeg({ quality: 92 }).toFile(photo);
  const { file: modelFile, label, imageSize } = benchModel(dir);
  // As the studio and the CLI export: the generator in a thread of its own.
  const generator = await GeneratorThread.load(modelFile, { device: 'cpu' });
  let project = { ...(await newProject(photo, path.join(dir, 'p.json'))), duration: 10, fps: 30 };
  if (project.faces.length !== 1) throw new Error(`expected one face, found ${project.faces.length}`);
  let t = timelineOf(project);
  t = addKey(t, 0, 'AU12', 0, 0, 'linear');
  t = addKey(t, 0, 'AU12', 10, 1, 'linear');
  project = { ...project, faces: [{ ...project.faces[0], tracks: t.faces[0].tracks as Project['faces'][number]['tracks'] }] };

  const [cpu0, children0] = [process.cpuUsage(), childrenCpuSeconds()];
  const result = await exportVideo(project, photo, generator, {
    format: 'mp4', outputPath: path.join(dir, 'out.mp4'), size: 'original', fps: 30, quality: 80, range: null, audioPath: null, batchSize: 8, ffmpegPath: resolveFfmpeg().path,
  });
  const exportCpu = cpuSeconds(cpu0);
  const ffmpegCpu = childrenCpuSeconds() - children0;
  await generator.close();
  // The generator's raw throughput: the same engine, called directly, nothing else running.
  const engine = await GeneratorEngine.load(modelFile, { device: 'cpu' });
  const s = imageSize;
  const image = new Float32Array(3 * s * s);
  const aus = Array.from({ length: result.generated }, (_, i) => Float32Array.from({ length: 17 }, (_, k) => (k === 8 ? i / result.generated : 0)));
  const [t0, cpu1] = [performance.now(), process.cpuUsage()];
  const outputs = await engine.generate(image, aus, 8);
  const rawMs = performance.now() - t0;
  const rawCpu = cpuSeconds(cpu1);
  // Compositing alone, as export does it per frame: the scene blends the faces at full resolution
  // into an RGB frame, then the rectangle they cover is converted to the yuv420p that ffmpeg reads.
  const picture = await decodeImage(photo);
  const scene = new Scene(picture, [project.faces[0]], s, geometryOf(engine));
  const faceId = project.faces[0].id;
  const rect = scene.footprint;
  if (!rect) throw new Error('no footprint');
  const yuv = new Uint8Array(yuv420Bytes(picture.width, picture.height));
  const [t2, cpu2] = [performance.now(), process.cpuUsage()];
  outputs.forEach((output, i) => {
    scene.render(new Map([[faceId, { aus: aus[i], output }]]));
    rgbToYuv420(scene.frame, picture.width, picture.height, yuv, rect);
  });
  const compositeMsPerFrame = (performance.now() - t2) / outputs.length;
  const compositeCpu = (cpuSeconds(cpu2) * result.frames) / outputs.length;
  const pct = (ms: number) => `${((100 * ms) / result.totalMs).toFixed(1)}%`;
  console.log(`Export: 10 s at 30 fps, 1920x1080 photo, one 540 px face, ${label} (${s} px), MP4, onnxruntime-node CPU, ${os.cpus().length} cores`);
  console.log('| part | s | share |');
  console.log('|---|---:|---:|');
  console.log(`| total | ${(result.totalMs / 1000).toFixed(2)} | 100% |`);
  console.log(`| generation (${result.generated} distinct frames) | ${(result.generationMs / 1000).toFixed(2)} | ${pct(result.generationMs)} |`);
  console.log(`| compositing (${result.frames} frames) | ${(result.compositingMs / 1000).toFixed(2)} | ${pct(result.compositingMs)} |`);
  console.log(`| waiting on encoding | ${(result.encodingMs / 1000).toFixed(2)} | ${pct(result.encodingMs)} |`);
  console.log(`compositing + encoding: ${pct(result.compositingMs + result.encodingMs)} of the total (goal < 20%)`);
  console.log(`generator alone, same ${result.generated} frames: ${(rawMs / 1000).toFixed(2)} s; export rate / raw generator rate = ${(rawMs / result.totalMs).toFixed(2)} (goal >= 0.9)`);
  const totalCpu = exportCpu + ffmpegCpu;
  const generationCpu = exportCpu - compositeCpu;
  const cpuPct = (x: number) => `${((100 * x) / totalCpu).toFixed(1)}%`;
  console.log('');
  console.log(`CPU time of the export (${os.cpus().length} cores, ${(totalCpu / (result.totalMs / 1000)).toFixed(2)} busy on average):`);
  console.log('| part | CPU s | share |');
  console.log('|---|---:|---:|');
  console.log(`| generation (the rest of the export's own process) | ${generationCpu.toFixed(2)} | ${cpuPct(generationCpu)} |`);
  console.log(`| compositing + yuv conversion (${compositeMsPerFrame.toFixed(1)} ms a frame alone, ${scene.faces[0].paste.pixel.length} px) | ${compositeCpu.toFixed(2)} | ${cpuPct(compositeCpu)} |`);
  console.log(`| encoding (ffmpeg, libx264 veryfast) | ${ffmpegCpu.toFixed(2)} | ${cpuPct(ffmpegCpu)} |`);
  console.log(`generator alone: ${rawCpu.toFixed(2)} CPU s; compositing + encoding: ${cpuPct(compositeCpu + ffmpegCpu)} of the export's CPU time`);
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();
