// Precomputed detections: a `faces.jsonl.gz` beside a folder of photos (one JSON line per photo:
// file, width, height, faces [{box, score, landmarks, expressions}] or error), made by this project's
// own face pipeline, so datasets, motion fits and evaluations need not detect again (detection
// costs about 0.4 s per photo here; these lines decode in microseconds).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { StudioError } from '../../shared/errors';
import { boxFlags, EXPRESSIONS, type Box, type Expression, type Face } from './detector';

/** The file name the project looks for beside a folder of photos. */
export const DETECTIONS_FILE = 'faces.jsonl.gz';

export interface PrecomputedPhoto {
  readonly width: number;
  readonly height: number;
  /** Faces numbered left to right, as detectFaces numbers them; empty when none was found. */
  readonly faces: readonly Face[];
  /** Why the photo could not be decoded when the detections were made. */
  readonly error?: string;
}

/** Precomputed detections by file name (the base name, as the lines give it). */
export type Detections = ReadonlyMap<string, PrecomputedPhoto>;

const isPoint = (p: unknown): p is [number, number] => Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number' && Number.isFinite(v));

function faceOf(raw: Record<string, unknown>, photo: { width: number; height: number }, where: string): Omit<Face, 'id'> {
  const box = raw.box as Box | undefined;
  if (!box || ![box.x, box.y, box.width, box.height].every((v) => typeof v === 'number' && Number.isFinite(v))) throw new Error(`${where}: a face has no valid box`);
  const landmarks = raw.landmarks;
  if (!Array.isArray(landmarks) || landmarks.length !== 68 || !landmarks.every(isPoint)) throw new Error(`${where}: a face does not have 68 finite [x, y] landmarks`);
  const given = (raw.expressions ?? {}) as Record<string, unknown>;
  const expressions = Object.fromEntries(EXPRESSIONS.map((e) => [e, typeof given[e] === 'number' ? given[e] : 0])) as Record<Expression, number>;
  return { box, score: typeof raw.score === 'number' ? raw.score : 1, landmarks: landmarks as [number, number][], expressions, ...boxFlags(box, photo) };
}

/** Parses the lines of a detections file; the error names the file and the line. */
export function parseDetections(text: string, origin: string): Detections {
  const out = new Map<string, PrecomputedPhoto>();
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${origin} line ${i + 1}`;
    try {
      const rec = JSON.parse(line) as Record<string, unknown>;
      if (typeof rec.file !== 'string') throw new Error(`${where}: no file name`);
      const width = Number(rec.width ?? 0);
      const height = Number(rec.height ?? 0);
      if (typeof rec.error === 'string') {
        out.set(rec.file, { width, height, faces: [], error: rec.error });
        return;
      }
      if (!Array.isArray(rec.faces)) throw new Error(`${where}: neither faces nor error`);
      const faces = (rec.faces as Record<string, unknown>[])
        .map((f) => faceOf(f, { width, height }, where))
        .sort((a, b) => a.box.x - b.box.x)
        .map((f, id) => ({ id, ...f }));
      out.set(rec.file, { width, height, faces });
    } catch (err) {
      const message = err instanceof SyntaxError ? `${where}: not JSON (${err.message})` : (err as Error).message;
      throw new StudioError('bad-detections', message);
    }
  });
  return out;
}

/** Reads a detections file (gzip-compressed JSON lines, or plain when not gzip). */
export function readDetections(file: string): Detections {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new StudioError('bad-detections', `cannot read ${file}: ${(err as Error).message}`);
  }
  const gzip = bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  let text: string;
  try {
    text = (gzip ? zlib.gunzipSync(bytes) : bytes).toString('utf8');
  } catch (err) {
    throw new StudioError('bad-detections', `${file} is not a valid gzip file: ${(err as Error).message}`);
  }
  return parseDetections(text, file);
}

/** The detections file of a photo folder, when it has one. */
export function detectionsBeside(folder: string): string | null {
  const file = path.join(folder, DETECTIONS_FILE);
  return fs.existsSync(file) ? file : null;
}

/** The largest face of a photo (by box area), as training and evaluation take it. */
export function largestFace<T extends Pick<Face, 'box'>>(faces: readonly T[]): T | null {
  if (faces.length === 0) return null;
  return faces.reduce((a, b) => (b.box.width * b.box.height > a.box.width * a.box.height ? b : a));
}
