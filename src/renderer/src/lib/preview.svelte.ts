// The preview: what the viewer shows and when. The playhead and the pose there (every face's AUs),
// frames rendered by main and cached by pose, one render in flight with later requests coalesced
// into one more with the latest pose, playback on animation frames, and render-ahead while playing.
// Nothing here is saved or undone.
import type { OpenedPhoto, StudioApi } from '../../../shared/api';
import { evaluateFace, type FaceId, type Timeline } from '../../../shared/timeline';
import type { Editor } from './editor.svelte';
import type { Listeners } from './listeners';
import type { Notices } from './notices.svelte';

/** Every face's AUs (17, AU_ORDER, [0, 1]) by face id. */
export type Pose = Readonly<Record<FaceId, readonly number[]>>;

export interface Frame {
  readonly imageUrl: string;
  readonly attentionUrl: string | null;
}

/** Time and animation frames: the page's, or a test's hand-driven clock. */
export interface Clock {
  now(): number;
  nextFrame(callback: (now: number) => void): void;
}

export interface PreviewSources {
  readonly api: StudioApi | null;
  readonly notices: Notices;
  readonly editor: Editor;
  /** The document's open photo. */
  readonly document: { readonly photo: OpenedPhoto | null };
  /** The model that renders: part of every frame's cache key, and a change re-renders. */
  readonly models: { readonly activeId: string | null; readonly changes: Listeners<void> };
  readonly clock?: Clock;
}

/** Frames kept, oldest dropped first: about 8 s of playback at 30 fps. */
export const MAX_CACHED_FRAMES = 240;
/** How far ahead of the playhead playback renders while main is idle. */
export const RENDER_AHEAD_SECONDS = 2;
/** Frames the preview's frame rate is measured over. */
const RATE_WINDOW = 8;

const pageClock: Clock = { now: () => performance.now(), nextFrame: (callback) => void requestAnimationFrame(callback) };

/** Every face's pose at `time` on `timeline`. */
export const poseAt = (timeline: Timeline, time: number): Pose => Object.fromEntries(timeline.faces.map((f) => [f.faceId, Array.from(evaluateFace(f, time))]));

export class Preview {
  playhead = $state(0);
  playing = $state(false);
  loop = $state(true);
  pose = $state.raw<Pose>({});
  frameUrl = $state.raw<string | null>(null);
  attentionUrl = $state.raw<string | null>(null);
  /** The execution provider that rendered the last frame (cpu, cuda...). */
  provider = $state<string | null>(null);
  /** Frames shown per second over the last few. */
  fps = $state<number | null>(null);
  /** A frame is on its way, or another is queued after it. */
  busy = $state(false);
  showAttention = $state(false);
  /** The longest side of preview frames in pixels (0: full size); smaller keeps scrubbing interactive on CPU. */
  side = $state(1280);

  readonly #s: PreviewSources;
  readonly #clock: Clock;
  // Not reactive on purpose: the cache is read imperatively and its changes redraw nothing.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #cache = new Map<string, Frame>();
  #inFlight = false;
  #again = false;
  readonly #shownAt: number[] = [];
  /** Counts play presses, so a pause and play within one animation frame leaves one playback loop. */
  #run = 0;

  constructor(sources: PreviewSources) {
    this.#s = sources;
    this.#clock = sources.clock ?? pageClock;
    sources.editor.changes.listen((change) => {
      if (change === 'reset') this.#reset();
      else if (change === 'edit') this.seek(this.playhead);
    });
    sources.models.changes.listen(() => void this.render());
  }

  /** One face's AUs on screen, or null without that face. */
  poseOf(faceId: FaceId | null): readonly number[] | null {
    return faceId === null ? null : (this.pose[faceId] ?? null);
  }

  /** Moves the playhead: every face takes its timeline pose there (at the frame's time while playing, so frames repeat exactly). */
  seek(time: number): void {
    const t = this.#s.editor.shown;
    this.playhead = Math.min(t.duration, Math.max(0, time));
    this.pose = poseAt(t, this.playing ? Math.round(this.playhead * t.fps) / t.fps : this.playhead);
    void this.render();
  }

  /** One face's AUs set by hand (the sliders), until the next seek. */
  setFaceAus(faceId: FaceId | null, aus: readonly number[]): void {
    if (faceId === null) return;
    this.pose = { ...this.pose, [faceId]: aus };
    void this.render();
  }

  setAttention(show: boolean): void {
    this.showAttention = show;
    if (show) void this.render();
  }

  setSide(side: number): void {
    this.side = side;
    void this.render();
  }

  setLoop(loop: boolean): void {
    this.loop = loop;
  }

  /** Renders the pose on screen: from the cache, or by main with one render in flight at a time. */
  async render(): Promise<void> {
    const photo = this.#s.document.photo;
    if (!this.#s.api || !photo) return;
    const cached = this.#cache.get(this.#key(this.pose));
    if (cached) return this.#show(cached);
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    this.#inFlight = true;
    this.busy = true;
    try {
      const frame = await this.#request(this.pose);
      if (frame) this.#show(frame);
    } finally {
      this.#inFlight = false;
      this.busy = this.#again;
      if (this.#again) {
        this.#again = false;
        void this.render();
      } else if (this.playing) void this.#renderAhead();
    }
  }

  togglePlay(): void {
    this.playing = !this.playing;
    if (!this.playing) return;
    const run = ++this.#run;
    let last = this.#clock.now();
    const tick = (now: number) => {
      if (!this.playing || run !== this.#run) return;
      const duration = this.#s.editor.present.duration;
      let t = this.playhead + (now - last) / 1000;
      last = now;
      if (t > duration) {
        if (!this.loop) {
          this.playing = false;
          this.seek(duration);
          return;
        }
        t = 0;
      }
      this.seek(t);
      this.#clock.nextFrame(tick);
    };
    this.#clock.nextFrame(tick);
  }

  /** A new timeline: the photo shows as itself at 0 s; one with keys shows its first frame. */
  #reset(): void {
    const timeline = this.#s.editor.present;
    this.frameUrl = this.#s.document.photo?.imageUrl ?? null;
    this.attentionUrl = null;
    this.playhead = 0;
    this.pose = poseAt(timeline, 0);
    if (timeline.faces.some((f) => Object.values(f.tracks).some((t) => t?.length))) void this.render();
  }

  /** While playing and idle, renders the next uncached frames (up to RENDER_AHEAD_SECONDS ahead; past the end only when looping). */
  async #renderAhead(): Promise<void> {
    const t = this.#s.editor.present;
    for (let k = 1; k <= RENDER_AHEAD_SECONDS * t.fps && this.playing && !this.#inFlight; k++) {
      let time = (Math.round(this.playhead * t.fps) + k) / t.fps;
      if (time > t.duration) {
        if (!this.loop) return;
        time -= t.duration;
      }
      const pose = poseAt(t, time);
      if (this.#cache.has(this.#key(pose))) continue;
      this.#inFlight = true;
      try {
        await this.#request(pose);
      } finally {
        this.#inFlight = false;
      }
      if (this.#again) {
        this.#again = false;
        return void this.render();
      }
    }
  }

  /** Asks main for the frame of `pose` and caches it; null when it failed, or when its photo closed meanwhile (it is never shown then). */
  async #request(pose: Pose): Promise<Frame | null> {
    const { api, document, notices } = this.#s;
    const photo = document.photo;
    if (!api || !photo) return null;
    // The key of what was asked for: overlay, size or model may change before the answer.
    const key = this.#key(pose);
    const faces = photo.faces.map((f) => ({ faceId: f.id, aus: [...(pose[f.id] ?? f.sourceAus)] }));
    const r = await api['frame.render']({ photoId: photo.photoId, faces, attention: this.showAttention, ...(this.side ? { previewSide: this.side } : {}) });
    if (!r.ok) {
      notices.fail(r.error);
      return null;
    }
    this.provider = r.value.provider;
    for (const message of r.value.notices ?? []) notices.warn(message);
    notices.say(`Frame rendered in ${Math.round(r.value.ms)} ms on ${r.value.provider}`);
    const frame = { imageUrl: r.value.imageUrl, attentionUrl: r.value.attentionUrl ?? null };
    this.#cache.set(key, frame);
    if (this.#cache.size > MAX_CACHED_FRAMES) this.#cache.delete(this.#cache.keys().next().value as string);
    return document.photo === photo ? frame : null;
  }

  #key(pose: Pose): string {
    return `${this.#s.document.photo?.photoId}|${this.#s.models.activeId}|${this.showAttention}|${this.side}|${JSON.stringify(pose)}`;
  }

  #show(frame: Frame): void {
    this.frameUrl = frame.imageUrl;
    this.attentionUrl = frame.attentionUrl;
    this.#shownAt.push(this.#clock.now());
    if (this.#shownAt.length > RATE_WINDOW) this.#shownAt.shift();
    const n = this.#shownAt.length;
    if (n > 1) this.fps = (1000 * (n - 1)) / (this.#shownAt[n - 1] - this.#shownAt[0]);
  }
}
