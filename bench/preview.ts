// Benchmark of a studio preview frame through the frame engine (generator, full-resolution
// paste-back, JPEG data URL): ms per frame on a 1920x1080 photo with one face, light preset (random
// weights: the time does not depend on them), at full size and at the preview sizes the studio
// offers. Prints a table. Needs ../shared for the portrait.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { createStudio, invoke } from '../src/main/api/studio';
import { frameEngine } from '../src/main/api/frame-worker';
import { benchModel } from './bench-model';
import { AU_ORDER } from '../src/shared/aus';

const PORTRAIT = path.resolve(import.meta.dirname, '../../shared/data/tw-expressions/images/0101a02.jpg');
const REPEATS = Number(process.env.BENCH_REPEATS ?? 10);
/** The AU the benchmark scrubs (its index in AU_ORDER): AU12 by default; BENCH_AU=AU26 opens the mouth, so a model's mouth interior is laid on every frame. */
const SCRUBBED = AU_ORDER.indexOf((process.env.BENCH_AU ?? 'AU12') as (typeof AU_ORDER)[number]);

async function main(): Promise<void> {
  if (!fs.existsSync(PORTRAIT)) throw new Error(`${PORTRAIT} is missing: the benchmark needs ../shared`);
  if (SCRUBBED < 0) throw new Error(`BENCH_AU=${process.env.BENCH_AU}: not one of ${AU_ORDER.join(' ')}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-bench-preview-'));
  const { file: model, label } = benchModel(tmp);
  const studio = createStudio({ dataDir: tmp, modelsDir: path.join(tmp, 'models'), models: [model] });
  // A 1080p photo: the 256 px portrait enlarged to a 1080 px tall face region on a wide canvas.
  const face = await sharp(PORTRAIT).resize(1080, 1080).toBuffer();
  const photo = await sharp({ create: { width: 1920, height: 1080, channels: 3, background: '#5a6170' } }).composite([{ input: face, left: 420, top: 0 }]).jpeg({ quality: 92 }).toBuffer();
  const opened = await invoke(studio, 'photo.open', { name: 'bench.jpg', dataBase64: photo.toString('base64') });
  if (opened.faces.length !== 1) throw new Error(`expected one face, found ${opened.faces.length}`);
  const rows: string[] = [];
  for (const previewSide of [0, 1280, 720]) {
    const times: number[] = [];
    const cpuTimes: number[] = [];
    for (let i = 0; i < REPEATS + 2; i++) {
      // A different pose every time, as when scrubbing.
      const aus = opened.faces[0].sourceAus.map((v, k) => (k === SCRUBBED ? (i % 10) / 10 : v));
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      await invoke(studio, 'frame.render', { photoId: opened.photoId, faces: [{ faceId: opened.faces[0].id, aus }], ...(previewSide ? { previewSide } : {}) });
      const cpu = process.cpuUsage(cpu0);
      if (i >= 2) {
        times.push(performance.now() - t0);
        cpuTimes.push((cpu.user + cpu.system) / 1000);
      }
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
    rows.push(`| ${previewSide ? `${previewSide} px` : 'full (1920x1080)'} | ${median(times).toFixed(0)} | ${median(cpuTimes).toFixed(0)} | ${(1000 / median(times)).toFixed(1)} |`);
  }
  console.log(`Preview frame, ${label}, ${AU_ORDER[SCRUBBED]} scrubbed, 1920x1080 photo, one face, ${os.cpus().length} CPU threads (median of ${REPEATS})\n`);
  console.log(['| preview size | ms per frame | CPU ms per frame | frames/s |', '|---|---:|---:|---:|', ...rows].join('\n'));
  await studio.dispose();
  await frameEngine.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}

await main();
