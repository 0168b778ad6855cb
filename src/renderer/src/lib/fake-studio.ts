// Test stand-ins for main's side of the operation table (the renderer's unit tests fake the
// transport, never an engine): each operation answers as the test says and every call is recorded;
// photos and timelines as small as a test needs.
import type { ArgsOf, OpenedPhoto, OperationName, ResultOf, StudioApi } from '../../../shared/api';
import { AU_ORDER } from '../../../shared/aus';
import type { Result } from '../../../shared/errors';
import type { Timeline } from '../../../shared/timeline';

type Handlers = { readonly [K in OperationName]?: (args: ArgsOf<K>) => Promise<Result<ResultOf<K>>> };

export interface FakeStudio {
  readonly api: StudioApi;
  /** Every call, in order. */
  readonly calls: { readonly name: OperationName; readonly args: unknown }[];
  /** The arguments of each call of one operation. */
  argsOf<K extends OperationName>(name: K): ArgsOf<K>[];
}

/** An operation table answering with `handlers`; an operation without one fails the test that calls it. */
export function fakeStudio(handlers: Handlers): FakeStudio {
  const calls: { name: OperationName; args: unknown }[] = [];
  const api = new Proxy({} as StudioApi, {
    get: (_, name: string) => (args: unknown) => {
      calls.push({ name: name as OperationName, args });
      const handler = handlers[name as OperationName] as ((a: unknown) => Promise<unknown>) | undefined;
      if (!handler) throw new Error(`the test did not expect a call of ${name}`);
      return handler(args);
    },
  });
  return { api, calls, argsOf: (name) => calls.filter((c) => c.name === name).map((c) => c.args as ArgsOf<typeof name>) };
}

export const ok = <T>(value: T): Promise<Result<T>> => Promise.resolve({ ok: true, value });
export const failed = (code: string, message: string): Promise<Result<never>> => Promise.resolve({ ok: false, error: { code, message } });

/** A promise the test settles when it likes. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets every pending promise chain run (the fakes answer through microtasks only). */
export const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** A photo with `faces` faces (ids 0..), each with all its own AUs at 0.05. */
export function fakePhoto(photoId = 'photo-1', faces = 1): OpenedPhoto {
  return {
    photoId,
    name: `${photoId}.jpg`,
    width: 64,
    height: 64,
    imageUrl: `data:${photoId}`,
    faces: Array.from({ length: faces }, (_, id) => ({
      id,
      box: { x: 0, y: 0, width: 32, height: 32 },
      sourceAus: AU_ORDER.map(() => 0.05),
      tooSmall: false,
      cutByBorder: false,
      crop: { centerX: 16, centerY: 16, side: 40, angle: 0 },
    })),
  };
}

/** The timeline a photo opens with: its faces, no keys. */
export const timelineOf = (photo: OpenedPhoto, duration = 4, fps = 30): Timeline => ({
  duration,
  fps,
  faces: photo.faces.map((f) => ({ faceId: f.id, sourceAus: f.sourceAus, tracks: {} })),
});
