// Keymap: Ctrl+S saves even from a field, other keys do nothing there; Space plays, Ctrl+Z undoes
// and Ctrl+Shift+Z redoes, arrows nudge only a selection (by ten frames with Shift).
import { describe, expect, it } from 'vitest';
import { handleStudioKey, type KeyTargets } from './keymap';

function targets() {
  const done: string[] = [];
  const t: KeyTargets = {
    document: { save: async () => void done.push('save') },
    editor: {
      selection: new Set(),
      copy: () => done.push('copy'),
      paste: (time) => done.push(`paste ${time}`),
      nudge: (frames) => done.push(`nudge ${frames}`),
      undo: () => done.push('undo'),
      redo: () => done.push('redo'),
      deleteSelection: () => done.push('delete'),
    },
    preview: { playhead: 1.5, togglePlay: () => done.push('play') },
  };
  return { t, done };
}

/** A keydown on an element that is (or is not) inside a field. */
function press(key: string, mods: { ctrl?: boolean; shift?: boolean; inField?: boolean } = {}) {
  let prevented = false;
  const e = { key, ctrlKey: !!mods.ctrl, metaKey: false, shiftKey: !!mods.shift, target: { closest: () => (mods.inField ? {} : null) }, preventDefault: () => void (prevented = true) };
  return { e: e as unknown as KeyboardEvent, prevented: () => prevented };
}

describe('handleStudioKey', () => {
  it('saves from anywhere and leaves other keys to a field', () => {
    const { t, done } = targets();
    const save = press('s', { ctrl: true, inField: true });
    handleStudioKey(save.e, t);
    handleStudioKey(press(' ', { inField: true }).e, t);
    handleStudioKey(press('z', { ctrl: true, inField: true }).e, t);
    expect(done).toEqual(['save']);
    expect(save.prevented()).toBe(true);
  });

  it('plays, undoes, redoes, pastes at the playhead, and nudges or deletes only a selection', () => {
    const { t, done } = targets();
    for (const [key, mods] of [[' ', {}], ['z', { ctrl: true }], ['Z', { ctrl: true, shift: true }], ['v', { ctrl: true }], ['ArrowLeft', {}], ['Delete', {}]] as const) handleStudioKey(press(key, mods).e, t);
    expect(done).toEqual(['play', 'undo', 'redo', 'paste 1.5']);
    const selected = { ...t, editor: { ...t.editor, selection: new Set(['k' as never]) } };
    handleStudioKey(press('ArrowRight', { shift: true }).e, selected);
    handleStudioKey(press('ArrowLeft').e, selected);
    handleStudioKey(press('Backspace').e, selected);
    expect(done.slice(4)).toEqual(['nudge 10', 'nudge -1', 'delete']);
  });
});
