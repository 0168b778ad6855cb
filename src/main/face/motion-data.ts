// Reads a labelled portrait folder for the motion fit: labels.csv (file, performer, expression) and the
// faces of each photo, from faces.jsonl.gz when it is there, else detected. Bad rows are skipped and reported.
import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import { detectFaces, type Expression, type Face } from './detector';
import type { Point } from './face-frame';
import { decodeImage } from './image-io';
import { detectionsBeside, largestFace, readDetections } from './precomputed';

/** One labelled photo with its largest face. */
export interface LabelledFace {
  readonly file: string;
  readonly performer: string;
  /** 'neutral' or the posed expression's name, as labels.csv spells it. */
  readonly expression: string;
  readonly landmarks: readonly Point[];
  readonly expressions: Readonly<Record<Expression, number>>;
}

export interface Skipped {
  readonly file: string;
  readonly reason: string;
}

export interface LabelledFolder {
  readonly faces: LabelledFace[];
  readonly skipped: Skipped[];
  /** The requested performers that labels.csv has at least one row for. */
  readonly performers: string[];
}

/** One labels.csv row; expression lower-cased. */
export interface LabelRow {
  readonly file: string;
  readonly performer: string;
  readonly expression: string;
}

export function readLabels(folder: string): LabelRow[] {
  const file = path.join(folder, 'labels.csv');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new StudioError('labels-unreadable', `cannot read ${file}: ${(err as Error).message}`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new StudioError('labels-columns', `${file}: no "${name}" column (found: ${header.join(', ')})`);
    return i;
  };
  const [fileCol, performerCol, expressionCol] = [col('file'), col('performer'), col('expression')];
  return lines.slice(1).map((line) => {
    const cells = line.split(',').map((c) => c.trim());
    return { file: cells[fileCol] ?? '', performer: cells[performerCol] ?? '', expression: (cells[expressionCol] ?? '').toLowerCase() };
  });
}

/**
 * The performers among `known` (the ids labels.csv uses) that a spec such as "17-24" or "3,5,A1"
 * names: numeric ids and ranges match by number ("7" and "07" alike), other ids exactly. A spec that
 * cannot be read, or names none of them, is an error that says which.
 */
export function selectPerformers(spec: string, known: readonly string[]): Set<string> {
  const numbers = new Set<number>();
  const names = new Set<string>();
  const parts = spec.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw new StudioError('bad-performers', `performers "${spec}" names no performer`);
  for (const part of parts) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!range) {
      if (!/^\w+$/.test(part)) throw new StudioError('bad-performers', `performers "${spec}": "${part}" is neither an id nor a range like 17-24`);
      names.add(part);
      continue;
    }
    const [from, to] = [Number(range[1]), Number(range[2] ?? range[1])];
    if (to < from) throw new StudioError('bad-performers', `performers "${spec}": the range ${part} runs backwards`);
    for (let id = from; id <= to; id++) numbers.add(id);
  }
  const chosen = new Set(known.filter((k) => names.has(k) || (/^\d+$/.test(k) && numbers.has(Number(k)))));
  if (chosen.size === 0) throw new StudioError('bad-performers', `performers "${spec}" match none of the folder's: ${[...new Set(known)].join(', ')}`);
  return chosen;
}

/** A labelled folder's photo: under images/ when the folder has one, else beside labels.csv. */
export function imagePath(folder: string, file: string): string {
  const inImages = path.join(folder, 'images', file);
  return fs.existsSync(inImages) ? inImages : path.join(folder, file);
}

/**
 * The labelled photos of `performers` with their largest face. Detections come from
 * `<folder>/faces.jsonl.gz` when present (milliseconds), else from the detector (about 0.4 s a photo).
 */
export async function readLabelledFolder(folder: string, performers: ReadonlySet<string>, onProgress?: (done: number, total: number) => void): Promise<LabelledFolder> {
  const rows = readLabels(folder).filter((r) => performers.has(r.performer));
  const detectionsFile = detectionsBeside(folder);
  const detections = detectionsFile ? readDetections(detectionsFile) : null;
  const faces: LabelledFace[] = [];
  const skipped: Skipped[] = [];
  for (const [i, row] of rows.entries()) {
    onProgress?.(i, rows.length);
    if (!row.file || !row.expression) {
      skipped.push({ file: row.file || `row ${i + 2}`, reason: 'labels.csv row without a file or an expression' });
      continue;
    }
    let found: readonly Face[];
    if (detections) {
      const record = detections.get(row.file);
      if (!record) {
        skipped.push({ file: row.file, reason: 'not in faces.jsonl.gz' });
        continue;
      }
      if (record.error) {
        skipped.push({ file: row.file, reason: record.error });
        continue;
      }
      found = record.faces;
    } else {
      try {
        found = await detectFaces(await decodeImage(imagePath(folder, row.file)));
      } catch (err) {
        skipped.push({ file: row.file, reason: (err as Error).message });
        continue;
      }
    }
    const face = largestFace(found);
    if (!face) skipped.push({ file: row.file, reason: 'no face found' });
    else faces.push({ file: row.file, performer: row.performer, expression: row.expression, landmarks: face.landmarks, expressions: face.expressions });
  }
  onProgress?.(rows.length, rows.length);
  return { faces, skipped, performers: [...new Set(rows.map((r) => r.performer))].sort() };
}
