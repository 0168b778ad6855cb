// Reads OpenFace CSV output (FaceLandmarkImg and FeatureExtraction: headers may carry leading
// spaces; AU intensities AU01_r ... AU45_r on OpenFace's 0-5 scale) as AU vectors in [0, 1].
// Errors name the missing columns or the line and column of a bad value.
import { AU_COUNT, AU_ORDER } from './aus';
import { StudioError } from './errors';

/** OpenFace's AU intensities run from 0 to this; the studio's AUs are these divided by it, in [0, 1]. */
export const OPENFACE_INTENSITY_MAX = 5;

export interface OpenFaceRow {
  /** 1-based line in the file. */
  readonly line: number;
  /** Every column as text, by trimmed header name. */
  readonly cells: Readonly<Record<string, string>>;
  /** The 17 AUs in AU_ORDER, intensity / 5, clamped to [0, 1]. */
  readonly aus: Float32Array;
}

export function parseOpenFaceCsv(text: string, source: string): { header: string[]; rows: OpenFaceRow[] } {
  const lines = text.split(/\r?\n/);
  const firstLine = lines.findIndex((l) => l.trim() !== '');
  if (firstLine < 0) throw new StudioError('csv-empty', `${source} is empty`);
  const header = lines[firstLine].split(',').map((h) => h.trim());
  const auColumns = AU_ORDER.map((au) => header.indexOf(`${au}_r`));
  const missing = AU_ORDER.filter((_, i) => auColumns[i] < 0).map((au) => `${au}_r`);
  if (missing.length) throw new StudioError('csv-columns', `${source}: missing columns ${missing.join(', ')}`);
  const rows: OpenFaceRow[] = [];
  for (let n = firstLine + 1; n < lines.length; n++) {
    if (lines[n].trim() === '') continue;
    const values = lines[n].split(',').map((c) => c.trim());
    if (values.length !== header.length) {
      throw new StudioError('csv-row', `${source} line ${n + 1}: ${values.length} values, the header has ${header.length}`);
    }
    const aus = new Float32Array(AU_COUNT);
    auColumns.forEach((col, k) => {
      const v = Number(values[col]);
      if (values[col] === '' || !Number.isFinite(v)) throw new StudioError('csv-row', `${source} line ${n + 1}: ${header[col]} is "${values[col]}", not a number`);
      aus[k] = Math.min(1, Math.max(0, v / OPENFACE_INTENSITY_MAX));
    });
    rows.push({ line: n + 1, cells: Object.fromEntries(header.map((h, i) => [h, values[i]])), aus });
  }
  return { header, rows };
}
