// Original checkpoints in both torch.save formats import bit-identically to the reference weights;
// hostile or damaged pickles are refused without executing anything.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../safetensors';
import { importPthStateDict, inferGeneratorArch } from './import-pth';
import { unpickle } from './pickle';

const TINY = path.resolve(__dirname, '../../../../../shared/fixtures/ganimation-tiny');
const have = fs.existsSync(TINY);

describe.skipIf(!have)('importPthStateDict on the reference checkpoints', () => {
  for (const name of ['net_epoch_30_id_G.pth', 'net_epoch_30_id_G-legacy.pth']) {
    it(`${name} gives the reference weights bit for bit`, () => {
      const { tensors, dropped } = importPthStateDict(path.join(TINY, name));
      const reference = readSafetensors(path.join(TINY, 'generator.safetensors'));
      expect([...tensors.keys()].sort()).toEqual([...reference.keys()].sort());
      for (const [key, t] of reference) {
        expect(tensors.get(key)!.shape, key).toEqual(t.shape);
        expect(Buffer.from(tensors.get(key)!.data.buffer).equals(Buffer.from(t.data.buffer)), key).toBe(true);
      }
      expect(dropped.some((d) => d.endsWith('running_mean'))).toBe(true);
      expect(inferGeneratorArch(tensors, 32)).toEqual({ imageSize: 32, convDim: 8, repeatNum: 2, cDim: 17 });
    });
  }
  it('reports a truncated checkpoint clearly', () => {
    const bytes = fs.readFileSync(path.join(TINY, 'net_epoch_30_id_G-legacy.pth'));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pth-')), 'cut.pth');
    fs.writeFileSync(file, bytes.subarray(0, bytes.length / 2));
    expect(() => importPthStateDict(file)).toThrow(/cut\.pth.*truncated/);
    fs.writeFileSync(file, fs.readFileSync(path.join(TINY, 'net_epoch_30_id_G.pth')).subarray(0, 5000));
    expect(() => importPthStateDict(file)).toThrow(/cut\.pth/);
  });
});

describe('pickle safety', () => {
  it('refuses globals outside the state-dict allowlist without calling anything', () => {
    // PROTO 2, GLOBAL 'os system', SHORT_BINUNICODE 'echo pwned', TUPLE1, REDUCE, STOP
    const evil = Buffer.concat([Buffer.from([0x80, 2]), Buffer.from('cos\nsystem\n'), Buffer.from([0x8c, 10]), Buffer.from('echo pwned'), Buffer.from([0x85, 0x52, 0x2e])]);
    expect(() => unpickle(evil, 0, () => null, 'evil.pth')).toThrow(/evil\.pth: refusing global os\.system/);
  });
  it('names unknown opcodes with their offset', () => {
    expect(() => unpickle(Buffer.from([0x80, 2, 0x69, 0x2e]), 0, () => null, 'odd.pth')).toThrow(/unsupported pickle opcode 0x69 \(byte 2\)/);
  });
  it('rejects files that are not checkpoints', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pth-')), 'notes.pth');
    fs.writeFileSync(file, 'hello');
    expect(() => importPthStateDict(file)).toThrow(/notes\.pth/);
    fs.writeFileSync(file, '');
    expect(() => importPthStateDict(file)).toThrow(/notes\.pth is empty/);
  });
});
