// Checkpoint import: the reference checkpoints in both torch.save formats give the reference weights
// bit for bit; hand-built checkpoints cover strides, views, float64, Python 2 and damaged files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../safetensors';
import { importPthStateDict, inferGeneratorArch } from './import-pth';
import { errorOf } from '../../testing';
import {
  OP, dict, f32, f64, global, int, legacyCheckpoint, pickle, py2str, storageId, str, tensorV1, tensorV2, tuple, zipArchive, zipCheckpoint,
  type Piece, type StorageData,
} from './test-checkpoints';

const PROJECT_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const FIXTURES = path.resolve(PROJECT_ROOT, '../shared', 'fixtures');
const TINY = path.join(FIXTURES, 'ganimation-tiny');
const NO_FIXTURES = `reference fixtures not found at ${FIXTURES}`;
const have = fs.existsSync(TINY);

function tempFile(bytes: Uint8Array, name = 'net_epoch_1_id_G.pth'): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pth-')), name);
  fs.writeFileSync(file, bytes);
  return file;
}

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('the reference checkpoints', () => {
  for (const name of ['net_epoch_30_id_G.pth', 'net_epoch_30_id_G-legacy.pth']) {
    it(`${name} imports to generator.safetensors bit for bit`, ({ skip }) => {
      skip(!have, NO_FIXTURES);
      const { tensors, dropped, format } = importPthStateDict(path.join(TINY, name));
      const reference = readSafetensors(path.join(TINY, 'generator.safetensors'));
      expect(format).toBe(name.includes('legacy') ? 'legacy' : 'zip');
      expect([...tensors.keys()].sort()).toEqual([...reference.keys()].sort());
      for (const [key, t] of reference) {
        expect(tensors.get(key)!.shape, key).toEqual(t.shape);
        expect(bits(tensors.get(key)!.data).equals(bits(t.data)), key).toBe(true);
      }
      expect(dropped.length).toBeGreaterThan(0);
      expect(dropped.every((d) => /\.(running_mean|running_var|num_batches_tracked)$/.test(d))).toBe(true);
      expect(inferGeneratorArch(tensors)).toEqual({ imageSize: 128, convDim: 8, repeatNum: 2, cDim: 17 });
    });
  }

  it('reports truncated and damaged checkpoints with the file name', ({ skip }) => {
    skip(!have, NO_FIXTURES);
    const legacy = fs.readFileSync(path.join(TINY, 'net_epoch_30_id_G-legacy.pth'));
    const zip = fs.readFileSync(path.join(TINY, 'net_epoch_30_id_G.pth'));
    const cases: [Uint8Array, RegExp][] = [
      [legacy.subarray(0, legacy.length / 2), /cut\.pth is truncated: the data of storage \d+ is incomplete/],
      [legacy.subarray(0, 1000), /cut\.pth: the pickle is truncated at pickle byte \d+/],
      [zip.subarray(0, 5000), /cut\.pth: the zip archive is truncated/],
      [zip.subarray(0, zip.length - 100), /cut\.pth: the zip archive is truncated/],
      [Buffer.concat([zip.subarray(0, 20_000), Buffer.from([zip[20_000] ^ 0xff]), zip.subarray(20_001)]), /cut\.pth: zip entry .*: its data is damaged \(CRC mismatch\)/],
    ];
    for (const [bytes, message] of cases) {
      const err = errorOf(() => importPthStateDict(tempFile(bytes, 'cut.pth')));
      expect(err.code).toBe('pth-corrupt');
      expect(err.message).toMatch(message);
    }
  });
});

/** A state dict exercising what real checkpoints may contain, with the values each entry should import to. */
function syntheticStateDict(legacy: boolean): { state: Uint8Array; storages: StorageData[]; expected: Map<string, [number[], number[]]> } {
  const view = legacy ? null : undefined;
  const w = storageId('FloatStorage', 'w', 6, view);
  const entries: [Piece, Piece][] = [
    // A [2, 3] storage read transposed (size [3, 2], stride [1, 3]); BINPUT keeps it for the next tensor.
    [str('module.conv.weight'), [global('torch._utils', '_rebuild_tensor_v2'), OP.MARK, w, OP.BINPUT, 9, int(0), tuple(int(3), int(2)), tuple(int(1), int(3)), OP.NEWFALSE, dict([]), OP.TUPLE, OP.REDUCE]],
    [str('module.conv.bias'), tensorV2([OP.BINGET, 9], 4, [2], [1])],
    [str('module.norm.running_mean'), tensorV2(storageId('FloatStorage', 'm', 1, view), 0, [1], [1])],
    [str('module.norm.num_batches_tracked'), tensorV2(storageId('LongStorage', 'n', 1, view), 0, [], [])],
    [str('module.double'), tensorV2(storageId('DoubleStorage', 'd', 2, view), 0, [2], [1])],
    [str('module.param'), [global('torch._utils', '_rebuild_parameter'), tuple(tensorV2(storageId('FloatStorage', 'p', 1, view), 0, [1, 1], [7, 3]), OP.NEWTRUE, dict([])), OP.REDUCE]],
  ];
  if (legacy) entries.push([str('module.view'), tensorV2(storageId('FloatStorage', 'w', 6, [2, 3]), 1, [2], [1])]);
  const expected = new Map<string, [number[], number[]]>([
    ['conv.weight', [[3, 2], [0, 3, 1, 4, 2, 5]]],
    ['conv.bias', [[2], [4, 5]]],
    ['double', [[2], [Math.fround(1 / 3), 2.5]]],
    ['param', [[1, 1], [7]]],
  ]);
  if (legacy) expected.set('view', [[2], [3, 4]]);
  const n: StorageData = { key: 'n', numel: 1, bytes: new Uint8Array(8) };
  const storages = [f32('w', [0, 1, 2, 3, 4, 5]), f32('m', [0.5]), n, f64('d', [1 / 3, 2.5]), f32('p', [7])];
  return { state: pickle(dict(entries)), storages, expected };
}

describe('hand-built checkpoints', () => {
  const layouts: [string, () => Uint8Array][] = [
    ['legacy', () => { const s = syntheticStateDict(true); return legacyCheckpoint(s.state, s.storages); }],
    ['zip', () => { const s = syntheticStateDict(false); return zipCheckpoint(s.state, s.storages); }],
    ['deflated zip', () => { const s = syntheticStateDict(false); return zipCheckpoint(s.state, s.storages, true); }],
  ];
  for (const [layout, build] of layouts) {
    it(`${layout}: honours strides, offsets and shared storages, converts float64, strips module., drops running statistics`, () => {
      const { tensors, dropped } = importPthStateDict(tempFile(build()));
      const { expected } = syntheticStateDict(layout === 'legacy');
      expect([...tensors.keys()]).toEqual([...expected.keys()]);
      for (const [name, [shape, values]] of expected) {
        expect(tensors.get(name)!.shape, name).toEqual(shape);
        expect(Array.from(tensors.get(name)!.data), name).toEqual(values);
      }
      expect(dropped).toEqual(['norm.running_mean', 'norm.num_batches_tracked']);
    });
  }

  it('reads a Python 2 / PyTorch 0.3 checkpoint (str keys, _rebuild_tensor, OrderedDict from pairs)', () => {
    const pair = (key: string, tensor: Piece): Piece => [OP.EMPTY_LIST, OP.MARK, py2str(key), tensor, OP.APPENDS];
    const state = pickle(
      global('collections', 'OrderedDict'),
      tuple([OP.EMPTY_LIST, OP.MARK, pair('main.0.weight', tensorV1(storageId('FloatStorage', 'a', 4, null), 0, [2, 2], [2, 1])), OP.APPENDS]),
      OP.REDUCE,
    );
    const { tensors } = importPthStateDict(tempFile(legacyCheckpoint(state, [f32('a', [1, 2, 3, 4])])));
    expect(tensors.get('main.0.weight')).toEqual({ shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) });
  });

  it('refuses a checkpoint naming a forbidden global, executing nothing', () => {
    const state = pickle(dict([[str('x'), [global('subprocess', 'Popen'), tuple(str('rm -rf ~')), OP.REDUCE]]]));
    const err = errorOf(() => importPthStateDict(tempFile(legacyCheckpoint(state, []), 'evil.pth')));
    expect(err.code).toBe('pth-forbidden');
    expect(err.message).toMatch(/evil\.pth: refusing global subprocess\.Popen/);
  });

  const tensorOf = (storage: StorageData, type = 'FloatStorage', legacy = true) => tensorV2(storageId(type, storage.key, storage.numel, legacy ? null : undefined), 0, [storage.numel], [1]);
  const damaged: [string, () => Uint8Array, string, RegExp][] = [
    ['a storage count that disagrees', () => legacyCheckpoint(pickle(dict([[str('x'), tensorOf(f32('s', [1, 2]))]])), [{ ...f32('s', [1, 2, 3]), numel: 3 }]), 'pth-corrupt', /storage s holds 3 elements, its tensors expect 2/],
    ['storage data nobody refers to', () => legacyCheckpoint(pickle(dict([])), [f32('s', [1])]), 'pth-corrupt', /storage s has data but no tensor refers to it/],
    ['a storage missing from the archive', () => zipCheckpoint(pickle(dict([[str('x'), tensorOf(f32('s', [1]), 'FloatStorage', false)]])), []), 'pth-corrupt', /storage s is missing from the archive/],
    ['a storage of the wrong size', () => zipCheckpoint(pickle(dict([[str('x'), tensorOf(f32('s', [1]), 'FloatStorage', false)]])), [f32('s', [1, 2])]), 'pth-corrupt', /storage s holds 8 bytes, 4 expected/],
    ['a tensor past its storage', () => legacyCheckpoint(pickle(dict([[str('x'), tensorV2(storageId('FloatStorage', 's', 2, null), 1, [2], [1])]])), [f32('s', [1, 2])]), 'pth-corrupt', /x: the tensor runs past the end of its storage/],
    ['an integer weight', () => legacyCheckpoint(pickle(dict([[str('steps'), tensorOf({ key: 's', numel: 1, bytes: new Uint8Array(8) }, 'LongStorage')]])), [{ key: 's', numel: 1, bytes: new Uint8Array(8) }]), 'pth-dtype', /steps is int64; only float32 and float64/],
    ['a value that is not a tensor', () => legacyCheckpoint(pickle(dict([[str('epoch'), int(30)]])), []), 'pth-not-state-dict', /epoch is not a tensor/],
    ['a root that is not a dict', () => legacyCheckpoint(pickle(tuple(int(1))), []), 'pth-not-state-dict', /holds a list or tuple, not a state dict/],
    ['a pickle that is not a checkpoint', () => pickle(int(5)), 'pth-not-checkpoint', /neither a zip archive nor a legacy torch\.save checkpoint/],
    ['text', () => new TextEncoder().encode('hello'), 'pth-not-checkpoint', /neither a zip archive/],
    ['an empty file', () => new Uint8Array(0), 'pth-not-checkpoint', /is empty/],
    ['a zip that is not a checkpoint', () => zipArchive([['notes/readme.txt', new Uint8Array(3)]]), 'pth-not-checkpoint', /zip archive but not a torch\.save checkpoint/],
    ['a tar-format checkpoint', () => { const t = new Uint8Array(1024); t.set(new TextEncoder().encode('ustar'), 257); return t; }, 'pth-unsupported', /tar-format checkpoint/],
  ];
  for (const [what, build, code, message] of damaged) {
    it(`reports ${what}`, () => {
      const file = tempFile(build(), 'bad.pth');
      const err = errorOf(() => importPthStateDict(file));
      expect(err.code, err.message).toBe(code);
      expect(err.message).toContain(file);
      expect(err.message).toMatch(message);
    });
  }

  it('names a file it cannot read', () => {
    expect(errorOf(() => importPthStateDict('/nonexistent/G.pth')).message).toMatch(/^cannot read \/nonexistent\/G\.pth/);
  });
});

describe('inferGeneratorArch', () => {
  const shapes = (file: string) => new Map([...readSafetensors(file)].map(([k, t]) => [k, { shape: t.shape }]));

  it('reads the paper-size architecture off the tensor shapes', ({ skip }) => {
    skip(!have, NO_FIXTURES);
    expect(inferGeneratorArch(shapes(path.join(FIXTURES, 'ganimation-128/generator.safetensors')))).toEqual({ imageSize: 128, convDim: 64, repeatNum: 6, cDim: 17 });
    expect(inferGeneratorArch(shapes(path.join(TINY, 'generator.safetensors')), 32)).toEqual({ imageSize: 32, convDim: 8, repeatNum: 2, cDim: 17 });
  });

  it('explains what is not a GANimation generator', ({ skip }) => {
    skip(!have, NO_FIXTURES);
    const g = shapes(path.join(TINY, 'generator.safetensors'));
    const without = (key: string) => new Map([...g].filter(([k]) => k !== key));
    const cases: [ReadonlyMap<string, { shape: number[] }>, RegExp][] = [
      [shapes(path.join(TINY, 'critic.safetensors')), /looks like the critic .* import the …_id_G\.pth checkpoint/],
      [new Map(), /has no main\.0\.weight/],
      [new Map([...g, ['main.0.weight', { shape: [8, 20, 3, 3] }]]), /main\.0\.weight is \[8, 20, 3, 3\], expected \[conv_dim, 3 \+ c_dim, 7, 7\]/],
      [without('attetion_reg.0.weight'), /attetion_reg\.0\.weight is missing/],
      [new Map([...g, ['main.3.weight', { shape: [16, 8, 3, 3] }]]), /main\.3\.weight is \[16, 8, 3, 3\], expected \[16, 8, 4, 4\]/],
      [new Map([...g, ['extra.bias', { shape: [1] }]]), /unexpected tensors extra\.bias/],
    ];
    for (const [tensors, message] of cases) {
      const err = errorOf(() => inferGeneratorArch(tensors, 128, 'G.pth'));
      expect(err.code).toBe('not-ganimation');
      expect(err.message).toMatch(/^G\.pth is not a GANimation generator: /);
      expect(err.message).toMatch(message);
    }
  });
});
