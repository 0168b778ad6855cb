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

interface Operation<A, R> {
  readonly args: z.ZodType<A>;
  /** Phantom: carries the result type only. */
  readonly result?: R;
}

const op = <A, R>(args: z.ZodType<A>): Operation<A, R> => ({ args });

export const OPERATIONS = {
  'app.info': op<Record<string, never>, AppInfo>(z.object({}).strict()),
  'ffmpeg.info': op<Record<string, never>, FfmpegInfo>(z.object({}).strict()),
} as const;

export type OperationName = keyof typeof OPERATIONS;
export type ArgsOf<K extends OperationName> = (typeof OPERATIONS)[K] extends Operation<infer A, unknown> ? A : never;
export type ResultOf<K extends OperationName> = (typeof OPERATIONS)[K] extends Operation<unknown, infer R> ? R : never;

/** What the renderer sees as `window.studio`. */
export type StudioApi = { readonly [K in OperationName]: (args: ArgsOf<K>) => Promise<Result<ResultOf<K>>> };

export const OPERATION_NAMES = Object.keys(OPERATIONS) as OperationName[];
export const channelOf = (name: OperationName): string => `studio:${name}`;
