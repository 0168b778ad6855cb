// Expression transfer on real tw-expressions portraits: "output = input" scores exactly ratio 1 and
// cosine 0, the oracle (the posed photo itself) comes close to 0 and 1, an editor that destroys the
// face has every output counted as lost; performer specs and labelled folders are recognised.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasTransferLabels, measureTransfer } from './expression-transfer';
import { identityEditor, oracleEditor, type EditPhoto } from './transfer-editors';

const TW = path.resolve(__dirname, '../../../../shared/data/tw-expressions');
const have = fs.existsSync(path.join(TW, 'faces.jsonl.gz'));
if (!have) console.warn(`skipping expression-transfer tests on real photos: ${TW} not found`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-transfer-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('hasTransferLabels', () => {
  it('needs a labels.csv with performer and expression columns', () => {
    expect(hasTransferLabels(tmp)).toBe(false);
    const other = path.join(tmp, 'utk');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'labels.csv'), 'file,age,gender\na.jpg,30,0\n');
    expect(hasTransferLabels(other)).toBe(false);
  });

  it.skipIf(!have)('recognises the tw-expressions folder', () => {
    expect(hasTransferLabels(TW)).toBe(true);
  });
});

describe.skipIf(!have)('measureTransfer', () => {
  const grey: EditPhoto = async (photo) => ({ ...photo, data: new Uint8Array(photo.data.length).fill(128) });

  it('scores, on performer 17, "output = input" exactly 1 and 0, the oracle near 0 and 1, and counts destroyed faces as lost', async () => {
    const report = await measureTransfer(
      [
        { name: 'output = input', edit: identityEditor },
        { name: 'oracle', edit: oracleEditor },
        { name: 'grey', edit: grey },
      ],
      { folder: TW, performers: new Set(['17']), limit: 6 },
    );
    expect(report.performers).toEqual(['17']);
    expect(report.pairs).toBeGreaterThanOrEqual(4);
    const [identity, oracle, destroyed] = report.editors;
    expect(identity.pairs.every((p) => p.errorRatio === 1 && p.cosine === 0 && p.sharpness === 1)).toBe(true);
    expect(identity.overall).toMatchObject({ pairs: report.pairs, facesLost: 0, medianErrorRatio: 1, meanCosine: 0, meanSharpness: 1 });
    expect(oracle.overall.facesLost).toBe(0);
    expect(oracle.overall.medianErrorRatio).toBeLessThan(0.6);
    expect(oracle.overall.meanCosine).toBeGreaterThan(0.8);
    expect(destroyed.overall.facesLost).toBe(report.pairs);
    expect(destroyed.overall.meanCosine).toBeNaN();
    expect(destroyed.overall.meanSharpness).toBe(0);
    const expressions = Object.keys(identity.byExpression);
    expect(expressions.length).toBeGreaterThan(1);
    expect(expressions).not.toContain('neutral');
    expect(Object.values(identity.byExpression).reduce((n, row) => n + row.pairs, 0)).toBe(report.pairs);
    // Posed photos the precomputed detections found no face in are reported, not silently dropped.
    expect(report.skipped).toContainEqual({ file: '1721f31.jpg', reason: 'no face found' });
  }, 120_000);

  it('reports performers it cannot pair: 18 has no neutral photo, and 24\'s only one is a failed detection', async () => {
    const report = await measureTransfer([{ name: 'output = input', edit: identityEditor }], { folder: TW, performers: new Set(['18', '24']) });
    expect(report.pairs).toBe(0);
    expect(report.skipped).toContainEqual({ file: 'performer 18', reason: 'no neutral photo with a face' });
    expect(report.skipped.find((s) => s.file === 'performer 24')?.reason).toMatch(/no neutral photo whose landmarks align with any of the 3\d posed photos' \(a failed detection\? tried 2401a08\.jpg\)/);
  });
});
