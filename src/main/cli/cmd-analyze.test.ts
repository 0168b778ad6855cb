// `ganimation analyze` over several photos and folders, in one process: inputs expand in order and
// once each, CSV reads back as OpenFace labels with the JSON's AUs, a bad file in a folder is
// skipped and reported while a bad file named on the command line fails the command, and progress
// goes to stderr. Needs ../shared for the face photos.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AU_ORDER } from '../../shared/aus';
import { parseOpenFaceCsv } from '../../shared/openface-csv';
import { readLabelsCsv } from '../train/labels-csv';
import { CSV_HEADER, csvRows, photoRecord } from './analyze-report';
import { analyzeCommand, analyzePhoto, collectPhotos } from './cmd-analyze';

const IMAGES = path.resolve(__dirname, '../../../../shared/data/tw-expressions/images');
const have = fs.existsSync(IMAGES);
if (!have) console.warn(`skipping the face parts of the analyze tests: ${IMAGES} not found (they need ../shared)`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-analyze-'));
afterEach(() => vi.restoreAllMocks());

/** A folder with two photos at the top, one in a subfolder and a file that is not a photo. */
function folderOfPhotos(): { folder: string; photos: string[] } {
  const folder = fs.mkdtempSync(path.join(tmp, 'photos-'));
  fs.mkdirSync(path.join(folder, 'sub'));
  const photos = [path.join(folder, 'b.jpg'), path.join(folder, 'a.jpg'), path.join(folder, 'sub', 'c.jpg')];
  const sources = ['0101a02.jpg', '0131e03.jpg', '0311g07.jpg'];
  photos.forEach((p, i) => (have ? fs.copyFileSync(path.join(IMAGES, sources[i]), p) : fs.writeFileSync(p, '')));
  fs.writeFileSync(path.join(folder, 'notes.jpg'), 'not a photo');
  fs.writeFileSync(path.join(folder, 'readme.txt'), 'not even an image name');
  return { folder, photos };
}

describe('analyze inputs', () => {
  it('expands folders (sorted, subfolders included), keeps the order given, and takes each photo once', () => {
    const { folder, photos } = folderOfPhotos();
    const inputs = collectPhotos([photos[0], folder, path.join(folder, '.', 'a.jpg')]);
    expect(inputs).toEqual([
      { file: photos[0], named: true },
      { file: photos[1], named: false },
      { file: path.join(folder, 'notes.jpg'), named: false },
      { file: photos[2], named: false },
    ]);
  });

  it('quotes a file name with a comma in CSV, and writes no row for a photo without a face', () => {
    const face = { id: 0, box: { x: 1, y: 2, width: 3, height: 4 }, score: 0.5, landmarks: Array.from({ length: 68 }, (_, i) => [i, 100 + i] as const), expressions: {} as never, tooSmall: false, cutByBorder: true, aus: new Float32Array(17).fill(0.2) };
    const [row] = csvRows({ file: 'me, smiling.jpg', width: 10, height: 10, faces: [face] });
    expect(row.startsWith('"me, smiling.jpg",0,0.5,1,2,3,4,0,1,0,1,2')).toBe(true);
    expect(row.split(',').length).toBe(CSV_HEADER.length + 1);
    expect(row.endsWith(Array(17).fill(1).join(','))).toBe(true);
    expect(csvRows({ file: 'empty.jpg', width: 10, height: 10, faces: [] })).toEqual([]);
  });
});

describe.skipIf(!have)('analyze on photos', () => {
  it('writes CSV that reads back as OpenFace labels with the AUs of the JSON record, with progress on stderr', async () => {
    const { folder, photos } = folderOfPhotos();
    const out = path.join(tmp, 'labels.csv');
    const stderr: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (stderr.push(String(chunk)), true));
    vi.spyOn(console, 'error').mockImplementation((...args) => void stderr.push(`${args.join(' ')}\n`));
    await analyzeCommand.run({ positional: [folder], flags: { format: 'csv', out } });
    const text = fs.readFileSync(out, 'utf8');
    const { header, rows } = parseOpenFaceCsv(text, out);
    expect(header).toEqual(CSV_HEADER);
    expect(rows.map((r) => r.cells.file)).toEqual([photos[1], photos[0], photos[2]]);
    const record = photoRecord(await analyzePhoto(photos[0]));
    const labels = readLabelsCsv(out).get('b.jpg')!;
    AU_ORDER.forEach((au, i) => expect(labels[i]).toBeCloseTo(record.faces[0].aus[au], 3));
    const log = stderr.join('');
    expect(log).toMatch(/skipped: .*notes\.jpg is not an image/);
    expect(log).toMatch(/analyze: 4\/4 photos \| 3 faces \| 1 skipped \| [\d.]+ photos\/s/);
    expect(log).toContain(`analyze: 4 photos, 3 faces, 1 skipped -> ${out}`);
  });

  it('fails when a photo named on the command line cannot be read, after analysing the rest', async () => {
    const { photos } = folderOfPhotos();
    const out = path.join(tmp, 'named.jsonl');
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const run = analyzeCommand.run({ positional: [photos[0], path.join(tmp, 'missing.jpg')], flags: { out } });
    await expect(run).rejects.toMatchObject({ code: 'photos-failed' });
    // The output is written whole, with the failure as a record of its own.
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.photo.file, l.faces?.length ?? l.error.code])).toEqual([[photos[0], 1], [path.join(tmp, 'missing.jpg'), 'image-unreadable']]);
  });
});
