// AU labels for a training folder from a CSV: one row per image, a file-name column and OpenFace's
// intensity columns AU01_r ... AU45_r (0-5, stored /5 in [0, 1]). Errors name the column or line.
import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import { parseOpenFaceCsv } from '../../shared/openface-csv';

const FILE_COLUMNS = ['file', 'filename', 'image', 'name', 'path', 'input'];

/** Maps each image's base name to its 17 AUs. */
export function readLabelsCsv(file: string): Map<string, Float32Array> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new StudioError('labels-unreadable', `cannot read labels ${file}: ${(err as Error).message}`);
  }
  const source = `labels ${file}`;
  const firstLine = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const fileColumn = firstLine.split(',').map((h) => h.trim()).find((h) => FILE_COLUMNS.includes(h.toLowerCase()));
  if (!fileColumn) throw new StudioError('labels-columns', `${source}: no file-name column (one of ${FILE_COLUMNS.join(', ')})`);
  const { rows } = parseOpenFaceCsv(text, source);
  return new Map(rows.map((r) => [path.basename(r.cells[fileColumn]), r.aus]));
}
