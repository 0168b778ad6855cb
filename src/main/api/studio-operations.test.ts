// The studio's project and export operations through dispatch, on real engines and files: a saved
// project reopens with its timeline, a changed photo is refused by name, an export runs in its worker
// to a file that never replaces another, bad arguments are refused with the field named, and closing
// the studio cancels what runs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { audioTrackName, type ArgsOf, type ExportStatus, type OperationName } from '../../shared/api';
import { DEFAULT_OUTPUT_SETTINGS } from '../../shared/project/schema';
import { addKey, type Timeline } from '../../shared/timeline';
import { disposeAllSessions } from '../infer/generator-engine';
import { PRESETS } from '../model/config';
import { exportGeneratorModel, writeFileAtomic } from '../model/model-file';
import { readSafetensors } from '../model/safetensors';
import { resolveFfmpeg } from '../render/ffmpeg-path';
import { createStudio, invoke, type Studio, type StudioConfig } from './studio';

const SHARED = path.resolve(__dirname, '../../../../shared');
const PORTRAIT = path.join(SHARED, 'data/tw-expressions/images/0101a02.jpg');
const have = fs.existsSync(PORTRAIT);
if (!have) console.warn(`skipping studio operation tests: ${PORTRAIT} not found (they need ../shared)`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-studio-ops-'));
const studios: Studio[] = [];
afterAll(async () => {
  await Promise.all(studios.map((s) => s.dispose()));
  disposeAllSessions();
});

/** A studio of its own for each test, over a fresh data folder, rendering with the tiny fixture generator. */
function tinyStudio(config: Partial<StudioConfig> = {}) {
  const dataDir = fs.mkdtempSync(path.join(tmp, 'studio-'));
  const model = path.join(tmp, 'tiny.onnx');
  if (!fs.existsSync(model)) {
    const weights = new Map([...readSafetensors(path.join(SHARED, 'fixtures/ganimation-tiny/generator.safetensors'))].map(([k, t]) => [k, t.data]));
    writeFileAtomic(model, exportGeneratorModel(weights, PRESETS.tiny.generator, { provenance: { importedFrom: 'fixture' } }));
  }
  const studio = createStudio({ dataDir, modelsDir: path.join(dataDir, 'models'), models: [model], ...config });
  studios.push(studio);
  const call = <K extends OperationName>(name: K, args: ArgsOf<K>) => invoke(studio, name, args);
  return { studio, dataDir, call };
}

async function setup(config: Partial<StudioConfig> = {}) {
  const opened = tinyStudio(config);
  const photo = await opened.call('photo.open', { name: 'portrait.jpg', dataBase64: fs.readFileSync(PORTRAIT).toString('base64') });
  let timeline: Timeline = { duration: 1, fps: 10, faces: photo.faces.map((f) => ({ faceId: f.id, sourceAus: f.sourceAus, tracks: {} })) };
  timeline = addKey(timeline, 0, 'AU12', 0, 0, 'linear');
  timeline = addKey(timeline, 0, 'AU12', 1, 1, 'linear');
  const waitFor = async (jobId: string): Promise<ExportStatus> => {
    for (;;) {
      const s = await opened.call('export.status', { jobId });
      if (s.state !== 'running') return s;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { ...opened, photo, timeline, waitFor };
}

describe.skipIf(!have)('studio operations', () => {
  it('saves a project, lists it, and reopens it with its timeline; a changed photo is refused by name', async () => {
    const { studio, dataDir, call, photo, timeline } = await setup();
    const saved = await call('project.save', { photoId: photo.photoId, name: 'smile', timeline, output: DEFAULT_OUTPUT_SETTINGS });
    expect(saved.name).toBe('smile');
    expect((await call('project.list', {})).map((p) => p.name)).toEqual(['smile']);
    const opened = await call('project.open', { name: 'smile' });
    expect(opened.timeline.faces[0].tracks.AU12?.map((k) => [k.time, k.value])).toEqual([[0, 0], [1, 1]]);
    expect(opened.photo.faces.map((f) => f.id)).toEqual(photo.faces.map((f) => f.id));
    // The reopened faces are described as when they were detected (size and border flags, crop).
    expect(opened.photo.faces).toEqual(photo.faces);

    const bad = await studio.dispatch('project.save', { photoId: photo.photoId, name: 'a/b', timeline, output: DEFAULT_OUTPUT_SETTINGS });
    expect(bad.ok ? '' : bad.error.message).toMatch(/^project\.save: name: may not contain/);
    // The stored photo changes on disk: reopening names it and says what happened.
    const stored = path.join(dataDir, 'photos', fs.readdirSync(path.join(dataDir, 'photos'))[0]);
    fs.appendFileSync(stored, Buffer.from([0]));
    const changed = await studio.dispatch('project.open', { name: 'smile' });
    expect(changed.ok ? '' : changed.error.code).toBe('photo-changed');
    expect(changed.ok ? '' : changed.error.message).toContain(stored);
  });

  it('offers a folder dialog only where the host has one, and reads training folders only under the allowed roots', async () => {
    const web = tinyStudio({ dataRoots: [path.join(tmp, 'allowed')] });
    const noDialog = await web.studio.dispatch('train.chooseFolder', {});
    expect(noDialog.ok ? '' : noDialog.error.code).toBe('not-supported');
    const desktop = tinyStudio({ host: { chooseFolder: async () => '/photos/faces' } });
    expect(await desktop.call('train.chooseFolder', {})).toEqual({ folder: '/photos/faces' });
    const settings = { name: 'run', folder: tmp, aligned: false, preset: 'tiny', fromScratch: true, steps: 1, batchSize: 1, resume: false };
    const outside = await web.studio.dispatch('train.start', settings);
    expect(outside.ok ? '' : outside.error.code).toBe('folder-not-allowed');
    const missing = await web.studio.dispatch('train.start', { ...settings, folder: path.join(tmp, 'allowed', 'nope') });
    expect(missing.ok ? '' : missing.error.message).toMatch(/allowed.nope does not exist/);
    // Without any data root, web mode reads no folder at all.
    const none = await tinyStudio({ dataRoots: [] }).studio.dispatch('train.start', settings);
    expect(none.ok ? '' : none.error.message).toMatch(/started without --data-root/);
    // A geometry-first preset needs a motion basis, and the tiny model in use has none: refused at once.
    const geometry = await desktop.studio.dispatch('train.start', { ...settings, preset: 'studio-tiny' });
    expect(geometry.ok ? '' : geometry.error.code).toBe('no-motion-basis');
    // Only a geometry-first run has a warp whose mouth opening it can be limited to: refused at once, naming the run.
    const mouthOnly = await desktop.studio.dispatch('train.start', { ...settings, repaint: 'mouth-opening' });
    expect(mouthOnly.ok ? '' : `${mouthOnly.error.code}: ${mouthOnly.error.message}`).toMatch(/^repaint-region-needs-geometry: .*run trains without geometry/);
    // Fine-tuning (the default) keeps the preset of the model in use, a tiny one here.
    const other = await desktop.studio.dispatch('train.start', { ...settings, fromScratch: false, preset: 'light' });
    expect(other.ok ? '' : `${other.error.code}: ${other.error.message}`).toMatch(/^preset-mismatch: fine-tuning keeps the starting model's preset: .* is a tiny model, not light/);
    expect((await desktop.call('models.list', {})).map((m) => m.preset)).toEqual(['tiny']);
  });

  it('opens the bundled sample portrait with its face, and says so clearly when it is missing', async () => {
    const { call } = tinyStudio({ samplePhoto: path.resolve(__dirname, '../../../resources/samples/portrait.jpg') });
    const sample = await call('photo.openSample', {});
    expect(sample.name).toMatch(/^Sample - Eileen Collins/);
    expect(sample.faces).toHaveLength(1);
    expect(sample.faces[0].crop.side).toBeGreaterThan(sample.faces[0].box.width);
    const missing = await tinyStudio({ samplePhoto: path.join(tmp, 'nowhere.jpg') }).studio.dispatch('photo.openSample', {});
    expect(missing.ok ? '' : `${missing.error.code}: ${missing.error.message}`).toMatch(/^no-sample: .*nowhere\.jpg/);
  });
  it('renders preview frames in the frame engine, full size or scaled down, with the attention overlay', async () => {
    const { studio, call, photo } = await setup();
    const faces = photo.faces.map((f) => ({ faceId: f.id, aus: f.sourceAus.map((v, i) => (i === 8 ? 1 : v)) }));
    const size = async (url: string) => sharp(Buffer.from(url.split(',')[1], 'base64')).metadata();
    const full = await call('frame.render', { photoId: photo.photoId, faces });
    expect(await size(full.imageUrl)).toMatchObject({ width: photo.width, height: photo.height });
    expect(full.attentionUrl).toBeUndefined();
    const small = await call('frame.render', { photoId: photo.photoId, faces, previewSide: 128, attention: true });
    expect(await size(small.imageUrl)).toMatchObject({ width: 128, height: 128 });
    expect(await size(small.attentionUrl as string)).toMatchObject({ width: 128, height: 128 });
    const closed = await studio.dispatch('frame.render', { photoId: 'not-open', faces });
    expect(closed.ok ? '' : closed.error.code).toBe('photo-closed');
  });

  it('exports in a worker to a new file each time, and reports progress to the end, in events too', async () => {
    let chooseSavePath = async (_suggested: string): Promise<string | null> => null;
    const { studio, call, photo, timeline, waitFor } = await setup({ host: { chooseSavePath: (suggested) => chooseSavePath(suggested) } });
    const args = { photoId: photo.photoId, timeline, output: DEFAULT_OUTPUT_SETTINGS, fps: 10, fileName: 'clip' };
    const events: ExportStatus[] = [];
    const unsubscribe = studio.subscribe((e) => e.name === 'export.progress' && events.push(e.payload));
    const first = await waitFor((await call('export.start', args)).jobId);
    unsubscribe();
    expect(first).toMatchObject({ state: 'done', fileName: 'clip.mp4', framesEncoded: 10, totalFrames: 10, notices: [] });
    // Every event is this job's; the last says it is done, as the status does.
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.jobId === first.jobId)).toBe(true);
    expect(events.at(-1)).toMatchObject({ state: 'done', framesEncoded: 10, outputPath: first.outputPath });
    const second = await waitFor((await call('export.start', args)).jobId);
    expect(second.fileName).toBe('clip (2).mp4');
    expect(fs.statSync(first.outputPath).size).toBeGreaterThan(1000);
    expect(fs.readdirSync(path.dirname(first.outputPath)).sort()).toEqual(['clip (2).mp4', 'clip.mp4']);
    const refused = await studio.dispatch('export.start', { ...args, fileName: '../escape' });
    expect(refused.ok ? '' : refused.error.message).toMatch(/^export\.start: fileName:/);
    // Outside the exports folder, only a path the user chose in the host's save dialog is written.
    const elsewhere = path.join(tmp, 'chosen', 'my clip.mp4');
    fs.mkdirSync(path.dirname(elsewhere));
    const notChosen = await studio.dispatch('export.start', { ...args, outputPath: elsewhere });
    expect(notChosen.ok ? '' : notChosen.error.code).toBe('path-not-chosen');
    // A host without a save dialog (web mode) says so; cancelling the dialog allows nothing.
    const web = await tinyStudio().studio.dispatch('export.choosePath', { fileName: 'clip', format: 'mp4' });
    expect(web.ok ? '' : web.error.code).toBe('not-supported');
    expect(await call('export.choosePath', { fileName: 'clip', format: 'mp4' })).toBeNull();
    chooseSavePath = async (suggested) => (suggested.endsWith('clip.mp4') ? elsewhere : null);
    expect(await call('export.choosePath', { fileName: 'clip', format: 'mp4' })).toEqual({ path: elsewhere });
    const chosen = await waitFor((await call('export.start', { ...args, outputPath: elsewhere })).jobId);
    expect(chosen).toMatchObject({ state: 'done', outputPath: elsewhere });
    // The choice is good for one export only.
    const again = await studio.dispatch('export.start', { ...args, outputPath: elsewhere });
    expect(again.ok ? '' : again.error.code).toBe('path-not-chosen');
  });

  it('an export with a model whose motion basis is corrupt goes on without the warp and says why in its status', async () => {
    const corrupt = path.join(tmp, 'corrupt-basis.onnx');
    const weights = new Map([...readSafetensors(path.join(SHARED, 'fixtures/ganimation-tiny/generator.safetensors'))].map(([k, t]) => [k, t.data]));
    writeFileAtomic(corrupt, exportGeneratorModel(weights, PRESETS.tiny.generator, { provenance: { importedFrom: 'fixture' }, motionBasis: '{"format": "something else"}' }));
    const { call, photo, timeline, waitFor } = await setup({ models: [corrupt] });
    const done = await waitFor((await call('export.start', { photoId: photo.photoId, timeline, output: DEFAULT_OUTPUT_SETTINGS, fps: 10, fileName: 'plain' })).jobId);
    expect(done).toMatchObject({ state: 'done', framesEncoded: 10 });
    expect(done.notices).toEqual([expect.stringMatching(/motion basis of .*corrupt-basis\.onnx/)]);
  });

  it('takes an uploaded audio track into an export, and refuses files without sound or from elsewhere', async () => {
    const { studio, call, photo, timeline, waitFor } = await setup();
    const ffmpeg = resolveFfmpeg().path;
    const wav = path.join(tmp, 'theme song.wav');
    spawnSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=330:duration=0.5', wav]);
    const track = await call('audio.upload', { name: 'theme song.wav', dataBase64: fs.readFileSync(wav).toString('base64') });
    expect(track).toMatchObject({ name: 'theme song.wav' });
    expect(track.durationSeconds).toBeCloseTo(0.5, 1);
    expect(audioTrackName(track.path)).toBe('theme song.wav');
    const output = { ...DEFAULT_OUTPUT_SETTINGS, audioPath: track.path };
    const done = await waitFor((await call('export.start', { photoId: photo.photoId, timeline, output, fps: 10, fileName: 'with sound' })).jobId);
    expect(done.state).toBe('done');
    const info = spawnSync(ffmpeg, ['-hide_banner', '-i', done.outputPath], { encoding: 'utf8' }).stderr;
    expect(info).toMatch(/Audio: aac/);
    expect(info).toMatch(/Duration: 00:00:01\.0/); // the half-second track padded to the video's length
    // Not sound at all: refused by name, and not kept.
    const silent = await studio.dispatch('audio.upload', { name: 'notes.mp3', dataBase64: Buffer.from('not audio').toString('base64') });
    expect(silent.ok ? '' : silent.error.message).toBe('notes.mp3 has no audio track that ffmpeg can read');
    expect(fs.readdirSync(path.dirname(track.path))).toEqual([path.basename(track.path)]);
    // A path the studio did not store (web mode must not read arbitrary files), or one gone since.
    const elsewhere = await studio.dispatch('export.start', { photoId: photo.photoId, timeline, output: { ...output, audioPath: wav }, fps: 10, fileName: 'x' });
    expect(elsewhere.ok ? '' : elsewhere.error.code).toBe('audio-not-allowed');
    fs.rmSync(track.path);
    const gone = await studio.dispatch('export.start', { photoId: photo.photoId, timeline, output, fps: 10, fileName: 'x' });
    expect(gone.ok ? '' : gone.error.message).toMatch(/the audio track .*theme song\.wav is no longer in the studio's audio folder/);
  });

  it('closing the studio cancels a running export, announces it, and leaves no partial file', async () => {
    const { studio, dataDir, call, photo, timeline } = await setup();
    const events: ExportStatus[] = [];
    studio.subscribe((e) => e.name === 'export.progress' && events.push(e.payload));
    const long = { ...timeline, duration: 60 };
    const started = await call('export.start', { photoId: photo.photoId, timeline: long, output: DEFAULT_OUTPUT_SETTINGS, fps: 10, fileName: 'long' });
    await studio.dispose();
    expect(events.at(-1)).toMatchObject({ jobId: started.jobId, state: 'cancelled' });
    expect(fs.readdirSync(path.join(dataDir, 'exports'))).toEqual([]);
    const after = await studio.dispatch('export.status', { jobId: started.jobId });
    expect(after.ok ? '' : after.error.code).toBe('studio-closed');
  });
});
