import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AU_ORDER } from '../../shared/aus';
import { readLabelsCsv } from './labels-csv';

const write = (text: string) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'labels-')), 'aus.csv');
  fs.writeFileSync(file, text);
  return file;
};
const header = `file, confidence, ${AU_ORDER.map((a) => `${a}_r`).join(', ')}, extra`;

describe('readLabelsCsv', () => {
  it('reads OpenFace intensities as /5, clamped, keyed by base name', () => {
    const row = (name: string, v: number) => `${name}, 0.9, ${AU_ORDER.map(() => v).join(', ')}, x`;
    const labels = readLabelsCsv(write(`${header}\n${row('faces/a.jpg', 2.5)}\n${row('b.png', 7)}\n`));
    expect(labels.get('a.jpg')![8]).toBeCloseTo(0.5);
    expect(labels.get('b.png')![0]).toBe(1);
  });
  it('names missing columns and bad rows', () => {
    expect(() => readLabelsCsv(write('file,AU01_r\na.jpg,1\n'))).toThrow(/missing columns AU02_r, AU04_r/);
    expect(() => readLabelsCsv(write(`${header}\na.jpg, 1, ${AU_ORDER.map(() => 'oops').join(', ')}, x\n`))).toThrow(/line 2: AU01_r is "oops"/);
    expect(() => readLabelsCsv(write('name;AU01_r\n'))).toThrow(/no file-name column/);
  });
});
