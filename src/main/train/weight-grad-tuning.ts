// Picks each Conv weight gradient's pattern by measuring it on this machine: the fastest of
// im2col, per-tap and Conv differs with the CPU (AVX2, AVX-512, ARM), its cache sizes and the
// onnxruntime build, so a size rule tuned on one CPU misses on another (issue #15). The training
// graphs are built once to list the cases they ask for; each case unknown to this machine's table is
// timed (a few seconds in all), and the table is kept under the user's data folder, keyed by CPU
// model, core count and onnxruntime version. A run keeps the choices it started with, so its graphs
// stay the same when it resumes.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { Rng } from '../../shared/random';
import * as G from '../graph';
import { convWeightGrad } from '../graph/grad-rules-nn';
import { createSession, runSession, type HostTensor, type Session } from '../infer/ort-session';
import { writeFileAtomic } from '../io/atomic-write';
import type { WeightGradChoice } from './train-config';

/** The machine a table was measured on: another CPU, core count or runtime needs its own. */
export interface MachineKey {
  readonly cpu: string;
  readonly cores: number;
  readonly onnxruntime: string;
}

export function thisMachine(): MachineKey {
  const version = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  return { cpu: os.cpus()[0]?.model.trim() ?? 'unknown', cores: os.cpus().length, onnxruntime: version };
}

const sameMachine = (a: MachineKey, b: MachineKey): boolean => a.cpu === b.cpu && a.cores === b.cores && a.onnxruntime === b.onnxruntime;

const patternSchema = z.enum(G.WEIGHT_GRAD_PATTERNS as [G.ConcreteWeightGradPattern, ...G.ConcreteWeightGradPattern[]]);
const entrySchema = z.object({
  pattern: patternSchema,
  /** Median ms of each pattern timed (a pattern left out was too large to try). */
  ms: z.record(z.string(), z.number()),
});
/**
 * Version 2 added the 'output-taps' candidate: a machine's version-1 table was timed without it and
 * is measured again; a run's own version-1 table is kept, so a resumed run keeps its graphs.
 */
const TABLE_VERSION = 2;
const tableSchema = z.object({
  format: z.literal('ganimation-weight-grad-patterns'),
  version: z.union([z.literal(1), z.literal(TABLE_VERSION)]),
  machine: z.object({ cpu: z.string(), cores: z.number(), onnxruntime: z.string() }),
  cases: z.record(z.string(), entrySchema),
});
export type PatternTable = z.infer<typeof tableSchema>;
export type PatternEntry = z.infer<typeof entrySchema>;

/** The run folder's copy: the choices its graphs were built with. */
export const RUN_TABLE_NAME = 'weight-grad-patterns.json';

/** A table file, or null when it is missing, unreadable or of another version: it is only a cache and is measured again. */
export function readPatternTable(file: string): PatternTable | null {
  if (!fs.existsSync(file)) return null;
  try {
    return tableSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch {
    return null;
  }
}

function writePatternTable(file: string, table: PatternTable): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, new TextEncoder().encode(`${JSON.stringify(table, null, 1)}\n`));
}

/** Every Conv weight gradient the given builders emit, once each, in the order first asked. */
export function weightGradCasesOf(build: (emission: G.GraphEmission) => void): G.WeightGradCase[] {
  const cases = new Map<string, G.WeightGradCase>();
  build({
    weightGrad: (c) => {
      cases.set(G.weightGradCaseKey(c), c);
      return undefined;
    },
  });
  return [...cases.values()];
}

/** A policy that emits the table's pattern for every case it holds (the size rule for the rest). */
export function tablePolicy(table: PatternTable): G.WeightGradPolicy {
  return (c) => table.cases[G.weightGradCaseKey(c)]?.pattern;
}

/** Beyond this many elements a stacked im2col needs over 1 GB and is not tried (measured: it loses there anyway). */
const IM2COL_TRY_LIMIT = 256 * 1024 * 1024;
const WARMUPS = 1;
const REPEATS = 5;

/** The patterns worth timing for a case. */
function candidates(c: G.WeightGradCase): G.ConcreteWeightGradPattern[] {
  if (c.kernel[0] * c.kernel[1] === 1) return ['im2col', 'conv']; // one tap: im2col and per-tap are the same Gemm
  return G.WEIGHT_GRAD_PATTERNS.filter((p) => (p !== 'im2col' || G.weightGradSizes(c).im2col <= IM2COL_TRY_LIMIT) && (p !== 'output-taps' || G.outputTapsApply(c.strides)));
}

function caseGraph(c: G.WeightGradCase, pattern: G.ConcreteWeightGradPattern): Uint8Array {
  const graph = new G.Graph(`weight-grad-${pattern}`);
  const x = graph.input('x', c.dtype, c.input);
  const dy = graph.input('dy', c.dtype, c.outputGrad);
  const params: G.ConvParams = { kernel: c.kernel, pads: c.pads, strides: c.strides, dilations: c.dilations, group: 1 };
  graph.output('dw', convWeightGrad(x, dy, params, pattern));
  return G.toOnnx(graph, { params: 'inputs' });
}

/**
 * Median ms of each candidate pattern on this case, timed round-robin (the machine's speed drifts;
 * timing one pattern after another would let the drift pick the winner). Sessions do not spin, so
 * one pattern's idle threads take no core from the next.
 */
export async function timeWeightGradCase(c: G.WeightGradCase): Promise<PatternEntry> {
  const patterns = candidates(c);
  const rng = new Rng(7);
  const tensor = (dims: readonly number[]): HostTensor => {
    const data = c.dtype === 'float64' ? new Float64Array(dims.reduce((a, d) => a * d, 1)) : new Float32Array(dims.reduce((a, d) => a * d, 1));
    for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-1, 1);
    return { data, dims };
  };
  const feeds = { x: tensor(c.input), dy: tensor(c.outputGrad) };
  const sessions: Session[] = [];
  try {
    for (const p of patterns) sessions.push(await createSession(caseGraph(c, p), { memoryPattern: false, spinWait: false }));
    const times = patterns.map((): number[] => []);
    for (let round = 0; round < WARMUPS + REPEATS; round++) {
      for (let i = 0; i < sessions.length; i++) {
        const t0 = performance.now();
        await runSession(sessions[i], feeds);
        if (round >= WARMUPS) times[i].push(performance.now() - t0);
      }
    }
    const ms = Object.fromEntries(patterns.map((p, i) => [p, times[i].sort((a, b) => a - b)[Math.floor(REPEATS / 2)]]));
    const pattern = patterns.reduce((best, p) => (ms[p] < ms[best] ? p : best));
    return { pattern, ms };
  } finally {
    for (const s of sessions) await s.release();
  }
}

export interface TuneResult {
  readonly table: PatternTable;
  /** Cases timed now, and cases the machine's table (or the run's) already held. */
  readonly measured: number;
  readonly known: number;
  readonly elapsedMs: number;
}

export interface TuneOptions {
  /** The machine's table, shared by runs (e.g. <data folder>/cache/weight-grad-patterns.json); none: nothing is kept beyond the run. */
  readonly machineTable?: string;
  /** The run's own copy: read first (a resumed run keeps its choices) and written with the cases of this run. */
  readonly runTable: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

/** The patterns for these cases: the run's table, else the machine's, else timed now; both tables are updated. */
export async function tuneWeightGrads(cases: readonly G.WeightGradCase[], options: TuneOptions): Promise<TuneResult> {
  const t0 = performance.now();
  const machine = thisMachine();
  const runOwn = readPatternTable(options.runTable);
  const shared = options.machineTable ? readPatternTable(options.machineTable) : null;
  const sharedCases = shared && shared.version === TABLE_VERSION && sameMachine(shared.machine, machine) ? shared.cases : {};
  const chosen: Record<string, PatternEntry> = {};
  const missing: G.WeightGradCase[] = [];
  for (const c of cases) {
    const key = G.weightGradCaseKey(c);
    const entry = runOwn?.cases[key] ?? sharedCases[key];
    if (entry) chosen[key] = entry;
    else missing.push(c);
  }
  const timed: G.WeightGradCase[] = [];
  for (const c of missing) {
    if (options.signal?.aborted) break; // cancelled: the cases left untimed get the size rule, and the run stops at its first step
    options.onProgress?.(timed.length, missing.length);
    chosen[G.weightGradCaseKey(c)] = await timeWeightGradCase(c);
    timed.push(c);
  }
  const table: PatternTable = { format: 'ganimation-weight-grad-patterns', version: TABLE_VERSION, machine: runOwn?.machine ?? machine, cases: { ...runOwn?.cases, ...chosen } };
  writePatternTable(options.runTable, table);
  if (options.machineTable && timed.length) {
    const fresh = Object.fromEntries(timed.map((c) => [G.weightGradCaseKey(c), chosen[G.weightGradCaseKey(c)]]));
    writePatternTable(options.machineTable, { format: 'ganimation-weight-grad-patterns', version: TABLE_VERSION, machine, cases: { ...sharedCases, ...fresh } });
  }
  return { table, measured: timed.length, known: cases.length - missing.length, elapsedMs: performance.now() - t0 };
}

/** What a run's tuning did, for its log and progress line. */
export interface TuneSummary {
  readonly cases: number;
  readonly measured: number;
  readonly known: number;
  readonly elapsedMs: number;
  /** How many cases got each pattern ('auto': left to the size rule, e.g. untimed after a cancel). */
  readonly patterns: Record<string, number>;
}

/**
 * The emission for a TrainConfig.weightGradPattern choice over the graphs `build` makes: the size
 * rule ('auto'), one pattern forced, or ('measured') the tuned table, with a summary of the tuning.
 */
export async function weightGradEmission(choice: WeightGradChoice, build: (emission: G.GraphEmission) => void, options: TuneOptions): Promise<{ emission: G.GraphEmission; summary: TuneSummary | null }> {
  if (choice === 'auto') return { emission: {}, summary: null };
  if (choice !== 'measured') return { emission: { weightGrad: () => choice }, summary: null };
  const cases = weightGradCasesOf(build);
  const tuned = await tuneWeightGrads(cases, options);
  const patterns: Record<string, number> = {};
  for (const c of cases) {
    const p = tuned.table.cases[G.weightGradCaseKey(c)]?.pattern ?? 'auto';
    patterns[p] = (patterns[p] ?? 0) + 1;
  }
  return { emission: { weightGrad: tablePolicy(tuned.table) }, summary: { cases: cases.length, measured: tuned.measured, known: tuned.known, elapsedMs: tuned.elapsedMs, patterns } };
}
