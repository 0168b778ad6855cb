// Expression transfer on a labelled portrait folder (tw-expressions): each performer's neutral photo
// is edited to the AUs the built-in estimator reads from each of their posed photos, and the output's
// landmarks are compared with the posed photo's (see transfer-motion.ts), for every editor given.
import fs from 'node:fs';
import path from 'node:path';
import { decodeImage, detectFaces, estimateAus, type Face, type RgbImage } from '../face';
import { imagePath, readLabelledFolder, readLabels, type LabelledFace } from '../face/motion-data';
import { alignedDisplacement, NEUTRAL } from '../face/motion-pairs';
import { largestFace } from '../face/precomputed';
import { spread } from './evaluate-model';
import { sharpnessKept } from './sharpness';
import type { NamedEditor, TransferPair } from './transfer-editors';
import { compareMotion, summarizeByExpression, type PairResult, type TransferRow } from './transfer-motion';

/**
 * Posed photos whose mobile points move less than this (RMS, inter-ocular units) from the neutral
 * face are left out: their error ratio divides by almost nothing. Detector jitter alone is 0.01-0.02.
 */
const MIN_POSED_MOTION_IOD = 0.02;

export interface TransferOptions {
  /** A folder with labels.csv (file, performer, expression), the photos (or images/), and ideally faces.jsonl.gz. */
  readonly folder: string;
  /** Performer ids as labels.csv spells them (default: all). */
  readonly performers?: ReadonlySet<string>;
  /** At most this many pairs, spread evenly over the sorted list so every performer is reached (default: all). */
  readonly limit?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface PairRecord {
  readonly performer: string;
  readonly expression: string;
  readonly file: string;
  /** null when the output lost its face. */
  readonly errorRatio: number | null;
  readonly cosine: number | null;
  readonly sharpness: number;
}

export interface EditorTransfer {
  readonly name: string;
  readonly overall: TransferRow;
  readonly byExpression: Record<string, TransferRow>;
  readonly pairs: PairRecord[];
}

export interface TransferReport {
  readonly performers: string[];
  readonly pairs: number;
  readonly skipped: { file: string; reason: string }[];
  readonly editors: EditorTransfer[];
}

/** True when the folder's labels.csv names performers and expressions, so transfer can be measured. */
export function hasTransferLabels(folder: string): boolean {
  if (!fs.existsSync(path.join(folder, 'labels.csv'))) return false;
  try {
    readLabels(folder);
    return true;
  } catch {
    return false;
  }
}

/** The photos labels.csv lists for these performers (all when absent) that exist on disk, sorted. */
export function labelledPhotoPaths(folder: string, performers?: ReadonlySet<string>): string[] {
  const rows = readLabels(folder).filter((r) => r.file && (!performers || performers.has(r.performer)));
  return [...new Set(rows.map((r) => imagePath(folder, r.file)))].filter((f) => fs.existsSync(f)).sort();
}

interface Candidate {
  readonly neutral: LabelledFace;
  readonly posed: LabelledFace;
}

/**
 * Each performer's neutral photo against each of their posed photos. The neutral photo is the one whose
 * landmarks align with the most posed photos (a failed detection aligns with none), then the most
 * neutral-looking by face-api's probability: one bad neutral would spoil every pair of its performer.
 */
function candidatePairs(faces: readonly LabelledFace[], skipped: TransferReport['skipped']): Candidate[] {
  const performers = [...new Set(faces.map((f) => f.performer))].sort();
  const out: Candidate[] = [];
  for (const performer of performers) {
    const photos = faces.filter((f) => f.performer === performer);
    const posedPhotos = photos.filter((f) => f.expression !== NEUTRAL);
    const neutrals = photos
      .filter((f) => f.expression === NEUTRAL)
      .map((face) => ({ face, aligned: posedPhotos.filter((p) => typeof alignedDisplacement(face.landmarks, p.landmarks) !== 'string').length }));
    if (neutrals.length === 0) {
      skipped.push({ file: `performer ${performer}`, reason: 'no neutral photo with a face' });
      continue;
    }
    const best = neutrals.reduce((a, b) => (b.aligned > a.aligned || (b.aligned === a.aligned && b.face.expressions.neutral > a.face.expressions.neutral) ? b : a));
    if (best.aligned === 0) {
      skipped.push({ file: `performer ${performer}`, reason: `no neutral photo whose landmarks align with any of the ${posedPhotos.length} posed photos' (a failed detection? tried ${neutrals.map((n) => n.face.file).join(', ')})` });
      continue;
    }
    for (const posed of posedPhotos) out.push({ neutral: best.face, posed });
  }
  return out.sort((a, b) => a.posed.file.localeCompare(b.posed.file));
}

/** The output's face nearest the edited face, or null when none lies within half a face width of it. */
function matchFace(found: readonly Face[], near: Face): Face | null {
  const cx = near.box.x + near.box.width / 2;
  const cy = near.box.y + near.box.height / 2;
  let best: Face | null = null;
  let bestDistance = near.box.width / 2;
  for (const f of found) {
    const d = Math.hypot(f.box.x + f.box.width / 2 - cx, f.box.y + f.box.height / 2 - cy);
    if (d < bestDistance) [best, bestDistance] = [f, d];
  }
  return best;
}

/** The live detection of each neutral photo that a pair uses, or why it has none. */
async function neutralFaces(folder: string, pairs: readonly Candidate[]): Promise<Map<string, { photo: RgbImage; face: Face } | string>> {
  const out = new Map<string, { photo: RgbImage; face: Face } | string>();
  for (const { neutral } of pairs) {
    if (out.has(neutral.file)) continue;
    try {
      const photo = await decodeImage(imagePath(folder, neutral.file));
      const found = await detectFaces(photo);
      const face = largestFace(found);
      out.set(neutral.file, face ? { photo, face } : 'the detector finds no face in the neutral photo');
    } catch (err) {
      out.set(neutral.file, (err as Error).message);
    }
  }
  return out;
}

/**
 * Runs every editor on every pair. The neutral's landmarks are detected live, as the outputs' are, so
 * an unchanged photo reads back exactly the landmarks it was edited from; posed landmarks and AUs come
 * from the precomputed detections when the folder has them.
 */
export async function measureTransfer(editors: readonly NamedEditor[], options: TransferOptions): Promise<TransferReport> {
  const performers = options.performers ?? new Set(readLabels(options.folder).map((r) => r.performer));
  const { faces, skipped } = await readLabelledFolder(options.folder, performers);
  const candidates = spread(candidatePairs(faces, skipped), options.limit ?? Number.POSITIVE_INFINITY);
  const neutrals = await neutralFaces(options.folder, candidates);
  const results = editors.map(() => [] as (PairResult & PairRecord)[]);
  for (const [k, { neutral, posed }] of candidates.entries()) {
    options.onProgress?.(k, candidates.length);
    const base = neutrals.get(neutral.file);
    if (base === undefined || typeof base === 'string') {
      skipped.push({ file: posed.file, reason: `neutral ${neutral.file}: ${base ?? 'not read'}` });
      continue;
    }
    const { photo, face } = base;
    const misfit = alignedDisplacement(face.landmarks, posed.landmarks);
    if (typeof misfit === 'string') {
      skipped.push({ file: posed.file, reason: `against neutral ${neutral.file}: ${misfit}` });
      continue;
    }
    const posedMotion = compareMotion(face.landmarks, posed.landmarks, face.landmarks).posedMotionIod;
    if (posedMotion < MIN_POSED_MOTION_IOD) {
      skipped.push({ file: posed.file, reason: `moves only ${posedMotion.toFixed(3)} inter-ocular units from neutral ${neutral.file}` });
      continue;
    }
    const pair: TransferPair = { performer: posed.performer, expression: posed.expression, neutralFile: neutral.file, posedFile: imagePath(options.folder, posed.file), posedLandmarks: posed.landmarks };
    const targetAus = estimateAus(posed);
    for (const [e, editor] of editors.entries()) {
      const output = await editor.edit(photo, face, targetAus, pair);
      // An unchanged photo is the neutral photo itself: its detection is the one already made.
      const outFace = output === photo ? face : matchFace(await detectFaces(output), face);
      const motion = outFace ? compareMotion(face.landmarks, posed.landmarks, outFace.landmarks) : null;
      const sharpness = sharpnessKept(photo, output, face.landmarks);
      results[e].push({ performer: pair.performer, expression: pair.expression, file: posed.file, motion, errorRatio: motion?.errorRatio ?? null, cosine: motion?.cosine ?? null, sharpness });
    }
  }
  options.onProgress?.(candidates.length, candidates.length);
  return {
    performers: [...performers].sort(),
    pairs: results[0]?.length ?? 0,
    skipped,
    editors: editors.map((editor, e) => ({
      name: editor.name,
      ...summarizeByExpression(results[e]),
      pairs: results[e].map(({ performer, expression, file, errorRatio, cosine, sharpness }) => ({ performer, expression, file, errorRatio, cosine, sharpness })),
    })),
  };
}
