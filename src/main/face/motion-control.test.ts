// Slider control in landmarks: a basis that opens the jaw for AU26 reads back as AU26; an empty basis
// and one that moves the wrong points score no control.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AU_ORDER } from '../../shared/aus';
import { controlScore } from './motion-control';
import { readLabelledFolder } from './motion-data';
import { ROW_LENGTH, type MotionBasis } from './motion-model';

const TW = path.resolve(__dirname, '../../../../shared/data/tw-expressions');
const haveTw = fs.existsSync(path.join(TW, 'labels.csv'));
if (!haveTw) console.warn(`skipping slider-control tests on real faces: ${TW} not found`);

/** A basis whose only motion is AU26 moving the given points down by `drop` inter-ocular units. */
function dropBasis(points: readonly number[], drop: number): MotionBasis {
  const linear = new Float32Array(AU_ORDER.length * ROW_LENGTH);
  const row = AU_ORDER.indexOf('AU26') * ROW_LENGTH;
  for (const i of points) linear[row + 2 * i + 1] = drop;
  return { linear, terms: [] };
}

describe.skipIf(!haveTw)('controlScore', () => {
  it('reads a jaw drop back as AU26 and finds no control in a basis that moves nothing or only the brows', async () => {
    const { faces } = await readLabelledFolder(TW, new Set(['03', '06']));
    const neutrals = faces.filter((f) => f.expression === 'neutral');
    const chin = [5, 6, 7, 8, 9, 10, 11, 56, 57, 58, 65, 66, 67];
    const open = controlScore([{ basis: dropBasis(chin, 0.3), neutrals }], ['AU26']);
    expect(open.r.AU26).toBeGreaterThan(0.9);
    expect(controlScore([{ basis: dropBasis([], 0), neutrals }], ['AU26']).r.AU26).toBeCloseTo(0, 9);
    expect(controlScore([{ basis: dropBasis([17, 18, 19], 0.3), neutrals }], ['AU26']).r.AU26).toBeCloseTo(0, 9);
  });
});
