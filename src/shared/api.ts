// The one table of operations the renderer may call. Electron IPC handlers (main), preload invokers
// and the web-mode transport are all generated from it, so channel names are never retyped and
// every payload is validated against the same schema in main.
import { z } from 'zod';
import { AU_COUNT } from './aus';
import type { Result, StudioErrorInfo } from './errors';
import { PRESET_NAMES, type PresetName } from './presets';
import { REPAINT_REGIONS, type RepaintRegion } from './repaint';
import { EXPORT_FORMATS, outputSettingsSchema, timelineSchema, type OutputSettings } from './project/schema';
import type { Timeline } from './timeline/model';

export interface AppInfo {
  readonly name: string;
  readonly version: string;
  readonly platform: string;
  readonly versions: Readonly<Record<string, string>>;
  /** 'electron': files can be shown in the system file manager; 'web': exports are downloaded. */
  readonly host: 'electron' | 'web';
}

/** An audio track the studio keeps for exports: uploaded once, referred to by its stored path. */
export interface AudioTrack {
  /** Where the studio stored it: the value of a project's output.audioPath. */
  readonly path: string;
  readonly name: string;
  readonly durationSeconds: number | null;
}

/** The name a stored audio track was uploaded under (stored as `<12 hex of its hash>-<name>`). */
export function audioTrackName(storedPath: string): string {
  const base = storedPath.split(/[\\/]/).pop() ?? storedPath;
  return base.replace(/^[0-9a-f]{12}-/, '');
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
  /** The square the generator sees and repaints: centre and side in photo pixels, roll in radians. */
  readonly crop: { readonly centerX: number; readonly centerY: number; readonly side: number; readonly angle: number };
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
  /** The faces' attention masks over the photo (white: repainted), as a data URL, when asked for. */
  readonly attentionUrl?: string;
  /** Generator plus compositing time. */
  readonly ms: number;
  readonly provider: string;
  /** What kept the model's geometry from warping a face (it then shows without motion), or a corrupt motion basis. */
  readonly notices?: readonly string[];
}

export interface ModelEntry {
  readonly id: string;
  readonly name: string;
  readonly imageSize: number;
  readonly architecture: string;
  /** The preset its generator is (what fine-tuning it trains), or null for a size of no preset. */
  readonly preset: PresetName | null;
  /** Whether it carries a landmark motion basis: expressions warp the photo's own pixels before the generator repaints. */
  readonly geometry: boolean;
  /** Where its generator may repaint: 'mouth-opening' keeps every pixel outside a mouth its warp opens. */
  readonly repaintRegion: RepaintRegion;
  readonly provenance: string;
  readonly active: boolean;
  /** Training data summary and steps, from the model card, when the model says. */
  readonly trainingData: string | null;
  readonly steps: number | null;
  readonly sizeBytes: number;
  /** Imported or studio-trained models can be removed; the bundled one cannot. */
  readonly removable: boolean;
  /** The model card (Markdown), for the models panel. */
  readonly modelCard: string;
}

/** A saved project in the studio's projects folder. */
export interface ProjectEntry {
  readonly name: string;
  readonly path: string;
  readonly photoName: string;
  /** ISO time of the last save. */
  readonly savedAt: string;
}

export interface OpenedProject {
  readonly project: ProjectEntry;
  readonly photo: OpenedPhoto;
  readonly timeline: Timeline;
  readonly output: OutputSettings;
  /** Autosaved edits newer than the saved file (the studio closed without saving), to offer back. */
  readonly recovered?: { readonly timeline: Timeline; readonly output: OutputSettings; readonly savedAt: string };
}

export interface ExportStatus {
  readonly jobId: string;
  readonly state: 'running' | 'done' | 'failed' | 'cancelled';
  readonly stage: 'preparing' | 'rendering' | 'finalizing' | 'done';
  /** What kept the model's geometry from warping a face (that face is exported without motion), or a corrupt motion basis; each once. */
  readonly notices: readonly string[];
  readonly framesEncoded: number;
  readonly totalFrames: number;
  readonly framesPerSecond: number;
  readonly etaSeconds: number;
  readonly elapsedSeconds: number;
  /** The file (or PNG folder) name in the exports folder, and its full path. */
  readonly fileName: string;
  readonly outputPath: string;
  readonly error?: StudioErrorInfo;
}

/** A training run started from the studio, as main pushes it to the training panel ('train.progress'). */
export interface TrainStatus {
  readonly runId: string;
  readonly name: string;
  readonly state: 'running' | 'done' | 'failed' | 'stopped';
  /** 'tuning': the first run on a computer times its convolutions once (a few seconds), for the fastest training graphs. */
  readonly phase: 'dataset' | 'tuning' | 'training' | 'exporting' | 'done';
  /** Convolution kernels timed so far, of those this computer had not timed yet. */
  readonly tuning: { readonly done: number; readonly total: number };
  readonly dataset: { readonly done: number; readonly total: number; readonly faces: number | null; readonly skipped: readonly { file: string; reason: string; detail: string }[] };
  readonly step: number;
  readonly totalSteps: number;
  readonly epoch: number;
  readonly imagesPerSecond: number;
  readonly etaSeconds: number;
  /** Loss curves: the steps and one series per term ('D/gp', 'G/cyc', ...), thinned to a few hundred points. */
  readonly losses: { readonly steps: readonly number[]; readonly terms: Readonly<Record<string, readonly number[]>> };
  /** Step of the latest sample grid (fetch it with train.sample), or null before the first. */
  readonly sampleStep: number | null;
  /** The exported model's id once the run is done (pass it to models.use). */
  readonly modelId: string | null;
  readonly error?: StudioErrorInfo;
}

const trainSettingsSchema = z.object({
  /** The run's name: its folder under runs/ and the trained model's name. */
  name: z.string().trim().min(1).max(80).regex(/^[\w][\w .-]*$/, 'use letters, digits, spaces, dots and dashes only'),
  /** Folder of face photos (faces are detected and cropped). */
  folder: z.string().min(1).max(4096),
  /** Treat every image as an already-aligned face crop. */
  aligned: z.boolean(),
  /** Fine-tuning keeps the starting model's preset: then this must be it. */
  preset: z.enum(PRESET_NAMES),
  /** Train new networks from random weights instead of fine-tuning the model in use (generator, motion basis; the critic starts fresh either way). */
  fromScratch: z.boolean(),
  /** Critic steps; the generator steps once every criticPerGenerator of them (the preset's recipe: 5 original, 1 studio). */
  steps: z.number().int().min(1).max(10_000_000),
  batchSize: z.number().int().min(1).max(256),
  /**
   * Where the trained model may repaint; absent: a fine-tune of a geometry-first model repaints only
   * the mouth opening (shared/fine-tune.ts FINE_TUNE_REPAINT), anything else anywhere. A resumed run
   * keeps its own.
   */
  repaint: z.enum(REPAINT_REGIONS).optional(),
  /** Continue the run of this name from its latest checkpoint. */
  resume: z.boolean(),
}).strict();
export type TrainSettings = z.infer<typeof trainSettingsSchema>;

interface Operation<S extends z.ZodType, R> {
  /** The arguments' schema; their type is what it parses to (ArgsOf). */
  readonly args: S;
  /** Phantom: carries the result type only. */
  readonly result?: R;
}

/** An operation from its argument schema and its result type: `op(schema).returns<Result>()`. */
const op = <S extends z.ZodType>(args: S) => ({ returns: <R>(): Operation<S, R> => ({ args }) });
const none = z.object({}).strict();

const aus = z.array(z.number().min(0).max(1)).length(AU_COUNT);
/** 60 MB of base64 is a 45 MB photo, above the decoder's 50 MP limit for typical JPEGs. */
const MAX_UPLOAD_CHARS = 60_000_000;

const photoId = z.string().min(1).max(100);
/** A project name becomes a file name: no path separators, reserved characters or control characters. */
const projectName = z
  .string()
  .trim()
  .min(1)
  .max(120)
  .refine((n) => !/[/\\:*?"<>|]/.test(n) && [...n].every((c) => c.charCodeAt(0) >= 32), 'may not contain / \\ : * ? " < > | or control characters');
const exportFileName = z.string().min(1).max(160).regex(/^[\w][\w .()-]*$/, 'use letters, digits, spaces, dots, dashes and brackets only');
/** What project.save and project.autosave write: the photo, the project's name, its timeline and output settings. */
const projectWrite = z.object({ photoId, name: projectName, timeline: timelineSchema, output: outputSettingsSchema }).strict();

export const OPERATIONS = {
  'app.info': op(none).returns<AppInfo>(),
  'ffmpeg.info': op(none).returns<FfmpegInfo>(),
  'photo.open': op(z.object({ name: z.string().min(1).max(255), dataBase64: z.string().min(1).max(MAX_UPLOAD_CHARS) }).strict()).returns<OpenedPhoto>(),
  /** The bundled sample portrait (the first run opens it), as photo.open would give it. */
  'photo.openSample': op(none).returns<OpenedPhoto>(),
  /** previewSide: the longest side of the returned image in pixels (a faster preview); full size without it. */
  'frame.render': op(
    z.object({ photoId: z.string().min(1), faces: z.array(z.object({ faceId: z.number().int().min(0), aus }).strict()).max(64), attention: z.boolean().optional(), previewSide: z.number().int().min(64).max(16384).optional() }).strict(),
  ).returns<RenderedFrame>(),
  'models.list': op(none).returns<ModelEntry[]>(),
  'models.import': op(
    z.object({ name: z.string().regex(/\.(onnx|pth)$/i, 'must be a .onnx model or a .pth checkpoint').max(255), dataBase64: z.string().min(1).max(MAX_UPLOAD_CHARS) }).strict(),
  ).returns<ModelEntry[]>(),
  'models.use': op(z.object({ id: z.string().min(1) }).strict()).returns<ModelEntry[]>(),
  'models.remove': op(z.object({ id: z.string().min(1) }).strict()).returns<ModelEntry[]>(),
  'project.save': op(projectWrite).returns<ProjectEntry>(),
  'project.autosave': op(projectWrite).returns<{ savedAt: string }>(),
  'project.list': op(none).returns<ProjectEntry[]>(),
  'project.open': op(z.object({ name: projectName }).strict()).returns<OpenedProject>(),
  /** Stores an audio file for exports once ffmpeg has found an audio stream in it. */
  'audio.upload': op(z.object({ name: z.string().min(1).max(255), dataBase64: z.string().min(1).max(MAX_UPLOAD_CHARS) }).strict()).returns<AudioTrack>(),
  'export.choosePath': op(z.object({ fileName: exportFileName, format: z.enum(EXPORT_FORMATS) }).strict()).returns<{ path: string } | null>(),
  /** Without outputPath the file goes to the studio's exports folder; with it, to a path chosen in export.choosePath. */
  'export.start': op(
    z.object({ photoId, timeline: timelineSchema, output: outputSettingsSchema, fps: z.number().positive().max(120), fileName: exportFileName, outputPath: z.string().min(1).max(4096).optional() }).strict(),
  ).returns<ExportStatus>(),
  'export.status': op(z.object({ jobId: z.string().min(1) }).strict()).returns<ExportStatus>(),
  'export.cancel': op(z.object({ jobId: z.string().min(1) }).strict()).returns<ExportStatus>(),
  'train.start': op(trainSettingsSchema).returns<TrainStatus>(),
  'train.chooseFolder': op(none).returns<{ folder: string } | null>(),
  'train.status': op(z.object({ runId: z.string().min(1) }).strict()).returns<TrainStatus>(),
  'train.stop': op(z.object({ runId: z.string().min(1) }).strict()).returns<TrainStatus>(),
  'train.sample': op(z.object({ runId: z.string().min(1) }).strict()).returns<{ step: number; imageUrl: string } | null>(),
  'export.reveal': op(z.object({ jobId: z.string().min(1) }).strict()).returns<{ shown: boolean }>(),
} as const;

export type OperationName = keyof typeof OPERATIONS;
export type ArgsOf<K extends OperationName> = z.infer<(typeof OPERATIONS)[K]['args']>;
export type ResultOf<K extends OperationName> = (typeof OPERATIONS)[K] extends Operation<z.ZodType, infer R> ? R : never;

/** What the renderer sees as `window.studio`. */
export type StudioApi = { readonly [K in OperationName]: (args: ArgsOf<K>) => Promise<Result<ResultOf<K>>> };

export const OPERATION_NAMES = Object.keys(OPERATIONS) as OperationName[];
export const channelOf = (name: OperationName): string => `studio:${name}`;

/**
 * The events main pushes to the renderer (Electron IPC or web mode's WebSocket), so long jobs need
 * no polling: each carries the job's whole current status.
 */
export interface StudioEvents {
  readonly 'export.progress': ExportStatus;
  readonly 'train.progress': TrainStatus;
}
export type StudioEventName = keyof StudioEvents;
export type StudioEvent = { [K in StudioEventName]: { readonly name: K; readonly payload: StudioEvents[K] } }[StudioEventName];
/** The one IPC channel events travel on. */
export const EVENT_CHANNEL = 'studio:event';
/** Web mode's WebSocket path for events. */
export const EVENTS_PATH = '/events';

/** What the renderer sees as `window.studioEvents`: subscribe, get an unsubscribe function back. */
export interface StudioEventSource {
  subscribe(listener: (event: StudioEvent) => void): () => void;
}
