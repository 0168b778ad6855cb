// Studios built from a config own their state: two in one process keep their photos, projects,
// models, host dialogs and events apart; a closed studio refuses further calls and leaves the other
// working. Runs on the bundled model and sample portrait (no ../shared needed).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ArgsOf, OperationName, StudioEvent } from '../../shared/api';
import type { Result } from '../../shared/errors';
import { DEFAULT_OUTPUT_SETTINGS } from '../../shared/project/schema';
import { disposeAllSessions } from '../infer/generator-engine';
import { PRESETS } from '../model/config';
import { exportGeneratorModel, readGeneratorWeights, readModelInfo } from '../model/model-file';
import { createStudio, invoke, type StudioConfig } from './studio';

const RESOURCES = path.resolve(__dirname, '../../../resources');
const BUNDLED_MODEL = path.join(RESOURCES, 'models/default.onnx');
const SAMPLE = path.join(RESOURCES, 'samples/portrait.jpg');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-studios-'));
afterAll(() => disposeAllSessions());

function studioIn(name: string, config: Partial<StudioConfig> = {}) {
  const dir = path.join(tmp, name);
  const studio = createStudio({ dataDir: path.join(dir, 'data'), modelsDir: path.join(dir, 'models'), models: [BUNDLED_MODEL], samplePhoto: SAMPLE, ...config });
  const events: StudioEvent[] = [];
  studio.subscribe((e) => events.push(e));
  const call = <K extends OperationName>(name: K, args: ArgsOf<K>) => invoke(studio, name, args);
  return { studio, dir, events, call };
}

const codeOf = (r: Result<unknown>): string => (r.ok ? 'ok' : r.error.code);

async function waitUntil(check: () => boolean, what: string): Promise<void> {
  for (const t0 = Date.now(); !check(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() - t0 > 60_000) throw new Error(`timed out waiting until ${what}`);
  }
}

describe('two studios in one process', () => {
  it('keep their photos, projects, models, dialogs and events apart; closing one leaves the other working', async () => {
    const roots = path.join(tmp, 'photos-a');
    fs.mkdirSync(path.join(roots, 'empty'), { recursive: true });
    const a = studioIn('a', { dataRoots: [roots], host: { chooseFolder: async () => '/chosen/by/a' } });
    const b = studioIn('b', { samplePhoto: null });

    // Photos: A's photo is unknown to B, and B has no sample to open.
    const photo = await a.call('photo.openSample', {});
    expect(photo.faces).toHaveLength(1);
    expect(codeOf(await b.studio.dispatch('frame.render', { photoId: photo.photoId, faces: [] }))).toBe('photo-closed');
    expect(codeOf(await b.studio.dispatch('photo.openSample', {}))).toBe('no-sample');

    // Projects live in each studio's own data folder.
    const timeline = { duration: 1, fps: 10, faces: photo.faces.map((f) => ({ faceId: f.id, sourceAus: f.sourceAus, tracks: {} })) };
    const saved = await a.call('project.save', { photoId: photo.photoId, name: 'only in a', timeline, output: DEFAULT_OUTPUT_SETTINGS });
    expect(saved.path.startsWith(path.join(a.dir, 'data', 'projects'))).toBe(true);
    expect((await a.call('project.list', {})).map((p) => p.name)).toEqual(['only in a']);
    expect(await b.call('project.list', {})).toEqual([]);
    expect(codeOf(await b.studio.dispatch('project.save', { photoId: photo.photoId, name: 'x', timeline, output: DEFAULT_OUTPUT_SETTINGS }))).toBe('photo-closed');

    // Models: an import into A is listed and active in A only, and stored in A's models folder.
    await a.call('models.import', { name: 'mine.onnx', dataBase64: fs.readFileSync(BUNDLED_MODEL).toString('base64') });
    const modelsA = await a.call('models.list', {});
    expect(modelsA.map((m) => [m.name, m.active, m.removable])).toEqual([['default', false, false], ['mine', true, true]]);
    // The bundled model is geometry first: it carries its motion basis, and so does a copy of it.
    expect(modelsA.map((m) => [m.preset, m.geometry, m.repaintRegion])).toEqual([['studio', true, 'anywhere'], ['studio', true, 'anywhere']]);
    // A model limited to the mouth opening says so (the models panel marks it).
    const info = readModelInfo(BUNDLED_MODEL);
    const gated = exportGeneratorModel(readGeneratorWeights(BUNDLED_MODEL).weights, PRESETS.studio.generator, { provenance: { trainedBy: 'test' }, motionBasis: info.motionBasis ?? undefined, repaintRegion: 'mouth-opening' });
    await a.call('models.import', { name: 'gated.onnx', dataBase64: Buffer.from(gated).toString('base64') });
    expect((await a.call('models.list', {})).find((m) => m.name === 'gated')?.repaintRegion).toBe('mouth-opening');
    expect(fs.existsSync(path.join(a.dir, 'models', 'mine.onnx'))).toBe(true);
    expect((await b.call('models.list', {})).map((m) => [m.name, m.active])).toEqual([['default', true]]);

    // Host dialogs and data roots are each studio's own.
    expect(await a.call('train.chooseFolder', {})).toEqual({ folder: '/chosen/by/a' });
    expect(codeOf(await b.studio.dispatch('train.chooseFolder', {}))).toBe('not-supported');

    // Events: a training run in A (an empty folder: it fails at once) is announced to A's listeners only.
    const settings = { name: 'empty', folder: path.join(roots, 'empty'), aligned: false, preset: 'tiny', fromScratch: true, steps: 1, batchSize: 1, resume: false } as const;
    const started = await a.call('train.start', settings);
    await waitUntil(() => a.events.some((e) => e.name === 'train.progress' && e.payload.state !== 'running'), "A's run ends");
    const last = a.events.at(-1);
    expect(last?.name === 'train.progress' && last.payload).toMatchObject({ runId: started.runId, state: 'failed' });
    expect(b.events).toEqual([]);

    // Closing A: its calls are refused, B goes on.
    await a.studio.dispose();
    expect(codeOf(await a.studio.dispatch('project.list', {}))).toBe('studio-closed');
    expect(codeOf(await b.studio.dispatch('project.list', {}))).toBe('ok');
    await b.studio.dispose();
  });

  it('a studio with no model says so when asked to render, and lists no models', async () => {
    const bare = studioIn('bare', { models: [] });
    expect(await bare.call('models.list', {})).toEqual([]);
    const photo = await bare.call('photo.openSample', {});
    const r = await bare.studio.dispatch('frame.render', { photoId: photo.photoId, faces: [] });
    expect(r.ok ? '' : `${r.error.code}: ${r.error.message}`).toMatch(/^no-model: no model is loaded/);
    await bare.studio.dispose();
  });
});
