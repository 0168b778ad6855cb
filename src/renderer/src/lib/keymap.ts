// The studio's keyboard. Ctrl/Cmd+S saves from anywhere; outside fields and dialogs, Ctrl/Cmd+C and
// +V copy and paste keys, the arrows nudge the selected keys by a frame (ten with Shift), Space plays
// or pauses, Ctrl/Cmd+Z undoes (with Shift, redoes), and Delete or Backspace removes the selected keys.
import type { StudioDocument } from './document.svelte';
import type { Editor } from './editor.svelte';
import type { Preview } from './preview.svelte';

export interface KeyTargets {
  readonly document: Pick<StudioDocument, 'save'>;
  readonly editor: Pick<Editor, 'selection' | 'copy' | 'paste' | 'nudge' | 'undo' | 'redo' | 'deleteSelection'>;
  readonly preview: Pick<Preview, 'playhead' | 'togglePlay'>;
}

/** Runs the command bound to `e`, if any (and keeps the browser's own action from it). */
export function handleStudioKey(e: KeyboardEvent, { document, editor, preview }: KeyTargets): void {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (mod && key === 's') {
    e.preventDefault();
    void document.save();
    return;
  }
  if ((e.target as HTMLElement).closest('input, select, [role="dialog"]')) return;
  if (mod && key === 'c') editor.copy();
  else if (mod && key === 'v') editor.paste(preview.playhead);
  else if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && editor.selection.size) {
    e.preventDefault();
    editor.nudge((e.key === 'ArrowLeft' ? -1 : 1) * (e.shiftKey ? 10 : 1));
  } else if (e.key === ' ') {
    e.preventDefault();
    preview.togglePlay();
  } else if (mod && key === 'z') {
    e.preventDefault();
    if (e.shiftKey) editor.redo();
    else editor.undo();
  } else if ((e.key === 'Delete' || e.key === 'Backspace') && editor.selection.size) editor.deleteSelection();
}
