// The project file: versioned JSON validated with zod. Older versions are migrated on load; a newer
// version is refused. Errors name the field (faces[0].sourceAus[3]) and the problem.
import { z } from 'zod';
import { AU_COUNT, AU_ORDER } from '../aus';
import { StudioError } from '../errors';
import { EASINGS } from '../timeline/easing';
import type { KeyframeId, Timeline } from '../timeline/model';

export const CURRENT_SCHEMA_VERSION = 2;

const unit = z.number().min(0).max(1);
const keyframe = z.object({ id: z.string().min(1).brand<'KeyframeId'>(), time: z.number().min(0), value: unit, easing: z.enum(EASINGS), group: z.string().optional() });
const tracks = z.partialRecord(z.enum(AU_ORDER), z.array(keyframe));
const box = z.object({ x: z.number(), y: z.number(), width: z.number().positive(), height: z.number().positive() });

/** What an export writes: a video (MP4 H.264, WebM VP9), an animated GIF or a folder of PNG frames. */
export const EXPORT_FORMATS = ['mp4', 'webm', 'gif', 'png'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
/** An export's frame size: the photo's own, or fitted into 1080 or 720 lines. */
export const OUTPUT_SIZES = ['original', '1080p', '720p'] as const;
export type OutputSize = (typeof OUTPUT_SIZES)[number];

/** Output settings stored in a project and sent with an export. */
export const outputSettingsSchema = z.object({
  format: z.enum(EXPORT_FORMATS),
  size: z.enum(OUTPUT_SIZES),
  quality: z.number().min(0).max(100),
  range: z.tuple([z.number().min(0), z.number().min(0)]).nullable(),
  audioPath: z.string().nullable(),
});
export type OutputSettings = z.infer<typeof outputSettingsSchema>;

/** Formats that carry a sound track (a GIF or PNG export ignores a project's). */
export const carriesSound = (format: ExportFormat): boolean => format === 'mp4' || format === 'webm';
export const DEFAULT_OUTPUT_SETTINGS: OutputSettings = Object.freeze({ format: 'mp4', size: 'original', quality: 80, range: null, audioPath: null });

/**
 * A timeline as the renderer edits it (faces by id, their source AUs and tracks). Typed as the
 * timeline model, so the compiler holds what it parses to that type (arrays parse mutable, which a
 * readonly Timeline accepts).
 */
export const timelineSchema: z.ZodType<Timeline> = z.object({
  duration: z.number().positive().max(3600),
  fps: z.number().positive().max(240),
  faces: z.array(z.object({ faceId: z.number().int().min(0), sourceAus: z.array(unit).length(AU_COUNT), tracks })).max(64),
});

const projectV2 = z.object({
  schemaVersion: z.literal(2),
  photo: z.object({ path: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/), width: z.number().int().positive(), height: z.number().int().positive() }),
  faces: z.array(
    z.object({
      id: z.number().int().min(0),
      box,
      landmarks: z.array(z.tuple([z.number(), z.number()])).length(68),
      sourceAus: z.array(unit).length(AU_COUNT),
      modelId: z.string().min(1),
      tracks,
    }),
  ),
  duration: z.number().positive().max(3600),
  fps: z.number().positive().max(240),
  output: outputSettingsSchema,
});

/** Version 1 stored AU values on OpenFace's 0-5 scale and every key of a face in one list. */
const projectV1 = z.object({
  schemaVersion: z.literal(1),
  photo: z.object({ path: z.string(), sha256: z.string(), width: z.number(), height: z.number() }),
  faces: z.array(
    z.object({
      id: z.number(),
      box,
      landmarks: z.array(z.tuple([z.number(), z.number()])),
      sourceAus: z.array(z.number().min(0).max(5)),
      model: z.string(),
      keys: z.array(z.object({ au: z.enum(AU_ORDER), time: z.number(), value: z.number().min(0).max(5), easing: z.enum(EASINGS) })),
    }),
  ),
  duration: z.number(),
  fps: z.number(),
});

export type Project = z.infer<typeof projectV2>;
export type ProjectFace = Project['faces'][number];

function migrateV1(p: z.infer<typeof projectV1>): Project {
  return {
    schemaVersion: 2,
    photo: p.photo,
    faces: p.faces.map((f) => {
      const byAu: Record<string, Project['faces'][number]['tracks'][keyof Project['faces'][number]['tracks']]> = {};
      f.keys.forEach((k, i) => {
        byAu[k.au] = [...(byAu[k.au] ?? []), { id: `v1-${f.id}-${i}` as KeyframeId, time: k.time, value: k.value / 5, easing: k.easing }].sort((a, b) => a.time - b.time);
      });
      return { id: f.id, box: f.box, landmarks: f.landmarks, sourceAus: f.sourceAus.map((v) => v / 5), modelId: f.model, tracks: byAu };
    }),
    duration: p.duration,
    fps: p.fps,
    output: { ...DEFAULT_OUTPUT_SETTINGS },
  };
}

function describeIssue(error: z.ZodError, source: string): StudioError {
  const issue = error.issues[0];
  const where = issue.path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '');
  return new StudioError('project-invalid', `${source}: ${where || 'the file'}: ${issue.message}`);
}

/** Validates parsed JSON, migrating older versions to the current one. */
export function parseProject(data: unknown, source: string): Project {
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version !== 'number') throw new StudioError('project-invalid', `${source}: schemaVersion is missing; is this a GANimation Studio project?`);
  if (version > CURRENT_SCHEMA_VERSION) {
    throw new StudioError('project-too-new', `${source} was made by a newer GANimation Studio (project version ${version}; this version reads up to ${CURRENT_SCHEMA_VERSION}); update the studio to open it`);
  }
  const schema = version === 1 ? projectV1 : projectV2;
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw describeIssue(parsed.error, source);
  const project = version === 1 ? migrateV1(parsed.data as z.infer<typeof projectV1>) : (parsed.data as Project);
  const checked = projectV2.safeParse(project);
  if (!checked.success) throw describeIssue(checked.error, source);
  return checked.data;
}

/** The project's timeline, for evaluate(). */
export function timelineOf(project: Project): Timeline {
  return {
    duration: project.duration,
    fps: project.fps,
    faces: project.faces.map((f) => ({ faceId: f.id, sourceAus: f.sourceAus, tracks: f.tracks })),
  };
}
