// Benchmark for the renderer-side preview question: would running the generator in the page with
// onnxruntime-web (WASM; WebGPU where the browser has it) beat the round trip to main's frame
// engine? Measures, on the same light-preset model: the round trip (generator in onnxruntime-node,
// full-resolution paste-back, JPEG data URL at the studio's preview sizes), and in Chromium the
// onnxruntime-web generator alone (1 and 2 WASM threads) plus the least a page path must add:
// the paste-back of a 1920x1080 frame in JS and drawing it to a canvas. Needs ../shared.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { createStudio, invoke } from '../src/main/api/studio';
import { frameEngine } from '../src/main/api/frame-worker';
import { GeneratorEngine } from '../src/main/infer/generator-engine';
import { PRESETS } from '../src/main/model/config';
import { generatorParamSpecs } from '../src/main/model/generator';
import { initWeights } from '../src/main/model/init';
import { exportGeneratorModel, writeFileAtomic } from '../src/main/model/model-file';

const ROOT = path.resolve(import.meta.dirname, '..');
const PORTRAIT = path.resolve(ROOT, '../shared/data/tw-expressions/images/0101a02.jpg');
const ORT_WEB = path.join(ROOT, 'node_modules/onnxruntime-web/dist');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REPEATS = 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The page: generator runs with onnxruntime-web, then a paste-back-sized JS blend and a canvas draw. */
const PAGE = `<!doctype html><canvas id="c" width="1920" height="1080"></canvas><script type="module">
import * as ort from '/ort/ort.wasm.min.mjs';
ort.env.wasm.wasmPaths = '/ort/';
window.measure = async (threads, repeats) => {
  ort.env.wasm.numThreads = threads;
  const session = await ort.InferenceSession.create('/model.onnx', { executionProviders: ['wasm'] });
  const s = 96, times = [], blend = [], draw = [];
  const image = new ort.Tensor('float32', new Float32Array(3 * s * s).map((_, i) => Math.sin(i)), [1, 3, s, s]);
  // A face footprint of 800x800 photo pixels reading the 96 px output, as applyPaste does.
  const W = 1920, H = 1080, side = 800, x0 = 560, y0 = 140;
  const frame = new Uint8ClampedArray(W * H * 4).fill(128);
  const ctx = document.getElementById('c').getContext('2d');
  for (let i = 0; i < repeats + 2; i++) {
    const aus = new ort.Tensor('float32', new Float32Array(17).map((_, k) => (k === 8 ? (i % 10) / 10 : 0.2)), [1, 17]);
    let t0 = performance.now();
    const out = await session.run({ image, aus });
    const t1 = performance.now();
    const color = out.color.data, att = out.attention.data, plane = s * s;
    for (let y = 0; y < side; y++) {
      const v = Math.min((y + 0.5) * s / side - 0.5, s - 1.000001), iy = Math.max(0, Math.floor(v)), fy = Math.max(0, v - iy);
      for (let x = 0; x < side; x++) {
        const u = Math.min((x + 0.5) * s / side - 0.5, s - 1.000001), ix = Math.max(0, Math.floor(u)), fx = Math.max(0, u - ix);
        const t = iy * s + ix, w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
        const a = att[t] * w00 + att[t + 1] * w10 + att[t + s] * w01 + att[t + s + 1] * w11;
        const p = ((y0 + y) * W + x0 + x) * 4;
        for (let c = 0, b = t; c < 3; c++, b += plane) frame[p + c] = a * frame[p + c] + (1 - a) * 127.5 * (color[b] * w00 + color[b + 1] * w10 + color[b + s] * w01 + color[b + s + 1] * w11 + 1);
      }
    }
    const t2 = performance.now();
    ctx.putImageData(new ImageData(frame, W, H), 0, 0);
    await new Promise((r) => requestAnimationFrame(() => r()));
    const t3 = performance.now();
    if (i >= 2) { times.push(t1 - t0); blend.push(t2 - t1); draw.push(t3 - t2); }
  }
  await session.release();
  return { times, blend, draw, isolated: crossOriginIsolated };
};
window.ready = true;
</script>`;

function serve(modelFile: string): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    // Cross-origin isolation: WASM threads need SharedArrayBuffer.
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    const file = url.pathname === '/model.onnx' ? modelFile : url.pathname.startsWith('/ort/') ? path.join(ORT_WEB, path.basename(url.pathname)) : null;
    if (url.pathname === '/') return res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(PAGE);
    if (!file || !fs.existsSync(file)) return res.writeHead(404).end();
    const type = file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('.mjs') ? 'text/javascript' : 'application/octet-stream';
    res.writeHead(200, { ...headers, 'Content-Type': type }).end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, close: () => server.close() })));
}

async function main(): Promise<void> {
  if (!fs.existsSync(PORTRAIT)) throw new Error(`${PORTRAIT} is missing: the benchmark needs ../shared`);
  if (!fs.existsSync(ORT_WEB)) throw new Error('onnxruntime-web is not installed (npm install)');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-bench-web-'));
  const model = path.join(tmp, 'light.onnx');
  const cfg = PRESETS.light.generator;
  writeFileAtomic(model, exportGeneratorModel(initWeights(generatorParamSpecs(cfg), 1), cfg, { provenance: { trainedBy: 'bench' } }));

  // Main: the generator alone, batch 1, then the studio's round trip.
  const engine = await GeneratorEngine.load(model, { device: 'cpu' });
  const image = new Float32Array(3 * cfg.imageSize * cfg.imageSize).map((_, i) => Math.sin(i));
  const nodeTimes: number[] = [];
  for (let i = 0; i < REPEATS + 2; i++) {
    const t0 = performance.now();
    await engine.generate(image, [new Float32Array(17).map((_, k) => (k === 8 ? (i % 10) / 10 : 0.2))], 1);
    if (i >= 2) nodeTimes.push(performance.now() - t0);
  }
  const studio = createStudio({ dataDir: tmp, modelsDir: path.join(tmp, 'models'), models: [model] });
  const face = await sharp(PORTRAIT).resize(1080, 1080).toBuffer();
  const photo = await sharp({ create: { width: 1920, height: 1080, channels: 3, background: '#5a6170' } }).composite([{ input: face, left: 420, top: 0 }]).jpeg({ quality: 92 }).toBuffer();
  const opened = await invoke(studio, 'photo.open', { name: 'bench.jpg', dataBase64: photo.toString('base64') });
  const roundTrip: Record<number, number> = {};
  for (const side of [1280, 720]) {
    const times: number[] = [];
    for (let i = 0; i < REPEATS + 2; i++) {
      const aus = opened.faces[0].sourceAus.map((v, k) => (k === 8 ? (i % 10) / 10 : v));
      const t0 = performance.now();
      await invoke(studio, 'frame.render', { photoId: opened.photoId, faces: [{ faceId: opened.faces[0].id, aus }], previewSide: side });
      if (i >= 2) times.push(performance.now() - t0);
    }
    roundTrip[side] = median(times);
  }
  await studio.dispose();
  await frameEngine.close();

  // The page.
  const server = await serve(model);
  const context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(tmp, 'chromium-')), {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
  type Measured = { times: number[]; blend: number[]; draw: number[]; isolated: boolean };
  const web: Record<number, Measured> = {};
  for (const threads of [1, 2]) web[threads] = await page.evaluate(([t, r]) => (globalThis as unknown as { measure: (t: number, r: number) => Promise<Measured> }).measure(t, r), [threads, REPEATS] as const);
  await context.close();
  server.close();

  const row = (what: string, ms: number) => `| ${what} | ${ms.toFixed(1)} |`;
  console.log(`Preview paths, light preset (96 px), 1920x1080 photo, one face, ${os.cpus().length} CPU threads, median of ${REPEATS}; Chromium ${CHROMIUM} headless, no GPU (WebGPU unavailable), cross-origin isolated: ${web[2].isolated}\n`);
  console.log(['| path | ms per frame |', '|---|---:|',
    row('main: generator only (onnxruntime-node, batch 1)', median(nodeTimes)),
    row('main: frame engine at 1280 px (generate, paste back, JPEG data URL; the IPC or HTTP hop not included)', roundTrip[1280]),
    row('main: frame engine at 720 px', roundTrip[720]),
    row('page: generator only (onnxruntime-web WASM, 1 thread)', median(web[1].times)),
    row('page: generator only (onnxruntime-web WASM, 2 threads)', median(web[2].times)),
    row('page: + paste-back of the face in JS', median(web[2].blend)),
    row('page: + drawing the 1920x1080 frame', median(web[2].draw)),
    row('page: total (2 threads)', median(web[2].times) + median(web[2].blend) + median(web[2].draw)),
  ].join('\n'));
  fs.rmSync(tmp, { recursive: true, force: true });
}

void main();
