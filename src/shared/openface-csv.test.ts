import { describe, expect, it } from 'vitest';
import { AU_ORDER } from './aus';
import { parseOpenFaceCsv } from './openface-csv';

const auHeader = AU_ORDER.map((a) => ` ${a}_r`).join(',');
const auCols = (v: number) => AU_ORDER.map(() => v).join(', ');

describe('parseOpenFaceCsv', () => {
  it('reads FaceLandmarkImg output (leading spaces in headers, extra columns)', () => {
    const text = `face, confidence, AU01_c,${auHeader}\n0, 0.98, 1, ${auCols(2.5)}\n`;
    const { rows } = parseOpenFaceCsv(text, 'img.csv');
    expect(rows.length).toBe(1);
    expect(rows[0].aus[0]).toBeCloseTo(0.5);
    expect(rows[0].cells.confidence).toBe('0.98');
  });
  it('reads FeatureExtraction output with frames and timestamps, clamping to [0, 1]', () => {
    const text = `frame, face_id, timestamp, confidence, success,${auHeader}\n1, 0, 0.000, 0.9, 1, ${auCols(6)}\n2, 0, 0.033, 0.9, 0, ${auCols(0)}\n`;
    const { rows } = parseOpenFaceCsv(text, 'video.csv');
    expect(rows.map((r) => r.cells.timestamp)).toEqual(['0.000', '0.033']);
    expect(rows[0].aus[16]).toBe(1);
  });
  it('names missing columns and bad values with their line', () => {
    expect(() => parseOpenFaceCsv('frame, AU01_r\n1, 2\n', 'short.csv')).toThrow(/short\.csv: missing columns AU02_r, AU04_r/);
    expect(() => parseOpenFaceCsv(`face,${auHeader}\n0, ${AU_ORDER.map(() => 'x').join(', ')}\n`, 'bad.csv')).toThrow(/bad\.csv line 2: AU01_r is "x"/);
    expect(() => parseOpenFaceCsv(`face,${auHeader}\n0, 1\n`, 'cut.csv')).toThrow(/cut\.csv line 2: 2 values, the header has 18/);
    expect(() => parseOpenFaceCsv('\n\n', 'empty.csv')).toThrow(/empty\.csv is empty/);
  });
});
