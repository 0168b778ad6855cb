// Models: an import main accepts becomes the list (and its active model), says so and announces the
// change; one it refuses leaves the list as it was, with the reason as a notice.
import { describe, expect, it } from 'vitest';
import type { ModelEntry } from '../../../shared/api';
import { failed, fakeStudio, ok } from './fake-studio';
import { Models } from './models.svelte';
import { Notices } from './notices.svelte';

const model = (id: string, active: boolean): ModelEntry => ({
  id, name: id, imageSize: 128, architecture: 'ganimation', preset: 'paper', geometry: false, repaintRegion: 'anywhere', provenance: 'test', active, trainingData: null, steps: null, sizeBytes: 1, removable: true, modelCard: '',
});

describe('Models', () => {
  it('takes the list main answers, announces changes of it, and reports a refused import', async () => {
    const notices = new Notices();
    const studio = fakeStudio({
      'models.list': () => ok([model('bundled', true)]),
      'models.import': (args) => (args.name === 'broken.onnx' ? failed('model-invalid', 'broken.onnx is not an ONNX model') : ok([model('bundled', false), model('mine', true)])),
    });
    const models = new Models(studio.api, notices);
    let changes = 0;
    models.changes.listen(() => changes++);
    await models.load();
    expect(models.activeId).toBe('bundled');
    expect(changes).toBe(0);
    await models.import(new File(['onnx'], 'mine.onnx'));
    expect(models.activeId).toBe('mine');
    expect(notices.status).toBe('Model mine.onnx imported and in use');
    expect(changes).toBe(1);
    await models.import(new File(['nope'], 'broken.onnx'));
    expect(models.list.map((m) => m.id)).toEqual(['bundled', 'mine']);
    expect(notices.list.map((n) => n.message)).toEqual(['broken.onnx is not an ONNX model']);
    expect(notices.status).toBe('broken.onnx was not imported');
    expect(changes).toBe(1);
  });
});
