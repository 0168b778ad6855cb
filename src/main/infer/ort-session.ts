// The one module that imports onnxruntime-node: creates sessions from ONNX bytes or files and runs
// them on plain typed arrays, reporting every input's name, dims and dtype when a run fails; and
// says which execution providers this build of the runtime has.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DType } from '../graph/ir';

export type TensorData = Float32Array | Float64Array | BigInt64Array | Uint8Array;

/** A tensor in host memory: row-major data and its dims. */
export interface HostTensor {
  readonly data: TensorData;
  readonly dims: readonly number[];
}

export interface SessionOptions {
  /** Execution providers in order of preference; default CPU. */
  readonly executionProviders?: readonly string[];
  /** Intra-op threads; 0 lets onnxruntime pick one per physical core. */
  readonly intraOpThreads?: number;
  readonly graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Plan one memory block per run from the first run's allocations (onnxruntime's default). Off
   * suits large training graphs run alternately: measured here it cut a paper-size training
   * iteration from 9.4 s to 7.8 s and peak memory by 1 GB.
   */
  readonly memoryPattern?: boolean;
  /**
   * Let idle intra-op threads spin while waiting for work (onnxruntime's default). Off suits a
   * session that shares a small CPU with other busy threads (export: compositing and ffmpeg), where
   * a spinning thread takes the core its partner needs; measured on 2 cores it cut a 1080p export
   * by about 10% and left the generator's own speed unchanged.
   */
  readonly spinWait?: boolean;
}

export type Session = ort.InferenceSession;

export class InferenceRunError extends Error {
  readonly code = 'inference-failed';
  constructor(message: string) {
    super(message);
    this.name = 'InferenceRunError';
  }
}

export function createSession(model: Uint8Array | string, options: SessionOptions = {}): Promise<Session> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [...(options.executionProviders ?? ['cpu'])],
    graphOptimizationLevel: options.graphOptimization ?? 'all',
    intraOpNumThreads: options.intraOpThreads ?? 0,
    enableMemPattern: options.memoryPattern ?? true,
    ...(options.spinWait === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  };
  return typeof model === 'string'
    ? ort.InferenceSession.create(model, sessionOptions)
    : ort.InferenceSession.create(model, sessionOptions);
}

const ORT_TYPE: Record<string, DType> = {
  Float32Array: 'float32',
  Float64Array: 'float64',
  BigInt64Array: 'int64',
  Uint8Array: 'bool',
};

function toOrt(t: HostTensor): ort.Tensor {
  const type = ORT_TYPE[t.data.constructor.name];
  return new ort.Tensor(type, t.data as never, [...t.dims]);
}

function describe(feeds: Readonly<Record<string, HostTensor>>): string {
  return Object.entries(feeds)
    .map(([name, t]) => `${name}: ${ORT_TYPE[t.data.constructor.name]} [${t.dims.join(', ')}]`)
    .join('; ');
}

/**
 * Runs into caller-owned output buffers: reusing them across steps saves allocating (and
 * page-faulting) fresh memory for every output, which for training gradients is hundreds of MB.
 */
async function runInto(session: Session, feeds: Record<string, ort.Tensor>, outputs: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>> {
  const fetches: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(outputs)) fetches[name] = toOrt(t);
  await session.run(feeds, fetches);
  return { ...outputs };
}

/** Runs a session; the error of a failed run lists every fed input and what the model expects. */
export async function runSession(
  session: Session,
  feeds: Readonly<Record<string, HostTensor>>,
  outputs?: readonly string[] | Readonly<Record<string, HostTensor>>,
): Promise<Record<string, HostTensor>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t);
  let result: ort.InferenceSession.ReturnType;
  try {
    if (!outputs) result = await session.run(ortFeeds);
    else if (Array.isArray(outputs)) result = await session.run(ortFeeds, [...(outputs as readonly string[])]);
    else return await runInto(session, ortFeeds, outputs as Readonly<Record<string, HostTensor>>);
  } catch (err) {
    const expected = session.inputNames.join(', ');
    throw new InferenceRunError(`${(err as Error).message}\n  fed: ${describe(feeds)}\n  model inputs: ${expected}`);
  }
  const out: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(result)) {
    out[name] = { data: t.data as TensorData, dims: [...t.dims] };
  }
  return out;
}

/** The execution providers this onnxruntime-node build lists for this platform. */
export function runtimeBackends(): string[] {
  return ort.listSupportedBackends().map((b) => b.name);
}

/** onnxruntime-node ships CUDA support as a separate library that its install script may skip. */
export function cudaLibraryPresent(): boolean {
  try {
    const bin = path.join(path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin');
    const walk = (dir: string): boolean =>
      fs.readdirSync(dir, { withFileTypes: true }).some((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.includes('providers_cuda')));
    return fs.existsSync(bin) && walk(bin);
  } catch {
    return false;
  }
}
