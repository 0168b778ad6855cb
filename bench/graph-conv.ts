// Benchmark of the compiled Conv forward and its gradient patterns on onnxruntime-node CPU, at the
// critic's 256-channel conv and the generator's 3x3 body and 7x7 head: the emitted gradients, and
// candidate stride-1 input gradients side by side. Prints one table per shape.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backward, Graph, conv, convTranspose, gatherElements, matmul, reshape, transpose, type Value } from '../src/main/graph';
import { toOnnx } from '../src/main/graph/to-onnx';
import { WEIGHT_GRAD_PATTERNS, type GraphEmission } from '../src/main/graph/emission';
import { DEFAULT_HOME, patternTableIn } from '../src/main/io/app-home';
import type { WeightGradChoice } from '../src/main/train/train-config';
import { weightGradEmission } from '../src/main/train/weight-grad-tuning';
import { convWeightGrad } from '../src/main/graph/grad-rules-nn';
import { convParams } from '../src/main/graph/ops-nn';
import { createSession, runSession, type HostTensor, type Session } from '../src/main/infer/ort-session';
import { randomArray, seededRandom } from '../src/main/graph/gradcheck';

const BATCH = 4;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 15);
const WARMUPS = 3;
/**
 * BENCH_WEIGHT_GRAD: the pattern the emitted rows (input, weight, whole backward) use, as training's
 * TrainConfig.weightGradPattern: auto (the size rule, default), measured (this machine's table in
 * the studio's home, timed now where it lacks a case), or one pattern.
 */
const WEIGHT_GRAD = (process.env.BENCH_WEIGHT_GRAD ?? 'auto') as WeightGradChoice;

interface Shape {
  readonly inC: number;
  readonly outC: number;
  readonly kernel: number;
  readonly size: number;
}

/** BENCH_SHAPES="in-out-kernel-size,..." (e.g. 64-4-7-128, the paper generator's heads) replaces these. */
const SHAPES: Shape[] = process.env.BENCH_SHAPES
  ? process.env.BENCH_SHAPES.split(',').map((spec) => {
      const [inC, outC, kernel, size] = spec.split('-').map(Number);
      return { inC, outC, kernel, size };
    })
  : [
      { inC: 256, outC: 256, kernel: 3, size: 32 },
      { inC: 64, outC: 64, kernel: 3, size: 128 },
      { inC: 32, outC: 3, kernel: 7, size: 96 },
    ];

/** Candidate stride-1 input gradients: dy [N, O, H, W] and the forward's weight w [O, C, k, k] give dx. */
const INPUT_GRADS: Record<string, (dy: Value, w: Value, pad: number) => Value> = {
  'Conv, kernel flipped by one MatMul (emitted)': (dy, w, pad) => conv(dy, flipByMatMul(transpose(w, [1, 0, 2, 3])), null, { pads: [pad, pad, pad, pad] }),
  'Conv, kernel flipped by 2 MatMuls + Transposes (before)': (dy, w, pad) =>
    conv(dy, flipPerAxis(transpose(w, [1, 0, 2, 3])), null, { pads: [pad, pad, pad, pad] }),
  'Conv, kernel flipped by GatherElements': (dy, w, pad) => conv(dy, flipByGather(transpose(w, [1, 0, 2, 3])), null, { pads: [pad, pad, pad, pad] }),
  'ConvTranspose(dy, w)': (dy, w, pad) => convTranspose(dy, w, null, { pads: [pad, pad, pad, pad] }),
};

const antiIdentity = (g: Graph, n: number): Value => {
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + (n - 1 - i)] = 1;
  return g.constant(data, [n, n], 'float32');
};

function flipByMatMul(w: Value): Value {
  const [a, b, k] = w.shape as number[];
  return reshape(matmul(reshape(w, [a * b, k * k]), antiIdentity(w.graph, k * k)), [a, b, k, k]);
}

/** The pattern emitted until 2026-12: each spatial axis reversed by its own MatMul, Transposes between. */
function flipPerAxis(w: Value): Value {
  const [a, b, k] = w.shape as number[];
  const flippedW = reshape(matmul(reshape(w, [a * b * k, k]), antiIdentity(w.graph, k)), [a, b, k, k]);
  const swapped = reshape(transpose(flippedW, [0, 1, 3, 2]), [a * b * k, k]);
  return transpose(reshape(matmul(swapped, antiIdentity(w.graph, k)), [a, b, k, k]), [0, 1, 3, 2]);
}

function flipByGather(w: Value): Value {
  const [a, b, k] = w.shape as number[];
  const taps = k * k;
  const indices = new BigInt64Array(a * b * taps);
  for (let i = 0; i < indices.length; i++) indices[i] = BigInt(taps - 1 - (i % taps));
  return reshape(gatherElements(reshape(w, [a, b, taps]), w.graph.constant(indices, [a, b, taps], 'int64'), 2), [a, b, k, k]);
}

interface Row {
  readonly name: string;
  readonly gflop: number;
  readonly graph: Graph;
}

function rows(s: Shape, emission: GraphEmission = {}): Row[] {
  const pad = (s.kernel - 1) / 2;
  const gflop = (2 * BATCH * s.inC * s.outC * s.kernel ** 2 * s.size ** 2) / 1e9;
  const make = (name: string, flops: number, body: (g: Graph, x: Value, w: Value, dy: Value) => Value[]): Row => {
    const g = new Graph(name, emission);
    const x = g.input('x', 'float32', [BATCH, s.inC, s.size, s.size]);
    const w = g.input('w', 'float32', [s.outC, s.inC, s.kernel, s.kernel]);
    const dy = g.input('dy', 'float32', [BATCH, s.outC, s.size, s.size]);
    body(g, x, w, dy).forEach((v, i) => g.output(`out${i}`, v));
    return { name, gflop: flops, graph: g };
  };
  const forward = (x: Value, w: Value) => conv(x, w, null, { pads: [pad, pad, pad, pad] });
  const grads = (wrt: 'x' | 'w' | 'both') => (_g: Graph, x: Value, w: Value, dy: Value) =>
    backward(forward(x, w), wrt === 'x' ? [x] : wrt === 'w' ? [w] : [x, w], { seed: dy });
  return [
    make('forward', gflop, (_g, x, w) => [forward(x, w)]),
    make('input gradient', gflop, grads('x')),
    make('weight gradient', gflop, grads('w')),
    make('whole backward', 2 * gflop, grads('both')),
    ...Object.entries(INPUT_GRADS).map(([name, f]) => make(`  dx: ${name}`, gflop, (_g, _x, w, dy) => [f(dy, w, pad)])),
    make('  dx: Conv, flipped kernel fed as an input (no flip)', gflop, (_g, _x, _w, dy) => {
      const flipped = dy.graph.input('wFlipped', 'float32', [s.inC, s.outC, s.kernel, s.kernel]);
      return [conv(dy, flipped, null, { pads: [pad, pad, pad, pad] })];
    }),
    ...WEIGHT_GRAD_PATTERNS.map((pattern) =>
      make(`  dW: ${pattern}`, gflop, (g, x, w, dy) => {
        forward(x, w);
        return [convWeightGrad(x, dy, convParams(g.nodes.find((n) => n.op === 'Conv')!), pattern)];
      }),
    ),
  ];
}

/**
 * Runs every row's session in turn, round after round, and takes each row's median: the machine's
 * speed drifts (shared cores), and timing rows one after another let that drift reorder them. The
 * sessions do not spin: a spinning pool of the session just run took a core from the next one,
 * doubling the forward's time here.
 */
async function medians(sessions: Session[], feeds: Record<string, HostTensor>): Promise<number[]> {
  const subsets = sessions.map((s) => Object.fromEntries(Object.entries(feeds).filter(([k]) => s.inputNames.includes(k))));
  const times = sessions.map((): number[] => []);
  for (let round = 0; round < WARMUPS + REPEATS; round++) {
    for (let i = 0; i < sessions.length; i++) {
      const t0 = performance.now();
      await runSession(sessions[i], subsets[i]);
      if (round >= WARMUPS) times[i].push(performance.now() - t0);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

async function benchShape(s: Shape): Promise<void> {
  const rand = seededRandom(1);
  const tensor = (dims: number[], scale: number): HostTensor => ({
    data: randomArray('float32', dims.reduce((a, d) => a * d), () => rand(-scale, scale)),
    dims,
  });
  const feeds: Record<string, HostTensor> = {
    x: tensor([BATCH, s.inC, s.size, s.size], 1),
    w: tensor([s.outC, s.inC, s.kernel, s.kernel], 0.05),
    wFlipped: tensor([s.inC, s.outC, s.kernel, s.kernel], 0.05),
    dy: tensor([BATCH, s.outC, s.size, s.size], 1),
  };
  const tuning = await weightGradEmission(WEIGHT_GRAD, (emission) => rows(s, emission), {
    runTable: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-graph-')), 'weight-grad-patterns.json'),
    machineTable: patternTableIn(DEFAULT_HOME),
  });
  const table = rows(s, tuning.emission);
  const sessions = await Promise.all(table.map((r) => createSession(toOnnx(r.graph, { params: 'inputs' }), { spinWait: false })));
  const ms = await medians(sessions, feeds);
  await Promise.all(sessions.map((x) => x.release()));
  console.log(`\nConv ${s.inC}->${s.outC} ${s.kernel}x${s.kernel} pad ${(s.kernel - 1) / 2} at ${s.size}x${s.size}, batch ${BATCH}`);
  console.log('| part | ms | x forward | GFLOP/s |');
  console.log('|---|---:|---:|---:|');
  table.forEach((r, i) => console.log(`| ${r.name} | ${ms[i].toFixed(1)} | ${(ms[i] / ms[0]).toFixed(2)} | ${(r.gflop / (ms[i] / 1000)).toFixed(0)} |`));
  console.log(`whole backward / forward = ${(ms[3] / ms[0]).toFixed(2)} (goal <= 2.5)`);
}

async function main(): Promise<void> {
  console.log(`onnxruntime-node CPU (${os.cpus()[0]?.model ?? 'unknown'}), ${os.cpus().length} cores; weights are graph inputs (as in training); emitted weight gradients: ${WEIGHT_GRAD}; median of ${REPEATS} interleaved rounds`);
  for (const s of SHAPES) await benchShape(s);
}

void main();
