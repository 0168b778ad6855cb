// Training checkpoints: weights and Adam moments as safetensors plus a JSON state, written into a
// temporary folder that is renamed into place only when complete, so a crash or a full disk at any
// moment leaves the previous checkpoint intact. Keeps the last K.
import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import { writeSynced } from '../io/atomic-write';
import { encodeSafetensors, readSafetensors, readSafetensorsMetadata } from '../model/safetensors';
import type { AdamState } from './adam';
import type { SamplerState, ShuffleState } from './batches';
import type { TrainConfig } from './train-config';

export interface TrainState {
  /** Critic steps done. */
  readonly step: number;
  readonly generatorSteps: number;
  /** null before the first step. */
  readonly sampler: SamplerState | null;
  /** Warm-start steps done; absent in checkpoints from before warm starts (read as 0). */
  readonly warmStartDone?: number;
  /** The warm start's pair sampler, while it runs. */
  readonly pairSampler?: ShuffleState;
  readonly config: TrainConfig;
  /** Hash of the dataset manifest the run trained on. */
  readonly manifestHash: string;
  /** Training time so far, excluding pauses between runs. */
  readonly elapsedMs: number;
  /** Last logged value of every loss term. */
  readonly losses: Record<string, number>;
  /** The model file a fine-tuned run's generator started from (absent: random weights). */
  readonly startedFrom?: string;
}

export interface Checkpoint {
  readonly state: TrainState;
  readonly generator: Map<string, Float32Array>;
  readonly critic: Map<string, Float32Array>;
  readonly adamG: AdamState;
  readonly adamD: AdamState;
  /** The moving average of the generator weights, when the run keeps one (TrainConfig.emaDecay). */
  readonly generatorEma?: Map<string, Float32Array>;
}

/** A checkpoint that cannot be written or read: codes checkpoint-write-failed and checkpoint-corrupt. */
export class CheckpointError extends StudioError {}

const FOLDER = /^step-(\d{9})$/;
const FILES = ['generator.safetensors', 'critic.safetensors', 'optimizer.safetensors', 'state.json'] as const;
/** Written only by runs that keep a moving average of the generator. */
const EMA_FILE = 'generator-ema.safetensors';

type Shapes = ReadonlyMap<string, readonly number[]>;

function tensorsOf(weights: ReadonlyMap<string, Float32Array>, shapes: Shapes, prefix = '') {
  return new Map([...weights].map(([k, data]) => [prefix + k, { shape: shapes.get(k) ?? [data.length], data }]));
}

/** Writes `step-<step>` under `dir` atomically, then prunes all but the newest `keep`. */
export function saveCheckpoint(dir: string, ckpt: Checkpoint, shapes: { generator: Shapes; critic: Shapes }, keep: number): string {
  fs.mkdirSync(dir, { recursive: true });
  const name = `step-${String(ckpt.state.step).padStart(9, '0')}`;
  const final = path.join(dir, name);
  const temp = path.join(dir, `.${name}.tmp-${process.pid}`);
  const optimizer = new Map([
    ...tensorsOf(ckpt.adamG.m, shapes.generator, 'G.m/'),
    ...tensorsOf(ckpt.adamG.v, shapes.generator, 'G.v/'),
    ...tensorsOf(ckpt.adamD.m, shapes.critic, 'D.m/'),
    ...tensorsOf(ckpt.adamD.v, shapes.critic, 'D.v/'),
  ]);
  const payloads: [string, Uint8Array][] = [
    ['generator.safetensors', encodeSafetensors(tensorsOf(ckpt.generator, shapes.generator))],
    ['critic.safetensors', encodeSafetensors(tensorsOf(ckpt.critic, shapes.critic))],
    ['optimizer.safetensors', encodeSafetensors(optimizer, { adamStepG: String(ckpt.adamG.step), adamStepD: String(ckpt.adamD.step) })],
    ['state.json', Buffer.from(JSON.stringify(ckpt.state, null, 1))],
    ...(ckpt.generatorEma ? [[EMA_FILE, encodeSafetensors(tensorsOf(ckpt.generatorEma, shapes.generator))] as [string, Uint8Array]] : []),
  ];
  try {
    fs.rmSync(temp, { recursive: true, force: true });
    fs.mkdirSync(temp);
    for (const [file, bytes] of payloads) writeSynced(path.join(temp, file), bytes);
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(temp, final);
  } catch (err) {
    fs.rmSync(temp, { recursive: true, force: true });
    const reason = (err as NodeJS.ErrnoException).code === 'ENOSPC' ? 'the disk is full' : (err as Error).message;
    throw new CheckpointError('checkpoint-write-failed', `could not write checkpoint ${final}: ${reason}; the previous checkpoint is intact`);
  }
  for (const old of listCheckpoints(dir).slice(0, -keep)) fs.rmSync(path.join(dir, old), { recursive: true, force: true });
  return final;
}

/** The generator a checkpoint exports: its moving average when it keeps one. */
export const exportedGenerator = (ckpt: Checkpoint): Map<string, Float32Array> => ckpt.generatorEma ?? ckpt.generator;

/** Complete checkpoint folders, oldest first. */
export function listCheckpoints(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => FOLDER.test(n) && FILES.every((f) => fs.existsSync(path.join(dir, n, f))))
    .sort();
}

export function latestCheckpoint(dir: string): string | null {
  const all = listCheckpoints(dir);
  return all.length ? path.join(dir, all[all.length - 1]) : null;
}

export function loadCheckpoint(folder: string): Checkpoint {
  const read = (file: string) => {
    try {
      return readSafetensors(path.join(folder, file));
    } catch (err) {
      throw new CheckpointError('checkpoint-corrupt', `checkpoint ${folder}: ${file} is unreadable: ${(err as Error).message}`);
    }
  };
  let state: TrainState;
  try {
    state = JSON.parse(fs.readFileSync(path.join(folder, 'state.json'), 'utf8')) as TrainState;
  } catch (err) {
    throw new CheckpointError('checkpoint-corrupt', `checkpoint ${folder}: state.json is unreadable: ${(err as Error).message}`);
  }
  const plain = (file: string) => new Map([...read(file)].map(([k, t]) => [k, t.data]));
  const optimizer = plain('optimizer.safetensors');
  const moments = (prefix: string, kind: 'm' | 'v') =>
    new Map([...optimizer].filter(([k]) => k.startsWith(`${prefix}.${kind}/`)).map(([k, v]) => [k.slice(prefix.length + 3), v]));
  const steps = readSafetensorsMetadata(path.join(folder, 'optimizer.safetensors'));
  const meta = { g: Number(steps.adamStepG ?? 0), d: Number(steps.adamStepD ?? 0) };
  return {
    state,
    ...(fs.existsSync(path.join(folder, EMA_FILE)) ? { generatorEma: plain(EMA_FILE) } : {}),
    generator: plain('generator.safetensors'),
    critic: plain('critic.safetensors'),
    adamG: { step: meta.g, m: moments('G', 'm'), v: moments('G', 'v') },
    adamD: { step: meta.d, m: moments('D', 'm'), v: moments('D', 'v') },
  };
}
