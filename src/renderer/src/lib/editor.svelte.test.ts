// Editor: a drag shows its keys without committing and lands as one undo step (undo restores the
// keys), keying keeps the pose while other edits re-pose, copy and paste, delete clears the
// selection, and a performance capture keys the face in one step or is refused by name.
import { describe, expect, it } from 'vitest';
import { AU_ORDER } from '../../../shared/aus';
import type { KeyframeId, Timeline } from '../../../shared/timeline';
import { Editor, type EditorChange } from './editor.svelte';
import { fakePhoto, timelineOf } from './fake-studio';
import { Notices } from './notices.svelte';

const AU12 = AU_ORDER.indexOf('AU12');
const smile = (value: number) => AU_ORDER.map((au) => (au === 'AU12' ? value : 0));
const keyTimes = (t: Timeline) => (t.faces[0].tracks.AU12 ?? []).map((k) => k.time);

/** An editor on one face with AU12 keyed at 0 s (0) and 1 s (1); `changes` records what it announced. */
function smiling() {
  const notices = new Notices();
  const editor = new Editor(notices);
  editor.reset(timelineOf(fakePhoto()), 0);
  editor.keyAt(AU12, 0, smile(0));
  editor.keyAt(AU12, 1, smile(1));
  const changes: EditorChange[] = [];
  editor.changes.listen((c) => changes.push(c));
  const [first, second] = (editor.present.faces[0].tracks.AU12 ?? []).map((k) => k.id);
  return { editor, notices, changes, first, second };
}

describe('Editor', () => {
  it('shows a drag without committing it, commits it as one undo step, and undo after the drag restores the keys', () => {
    const { editor, changes, second } = smiling();
    const ids = new Set<KeyframeId>([second]);
    const steps = editor.history.past.length;
    editor.drag(ids, 0.25, false);
    editor.drag(ids, 0.5, false);
    expect(keyTimes(editor.shown)).toEqual([0, 1.5]);
    expect(keyTimes(editor.present)).toEqual([0, 1]);
    expect(editor.history.past).toHaveLength(steps);
    editor.drag(ids, 0.5, true);
    expect(editor.dragPreview).toBeNull();
    expect(keyTimes(editor.present)).toEqual([0, 1.5]);
    expect(editor.history.past).toHaveLength(steps + 1);
    editor.undo();
    expect(keyTimes(editor.present)).toEqual([0, 1]);
    expect(editor.present.faces[0].tracks.AU12?.map((k) => k.value)).toEqual([0, 1]);
    editor.redo();
    expect(keyTimes(editor.present)).toEqual([0, 1.5]);
    // Every step of the drag moves the pose on screen with it.
    expect(changes).toEqual(['edit', 'edit', 'edit', 'edit', 'edit']);
  });

  it('keys the pose as it stands (the pose stays) and re-poses after other edits', () => {
    const { editor, changes } = smiling();
    editor.keyAt(null, 2, smile(0.5));
    expect(Object.values(editor.present.faces[0].tracks).every((t) => t?.some((k) => k.time === 2))).toBe(true);
    editor.setTiming(6, 24);
    expect(editor.present).toMatchObject({ duration: 6, fps: 24 });
    expect(changes).toEqual(['key', 'edit']);
  });

  it('nudges the selection by whole frames, copies and pastes it at a time, and delete clears the selection', () => {
    const { editor, notices, second } = smiling();
    editor.select(new Set([second]));
    editor.nudge(3);
    expect(keyTimes(editor.present)).toEqual([0, 1.1]);
    editor.copy();
    expect(notices.status).toBe('Copied 1 key(s)');
    editor.paste(2);
    expect(keyTimes(editor.present)).toEqual([0, 1.1, 2]);
    editor.deleteSelection();
    expect(editor.selection.size).toBe(0);
    expect(keyTimes(editor.present)).toEqual([0, 2]);
  });

  it('keys a face from a performance capture in one undo step, and refuses a CSV without AU columns by name', async () => {
    const { editor, notices } = smiling();
    const header = `frame, face_id, timestamp, confidence, success, ${AU_ORDER.map((au) => `${au}_r`).join(', ')}`;
    const rows = Array.from({ length: 60 }, (_, i) => `${i + 1}, 0, ${(i / 30).toFixed(3)}, 0.95, 1, ${AU_ORDER.map((au) => (au === 'AU12' ? (5 * i) / 59 : 0).toFixed(3)).join(', ')}`);
    const steps = editor.history.past.length;
    await editor.importCapture(new File([[header, ...rows].join('\n')], 'capture.csv'));
    expect(notices.status).toMatch(/^capture\.csv: 60 frames \(2\.0 s\) keyed on face 0 as \d+ keys$/);
    expect(editor.history.past).toHaveLength(steps + 1);
    expect(editor.present.faces[0].tracks.AU12?.at(-1)?.value).toBeCloseTo(1, 5);
    editor.undo();
    expect(keyTimes(editor.present)).toEqual([0, 1]);
    await editor.importCapture(new File(['frame, timestamp, AU01_c\n1, 0, 1'], 'blinks.csv'));
    expect(notices.list.at(-1)?.message).toMatch(/^blinks\.csv: missing columns AU01_r/);
    expect(editor.history.past).toHaveLength(steps);
  });

  it('starts over on reset: a new history, no selection, the given face', () => {
    const { editor, second, changes } = smiling();
    editor.select(new Set([second]));
    editor.reset(timelineOf(fakePhoto('other', 2)), 1);
    expect(editor.history.past).toHaveLength(0);
    expect(editor.selection.size).toBe(0);
    expect(editor.face?.faceId).toBe(1);
    expect(changes).toEqual(['reset']);
  });
});
