// `ganimation fit-motion`: performer lists, a small real fit written atomically and read back, and the
// usage errors that keep held-out performers inside the ones allowed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseMotionBasis } from '../face/motion-model';
import { main } from './main';

const TW = path.resolve(__dirname, '../../../../shared/data/tw-expressions');
const haveTw = fs.existsSync(path.join(TW, 'labels.csv'));
if (!haveTw) console.warn(`skipping fit-motion runs on real data: ${TW} not found`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-fit-motion-'));

/** Runs the command in-process and returns its exit code and what it printed. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await main(['fit-motion', ...args]), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

describe('ganimation fit-motion', () => {
  it('refuses held-out performers outside --performers, and --holdout with --folds', async () => {
    const labelled = path.join(tmp, 'labelled');
    fs.mkdirSync(labelled, { recursive: true });
    fs.writeFileSync(path.join(labelled, 'labels.csv'), ['file,performer,expression', ...['01', '02', '03', '04', '17'].map((p) => `${p}.jpg,${p},neutral`)].join('\n'));
    const outside = await run('--data', labelled, '--performers', '01-04', '--holdout', '17', '-o', path.join(tmp, 'x.json'));
    expect(outside.code).toBe(2);
    expect(outside.err).toMatch(/--holdout 17 not among --performers/);
    const both = await run('--data', tmp, '--performers', '01-04', '--holdout', '02', '--folds', '2', '-o', path.join(tmp, 'x.json'));
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/give --holdout or --folds, not both/);
  });

  it('names a folder without labels.csv', async () => {
    const res = await run('--data', tmp, '--performers', '01-04', '-o', path.join(tmp, 'x.json'));
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/cannot read .*labels\.csv/);
  });

  it.skipIf(!haveTw)('fits four performers, reports the held-out one and the skipped photos, and writes a basis that reads back', async () => {
    const file = path.join(tmp, 'basis.json');
    const res = await run('--data', TW, '--performers', '01-05', '--holdout', '05', '--terms', 'squares', '-o', file);
    expect(res.code, res.err).toBe(0);
    expect(res.err).toMatch(/skipped 0231b04\.jpg: no face found/);
    expect(res.out).toMatch(/held out: 05 \(1 fold/);
    const all = /^all\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.-]+)/m.exec(res.out);
    expect(all).not.toBeNull();
    expect(Number(all?.[4])).toBeGreaterThan(0.5);
    const basis = parseMotionBasis(fs.readFileSync(file, 'utf8'), file);
    expect(basis.terms).toHaveLength(17);
    expect(basis.fit?.performers).toEqual(['01', '02', '03', '05']);
    expect(basis.fit?.heldOut.performers).toEqual(['05']);
    expect(basis.fit?.options.terms).toBe('squares');
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
