// Document: autosave fires only for named projects with unsaved changes (and not once undone back to
// the save), the later of two opens wins, a first save asks for a name, and a project opens with
// its autosaved changes recovered when the user says so.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OpenedPhoto, OpenedProject } from '../../../shared/api';
import type { Result } from '../../../shared/errors';
import { DEFAULT_OUTPUT_SETTINGS } from '../../../shared/project/schema';
import { addKey } from '../../../shared/timeline';
import { AUTOSAVE_DELAY_MS, StudioDocument } from './document.svelte';
import { Editor } from './editor.svelte';
import { deferred, fakePhoto, fakeStudio, ok, timelineOf } from './fake-studio';
import { Notices } from './notices.svelte';

const keyed = (editor: Editor, time: number) => editor.edit(addKey(editor.present, 0, 'AU12', time, 0.8));
const entry = (name: string) => ({ name, path: `/projects/${name}.ganimation.json`, photoName: 'photo-1.jpg', savedAt: '2025-01-01T00:00:00.000Z' });

function setup(answers: { photo?: () => Promise<Result<OpenedPhoto>>; project?: OpenedProject; confirm?: boolean } = {}) {
  const notices = new Notices();
  const editor = new Editor(notices);
  const studio = fakeStudio({
    'photo.open': answers.photo ?? (() => ok(fakePhoto())),
    'photo.openSample': () => ok(fakePhoto('sample')),
    'project.save': (args) => ok(entry(args.name)),
    'project.autosave': () => ok({ savedAt: '2025-01-02T03:04:05.000Z' }),
    'project.open': () => ok(answers.project as OpenedProject),
  });
  const questions: string[] = [];
  const doc = new StudioDocument({ api: studio.api, notices, editor, confirm: (q) => (questions.push(q), answers.confirm ?? true) });
  return { doc, editor, notices, studio, questions };
}

describe('StudioDocument', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('autosaves only a named project, a quiet while after its last change, and not once undone back to the save', async () => {
    const { doc, editor, studio } = setup();
    await doc.openFile(new File(['jpeg'], 'photo-1.jpg'));
    keyed(editor, 0);
    await vi.advanceTimersByTimeAsync(2 * AUTOSAVE_DELAY_MS);
    expect(doc.dirty).toBe(true);
    expect(studio.argsOf('project.autosave')).toHaveLength(0);

    await doc.save('smile');
    expect(doc.dirty).toBe(false);
    keyed(editor, 1);
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS - 100);
    keyed(editor, 2);
    await vi.advanceTimersByTimeAsync(AUTOSAVE_DELAY_MS - 100);
    expect(studio.argsOf('project.autosave')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(studio.argsOf('project.autosave')).toHaveLength(1);
    expect(studio.argsOf('project.autosave')[0]).toMatchObject({ name: 'smile', photoId: 'photo-1', timeline: editor.present });
    expect(doc.autosavedAt).toBe('2025-01-02T03:04:05.000Z');

    keyed(editor, 3);
    editor.undo();
    editor.undo();
    editor.undo();
    expect(doc.dirty).toBe(false);
    await vi.advanceTimersByTimeAsync(2 * AUTOSAVE_DELAY_MS);
    expect(studio.argsOf('project.autosave')).toHaveLength(1);
  });

  it('lets the later of two opens win, however the answers arrive', async () => {
    const slow = deferred<Result<OpenedPhoto>>();
    const { doc, editor } = setup({ photo: () => slow.promise });
    const first = doc.openFile(new File(['jpeg'], 'slow.jpg'));
    await doc.openSample();
    expect(doc.photo?.photoId).toBe('sample');
    slow.resolve({ ok: true, value: fakePhoto('slow') });
    await first;
    expect(doc.photo?.photoId).toBe('sample');
    expect(doc.opening).toBe(false);
    expect(editor.faceId).toBe(0);
  });

  it('asks a first save for a name (the photo\'s), saves under the answer, and a blank answer saves nothing', async () => {
    const { doc, studio, notices } = setup();
    await doc.openFile(new File(['jpeg'], 'photo-1.jpg'));
    await doc.save();
    expect(doc.nameRequest).toBe('photo-1');
    doc.named('   ');
    expect(doc.nameRequest).toBeNull();
    await doc.save();
    doc.named(' my take ');
    await vi.advanceTimersByTimeAsync(0);
    expect(studio.argsOf('project.save').map((a) => a.name)).toEqual(['my take']);
    expect(doc.name).toBe('my take');
    expect(notices.status).toBe('Saved my take');
  });

  it('opens a project with its autosaved changes when the user recovers them, unsaved until the next save', async () => {
    const photo = fakePhoto();
    const saved = timelineOf(photo);
    const recovered = { ...saved, duration: 7 };
    const output = { ...DEFAULT_OUTPUT_SETTINGS, quality: 60 };
    const project: OpenedProject = { project: entry('smile'), photo, timeline: saved, output: DEFAULT_OUTPUT_SETTINGS, recovered: { timeline: recovered, output, savedAt: '2025-01-02T00:00:00.000Z' } };
    const { doc, editor, questions } = setup({ project });
    await doc.openProject('smile');
    expect(questions).toHaveLength(1);
    expect(editor.present.duration).toBe(7);
    expect(doc.output.quality).toBe(60);
    expect(doc.name).toBe('smile');
    expect(doc.dirty).toBe(true);
    editor.undo();
    expect(doc.dirty).toBe(false);
    // Nothing would be lost now, so opening again asks only about the recovery.
    await doc.openProject('smile');
    expect(questions.map((q) => /Recover them\?$/.test(q))).toEqual([true, true]);
    keyed(editor, 1);
    await doc.openProject('smile');
    expect(questions[2]).toMatch(/^The current project has unsaved changes/);
  });
});
