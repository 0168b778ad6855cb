// Preview: the coalescer renders the first and the latest pose and drops the ones between, a frame
// of a photo closed meanwhile is never shown, frames already seen come from the cache, render-ahead
// stops at the end (and wraps when looping), edits re-pose while keying does not, and playback
// follows the clock and stops at the end.
import { describe, expect, it } from 'vitest';
import type { RenderedFrame } from '../../../shared/api';
import { AU_ORDER } from '../../../shared/aus';
import type { Result } from '../../../shared/errors';
import { Editor } from './editor.svelte';
import { deferred, fakePhoto, fakeStudio, ok, settle, timelineOf } from './fake-studio';
import { Listeners } from './listeners';
import { Notices } from './notices.svelte';
import { Preview, type Clock } from './preview.svelte';

const AU12 = AU_ORDER.indexOf('AU12');
const smile = (value: number) => AU_ORDER.map((au) => (au === 'AU12' ? value : 0));
const frameOf = (aus: readonly number[]): RenderedFrame => ({ imageUrl: `frame:${aus[AU12].toFixed(2)}`, ms: 5, provider: 'cpu' });

/** A clock the test turns by hand: `advance` moves time and runs the animation frames asked for. */
function handClock() {
  let now = 0;
  let waiting: ((now: number) => void)[] = [];
  const clock: Clock = { now: () => now, nextFrame: (callback) => void waiting.push(callback) };
  return {
    clock,
    advance(ms: number) {
      now += ms;
      const due = waiting;
      waiting = [];
      for (const callback of due) callback(now);
    },
  };
}

/**
 * A preview of a one-face photo; main answers each frame.render with `answer` (at once by default).
 * `rendered` lists the AU12 value of each frame asked for.
 */
function setup(answer: (aus: readonly number[]) => Promise<Result<RenderedFrame>> = (aus) => ok(frameOf(aus))) {
  const notices = new Notices();
  const editor = new Editor(notices);
  const document = { photo: fakePhoto() };
  const models = { activeId: 'model-a', changes: new Listeners<void>() };
  const studio = fakeStudio({ 'frame.render': (args) => answer(args.faces[0].aus) });
  const hand = handClock();
  const preview = new Preview({ api: studio.api, notices, editor, document, models, clock: hand.clock });
  editor.reset(timelineOf(document.photo), 0);
  const rendered = () => studio.argsOf('frame.render').map((a) => a.faces[0].aus[AU12]);
  /** Forgets the frames asked for so far. */
  const forget = () => void studio.calls.splice(0);
  return { preview, editor, document, models, notices, rendered, forget, hand };
}

/** AU12 keyed linearly from 0 at 0 s to 1 at the end of a `duration` s timeline at `fps`. */
function ramp(editor: Editor, duration: number, fps: number): void {
  editor.setTiming(duration, fps);
  editor.keyAt(AU12, 0, smile(0));
  editor.keyAt(AU12, duration, smile(1));
  editor.select(new Set(editor.present.faces[0].tracks.AU12?.map((k) => k.id)));
  editor.setEasing('linear');
}

describe('Preview', () => {
  it('coalesces poses asked for during a render into one more render of the latest: the stale ones between are dropped', async () => {
    const answers: ReturnType<typeof deferred<Result<RenderedFrame>>>[] = [];
    const { preview, rendered } = setup(() => {
      answers.push(deferred());
      return answers[answers.length - 1].promise;
    });
    preview.setFaceAus(0, smile(0.1));
    preview.setFaceAus(0, smile(0.2));
    preview.setFaceAus(0, smile(0.3));
    expect(rendered()).toEqual([0.1]);
    expect(preview.busy).toBe(true);
    answers[0].resolve({ ok: true, value: frameOf(smile(0.1)) });
    await settle();
    expect(rendered()).toEqual([0.1, 0.3]);
    answers[1].resolve({ ok: true, value: frameOf(smile(0.3)) });
    await settle();
    expect(rendered()).toEqual([0.1, 0.3]);
    expect(preview.frameUrl).toBe('frame:0.30');
    expect(preview.busy).toBe(false);
  });

  it('never shows a frame of a photo that was closed while it rendered', async () => {
    const answer = deferred<Result<RenderedFrame>>();
    const { preview, editor, document } = setup(() => answer.promise);
    preview.setFaceAus(0, smile(0.5));
    document.photo = fakePhoto('photo-2');
    editor.reset(timelineOf(document.photo), 0);
    expect(preview.frameUrl).toBe('data:photo-2');
    answer.resolve({ ok: true, value: frameOf(smile(0.5)) });
    await settle();
    expect(preview.frameUrl).toBe('data:photo-2');
  });

  it('shows frames already seen from the cache, and renders again for another model', async () => {
    const { preview, models, rendered } = setup();
    preview.setFaceAus(0, smile(0.4));
    await settle();
    preview.setFaceAus(0, smile(0.6));
    await settle();
    preview.setFaceAus(0, smile(0.4));
    await settle();
    expect(rendered()).toEqual([0.4, 0.6]);
    expect(preview.frameUrl).toBe('frame:0.40');
    models.activeId = 'model-b';
    models.changes.emit();
    await settle();
    expect(rendered()).toEqual([0.4, 0.6, 0.4]);
  });

  it('renders ahead while playing and stops at the end without loop; with loop it wraps to the start', async () => {
    const { preview, editor, rendered, forget } = setup();
    ramp(editor, 1, 10);
    await settle();
    forget();
    preview.setLoop(false);
    preview.togglePlay();
    preview.seek(0.5);
    await settle();
    expect(rendered().map((v) => v.toFixed(1))).toEqual(['0.5', '0.6', '0.7', '0.8', '0.9', '1.0']);

    const looping = setup();
    ramp(looping.editor, 1, 10);
    await settle();
    looping.forget();
    looping.preview.togglePlay();
    looping.preview.seek(0.5);
    await settle();
    // 0.5 on screen, then 0.6 to the end, then on from the start (0 s was rendered before playing).
    expect(looping.rendered().slice(0, 8).map((v) => v.toFixed(1))).toEqual(['0.5', '0.6', '0.7', '0.8', '0.9', '1.0', '0.1', '0.2']);
  });

  it('follows the timeline after an edit but keeps the pose after keying', () => {
    const { preview, editor } = setup();
    ramp(editor, 2, 10);
    preview.seek(1);
    expect(preview.poseOf(0)?.[AU12]).toBeCloseTo(0.5, 5);
    preview.setFaceAus(0, smile(0.9));
    editor.keyAt(AU_ORDER.indexOf('AU04'), 1, smile(0.9));
    expect(preview.poseOf(0)?.[AU12]).toBeCloseTo(0.9, 5);
    editor.undo();
    expect(preview.poseOf(0)?.[AU12]).toBeCloseTo(0.5, 5);
  });

  it('plays by the clock, at whole frames, and stops at the end without loop', () => {
    const { preview, editor, hand } = setup();
    ramp(editor, 1, 10);
    preview.setLoop(false);
    preview.togglePlay();
    hand.advance(420);
    expect(preview.playhead).toBeCloseTo(0.42, 5);
    expect(preview.poseOf(0)?.[AU12]).toBeCloseTo(0.4, 5);
    // A pause and play within one animation frame leaves one loop, so time does not run double.
    preview.togglePlay();
    preview.togglePlay();
    hand.advance(100);
    expect(preview.playhead).toBeCloseTo(0.52, 5);
    hand.advance(600);
    expect(preview.playing).toBe(false);
    expect(preview.playhead).toBe(1);
  });
});
