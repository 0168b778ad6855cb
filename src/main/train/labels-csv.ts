// AU labels for a training folder from a CSV: one row per image, a file-name column and OpenFace's
// intensity columns AU01_r ... AU45_r (0-5, stored /5 in [0, 1]). Errors name the column or line.
import fs from 'node:fs';
import path from 'node:path';
import { AU_ORDER } from '../../shared/aus';
import { StudioError } from '../../shared/errors';

const FILE_COLUMNS = ['file', 'filename', 'image', 'name', 'path', 'input'];

/** Maps each image's base name to its 17 AUs. */
export function readLabelsCsv(file: string): Map<string, Float32Array> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new StudioError('labels-unreadable', `cannot read labels ${file}: ${(err as Error).message}`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new StudioError('labels-empty', `labels ${file} is empty`);
  const header = lines[0].split(',').map((h) => h.trim());
  const fileColumn = header.findIndex((h) => FILE_COLUMNS.includes(h.toLowerCase()));
  if (fileColumn < 0) throw new StudioError('labels-columns', `labels ${file}: no file-name column (one of ${FILE_COLUMNS.join(', ')})`);
  const auColumns = AU_ORDER.map((au) => header.indexOf(`${au}_r`));
  const missing = AU_ORDER.filter((_, i) => auColumns[i] < 0).map((au) => `${au}_r`);
  if (missing.length) throw new StudioError('labels-columns', `labels ${file}: missing columns ${missing.join(', ')}`);
  const labels = new Map<string, Float32Array>();
  lines.slice(1).forEach((line, i) => {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length < header.length) throw new StudioError('labels-row', `labels ${file} line ${i + 2}: ${cells.length} values, the header has ${header.length}`);
    const aus = new Float32Array(AU_ORDER.length);
    auColumns.forEach((col, k) => {
      const v = Number(cells[col]);
      if (!Number.isFinite(v)) throw new StudioError('labels-row', `labels ${file} line ${i + 2}: ${header[col]} is "${cells[col]}", not a number`);
      aus[k] = Math.min(1, Math.max(0, v / 5));
    });
    labels.set(path.basename(cells[fileColumn]), aus);
  });
  return labels;
}
