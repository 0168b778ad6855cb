// Checkpoints survive a failing disk: a write that fails midway leaves the previous checkpoint
// loadable and no temporary folder behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newAdamState } from './adam';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint';
import { resolveTrainConfig } from './train-config';

function checkpointAt(step: number, value: number): Checkpoint {
  const g = new Map([['w', new Float32Array([value, value])]]);
  const d = new Map([['v', new Float32Array([value])]]);
  return {
    state: { step, generatorSteps: 0, sampler: null, config: resolveTrainConfig({ preset: 'tiny' }), manifestHash: 'h', elapsedMs: 5, losses: { 'D/gp': 1 } },
    generator: g,
    critic: d,
    adamG: newAdamState(g),
    adamD: newAdamState(d),
  };
}
const shapes = { generator: new Map([['w', [2]]]), critic: new Map([['v', [1]]]) };

afterEach(() => vi.restoreAllMocks());

describe('saveCheckpoint', () => {
  it('keeps the previous checkpoint intact when the disk fills during a write', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));
    saveCheckpoint(dir, checkpointAt(1, 1), shapes, 3);
    const realWrite = fs.writeSync;
    let calls = 0;
    vi.spyOn(fs, 'writeSync').mockImplementation(((...args: Parameters<typeof fs.writeSync>) => {
      if (++calls === 2) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      return (realWrite as (...a: unknown[]) => number)(...args);
    }) as typeof fs.writeSync);
    expect(() => saveCheckpoint(dir, checkpointAt(2, 2), shapes, 3)).toThrow(/the disk is full; the previous checkpoint is intact/);
    vi.restoreAllMocks();
    const latest = latestCheckpoint(dir)!;
    expect(latest).toMatch(/step-000000001$/);
    expect(Array.from(loadCheckpoint(latest).generator.get('w')!)).toEqual([1, 1]);
    expect(fs.readdirSync(dir)).toEqual(['step-000000001']);
  });

  it('keeps only the newest K checkpoints', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));
    for (let s = 1; s <= 4; s++) saveCheckpoint(dir, checkpointAt(s, s), shapes, 2);
    expect(fs.readdirSync(dir).sort()).toEqual(['step-000000003', 'step-000000004']);
    expect(loadCheckpoint(latestCheckpoint(dir)!).state.step).toBe(4);
  });
});
