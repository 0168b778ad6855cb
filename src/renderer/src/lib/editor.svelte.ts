// The editor: what undo takes back (the timeline's history) and what the user holds while editing
// (the face and keys selected, the clipboard, keys being dragged), with the studio's edit commands.
// Each command announces what it means for the pose on screen; the editor never renders.
import { AU_ORDER } from '../../../shared/aus';
import {
  addExpressionKey, addKey, applyPerformance, commit, copyRange, createHistory, deleteKeys, importOpenFaceTracks, moveKeys, pasteClip, redo, setKeyEasing, undo,
  type Clip, type Easing, type FaceId, type History, type KeyframeId, type Timeline,
} from '../../../shared/timeline';
import { Listeners } from './listeners';
import type { Notices } from './notices.svelte';

/**
 * What a change means for the pose at the playhead. 'reset': a new timeline (a photo or project
 * opened); 'edit': the timeline changed under the playhead, so the pose follows it; 'key': the pose
 * was keyed as it stands (or a capture keyed), so it stays until the next seek.
 */
export type EditorChange = 'reset' | 'edit' | 'key';

/** The timeline before any photo is open (and of a new photo, with its faces added). */
export const NEW_TIMELINE: Timeline = Object.freeze({ duration: 4, fps: 30, faces: [] });

/** An empty selection. Selections are replaced, never changed in place, so a plain Set is reactive enough. */
const noKeys = (): ReadonlySet<KeyframeId> => new Set();

export class Editor {
  history = $state.raw<History<Timeline>>(createHistory(NEW_TIMELINE));
  selection = $state.raw(noKeys());
  /** The face whose AUs and keys are being edited. */
  faceId = $state<FaceId | null>(null);
  /** While keys are dragged: the moved timeline, shown but not yet committed. */
  dragPreview = $state.raw<Timeline | null>(null);
  readonly present = $derived(this.history.present);
  /** The timeline on screen: the drag in progress, else the present. */
  readonly shown = $derived(this.dragPreview ?? this.history.present);
  readonly face = $derived(this.shown.faces.find((f) => f.faceId === this.faceId) ?? null);
  readonly changes = new Listeners<EditorChange>();
  // Not reactive: nothing on screen shows what was copied.
  #clipboard: Clip | null = null;
  readonly #notices: Notices;

  constructor(notices: Notices) {
    this.#notices = notices;
  }

  /** Starts over on a new timeline (no undo back to the previous document). */
  reset(timeline: Timeline, faceId: FaceId | null): void {
    this.history = createHistory(timeline);
    this.selection = noKeys();
    this.dragPreview = null;
    this.faceId = faceId;
    this.changes.emit('reset');
  }

  /** One undo step (none when nothing changed). */
  edit(next: Timeline, change: Exclude<EditorChange, 'reset'> = 'edit'): void {
    this.history = commit(this.history, next);
    this.changes.emit(change);
  }

  selectFace(faceId: FaceId): void {
    this.faceId = faceId;
  }

  select(ids: ReadonlySet<KeyframeId>): void {
    this.selection = ids;
  }

  /** Keys AU `index` (every AU when null) of the edited face at `time`, with the values `aus` (17, AU_ORDER). */
  keyAt(index: number | null, time: number, aus: readonly number[] | null): void {
    if (this.faceId === null || !aus) return;
    const t = this.present;
    this.edit(index === null ? addExpressionKey(t, this.faceId, time, aus) : addKey(t, this.faceId, AU_ORDER[index], time, aus[index]), 'key');
  }

  /** Keys being dragged by `deltaSeconds` so far: shown at once, committed as one undo step when `done`. */
  drag(ids: ReadonlySet<KeyframeId>, deltaSeconds: number, done: boolean): void {
    const moved = moveKeys(this.present, ids, deltaSeconds);
    if (done) {
      this.dragPreview = null;
      this.edit(moved);
    } else {
      this.dragPreview = moved;
      this.changes.emit('edit');
    }
  }

  /** Moves the selected keys by whole frames. */
  nudge(frames: number): void {
    if (this.selection.size) this.edit(moveKeys(this.present, this.selection, frames / this.present.fps));
  }

  setEasing(easing: Easing): void {
    this.edit(setKeyEasing(this.present, this.selection, easing));
  }

  setTiming(duration: number, fps: number): void {
    this.edit({ ...this.present, duration, fps });
  }

  deleteSelection(): void {
    if (this.selection.size === 0) return;
    const next = deleteKeys(this.present, this.selection);
    this.selection = noKeys();
    this.edit(next);
  }

  /** Copies the time span of the selected keys of the edited face. */
  copy(): void {
    const face = this.face;
    if (this.faceId === null || !face || this.selection.size === 0) return;
    const times = Object.values(face.tracks).flatMap((t) => t ?? []).filter((k) => this.selection.has(k.id)).map((k) => k.time);
    this.#clipboard = copyRange(this.present, this.faceId, Math.min(...times), Math.max(...times));
    this.#notices.say(`Copied ${this.selection.size} key(s)`);
  }

  paste(time: number): void {
    if (this.faceId === null || !this.#clipboard) return;
    this.edit(pasteClip(this.present, this.faceId, this.#clipboard, time));
  }

  undo(): void {
    this.history = undo(this.history);
    this.changes.emit('edit');
  }

  redo(): void {
    this.history = redo(this.history);
    this.changes.emit('edit');
  }

  /** Keys the edited face from an OpenFace FeatureExtraction CSV, replacing its keys (one undo step). */
  async importCapture(file: File): Promise<void> {
    const faceId = this.faceId;
    if (faceId === null) return;
    try {
      const capture = importOpenFaceTracks(await file.text(), file.name);
      this.edit(applyPerformance(this.present, faceId, capture), 'key');
      const keys = Object.values(capture.tracks).reduce((n, track) => n + (track?.length ?? 0), 0);
      this.#notices.say(`${file.name}: ${capture.frames} frames (${capture.duration.toFixed(1)} s) keyed on face ${faceId} as ${keys} keys`);
    } catch (err) {
      this.#notices.fail({ message: (err as Error).message });
    }
  }
}
