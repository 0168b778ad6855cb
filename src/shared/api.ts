// The one table of operations the renderer may call. Electron IPC handlers (main), preload invokers
// and the web-mode transport are all generated from it, so channel names are never retyped and
// every payload is validated against the same schema in main.
import { z } from 'zod';
import type { Result } from './errors';

export interface AppInfo {
  readonly name: string;
  readonly version: string;
  readonly platform: string;
  readonly versions: Readonly<Record<string, string>>;
}

export interface FfmpegInfo {
  readonly path: string;
  readonly source: string;
}

/** A face as the studio shows it: where it is and its own AUs (17, AU_ORDER, [0, 1]). */
export interface FaceSummary {
  readonly id: number;
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly sourceAus: readonly number[];
  readonly tooSmall: boolean;
  readonly cutByBorder: boolean;
}

export interface OpenedPhoto {
  readonly photoId: string;
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** The photo itself, as a data URL the viewer can show. */
  readonly imageUrl: string;
  readonly faces: readonly FaceSummary[];
}

export interface RenderedFrame {
  /** The whole photo with every listed face composited, as a data URL. */
  readonly imageUrl: string;
  /** Generator plus compositing time. */
  readonly ms: number;
  readonly provider: string;
}

export interface ModelEntry {
  readonly id: string;
  readonly name: string;
  readonly imageSize: number;
  readonly architecture: string;
  readonly provenance: string;
  readonly active: boolean;
}

interface Operation<A, R> {
  readonly args: z.ZodType<A>;
  /** Phantom: carries the result type only. */
  readonly result?: R;
}

const op = <A, R>(args: z.ZodType<A>): Operation<A, R> => ({ args });

const aus = z.array(z.number().min(0).max(1)).length(17);
/** 60 MB of base64 is a 45 MB photo, above the decoder's 50 MP limit for typical JPEGs. */
const MAX_UPLOAD_CHARS = 60_000_000;

export const OPERATIONS = {
  'app.info': op<Record<string, never>, AppInfo>(z.object({}).strict()),
  'ffmpeg.info': op<Record<string, never>, FfmpegInfo>(z.object({}).strict()),
  'photo.open': op<{ name: string; dataBase64: string }, OpenedPhoto>(
    z.object({ name: z.string().min(1).max(255), dataBase64: z.string().min(1).max(MAX_UPLOAD_CHARS) }).strict(),
  ),
  'frame.render': op<{ photoId: string; faces: { faceId: number; aus: number[] }[] }, RenderedFrame>(
    z.object({ photoId: z.string().min(1), faces: z.array(z.object({ faceId: z.number().int().min(0), aus }).strict()).max(64) }).strict(),
  ),
  'models.list': op<Record<string, never>, ModelEntry[]>(z.object({}).strict()),
  'models.import': op<{ name: string; dataBase64: string }, ModelEntry[]>(
    z.object({ name: z.string().regex(/\.(onnx|pth)$/i, 'must be a .onnx model or a .pth checkpoint').max(255), dataBase64: z.string().min(1).max(MAX_UPLOAD_CHARS) }).strict(),
  ),
  'models.use': op<{ id: string }, ModelEntry[]>(z.object({ id: z.string().min(1) }).strict()),
} as const;

export type OperationName = keyof typeof OPERATIONS;
export type ArgsOf<K extends OperationName> = (typeof OPERATIONS)[K] extends Operation<infer A, unknown> ? A : never;
export type ResultOf<K extends OperationName> = (typeof OPERATIONS)[K] extends Operation<unknown, infer R> ? R : never;

/** What the renderer sees as `window.studio`. */
export type StudioApi = { readonly [K in OperationName]: (args: ArgsOf<K>) => Promise<Result<ResultOf<K>>> };

export const OPERATION_NAMES = Object.keys(OPERATIONS) as OperationName[];
export const channelOf = (name: OperationName): string => `studio:${name}`;
