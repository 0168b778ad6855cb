// What `ganimation analyze` writes for each photo: one JSON record (faces, boxes, landmarks, AUs in
// [0, 1], expressions), or CSV rows with OpenFace-like columns (file, face_id, confidence, box,
// x_0..x_67, y_0..y_67, AU01_r..AU45_r on OpenFace's 0-5 scale), which `ganimation dataset
// --labels` and the studio's capture import read back. Pure functions.
import { AU_ORDER } from '../../shared/aus';
import { OPENFACE_INTENSITY_MAX } from '../../shared/openface-csv';
import type { Face } from '../face';

export const ANALYZE_FORMATS = ['json', 'jsonl', 'csv'] as const;
export type AnalyzeFormat = (typeof ANALYZE_FORMATS)[number];

const LANDMARKS = 68;
const round = (v: number) => Math.round(v * 1000) / 1000;

/** A photo and its faces, each with its estimated AUs (17, in AU_ORDER, [0, 1]). */
export interface AnalyzedPhoto {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  readonly faces: readonly (Face & { readonly aus: Float32Array })[];
}

export function photoRecord(photo: AnalyzedPhoto) {
  return {
    photo: { file: photo.file, width: photo.width, height: photo.height },
    faces: photo.faces.map((f) => ({
      id: f.id,
      box: { x: round(f.box.x), y: round(f.box.y), width: round(f.box.width), height: round(f.box.height) },
      score: round(f.score),
      tooSmall: f.tooSmall,
      cutByBorder: f.cutByBorder,
      aus: Object.fromEntries(Array.from(f.aus, (v, i) => [AU_ORDER[i], round(v)])),
      expressions: Object.fromEntries(Object.entries(f.expressions).map(([k, v]) => [k, round(v)])),
      landmarks: f.landmarks.map(([x, y]) => [round(x), round(y)]),
    })),
  };
}

/** A photo that could not be analysed, as a JSON record beside the others. */
export const failureRecord = (file: string, error: { code: string; message: string }) => ({ photo: { file }, error: { code: error.code, message: error.message } });

export const CSV_HEADER: readonly string[] = [
  'file', 'face_id', 'confidence', 'box_x', 'box_y', 'box_width', 'box_height', 'too_small', 'cut_by_border',
  ...Array.from({ length: LANDMARKS }, (_, i) => `x_${i}`),
  ...Array.from({ length: LANDMARKS }, (_, i) => `y_${i}`),
  ...AU_ORDER.map((au) => `${au}_r`),
];

/** A CSV field: quoted (RFC 4180) only when it holds a comma, a quote or a line break. */
const csvField = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

/** One line per face (none for a photo without faces), in CSV_HEADER's order. */
export function csvRows(photo: AnalyzedPhoto): string[] {
  return photo.faces.map((f) => [
    csvField(photo.file), f.id, round(f.score), round(f.box.x), round(f.box.y), round(f.box.width), round(f.box.height), f.tooSmall ? 1 : 0, f.cutByBorder ? 1 : 0,
    ...f.landmarks.map(([x]) => round(x)),
    ...f.landmarks.map(([, y]) => round(y)),
    ...Array.from(f.aus, (v) => round(v * OPENFACE_INTENSITY_MAX)),
  ].join(','));
}
