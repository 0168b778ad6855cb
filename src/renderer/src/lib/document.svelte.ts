// The document: what a save keeps. The open photo, the project's name, the timeline as last saved
// (so "unsaved changes" is one comparison), the output settings, opening photos and projects (the
// later open wins), saving, and autosave beside the project file a few seconds after each change,
// for named projects only.
import type { OpenedPhoto, StudioApi } from '../../../shared/api';
import type { Result } from '../../../shared/errors';
import { DEFAULT_OUTPUT_SETTINGS, type OutputSettings } from '../../../shared/project/schema';
import type { Timeline } from '../../../shared/timeline';
import { NEW_TIMELINE, type Editor } from './editor.svelte';
import { fileBase64 } from './files';
import type { Notices } from './notices.svelte';

/** Quiet time after the last change before a named project is autosaved. */
export const AUTOSAVE_DELAY_MS = 3000;

const localTime = (iso: string): string => new Date(iso).toLocaleString();

export interface DocumentSources {
  readonly api: StudioApi | null;
  readonly notices: Notices;
  readonly editor: Editor;
  /** Asks the user a yes/no question (the page's confirm dialog unless a test answers). */
  readonly confirm?: (question: string) => boolean;
}

export class StudioDocument {
  readonly #s: DocumentSources;
  readonly #confirm: (question: string) => boolean;
  /** Opens started; a slower earlier one must not replace a later one. */
  #opens = 0;
  #autosaveTimer: ReturnType<typeof setTimeout> | undefined;

  photo = $state.raw<OpenedPhoto | null>(null);
  /** The project's name; null until the first save. */
  name = $state<string | null>(null);
  /** The timeline as last saved or opened (null: never saved). */
  saved = $state.raw<Timeline | null>(null);
  output = $state.raw<OutputSettings>({ ...DEFAULT_OUTPUT_SETTINGS });
  /** When the last autosave of the unsaved changes was written (ISO). */
  autosavedAt = $state<string | null>(null);
  /** A first save is waiting for a name: the one to suggest. */
  nameRequest = $state<string | null>(null);
  /** A photo or project is being opened. */
  opening = $state(false);
  readonly dirty = $derived.by(() => this.photo !== null && this.saved !== this.#s.editor.present);

  constructor(sources: DocumentSources) {
    this.#s = sources;
    this.#confirm = sources.confirm ?? ((question) => window.confirm(question));
    sources.editor.changes.listen(() => this.#scheduleAutosave());
  }

  async openFile(file: File): Promise<void> {
    const api = this.#s.api;
    if (api) await this.#openPhoto(file.name, async () => api['photo.open']({ name: file.name, dataBase64: await fileBase64(file) }));
  }

  async openSample(): Promise<void> {
    const api = this.#s.api;
    if (api) await this.#openPhoto('the sample portrait', () => api['photo.openSample']({}));
  }

  async openProject(name: string): Promise<void> {
    const { api, notices, editor } = this.#s;
    if (!api) return;
    if (this.dirty && !this.#confirm('The current project has unsaved changes. Open another project anyway?')) return;
    const p = await this.#open(`Opening ${name}…`, 'Could not open the project', () => api['project.open']({ name }));
    if (!p) return;
    this.#show(p.photo, p.timeline);
    this.name = p.project.name;
    this.saved = editor.present;
    this.output = p.output;
    const lost = p.recovered;
    if (lost && this.#confirm(`${p.project.name} has unsaved changes from ${localTime(lost.savedAt)} (the studio closed before they were saved). Recover them?`)) {
      editor.edit(lost.timeline);
      this.output = lost.output;
    }
    this.#scheduleAutosave();
    notices.say(`Project ${p.project.name} opened`);
  }

  /** Saves under the project's name; the first save asks for one (see `named`). */
  async save(asName?: string): Promise<void> {
    const { api, notices, editor } = this.#s;
    const photo = this.photo;
    if (!api || !photo) return;
    const name = asName ?? this.name;
    if (!name) {
      this.nameRequest = photo.name.replace(/\.[^.]+$/, '');
      return;
    }
    const timeline = editor.present;
    const r = await api['project.save']({ photoId: photo.photoId, name, timeline, output: this.output });
    if (!r.ok) {
      notices.fail(r.error);
      return;
    }
    this.name = r.value.name;
    this.saved = timeline;
    this.autosavedAt = null;
    this.#scheduleAutosave();
    notices.say(`Saved ${r.value.name}`);
  }

  /** The answer to a name request: a name saves under it; null or a blank name cancels. */
  named(name: string | null): void {
    this.nameRequest = null;
    const trimmed = name?.trim();
    if (trimmed) void this.save(trimmed);
  }

  setOutput(output: OutputSettings): void {
    this.output = output;
    this.#scheduleAutosave();
  }

  async #openPhoto(label: string, call: () => Promise<Result<OpenedPhoto>>): Promise<void> {
    const photo = await this.#open(`Opening ${label}…`, 'Could not open the photo', call);
    if (!photo) return;
    this.#show(photo, { ...NEW_TIMELINE, faces: photo.faces.map((f) => ({ faceId: f.id, sourceAus: f.sourceAus, tracks: {} })) });
    this.name = null;
    this.saved = null;
    this.output = { ...DEFAULT_OUTPUT_SETTINGS };
    this.#scheduleAutosave();
    this.#s.notices.say(photo.faces.length ? `${photo.name}: ${photo.faces.length} face(s)` : `${photo.name}: no face found`);
  }

  /** Runs one open: what it opened, or null when it failed (reported) or a later open started meanwhile (that one wins). */
  async #open<T>(status: string, failure: string, call: () => Promise<Result<T>>): Promise<T | null> {
    const { notices } = this.#s;
    const request = ++this.#opens;
    notices.say(status);
    this.opening = true;
    const r = await call();
    if (request !== this.#opens) return null;
    this.opening = false;
    if (r.ok) return r.value;
    notices.fail(r.error);
    notices.say(failure);
    return null;
  }

  #show(photo: OpenedPhoto, timeline: Timeline): void {
    this.photo = photo;
    this.autosavedAt = null;
    this.#s.editor.reset(timeline, photo.faces[0]?.id ?? null);
  }

  /** After any change: the quiet time starts again, and an autosave no longer wanted (saved, undone to the saved state, another document) is dropped. */
  #scheduleAutosave(): void {
    clearTimeout(this.#autosaveTimer);
    const name = this.name;
    if (name && this.dirty) this.#autosaveTimer = setTimeout(() => void this.#autosave(name), AUTOSAVE_DELAY_MS);
  }

  async #autosave(name: string): Promise<void> {
    const { api, editor } = this.#s;
    const photo = this.photo;
    if (!api || !photo) return;
    const r = await api['project.autosave']({ photoId: photo.photoId, name, timeline: editor.present, output: this.output });
    if (r.ok && this.name === name && this.photo === photo) this.autosavedAt = r.value.savedAt;
  }
}
