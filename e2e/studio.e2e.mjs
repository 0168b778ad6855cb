// The studio's first screen in web mode: it loads, connects to the engines, opens on the sample
// portrait with the bundled (geometry-first) default model, and web mode refuses requests without
// the token or from other origins. The photo tests run on the bundled default model too; the few
// that need a generator that repaints, or a model of a small preset, import the tiny fixture.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';

/** @type {[string, (ctx: { context: import('playwright-core').BrowserContext, url: string, results: string }) => Promise<void>][]} */
export const smokeTests = [
  [
    'the first run opens on the sample portrait with its face box; the 17 AU sliders grouped by region; later runs start empty and offer the sample',
    async ({ context, url, results }) => {
      const page = await context.newPage();
      await page.goto(url);
      assert.equal(await page.locator('.au-row input[type=range]').count(), 17);
      for (const region of ['Brows', 'Eyes', 'Nose', 'Mouth']) await page.getByRole('heading', { name: region }).waitFor();
      await page.getByText(/Sample - Eileen Collins .*: 1 face\(s\)/).waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'Face 0' }).waitFor();
      assert.match(await page.locator('.statusbar').innerText(), /v\d+\.\d+\.\d+/);
      // A fresh studio offers one model, the bundled default, and renders with it.
      const picker = page.getByRole('combobox', { name: 'Model' });
      await until(async () => (await picker.locator('option').count()) > 0 && (await picker.locator('option:checked').innerText()) === 'default · 96px', 'the bundled default model is in use');
      assert.deepEqual(await picker.locator('option').allInnerTexts(), ['default · 96px']);
      await page.screenshot({ path: path.join(results, 'studio-start.png') });
      // Only the first run opens it by itself; afterwards it is one click away.
      await page.reload();
      await page.getByText('Engines ready').waitFor({ timeout: 15_000 });
      await page.getByText('Open a portrait to begin').waitFor();
      await page.screenshot({ path: path.join(results, 'studio-empty.png') });
      await page.getByTestId('open-sample').click();
      await page.getByText(/Sample - Eileen Collins .*: 1 face\(s\)/).waitFor({ timeout: 30_000 });
      await page.close();
    },
  ],
  [
    "the bundled default is a geometry-first model (its metadata and card say so); the happy, surprised and angry presets move the sample's face and leave everything far from it identical",
    async ({ context, url, results }) => {
      const page = await context.newPage();
      // A viewer tall enough that the zoomed face fills the screenshots (for docs and human review).
      await page.setViewportSize({ width: 1600, height: 1200 });
      await page.goto(url);
      await page.getByText('Engines ready').waitFor({ timeout: 15_000 });
      await page.getByTestId('open-sample').click();
      await page.getByText(/Sample - Eileen Collins .*: 1 face\(s\)/).waitFor({ timeout: 30_000 });
      await until(async () => /^default · 96px$/.test(await page.getByRole('combobox', { name: 'Model' }).locator('option:checked').innerText()), 'the bundled default model is in use');
      // The models panel: the bundled model, in use, 96 px (the studio preset), made by geometry-model, not removable; its card says it repaints nothing.
      await page.getByTestId('models').click();
      const row = page.getByTestId('model-row').filter({ has: page.locator('.name', { hasText: /^default$/ }) });
      await row.getByText('in use').waitFor();
      await row.getByText('96 px · conv_dim 32, 4 blocks').waitFor();
      await row.getByText('GANimation Studio geometry-model').waitFor();
      assert.equal(await row.getByRole('button', { name: 'Remove' }).count(), 0, 'the bundled model cannot be removed');
      await row.getByRole('button', { name: 'Model card' }).click();
      const card = row.getByTestId('model-card');
      await card.getByRole('heading', { name: 'Geometry only' }).waitFor();
      const cardText = await card.innerText();
      for (const said of ['landmark motion basis', 'nothing is repainted by the generator', 'Motion basis: fitted on tw-expressions performers']) assert.ok(cardText.includes(said), `the default model's card should say "${said}":\n${cardText}`);
      await page.screenshot({ path: path.join(results, 'default-model-card.png') });
      await page.getByTestId('models-panel').getByRole('button', { name: 'Close' }).click();
      // Each preset changes the face; pixels well outside the face box (past the crop the model sees) stay exactly the photo's.
      const box = await faceBox(page);
      const photo = await pixels(page, '.frame img');
      await zoomOntoFace(page, 2.5);
      await faceShot(page, path.join(results, 'default-photo.png'));
      for (const emotion of ['happy', 'surprised', 'angry']) {
        const shown = await page.locator('.frame img').first().getAttribute('src');
        await page.getByRole('button', { name: emotion, exact: true }).click();
        await newFrame(page, shown);
        const frame = await pixels(page, '.frame img');
        const { inside, insideValues, far, farValues } = changes(photo, frame, box);
        assert.ok(inside > insideValues / 20, `${emotion}: the face must change (${inside} of ${insideValues} values inside the face box changed by more than 8)`);
        assert.equal(far, 0, `${emotion}: nothing far from the face may change (${far} of ${farValues} values did)`);
        await faceShot(page, path.join(results, `default-${emotion}.png`));
      }
      await page.close();
    },
  ],
  [
    'web mode refuses requests without the token and from other origins',
    async ({ url }) => {
      // A plain client without the browser's cookie, as another program on the machine would be.
      const base = new URL(url);
      const api = `${base.origin}/api/app.info?${base.searchParams}`;
      const post = (target, body, headers = {}) => fetch(target, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
      assert.equal((await fetch(`${base.origin}/`)).status, 401);
      assert.equal((await post(`${base.origin}/api/app.info`, {})).status, 401);
      assert.equal((await post(api, {}, { Origin: 'http://evil.example' })).status, 403);
      assert.equal((await (await post(api, {})).json()).ok, true);
      assert.match((await (await post(api, { unexpected: 1 })).json()).error.message, /app\.info/);
    },
  ],
];

const PORTRAIT = 'data/tw-expressions/images/0101a02.jpg';
/** Grey border openPortrait adds round the portrait on every side, in pixels. */
const PAD = 128;

/** RGBA pixels of an <img> data URL, decoded in the page (and carried back as base64: a plain array of a 512 px image takes seconds to cross). */
async function pixels(page, selector) {
  const { width, base64 } = await page.evaluate(async (sel) => {
    // A copy of the current frame: the preview may swap the element's src while it decodes, and
    // decode() on a swapped element rejects.
    const img = new Image();
    img.src = document.querySelector(sel).src;
    await img.decode();
    const canvas = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
    const g = canvas.getContext('2d');
    g.drawImage(img, 0, 0);
    const rgba = g.getImageData(0, 0, img.naturalWidth, img.naturalHeight).data;
    let binary = '';
    for (let i = 0; i < rgba.length; i += 0x8000) binary += String.fromCharCode(...rgba.subarray(i, i + 0x8000));
    return { width: img.naturalWidth, base64: btoa(binary) };
  }, selector);
  return { width, data: new Uint8Array(Buffer.from(base64, 'base64')) };
}

const region = (img, x0, y0, x1, y1) => {
  const out = [];
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) out.push(...img.data.slice((y * img.width + x) * 4, (y * img.width + x) * 4 + 3));
  return out;
};

/** The first face's box, in photo pixels (the face box the viewer draws). */
async function faceBox(page) {
  const rect = page.locator('.face rect').first();
  const [x, y, width, height] = await Promise.all(['x', 'y', 'width', 'height'].map(async (a) => Number(await rect.getAttribute(a))));
  return { x, y, width, height };
}

/**
 * RGB values of `after` that differ from `before`: inside `box` (by more than 8), and far from it
 * (at all: outside the box grown by half its longer side on every side, which is past the square
 * the model crops, and past the JPEG blocks that square touches).
 */
function changes(before, after, box) {
  const margin = Math.max(box.width, box.height) / 2;
  const height = before.data.length / 4 / before.width;
  let inside = 0, insideValues = 0, far = 0, farValues = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < before.width; x++) {
      const isInside = x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
      const isFar = x < box.x - margin || x >= box.x + box.width + margin || y < box.y - margin || y >= box.y + box.height + margin;
      if (!isInside && !isFar) continue;
      for (let c = 0; c < 3; c++) {
        const d = Math.abs(after.data[(y * before.width + x) * 4 + c] - before.data[(y * before.width + x) * 4 + c]);
        if (isInside) {
          insideValues++;
          if (d > 8) inside++;
        } else {
          farValues++;
          if (d > 0) far++;
        }
      }
    }
  }
  return { inside, insideValues, far, farValues };
}

/** Waits until the viewer shows a frame other than the one whose data URL was `shown`. */
async function newFrame(page, shown, selector = '.frame img') {
  await page.waitForFunction(([sel, prev]) => document.querySelector(sel)?.getAttribute('src') !== prev, [selector, shown], { timeout: 60_000 });
}

/** Hides the face boxes and zooms the viewer by `zoom` onto the first face, then pans it to the middle of the view. */
async function zoomOntoFace(page, zoom) {
  const face = await page.locator('.face rect').first().boundingBox();
  await page.getByRole('toolbar', { name: 'View' }).getByRole('button', { name: 'Faces' }).click();
  const [fx, fy] = [face.x + face.width / 2, face.y + face.height / 2];
  await page.mouse.move(fx, fy);
  await page.mouse.wheel(0, -Math.log(zoom) / 0.0015);
  await page.getByTestId('zoom').getByText(`${Math.round(zoom * 100)}%`).waitFor();
  const stage = await page.locator('.stage').boundingBox();
  await page.mouse.down();
  await page.mouse.move(stage.x + stage.width / 2, stage.y + stage.height / 2, { steps: 6 });
  await page.mouse.up();
}

/** A screenshot of the middle of the viewer (where zoomOntoFace put the face). */
async function faceShot(page, file) {
  const stage = await page.locator('.stage').boundingBox();
  const side = Math.round(Math.min(stage.width, stage.height) * 0.78);
  await page.screenshot({ path: file, clip: { x: Math.round(stage.x + (stage.width - side) / 2), y: Math.round(stage.y + (stage.height - side) / 2), width: side, height: side } });
}

/** Makes the model listed as `name` the one in use, from the model picker. */
async function useModel(page, name) {
  const picker = page.getByRole('combobox', { name: 'Model' });
  const option = picker.locator('option', { hasText: new RegExp(`^${name} · `) });
  await option.waitFor({ state: 'attached', timeout: 15_000 });
  await picker.selectOption(await option.getAttribute('value'));
  await until(async () => (await picker.locator('option:checked').innerText()).startsWith(`${name} · `), `${name} is the model in use`);
}

/** Makes the tiny fixture (a 32 px generator of the tiny preset, which repaints the face) the model in use, importing it the first time. */
async function useFixture(page, fixture) {
  await page.locator('select[aria-label="Model"] option').first().waitFor({ state: 'attached', timeout: 15_000 });
  if (await page.getByRole('combobox', { name: 'Model' }).locator('option', { hasText: /^fixture-tiny · / }).count()) return useModel(page, 'fixture-tiny');
  await page.getByTestId('import-model').setInputFiles(fixture);
  await page.getByText('Model fixture-tiny.onnx imported and in use').waitFor({ timeout: 30_000 });
  assert.equal(await page.getByRole('combobox', { name: 'Model' }).locator('option:checked').innerText(), 'fixture-tiny · 32px');
}

/** Opens the studio and the test portrait on a wider canvas (so there is background well outside the face's crop), with the bundled default model in use; resolves once its face is found. */
async function openPortrait(context, url, shared) {
  const page = await context.newPage();
  await page.goto(url);
  await page.getByText('Engines ready').waitFor({ timeout: 15_000 });
  // The model in use is the studio's, not the page's: an earlier test may have picked another.
  await useModel(page, 'default');
  const wide = await sharp(path.join(shared, PORTRAIT)).extend({ top: PAD, bottom: PAD, left: PAD, right: PAD, background: '#5a6170' }).jpeg({ quality: 95 }).toBuffer();
  await page.getByTestId('open-photo').setInputFiles({ name: 'portrait.jpg', mimeType: 'image/jpeg', buffer: wide });
  await page.getByText(/1 face\(s\)/).waitFor({ timeout: 30_000 });
  return page;
}

/** The mouth's box in the padded portrait openPortrait opens (its precomputed landmarks 48-67, 20 px lower for the dropped jaw). */
function mouthBox(shared) {
  const lines = zlib.gunzipSync(fs.readFileSync(path.join(shared, 'data/tw-expressions/faces.jsonl.gz'))).toString('utf8').split('\n');
  const photo = JSON.parse(lines.find((l) => l.includes(`"${path.basename(PORTRAIT)}"`)));
  const mouth = photo.faces[0].landmarks.slice(48, 68);
  const xs = mouth.map((p) => p[0] + PAD);
  const ys = mouth.map((p) => p[1] + PAD);
  return { x0: Math.round(Math.min(...xs)), y0: Math.round(Math.min(...ys)), x1: Math.round(Math.max(...xs)), y1: Math.round(Math.max(...ys)) + 20 };
}

/** Pixels in `box` that look like teeth: light (every channel over 150) and nearly grey (channels within 45). */
function toothLike(img, { x0, y0, x1, y1 }) {
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * img.width + x) * 4;
      const [r, g, b] = [img.data[i], img.data[i + 1], img.data[i + 2]];
      if (Math.min(r, g, b) > 150 && Math.max(r, g, b) - Math.min(r, g, b) < 45) n++;
    }
  }
  return n;
}

/** Polls `check` until it holds (10 s at most). */
async function until(check, what) {
  for (const started = Date.now(); Date.now() - started < 10_000; await new Promise((r) => setTimeout(r, 100))) if (await check()) return;
  assert.fail(`timed out waiting until ${what}`);
}

/** Clicks the ruler at a time (seconds) of a timeline `duration` seconds long. */
async function seek(page, seconds, duration = 4) {
  const ruler = page.getByRole('slider', { name: 'Playhead' });
  const box = await ruler.boundingBox();
  await ruler.click({ position: { x: (box.width * seconds) / duration, y: box.height / 2 } });
  await page.getByTestId('clock').getByText(new RegExp(`^${seconds.toFixed(2)} s`)).waitFor();
}

/** Keys AU12 at 0 (value 0) and at `at` seconds (value 1). */
async function keySmile(page, at, duration = 4) {
  const value = page.getByLabel('AU12 value');
  await value.fill('0');
  await value.press('Enter');
  await page.getByRole('button', { name: 'Key AU12' }).click();
  await seek(page, at, duration);
  await value.fill('1');
  await value.press('Enter');
  await page.getByRole('button', { name: 'Key AU12' }).click();
}

/** Sets the timeline's length in seconds. */
async function setLength(page, seconds) {
  await page.getByTestId('duration').fill(String(seconds));
  await page.getByTestId('duration').press('Enter');
  await page.getByTestId('clock').getByText(new RegExp(`/ ${seconds.toFixed(1)} s$`)).waitFor();
}

const ffmpegPath = () => process.env.FFMPEG_PATH ?? createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg').path;

/** Frame count, size and codec of a video, and its audio codec if any, read back by ffmpeg itself. */
function probe(file) {
  const r = spawnSync(ffmpegPath(), ['-hide_banner', '-i', file, '-map', '0:v:0', '-f', 'null', '-'], { encoding: 'utf8' });
  const stream = /Stream #0:0.*Video: (\w+).*?, (\w+)\(?.*?, (\d+)x(\d+)/.exec(r.stderr);
  const frames = [...r.stderr.matchAll(/frame=\s*(\d+)/g)].pop();
  assert.ok(stream && frames, `ffmpeg could not read ${file}: ${r.stderr.slice(-400)}`);
  const audio = /Stream #0:\d+.*?: Audio: (\w+)/.exec(r.stderr)?.[1] ?? null;
  return { codec: stream[1], pixelFormat: stream[2], width: Number(stream[3]), height: Number(stream[4]), frames: Number(frames[1]), audio };
}

export const photoTests = [
  [
    'keys AU12 at 0 s and 2 s, scrubs to 1 s and reads an in-between value; undo removes the last key',
    async ({ context, url, results, shared }) => {
      const page = await openPortrait(context, url, shared);
      const value = page.getByLabel('AU12 value');
      await value.fill('0');
      await value.press('Enter');
      await page.getByRole('button', { name: 'Key AU12' }).click();
      await seek(page, 2);
      await value.fill('1');
      await value.press('Enter');
      await page.getByRole('button', { name: 'Key AU12' }).click();
      assert.equal(await page.locator('[data-track="AU12"] .diamond').count(), 2);
      await seek(page, 1);
      const middle = Number(await value.inputValue());
      assert.ok(middle > 0.3 && middle < 0.7, `AU12 at 1 s should be between the keys, got ${middle}`);
      await page.screenshot({ path: path.join(results, 'studio-timeline.png') });
      await page.keyboard.press('Control+z');
      await page.locator('[data-track="AU12"] .diamond').first().waitFor();
      assert.equal(await page.locator('[data-track="AU12"] .diamond').count(), 1);
      assert.equal(Number(await value.inputValue()), 0);
      // A row for another AU, keyed at the playhead; zooming the timeline keeps its keys in place.
      await page.getByTestId('add-row').selectOption('AU04');
      await page.locator('[data-track="AU04"] .diamond').waitFor();
      await page.getByRole('slider', { name: 'Timeline zoom' }).fill('4');
      assert.match(await page.locator('[data-track="AU04"] .diamond').getAttribute('title'), /AU04 .* at 1\.00 s/);
      await page.screenshot({ path: path.join(results, 'studio-timeline-zoomed.png') });
      await page.close();
    },
  ],
  [
    'keys a face from a performance capture (OpenFace CSV) in one undo step; a CSV without AU columns is refused by name',
    async ({ context, url, results, shared }) => {
      const page = await openPortrait(context, url, shared);
      const aus = ['AU01', 'AU02', 'AU04', 'AU05', 'AU06', 'AU07', 'AU09', 'AU10', 'AU12', 'AU14', 'AU15', 'AU17', 'AU20', 'AU23', 'AU25', 'AU26', 'AU45'];
      // 6 s at 30 fps: AU12 rises to full intensity (5 on OpenFace's scale) at 3 s and falls back.
      const rows = Array.from({ length: 180 }, (_, i) => {
        const smile = 5 * (1 - Math.abs(i - 90) / 90);
        return `${i + 1}, 0, ${(i / 30).toFixed(3)}, 0.95, 1, ${aus.map((au) => (au === 'AU12' ? smile.toFixed(3) : au === 'AU06' ? '1.5' : '0')).join(', ')}`;
      });
      const csv = [`frame, face_id, timestamp, confidence, success, ${aus.map((au) => `${au}_r`).join(', ')}`, ...rows].join('\n');
      await page.getByTestId('import-capture').setInputFiles({ name: 'capture.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      await page.getByText(/capture\.csv: 180 frames \(6\.0 s\) keyed on face 0/).waitFor();
      assert.equal(await page.getByTestId('duration').inputValue(), '6');
      const smileKeys = await page.locator('[data-track="AU12"] .diamond').count();
      assert.ok(smileKeys >= 3 && smileKeys < 20, `AU12 should be thinned to a few keys, got ${smileKeys}`);
      await seek(page, 3, 6);
      assert.ok(Number(await page.getByLabel('AU12 value').inputValue()) > 0.95);
      assert.equal(Number(await page.getByLabel('AU06 value').inputValue()), 0.3);
      await page.screenshot({ path: path.join(results, 'studio-capture.png') });
      await page.keyboard.press('Control+z');
      await until(async () => (await page.locator('[data-track="AU12"] .diamond').count()) === 0, 'undo removes the capture');
      assert.equal(await page.getByTestId('duration').inputValue(), '4');
      const bad = 'frame, timestamp, AU01_c\n1, 0, 1';
      await page.getByTestId('import-capture').setInputFiles({ name: 'blinks.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
      await page.getByText(/blinks\.csv: missing columns AU01_r, AU02_r/).waitFor();
      await page.close();
    },
  ],
  [
    'opens a portrait, finds the face, and moving AU12 changes the face while the far background stays identical',
    async ({ context, url, results, shared }) => {
      const page = await openPortrait(context, url, shared);
      await page.getByRole('button', { name: 'Face 0' }).waitFor();
      const before = await pixels(page, '.frame img');
      await page.screenshot({ path: path.join(results, 'studio-photo-open.png') });
      await page.getByLabel('AU12 value').fill('1');
      await page.getByLabel('AU12 value').press('Enter');
      await page.getByText(/Frame rendered in \d+ ms/).waitFor({ timeout: 30_000 });
      const after = await pixels(page, '.frame img');
      assert.deepEqual(region(after, 0, 0, 48, 48), region(before, 0, 0, 48, 48), 'the corner far from the face must not change');
      const { far, farValues } = changes(before, after, await faceBox(page));
      assert.equal(far, 0, `nothing far from the face box may change (${far} of ${farValues} values did)`);
      const face = (img) => region(img, 224, 256, 288, 328);
      const faceBefore = face(before);
      const changed = face(after).filter((v, i) => Math.abs(v - faceBefore[i]) > 8).length;
      assert.ok(changed > 100, `the face region must change (${changed} values changed)`);
      await page.screenshot({ path: path.join(results, 'studio-au12.png') });
      await page.close();
    },
  ],
  [
    "opening the portrait's closed mouth shows the default model's mouth interior (teeth), not the lips stretched across the gap",
    async ({ context, url, results, shared }) => {
      const page = await openPortrait(context, url, shared);
      await page.getByRole('button', { name: 'Face 0' }).waitFor();
      const box = mouthBox(shared);
      const before = await pixels(page, '.frame img');
      for (const [au, value] of [['AU25', '1'], ['AU26', '0.6']]) {
        await page.getByLabel(`${au} value`).fill(value);
        await page.getByLabel(`${au} value`).press('Enter');
      }
      await until(async () => toothLike(await pixels(page, '.frame img'), box) > 25, 'the opened mouth shows teeth');
      const after = await pixels(page, '.frame img');
      assert.equal(toothLike(before, box), 0, 'the closed mouth shows no teeth before');
      assert.ok(toothLike(after, box) > 25, `the opened mouth should show teeth (${toothLike(after, box)} tooth-like pixels)`);
      await zoomOntoFace(page, 2.5);
      await page.getByText(/Frame rendered in \d+ ms/).waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.join(results, 'studio-mouth-opened.png') });
      await page.close();
    },
  ],
  [
    'imports an original .pth checkpoint as a model and switches to it; a broken model file is refused clearly',
    async ({ context, url, results, shared }) => {
      const page = await context.newPage();
      await page.goto(url);
      await page.getByText('Engines ready').waitFor({ timeout: 15_000 });
      await page.getByTestId('import-model').setInputFiles(path.join(shared, 'fixtures/ganimation-tiny/net_epoch_30_id_G-legacy.pth'));
      await page.getByText(/net_epoch_30_id_G-legacy\.pth imported and in use/).waitFor({ timeout: 30_000 });
      assert.match(await page.getByRole('combobox', { name: 'Model' }).locator('option:checked').innerText(), /net_epoch_30_id_G-legacy · 128px/);
      await page.getByTestId('import-model').setInputFiles({ name: 'broken.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model') });
      await page.getByRole('alert').getByText(/^broken\.onnx is not an ONNX model/).waitFor({ timeout: 15_000 });
      assert.match(await page.getByRole('combobox', { name: 'Model' }).locator('option:checked').innerText(), /net_epoch_30_id_G-legacy · 128px/, 'a refused file leaves the model in use alone');
      await page.screenshot({ path: path.join(results, 'studio-models.png') });
      // Back to the bundled model, from the picker (the later tests animate with it).
      await useModel(page, 'default');
      await page.close();
    },
  ],
  [
    'uploading a file that is not an image shows a clear error',
    async ({ context, url, results }) => {
      const page = await context.newPage();
      await page.goto(url);
      await page.getByText('Engines ready').waitFor({ timeout: 15_000 });
      await page.getByTestId('open-photo').setInputFiles({ name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('this is not a photo') });
      await page.getByRole('alert').getByText(/notes\.jpg is not an image/).waitFor({ timeout: 15_000 });
      await page.screenshot({ path: path.join(results, 'studio-bad-upload.png') });
      await page.close();
    },
  ],
  [
    'edits keys (easing menu, drag in time), saves the project, autosaves later edits, and reopens it with them recovered',
    async ({ context, url, results, shared }) => {
      const page = await openPortrait(context, url, shared);
      await keySmile(page, 2);
      const keys = page.locator('[data-track="AU12"] .diamond');
      await keys.nth(1).click();
      await page.getByTestId('easing').selectOption('hold');
      assert.match(await keys.nth(1).getAttribute('title'), /\(hold\)/);
      // Drag the second key from 2 s to 3 s (a quarter of the lane to the right).
      const lane = await page.getByRole('slider', { name: 'Playhead' }).boundingBox();
      const key = await keys.nth(1).boundingBox();
      await page.mouse.move(key.x + key.width / 2, key.y + key.height / 2);
      await page.mouse.down();
      await page.mouse.move(key.x + key.width / 2 + lane.width / 8, key.y + key.height / 2, { steps: 4 });
      await page.mouse.move(key.x + key.width / 2 + lane.width / 4, key.y + key.height / 2, { steps: 4 });
      await page.mouse.up();
      assert.match(await keys.nth(1).getAttribute('title'), /at 3\.00 s/);
      await page.keyboard.press('Control+s');
      await page.getByTestId('project-name').fill('smile test');
      await page.getByTestId('project-name-save').click();
      await page.getByTestId('document').getByText('smile test').waitFor();
      await page.getByTestId('document').getByTitle('Saved').waitFor();
      await page.screenshot({ path: path.join(results, 'studio-saved.png') });
      // An edit after saving is autosaved beside the project and offered back on the next open.
      await page.getByTestId('easing').selectOption('linear');
      await page.getByTestId('autosaved').waitFor({ timeout: 15_000 });

      const again = await context.newPage();
      again.on('dialog', (dialog) => void (dialog.message().includes('Recover them?') ? dialog.accept() : dialog.dismiss()));
      await again.goto(url);
      await again.getByText('Engines ready').waitFor({ timeout: 15_000 });
      await again.getByTestId('open-project').click();
      await again.getByRole('menuitem', { name: /smile test/ }).click();
      await again.getByText('Project smile test opened').waitFor({ timeout: 30_000 });
      const reopened = again.locator('[data-track="AU12"] .diamond');
      assert.equal(await reopened.count(), 2);
      assert.match(await reopened.nth(1).getAttribute('title'), /AU12 1\.00 at 3\.00 s \(linear\)/);
      await again.getByTestId('document').getByTitle('Unsaved changes').waitFor();
      await again.screenshot({ path: path.join(results, 'studio-project-reopened.png') });
      await again.close();
      await page.close();
    },
  ],
  [
    'exports an MP4 with a sound track from the studio with progress, and the file reads back with the frames, size, codec and audio asked for',
    async ({ context, url, results, shared, dataDir }) => {
      const page = await openPortrait(context, url, shared);
      await setLength(page, 2);
      await keySmile(page, 1, 2);
      await page.getByTestId('export').click();
      await page.getByTestId('export-fps').fill('12');
      await page.getByTestId('export-name').fill('smile clip');
      // A sound track, uploaded from the dialog and checked by ffmpeg on the way in.
      const tone = path.join(os.tmpdir(), `e2e-tone-${process.pid}.wav`);
      spawnSync(ffmpegPath(), ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', tone]);
      await page.getByTestId('export-audio').setInputFiles(tone);
      await page.getByTestId('export-sound').getByText(`♪ ${path.basename(tone)}`).waitFor();
      fs.rmSync(tone);
      await page.screenshot({ path: path.join(results, 'studio-export-dialog.png') });
      // Progress arrives as events on the page's WebSocket, not by polling.
      const socket = page.waitForEvent('websocket', { predicate: (ws) => new URL(ws.url()).pathname === '/events' });
      await page.getByTestId('export-start').click();
      const events = [];
      (await socket).on('framereceived', (f) => events.push(JSON.parse(f.payload.toString())));
      await page.locator('[data-testid="export-progress"][data-state="done"]').waitFor({ timeout: 120_000 });
      await page.screenshot({ path: path.join(results, 'studio-export-done.png') });
      assert.ok(events.some((e) => e.name === 'export.progress' && e.payload.state === 'done'), `no 'done' event among ${events.length}`);
      const file = path.join(dataDir, 'exports', 'smile clip.mp4');
      const video = probe(file);
      assert.deepEqual(video, { codec: 'h264', pixelFormat: 'yuv420p', width: 512, height: 512, frames: 24, audio: 'aac' });
      // Web mode downloads the file; its bytes are the exported file's.
      const href = await page.getByTestId('export-download').getAttribute('href');
      const download = await page.evaluate(async (h) => (await fetch(h)).arrayBuffer().then((b) => b.byteLength), href);
      assert.equal(download, fs.statSync(file).size);
      // A second export with the same name never replaces the first.
      await page.getByRole('button', { name: 'Done' }).click();
      await page.getByTestId('export').click();
      await page.getByTestId('export-name').fill('smile clip');
      await page.getByTestId('export-start').click();
      await page.locator('[data-testid="export-progress"][data-state="done"]').waitFor({ timeout: 120_000 });
      assert.ok(fs.existsSync(path.join(dataDir, 'exports', 'smile clip (2).mp4')));
      await page.close();
    },
  ],
  [
    'cancelling an export stops it and leaves no file',
    async ({ context, url, results, shared, dataDir }) => {
      const page = await openPortrait(context, url, shared);
      await setLength(page, 120);
      await keySmile(page, 60, 120);
      await page.getByTestId('export').click();
      await page.getByTestId('export-name').fill('cancelled clip');
      await page.getByTestId('export-start').click();
      await page.getByText(/Frame \d+ of 3600/).waitFor({ timeout: 60_000 });
      await page.screenshot({ path: path.join(results, 'studio-export-progress.png') });
      await page.getByTestId('export-cancel').click();
      await page.getByText('The export was cancelled; no partial file was kept.').waitFor({ timeout: 30_000 });
      const left = fs.readdirSync(path.join(dataDir, 'exports')).filter((f) => f.startsWith('cancelled clip') || f.startsWith('.'));
      assert.deepEqual(left, []);
      await page.close();
    },
  ],
  [
    'trains a model from a folder in the training panel, with progress, loss charts, a sample grid and skipped files, then uses it',
    async ({ context, url, results, shared, dataDir, trainingPhotos, fixture }) => {
      for (const f of ['0101a02.jpg', '0131e03.jpg', '0311g07.jpg', '0221g08.jpg']) fs.copyFileSync(path.join(shared, 'data/tw-expressions/images', f), path.join(trainingPhotos, f));
      fs.writeFileSync(path.join(trainingPhotos, 'notes.jpg'), 'not a photo');
      const page = await context.newPage();
      await page.goto(url);
      await page.getByText('Engines ready').waitFor({ timeout: 15_000 });
      await useModel(page, 'default');
      await page.getByTestId('train').click();
      await page.getByTestId('train-name').fill('e2e run');
      await page.getByTestId('train-folder').fill('/etc');
      await page.getByTestId('train-start').click();
      await page.getByRole('alert').getByText(/\/etc is outside the folders this studio may read/).waitFor();
      await page.getByTestId('train-folder').fill(trainingPhotos);
      // With the bundled default in use, a new run fine-tunes it (its studio preset, 96 px, and its motion model), and the panel says why.
      const note = page.getByTestId('train-start-note');
      const preset = page.getByRole('combobox', { name: 'Preset' });
      await note.getByText(/^Fine-tunes default \(studio preset, with its motion model\): the run starts from a model that already animates faces/).waitFor();
      assert.equal(await page.getByTestId('train-from-scratch').isChecked(), false);
      assert.equal(await page.getByTestId('train-from-scratch').isDisabled(), false);
      assert.equal(await preset.isDisabled(), true);
      assert.equal(await preset.locator('option:checked').innerText(), 'studio · 96 px');
      // A fine-tune's default length is short on purpose (shared/fine-tune.ts).
      assert.equal(await page.getByTestId('train-steps').inputValue(), '350');
      // A fine-tune of a geometry-first model repaints only the mouth openings its warp makes unless the user lifts that, and the panel says what each choice means.
      const mouthOnly = page.getByTestId('train-mouth-only');
      const repaintNote = page.getByTestId('train-repaint-note');
      assert.equal(await mouthOnly.isChecked(), true);
      await repaintNote.getByText(/Outside an opened mouth every pixel stays the photo's own/).waitFor();
      await mouthOnly.uncheck();
      await repaintNote.getByText(/may repaint anywhere its attention opens\. Measured on other people, that cost likeness/).waitFor();
      await mouthOnly.check();
      await page.getByTestId('training-panel').screenshot({ path: path.join(results, 'studio-training-fine-tune.png') });
      // A 96 px studio run is far too slow here. The model in use (the 128 px import) is of no preset's size: the run can only train from scratch.
      await page.getByTestId('training-panel').getByRole('button', { name: 'Close' }).click();
      await useModel(page, 'net_epoch_30_id_G-legacy');
      await page.getByTestId('train').click();
      await note.getByText(/net_epoch_30_id_G-legacy is of no preset's size, so it cannot be fine-tuned/).waitFor();
      assert.equal(await page.getByTestId('train-from-scratch').isChecked(), true);
      assert.equal(await page.getByTestId('train-from-scratch').isDisabled(), true);
      // With the tiny fixture in use (32 px), a new run fine-tunes it and keeps its preset; from scratch offers every preset.
      await page.getByTestId('training-panel').getByRole('button', { name: 'Close' }).click();
      await useFixture(page, fixture);
      await page.getByTestId('train').click();
      await note.getByText(/Fine-tunes fixture-tiny \(tiny preset\)/).waitFor();
      assert.equal(await preset.isDisabled(), true);
      assert.equal(await page.getByTestId('train-mouth-only').count(), 0, 'a model without geometry has no mouth opening to limit its repaint to');
      await page.getByTestId('train-from-scratch').check();
      await note.getByText(/Trains new networks of the preset below/).waitFor();
      assert.equal(await preset.isDisabled(), false);
      assert.equal(await page.getByTestId('train-steps').inputValue(), '2000');
      await page.getByTestId('train-from-scratch').uncheck();
      assert.equal(await page.getByTestId('train-steps').inputValue(), '350');
      await page.getByTestId('train-steps').fill('60');
      await page.getByTestId('train-start').click();
      await page.locator('[data-testid="train-progress"][data-phase="training"]').waitFor({ timeout: 60_000 });
      await page.locator('[data-testid="train-progress"][data-state="done"]').waitFor({ timeout: 120_000 });
      await page.getByTestId('train-sample').waitFor({ timeout: 10_000 });
      assert.equal(await page.getByTestId('loss-chart').count(), 2);
      await page.getByText(/4 faces · 1 files skipped/).click();
      await page.getByText(/notes\.jpg — corrupt/).waitFor();
      // The run timed this computer's conv weight gradients once and kept them for the next runs.
      const patterns = JSON.parse(fs.readFileSync(path.join(dataDir, 'cache', 'weight-grad-patterns.json'), 'utf8'));
      assert.ok(Object.keys(patterns.cases).length > 0, 'the machine table holds the run\'s cases');
      await page.screenshot({ path: path.join(results, 'studio-training.png') });
      await page.getByTestId('train-use').click();
      await page.getByText('Using the model you trained').waitFor();
      await until(async () => /e2e-run · 32px/.test(await page.getByRole('combobox', { name: 'Model' }).locator('option:checked').innerText()), 'the trained model is picked');
      await page.close();
    },
  ],
  [
    'viewer tools: the attention overlay shows the default model repaints almost nothing and a repainting model lights up the face, before/after split, zoom, and playback reports its frame rate',
    async ({ context, url, results, shared, fixture }) => {
      const page = await openPortrait(context, url, shared);
      await page.getByLabel('AU12 value').fill('1');
      await page.getByLabel('AU12 value').press('Enter');
      await page.getByText(/Frame rendered in \d+ ms/).waitFor({ timeout: 30_000 });
      await page.getByTestId('attention').click();
      await page.getByTestId('attention-overlay').waitFor({ timeout: 30_000 });
      const brightness = (values) => values.reduce((a, b) => a + b, 0) / values.length;
      // The bundled model is geometry first: its generator starts as the identity (attention about 0.98 "keep"), so the overlay over the face is nearly black.
      const overlay = await pixels(page, '[data-testid="attention-overlay"]');
      const face = (img) => region(img, 224, 256, 288, 328);
      assert.equal(brightness(region(overlay, 0, 0, 48, 48)), 0, 'nothing is repainted far from the face');
      const kept = brightness(face(overlay));
      assert.ok(kept < 10, `the default model repaints almost none of the face (mean overlay ${kept.toFixed(1)} of 255)`);
      const brightest = overlay.data.reduce((m, v, i) => (i % 4 === 0 && v > m ? v : m), 0);
      assert.ok(brightest < 64, `the default model repaints no pixel by a quarter or more (brightest overlay pixel ${brightest})`);
      // A model whose generator repaints (the tiny fixture) lights the face up in the same overlay.
      const shown = await page.getByTestId('attention-overlay').getAttribute('src');
      await useFixture(page, fixture);
      await newFrame(page, shown, '[data-testid="attention-overlay"]');
      const repainted = await pixels(page, '[data-testid="attention-overlay"]');
      assert.equal(brightness(region(repainted, 0, 0, 48, 48)), 0, 'nothing is repainted far from the face');
      const lit = brightness(face(repainted));
      assert.ok(lit > 40, `the fixture repaints the face (mean overlay ${lit.toFixed(1)} of 255)`);
      await page.screenshot({ path: path.join(results, 'studio-attention-repainting.png') });
      await useModel(page, 'default');
      // The crop overlay: the square the generator sees, around the detected face.
      await page.getByTestId('crop').click();
      const corners = (await page.locator('[data-testid="crop-overlay"] polygon').first().getAttribute('points')).split(' ').map((p) => p.split(',').map(Number));
      assert.equal(corners.length, 4);
      const rect = page.locator('.face rect').first();
      const [x, y, w, h] = await Promise.all(['x', 'y', 'width', 'height'].map(async (a) => Number(await rect.getAttribute(a))));
      const xs = corners.map((c) => c[0]);
      const ys = corners.map((c) => c[1]);
      assert.ok(Math.min(...xs) < x + w / 2 && Math.max(...xs) > x + w / 2 && Math.min(...ys) < y + h / 2 && Math.max(...ys) > y + h / 2, 'the crop is around the face');
      await page.getByTestId('split').click();
      await page.getByRole('slider', { name: 'Before/after split' }).waitFor();
      await page.getByRole('button', { name: 'Zoom in' }).click();
      await page.getByTestId('zoom').getByText('125%').waitFor();
      await page.screenshot({ path: path.join(results, 'studio-viewer-tools.png') });
      await page.getByTestId('zoom').click();
      await page.getByTestId('split').click();
      await page.getByTestId('attention').click();
      await keySmile(page, 1);
      await page.getByRole('button', { name: 'Play' }).click();
      await page.getByTestId('preview-fps').waitFor({ timeout: 15_000 });
      assert.match(await page.getByTestId('preview-fps').innerText(), /^\d+\.\d fps preview$/);
      await page.getByRole('button', { name: 'Pause' }).click();
      await page.close();
    },
  ],
  [
    'the models panel lists every model with its metadata and card, and removes an imported one',
    async ({ context, url, results }) => {
      const page = await context.newPage();
      page.on('dialog', (dialog) => void dialog.accept());
      await page.goto(url);
      await page.getByText('Engines ready').waitFor({ timeout: 15_000 });
      await page.getByTestId('models').click();
      const rows = page.getByTestId('model-row');
      const bundled = rows.filter({ has: page.locator('.name', { hasText: /^default$/ }) });
      await bundled.waitFor();
      const names = await page.getByTestId('models-panel').locator('.name').allInnerTexts();
      assert.deepEqual(names, ['default', 'net_epoch_30_id_G-legacy', 'fixture-tiny', 'e2e-run'], 'the bundled model first, then the imported and trained ones');
      const before = await rows.count();
      // The bundled model is listed with its own metadata and cannot be removed.
      await bundled.getByText('96 px · conv_dim 32, 4 blocks').waitFor();
      await bundled.getByText('geometry first').waitFor();
      assert.equal(await bundled.getByRole('button', { name: 'Remove' }).count(), 0, 'the bundled model cannot be removed');
      const trained = rows.filter({ hasText: 'e2e-run' });
      await trained.getByText(/32 px · conv_dim 8, 2 blocks/).waitFor();
      // A model without a motion basis (the original network, trained here from the imported fixture) is not marked.
      assert.equal(await trained.getByText('geometry first').count(), 0, 'a model without a motion basis is marked geometry first');
      await trained.getByRole('button', { name: 'Model card' }).click();
      // The card renders as a document: a heading and a table of the final losses, no Markdown marks.
      await trained.getByRole('heading', { name: 'GANimation generator (tiny preset)' }).waitFor();
      await trained.getByTestId('model-card').getByRole('cell', { name: 'D/gp' }).waitFor();
      assert.ok(!(await trained.getByTestId('model-card').innerText()).includes('|---'), 'the model card shows raw Markdown');
      await page.screenshot({ path: path.join(results, 'studio-models-panel.png') });
      await trained.getByRole('button', { name: 'Remove' }).click();
      await page.getByText('Model removed').waitFor();
      assert.equal(await rows.count(), before - 1);
      await page.close();
    },
  ],
  [
    'a photo with two faces gets a track tab per face, and each face keeps its own keys',
    async ({ context, url, results, shared }) => {
      const page = await context.newPage();
      await page.goto(url);
      await page.getByText('Engines ready').waitFor({ timeout: 15_000 });
      await useModel(page, 'default');
      const images = path.join(shared, 'data/tw-expressions/images');
      const right = await sharp(path.join(images, '0311g07.jpg')).toBuffer();
      const pair = await sharp(path.join(images, '0101a02.jpg')).extend({ right: 256, background: '#ffffff' }).composite([{ input: right, left: 256, top: 0 }]).jpeg({ quality: 95 }).toBuffer();
      await page.getByTestId('open-photo').setInputFiles({ name: 'pair.jpg', mimeType: 'image/jpeg', buffer: pair });
      await page.getByText(/2 face\(s\)/).waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'Key AU12' }).click();
      assert.equal(await page.locator('[data-track="AU12"] .diamond').count(), 1);
      await page.getByRole('tab', { name: 'Face 1' }).click();
      assert.equal(await page.locator('[data-track="AU12"] .diamond').count(), 0);
      await page.getByRole('button', { name: 'Key AU04' }).click();
      await page.getByRole('tab', { name: 'Face 0' }).click();
      assert.equal(await page.locator('[data-track="AU12"] .diamond').count(), 1);
      assert.equal(await page.locator('[data-track="AU04"] .diamond').count(), 0);
      await page.screenshot({ path: path.join(results, 'studio-two-faces.png') });
      await page.close();
    },
  ],
];
