// Adam's per-element update as a WebAssembly SIMD kernel (4 float32 lanes). In JavaScript, in
// doubles, the update of the paper presets' 53M parameters took 0.53-0.80 s of every iteration on
// this project's 2-core AMD machine; the kernel takes 0.15-0.20 s (docs/graph-compiler.md). It works
// on chunks copied through a small block of its own memory, so the caller's arrays (and their
// owners: checkpoints, onnxruntime feeds, which reject shared buffers) stay as they are.
import { F32, f32Bytes, get, I32, leb, name, op, PAGE_BYTES, section, set, simd, v128, V128, vector, wasm } from '../face/wasm-encoding';

/** Float32 elements per array in one chunk: four arrays of 64 KiB stay in a core's L2 between the copies and the update. */
const CHUNK = 16384;
/** The arrays a chunk copies in: p, g, m and v. */
const ARRAYS = 4;

/** The scalars of one update: m = b1 m + (1 - b1) g; v = b2 v + ((1 - b2) g) g; p -= (stepSize m) / (sqrt(v) invSqrtCorrection2 + eps). */
export interface AdamCoefficients {
  readonly beta1: number;
  readonly beta2: number;
  readonly stepSize: number;
  readonly invSqrtCorrection2: number;
  readonly eps: number;
}

// Locals: the parameters (byte offsets of p, g, m, v; the element count, a multiple of 4; the five
// coefficients), then the end pointer and the vector temporaries.
const P = 0, G = 1, M = 2, V = 3, N = 4, B1 = 5, B2 = 6, STEP = 7, INV = 8, EPS = 9;
const END = 10, VB1 = 11, V1MB1 = 12, VB2 = 13, V1MB2 = 14, VSTEP = 15, VINV = 16, VEPS = 17, GI = 18, MI = 19, VI = 20;
/** v128.load / v128.store with a 16-byte alignment hint and offset 0. */
const load = (local: number) => [...get(local), ...v128(simd.v128Load, 4, 0)];
const store = (local: number, value: number) => [...get(local), ...get(value), ...v128(simd.v128Store, 4, 0)];
const splat = (scalar: number[], into: number) => [...scalar, ...v128(simd.f32x4Splat), ...set(into)];
const oneMinus = (local: number) => [op.f32Const, ...f32Bytes(1), ...get(local), op.f32Sub];
const advance = (local: number) => [...get(local), op.i32Const, ...leb(16), op.i32Add, ...set(local)];

const body = [
  ...vector([[...leb(1), I32], [...leb(10), V128]]),
  ...get(P), ...get(N), op.i32Const, 2, op.i32Shl, op.i32Add, ...set(END),
  ...splat(get(B1), VB1), ...splat(oneMinus(B1), V1MB1), ...splat(get(B2), VB2), ...splat(oneMinus(B2), V1MB2),
  ...splat(get(STEP), VSTEP), ...splat(get(INV), VINV), ...splat(get(EPS), VEPS),
  op.block, op.void, op.loop, op.void,
  ...get(P), ...get(END), op.i32GeU, op.brIf, 1,
  ...load(G), ...set(GI),
  ...get(VB1), ...load(M), ...v128(simd.f32x4Mul), ...get(V1MB1), ...get(GI), ...v128(simd.f32x4Mul), ...v128(simd.f32x4Add), ...set(MI),
  ...store(M, MI),
  ...get(VB2), ...load(V), ...v128(simd.f32x4Mul), ...get(V1MB2), ...get(GI), ...v128(simd.f32x4Mul), ...get(GI), ...v128(simd.f32x4Mul), ...v128(simd.f32x4Add), ...set(VI),
  ...store(V, VI),
  ...get(P),
  ...load(P),
  ...get(VSTEP), ...get(MI), ...v128(simd.f32x4Mul),
  ...get(VI), ...v128(simd.f32x4Sqrt), ...get(VINV), ...v128(simd.f32x4Mul), ...get(VEPS), ...v128(simd.f32x4Add),
  ...v128(simd.f32x4Div), ...v128(simd.f32x4Sub),
  ...v128(simd.v128Store, 4, 0),
  ...advance(P), ...advance(G), ...advance(M), ...advance(V),
  op.br, 0,
  op.end, op.end,
  op.end,
];

const MODULE_BYTES = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, vector([[0x60, ...leb(10), ...Array(5).fill(I32), ...Array(5).fill(F32), 0]])), // (i32 x 5, f32 x 5) -> ()
  ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])), // import memory, min 1 page
  ...section(3, vector([[0]])),
  ...section(7, vector([[...name('adam'), 0x00, 0]])),
  ...section(10, vector([[...leb(body.length), ...body]])),
]);

type AdamExport = (p: number, g: number, m: number, v: number, n: number, b1: number, b2: number, step: number, inv: number, eps: number) => void;

interface Kernel {
  readonly adam: AdamExport;
  /** The kernel memory's four arrays (p, g, m, v), CHUNK floats each. */
  readonly chunks: readonly Float32Array[];
}

let kernel: Kernel | undefined;

function adamKernel(): Kernel {
  if (kernel) return kernel;
  const memory = new wasm.Memory({ initial: Math.ceil((ARRAYS * 4 * CHUNK) / PAGE_BYTES) });
  const instance = new wasm.Instance(new wasm.Module(MODULE_BYTES), { env: { memory } });
  const chunks = Array.from({ length: ARRAYS }, (_, i) => new Float32Array(memory.buffer, i * 4 * CHUNK, CHUNK));
  return (kernel = { adam: instance.exports.adam as AdamExport, chunks });
}

/** One Adam update of p, m and v in place from g (all one length), in float32 arithmetic. */
export function adamUpdate(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, c: AdamCoefficients): void {
  const { adam, chunks } = adamKernel();
  const [lp, lg, lm, lv] = chunks;
  const simdLength = p.length - (p.length % 4);
  for (let start = 0; start < simdLength; start += CHUNK) {
    const end = Math.min(simdLength, start + CHUNK);
    const n = end - start;
    lp.set(p.subarray(start, end));
    lg.set(g.subarray(start, end));
    lm.set(m.subarray(start, end));
    lv.set(v.subarray(start, end));
    adam(lp.byteOffset, lg.byteOffset, lm.byteOffset, lv.byteOffset, n, c.beta1, c.beta2, c.stepSize, c.invSqrtCorrection2, c.eps);
    p.set(lp.subarray(0, n), start);
    m.set(lm.subarray(0, n), start);
    v.set(lv.subarray(0, n), start);
  }
  scalarUpdate(p, g, m, v, c, simdLength);
}

/**
 * The same update in JavaScript from element `from` on (the last 0-3 elements), each operation
 * rounded to float32: a double result of +, -, *, / or sqrt on floats rounds to the float result
 * exactly, so this matches the kernel's lanes bit for bit.
 */
export function scalarUpdate(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, c: AdamCoefficients, from = 0): void {
  const f = Math.fround;
  const b1 = f(c.beta1), oneMinusB1 = f(1 - b1), b2 = f(c.beta2), oneMinusB2 = f(1 - b2);
  const stepSize = f(c.stepSize), inv = f(c.invSqrtCorrection2), eps = f(c.eps);
  for (let i = from; i < p.length; i++) {
    const gi = g[i];
    const mi = f(f(b1 * m[i]) + f(oneMinusB1 * gi));
    const vi = f(f(b2 * v[i]) + f(f(oneMinusB2 * gi) * gi));
    m[i] = mi;
    v[i] = vi;
    p[i] = f(p[i] - f(f(stepSize * mi) / f(f(f(Math.sqrt(vi)) * inv) + eps)));
  }
}
