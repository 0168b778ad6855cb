// End-to-end tests of the studio in web mode, on the real engines, in Debian's Chromium driven by
// playwright-core. Screenshots go to e2e-results/. Writes vitest-style counts to --report=<file>.
// The server starts as a fresh user's does (no --model): the studio renders with the bundled
// default model. Tests that need a repainting or preset-sized model import the tiny fixture.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { _electron, chromium } from 'playwright-core';
import { photoTests, smokeTests } from './studio.e2e.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = path.join(ROOT, 'e2e-results');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const reportArg = process.argv.find((a) => a.startsWith('--report='));
const counts = { numPassedTests: 0, numFailedTests: 0, numPendingTests: 0 };

const SHARED = path.resolve(ROOT, '../shared');
const FIXTURE_CHECKPOINT = path.join(SHARED, 'fixtures/ganimation-tiny/net_epoch_30_id_G.pth');
const DEFAULT_MODEL = path.join(ROOT, 'resources/models/default.onnx');

/** The tiny reference generator as a model file (real weights, a generator that repaints, 32 px: the tiny preset), for the tests that import it. */
function fixtureModel(dir) {
  if (!fs.existsSync(FIXTURE_CHECKPOINT)) return null;
  const out = path.join(dir, 'fixture-tiny.onnx');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/ganimation.mjs'), 'import-pth', FIXTURE_CHECKPOINT, '-o', out, '--image-size', '32'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`could not import the fixture model: ${r.stderr}`);
  return out;
}

/** Web mode's server as a fresh user starts it: no --model, so the bundled default is the one offered and in use. */
function startServer(modelsDir, dataDir, dataRoot) {
  const args = ['--import', 'tsx', path.join(ROOT, 'src/main/web/serve.ts'), '--port', '0', '--models-dir', modelsDir, '--data-dir', dataDir, '--data-root', dataRoot];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) resolve({ url: m[1], child });
    });
    child.on('exit', (code) => reject(new Error(`web server exited with code ${code}: ${out}`)));
  });
}

async function run(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    counts.numPassedTests++;
    console.log(`  ✓ ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    counts.numFailedTests++;
    console.log(`  ✗ ${name}\n    ${String(err?.stack ?? err).split('\n').slice(0, 6).join('\n    ')}`);
  }
}

function skip(name, why) {
  counts.numPendingTests++;
  console.log(`  - ${name}: skipped (${why})`);
}

async function main() {
  fs.mkdirSync(RESULTS, { recursive: true });
  console.log('e2e (web mode, Chromium):');
  if (!fs.existsSync(CHROMIUM)) {
    counts.numFailedTests++;
    console.log(`  ✗ Chromium not found at ${CHROMIUM} (install Debian's chromium, or set CHROMIUM_PATH)`);
    return;
  }
  if (!fs.existsSync(DEFAULT_MODEL)) {
    counts.numFailedTests++;
    console.log(`  ✗ the bundled model ${path.relative(ROOT, DEFAULT_MODEL)} is missing: the studio would open with no model`);
    return;
  }
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-chromium-'));
  const fixture = fixtureModel(userDataDir);
  const dataDir = path.join(userDataDir, 'studio');
  const trainingPhotos = path.join(userDataDir, 'training-photos');
  fs.mkdirSync(trainingPhotos);
  const { url, child } = await startServer(path.join(userDataDir, 'models'), dataDir, trainingPhotos);
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const ctx = { context, url, results: RESULTS, shared: SHARED, dataDir, trainingPhotos, fixture };
    for (const [name, fn] of smokeTests) await run(name, () => fn(ctx));
    for (const [name, fn] of photoTests) {
      if (fixture) await run(name, () => fn(ctx));
      else skip(name, `${SHARED} is missing (photos and the fixture model come from it)`);
    }
  } finally {
    await context.close();
    child.kill();
    fs.rmSync(userDataDir, { recursive: true, force: true, maxRetries: 3 });
  }
  await electronSmokeTest();
}

/** The desktop shell itself, where Electron's binary is installed: the window opens on the studio and its engines answer. */
async function electronSmokeTest() {
  const name = 'Electron window smoke test: the window opens on the studio and the engines answer over IPC';
  const pathFile = path.join(ROOT, 'node_modules/electron/path.txt');
  const binary = fs.existsSync(pathFile) ? path.join(ROOT, 'node_modules/electron/dist', fs.readFileSync(pathFile, 'utf8').trim()) : null;
  if (!binary || !fs.existsSync(binary)) {
    skip(name, "Electron's binary is not installed on this machine (it downloads on first `npm start`)");
    return;
  }
  await run(name, async () => {
    const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-electron-'));
    const app = await _electron.launch({ executablePath: binary, args: [ROOT, `--user-data-dir=${userData}`, ...(process.env.CI ? ['--no-sandbox'] : [])] });
    try {
      const window = await app.firstWindow();
      await window.getByText('Open a portrait to begin').waitFor({ timeout: 30_000 });
      await window.getByText('Engines ready').waitFor({ timeout: 30_000 });
      assert.equal(await window.title(), 'GANimation Studio');
      assert.ok(window.url().startsWith('studio://app/'), `the page loads from the app's own scheme, not ${window.url()}`);
      assert.equal(await window.evaluate(() => typeof window.require), 'undefined', 'the page must not reach Node');
      await window.screenshot({ path: path.join(RESULTS, 'electron-window.png') });
    } finally {
      await app.close();
      fs.rmSync(userData, { recursive: true, force: true, maxRetries: 3 });
    }
  });
}

try {
  await main();
} catch (err) {
  counts.numFailedTests++;
  console.log(`  ✗ e2e harness: ${err?.stack ?? err}`);
}
if (reportArg) fs.writeFileSync(reportArg.slice('--report='.length), JSON.stringify(counts));
console.log(`e2e: ${counts.numPassedTests} passed, ${counts.numFailedTests} failed, ${counts.numPendingTests} skipped`);
process.exit(counts.numFailedTests > 0 ? 1 : 0);
