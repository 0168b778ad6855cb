// Imports original GANimation checkpoints (net_epoch_N_id_G.pth) in both torch.save formats, the zip
// archive and the legacy pickle stream, as float32 tensors; nothing in the file is ever executed.
import fs from 'node:fs';
import { StudioError } from '../../../shared/errors';
import type { GeneratorConfig } from '../config';
import { generatorParamSpecs } from '../generator';
import { readLegacyCheckpoint } from './legacy-checkpoint';
import { rebuildTensor, type ImportedTensor } from './storage';
import { isZip } from './zip';
import { readZipCheckpoint } from './zip-checkpoint';

export type { ImportedTensor } from './storage';

export interface ImportedStateDict {
  readonly tensors: Map<string, ImportedTensor>;
  /** Entries left out: instance-norm running statistics (the original always used per-image statistics). */
  readonly dropped: string[];
  readonly format: 'zip' | 'legacy';
}

const RUNNING_STATISTIC = /\.(running_mean|running_var|num_batches_tracked)$/;
/** nn.DataParallel saves every name under `module.`. */
const DATA_PARALLEL = /^module\./;

export function importPthStateDict(file: string): ImportedStateDict {
  const bytes = readCheckpoint(file);
  const format = isZip(bytes) ? 'zip' : 'legacy';
  const root = format === 'zip' ? readZipCheckpoint(bytes, file) : readLegacyCheckpoint(bytes, file);
  if (!(root instanceof Map)) throw new StudioError('pth-not-state-dict', `${file} holds ${describe(root)}, not a state dict (a dict of tensors)`);
  const tensors = new Map<string, ImportedTensor>();
  const dropped: string[] = [];
  for (const [key, value] of root) {
    if (typeof key !== 'string') throw new StudioError('pth-not-state-dict', `${file}: the state dict has a non-string key ${String(key)}`);
    const name = key.replace(DATA_PARALLEL, '');
    if (RUNNING_STATISTIC.test(name)) dropped.push(name);
    else tensors.set(name, rebuildTensor(value, `${file}: ${name}`));
  }
  return { tensors, dropped, format };
}

function readCheckpoint(file: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new StudioError('pth-unreadable', `cannot read ${file}: ${(err as Error).message}`);
  }
  if (bytes.length === 0) throw new StudioError('pth-not-checkpoint', `${file} is empty`);
  return bytes;
}

const describe = (v: unknown): string => (Array.isArray(v) ? 'a list or tuple' : v === null ? 'None' : `a ${typeof v}`);

/**
 * Reads conv_dim, repeat_num and c_dim off the tensor shapes (main.0.weight is [conv_dim, 3 + c_dim, 7, 7];
 * residual blocks are main.<i>.main.*), then checks every tensor against that architecture.
 */
export function inferGeneratorArch(tensors: ReadonlyMap<string, { readonly shape: readonly number[] }>, imageSize = 128, source = 'the state dict'): GeneratorConfig {
  const notGenerator = (problem: string) => new StudioError('not-ganimation', `${source} is not a GANimation generator: ${problem}`);
  if (tensors.has('conv1.weight') && tensors.has('conv2.weight')) throw notGenerator('it looks like the critic (…_id_D.pth); import the …_id_G.pth checkpoint');
  const first = tensors.get('main.0.weight')?.shape;
  if (!first) throw notGenerator('it has no main.0.weight');
  if (first.length !== 4 || first[1] <= 3 || first[2] !== 7 || first[3] !== 7) {
    throw notGenerator(`main.0.weight is [${first.join(', ')}], expected [conv_dim, 3 + c_dim, 7, 7]`);
  }
  const blocks = new Set([...tensors.keys()].flatMap((k) => /^main\.(\d+)\.main\./.exec(k)?.[1] ?? []));
  const cfg: GeneratorConfig = { imageSize, convDim: first[0], repeatNum: blocks.size, cDim: first[1] - 3 };
  const specs = generatorParamSpecs(cfg);
  for (const spec of specs) {
    const shape = tensors.get(spec.name)?.shape;
    if (!shape) throw notGenerator(`${spec.name} is missing`);
    if (shape.join() !== spec.shape.join()) throw notGenerator(`${spec.name} is [${shape.join(', ')}], expected [${spec.shape.join(', ')}]`);
  }
  const expected = new Set(specs.map((s) => s.name));
  const extra = [...tensors.keys()].filter((k) => !expected.has(k));
  if (extra.length) throw notGenerator(`unexpected tensors ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ` and ${extra.length - 5} more` : ''}`);
  return cfg;
}
