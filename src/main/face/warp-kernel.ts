// The mesh warp's samplers inside the photo, in WebAssembly SIMD: the same bilinear and
// Catmull-Rom taps as sampleRun's JS samplers (mesh-warp.ts: the reference they are tested against,
// and the samplers of runs near the photo's border). Measured here (bench:warp, 720 px face, CPU ms
// per frame on a loaded 2-core machine): bilinear 2.4-3.4 -> 1.2-2.1 (5.6 against 18-27 ns per
// sampled pixel; the rest is the rasteriser and region copies), bicubic 17.5 -> 3.7 (17 against
// 110-160 ns); every landmark moved, 560 px: bilinear 6.2-8.9 -> 3.2-4.7, bicubic 41-47 -> 9.
//
// One output pixel is one f32x4 of [r, g, b, -]: each tap is 8 bytes loaded and zero-extended, its
// first 3 used, and taps are weighed in float32, within ~1e-5 of the float64 reference (bytes differ
// by 1 where the reference lies that close to a rounding step: about 1 in 10^5). The photo is copied
// into the module's memory once; a warp queues its runs, samples them in one call into a frame
// shaped like the output region, and copies the changed rectangle's rows out.
import type { RgbImage } from './image-io';
import type { WarpKernel, WarpRect } from './mesh-warp';
import { f32Bytes, f64Bytes, get, I32, leb, MEMORY_COPY, name, op, PAGE_BYTES, section, set, simd, sleb, tee, V128, v128, vector, wasm, type WasmMemory } from './wasm-encoding';

// --- The module, written out in the binary format (no toolchain needed to build or change it). ---

/**
 * A queued run: f64 px, py, a, d at bytes 0-31 (the sampleRun arguments), i32 count at 32 and i32
 * frame offset at 36 (bytes from the frame's start to the run's first pixel).
 */
const RUN_BYTES = 40;

// bilinear / cubic(runs, runsEnd, photo, rowBytes, frame): params 0-4, then the locals below. The
// position math is packed (P = [px, py], STEP = [a, d], F their fractions, IXY their floors): V8's
// scalar conversions merge into registers the previous pixel wrote last, which chained every pixel
// to the one before (measured: 18 against 9 ns per bilinear pixel).
const [RUN, RUNS_END, PHOTO, ROW, FRAME] = [0, 1, 2, 3, 4];
const [O, END, SAVED, AT] = [5, 6, 7, 8];
const [P, STEP, F, IXY, V, ACC, W, T2, T3] = [9, 10, 11, 12, 13, 14, 15, 16, 17];
const [WX, WY] = [18, 22]; // the cubic's splatted weights, four each
const [FX, FY] = [WX, WX + 1]; // the bilinear's splatted fractions
const LOCALS = vector([[...leb(4), I32], [...leb(17), V128]]);

const memarg = (offset = 0) => [0, ...leb(offset)];
const i32Const = (n: number) => [op.i32Const, ...sleb(n)];
const f32x4Const = (x: number) => v128(simd.v128Const, ...[x, x, x, x].flatMap(f32Bytes));
const f64x2Const = (x: number) => v128(simd.v128Const, ...f64Bytes(x), ...f64Bytes(x));
const i32x4Const = (n: number) => v128(simd.v128Const, ...new Uint8Array(Int32Array.of(n, n, n, n).buffer));
/** i8x16.shuffle of the vectors on the stack in 32-bit lanes: lane k of the result is lane lanes[k] of the first (0-3) or the second (4-7). */
const shuffle32 = (lanes: number[]) => v128(simd.i8x16Shuffle, ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]));
/** Lane `lane` of local `from` in all four lanes of local `to`. */
const splatLane = (from: number, lane: number, to: number) => [...get(from), ...get(from), ...shuffle32([lane, lane, lane, lane]), ...set(to)];

/** The tap `offset` bytes past the address `at` pushes, as f32x4 [r, g, b, -] (8 bytes loaded, zero-extended). */
const tap = (at: number[], offset: number) => [...at, ...v128(simd.v128Load8x8U, ...memarg(offset)), ...v128(simd.i32x4ExtendLowI16x8U), ...v128(simd.f32x4ConvertI32x4S)];
const weighed = (at: number[], offset: number, weight: number) => [...tap(at, offset), ...get(weight), ...v128(simd.f32x4Mul)];
/** a + (b - a) t for f32x4 code a and b and the splat in local t; `temp` holds a. */
const lerp = (a: number[], b: number[], t: number, temp: number) => [...a, ...tee(temp), ...b, ...get(temp), ...v128(simd.f32x4Sub), ...get(t), ...v128(simd.f32x4Mul), ...v128(simd.f32x4Add)];

/**
 * F and IXY from P: (P - 0.5) + 1.5 * 2^52 rounds to P's floor and holds it in the low 32 bits of
 * each lane (lanes 0 and 2 of IXY), a shorter chain to the tap addresses than floor and truncation
 * (measured: 5.6 against 6.1 ns per bilinear pixel). Where P is a whole number the tie may round
 * down, to the pixel before with F = 1: both kernels then weigh the same pixel 1, and the taps still
 * lie inside the photo (sampleRun's margins put a whole-number P a pixel past its first tap).
 */
const FLOOR_MAGIC = 1.5 * 2 ** 52;
const split = [
  ...get(P), ...f64x2Const(0.5), ...v128(simd.f64x2Sub), ...f64x2Const(FLOOR_MAGIC), ...v128(simd.f64x2Add), ...tee(IXY),
  ...f64x2Const(FLOOR_MAGIC), ...v128(simd.f64x2Sub), ...set(F), ...get(P), ...get(F), ...v128(simd.f64x2Sub), ...set(F),
];

/** AT = photo + IXY's row and pixel, less `back` rows and pixels (the cubic's first tap is one up and left). */
const tapAddress = (back: number) => [
  ...get(PHOTO), ...get(IXY), ...v128(simd.i32x4ExtractLane, 2), ...get(ROW), op.i32Mul, op.i32Add, ...get(IXY), ...v128(simd.i32x4ExtractLane, 0), ...i32Const(3), op.i32Mul, op.i32Add,
  ...(back ? [...get(ROW), ...i32Const(3 * back), op.i32Add, op.i32Sub] : []), ...set(AT),
];

/**
 * Rounds ACC half to even (as a Uint8ClampedArray store does) by adding 1.5 * 2^23, which leaves
 * the integer in the low mantissa bits (|ACC| < 2^22), clamps to bytes and stores 4 of them at O.
 */
const storePixel = [
  ...get(O), ...get(ACC), ...f32x4Const(12582912), ...v128(simd.f32x4Add), ...i32x4Const(0x4b400000), ...v128(simd.i32x4Sub),
  ...tee(V), ...get(V), ...v128(simd.i16x8NarrowI32x4S), ...tee(V), ...get(V), ...v128(simd.i8x16NarrowI16x8U), ...v128(simd.v128Store32Lane, ...memarg(), 0),
];

/**
 * The loop over queued runs around `pixel` (which samples at P into ACC). Every store writes 4
 * bytes, the fourth on the next pixel's red: the byte after the run is saved and put back after it.
 */
function overRuns(pixel: number[]): number[] {
  return [
    op.block, op.void, op.loop, op.void,
    ...get(RUN), ...get(RUNS_END), op.i32GeU, op.brIf, 1,
    ...get(RUN), ...v128(simd.v128Load, ...memarg(0)), ...set(P), ...get(RUN), ...v128(simd.v128Load, ...memarg(16)), ...set(STEP),
    ...get(FRAME), ...get(RUN), op.i32Load, ...memarg(36), op.i32Add, ...tee(O),
    ...get(RUN), op.i32Load, ...memarg(32), ...i32Const(3), op.i32Mul, op.i32Add, ...tee(END), op.i32Load8U, ...memarg(), ...set(SAVED),
    op.loop, op.void,
    ...pixel, ...storePixel,
    ...get(P), ...get(STEP), ...v128(simd.f64x2Add), ...set(P),
    ...get(O), ...i32Const(3), op.i32Add, ...tee(O), ...get(END), op.i32LtU, op.brIf, 0,
    op.end,
    ...get(END), ...get(SAVED), op.i32Store8, ...memarg(),
    ...get(RUN), ...i32Const(RUN_BYTES), op.i32Add, ...set(RUN),
    op.br, 0, op.end, op.end,
  ];
}

// Bilinear as lerps, (1 - fy) ((1 - fx) p00 + fx p10) + fy ((1 - fx) p01 + fx p11): sampleInside's
// weights factored, fewer operations than weighing the four taps.
const belowAt = [...get(AT), ...get(ROW), op.i32Add];
const bilinearPixel = [
  ...split, ...tapAddress(0),
  ...get(F), ...v128(simd.f32x4DemoteF64x2Zero), ...set(W), ...splatLane(W, 0, FX), ...splatLane(W, 1, FY),
  ...lerp(lerp(tap(get(AT), 0), tap(get(AT), 3), FX, T2), lerp(tap(belowAt, 0), tap(belowAt, 3), FX, T3), FY, W), ...set(ACC),
];

/** Weight k of the taps at -1, 0, 1, 2 from float64 [wx, wy] on the stack, splatted into WX + k and WY + k. */
const splatWeights = (k: number) => [...v128(simd.f32x4DemoteF64x2Zero), ...set(W), ...splatLane(W, 0, WX + k), ...splatLane(W, 1, WY + k)];
const mulBy = (c: number, local: number) => [...f64x2Const(c), ...get(local), ...v128(simd.f64x2Mul)];
const [add, sub] = [v128(simd.f64x2Add), v128(simd.f64x2Sub)];

/** Catmull-Rom weights of both fractions at once, in cubicWeights' float64 formulas. */
const cubicWeights = [
  ...get(F), ...get(F), ...v128(simd.f64x2Mul), ...tee(T2), ...get(F), ...v128(simd.f64x2Mul), ...set(T3),
  ...mulBy(-0.5, T3), ...get(T2), ...add, ...mulBy(0.5, F), ...sub, ...splatWeights(0),
  ...mulBy(1.5, T3), ...mulBy(2.5, T2), ...sub, ...f64x2Const(1), ...add, ...splatWeights(1),
  ...mulBy(-1.5, T3), ...mulBy(2, T2), ...add, ...mulBy(0.5, F), ...add, ...splatWeights(2),
  ...mulBy(0.5, T3), ...mulBy(0.5, T2), ...sub, ...splatWeights(3),
];

/** One of the cubic's four tap rows from AT, weighed horizontally in tap order, then by its vertical weight into ACC. */
function cubicRow(row: number): number[] {
  const at = get(AT);
  return [
    ...weighed(at, 0, WX), ...weighed(at, 3, WX + 1), ...v128(simd.f32x4Add), ...weighed(at, 6, WX + 2), ...v128(simd.f32x4Add), ...weighed(at, 9, WX + 3), ...v128(simd.f32x4Add),
    ...get(WY + row), ...v128(simd.f32x4Mul), ...(row ? [...get(ACC), ...v128(simd.f32x4Add)] : []), ...set(ACC),
    ...(row < 3 ? [...get(AT), ...get(ROW), op.i32Add, ...set(AT)] : []),
  ];
}

const cubicPixel = [...split, ...tapAddress(1), ...cubicWeights, ...cubicRow(0), ...cubicRow(1), ...cubicRow(2), ...cubicRow(3)];

// copyRows(dst, dstStride, src, srcStride, rowBytes, rows): fills the frame's changed rectangle from the photo.
const [DST, DST_STRIDE, SRC, SRC_STRIDE, ROW_BYTES, ROWS] = [0, 1, 2, 3, 4, 5];
const copyRows = [
  0, // no locals
  op.block, op.void, op.loop, op.void,
  ...get(ROWS), op.i32Eqz, op.brIf, 1,
  ...get(DST), ...get(SRC), ...get(ROW_BYTES), ...MEMORY_COPY,
  ...get(DST), ...get(DST_STRIDE), op.i32Add, ...set(DST), ...get(SRC), ...get(SRC_STRIDE), op.i32Add, ...set(SRC),
  ...get(ROWS), ...i32Const(1), op.i32Sub, ...set(ROWS),
  op.br, 0, op.end, op.end, op.end,
];

const functions = [
  [...LOCALS, ...overRuns(bilinearPixel), op.end],
  [...LOCALS, ...overRuns(cubicPixel), op.end],
  copyRows,
];

const MODULE_BYTES = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, vector([[0x60, ...leb(5), ...Array(5).fill(I32), 0], [0x60, ...leb(6), ...Array(6).fill(I32), 0]])), // types: (i32 x 5) -> (), (i32 x 6) -> ()
  ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])), // import memory, min 1 page
  ...section(3, vector([[0], [0], [1]])),
  ...section(7, vector([[...name('bilinear'), 0x00, 0], [...name('cubic'), 0x00, 1], [...name('copyRows'), 0x00, 2]])),
  ...section(10, vector(functions.map((body) => [...leb(body.length), ...body]))),
]);

let compiled: object | null = null;

// --- The sampler ---

type Sampler = (runs: number, runsEnd: number, photo: number, rowBytes: number, frame: number) => void;
type CopyRows = (dst: number, dstStride: number, src: number, srcStride: number, rowBytes: number, rows: number) => void;

const PHOTO_AT = 0;
/** Bytes a tap's 8-byte load reads past the tap's own 3. */
const READ_SLACK_BYTES = 5;
const align16 = (n: number) => Math.ceil(n / 16) * 16;

const samplers = new WeakMap<Uint8Array, WarpSampler>();

/**
 * The runs of one photo's warps that lie inside the photo, sampled in WebAssembly. Memory layout, in
 * bytes from PHOTO_AT = 0, each part 16-byte aligned: the photo's RGB rows (then READ_SLACK_BYTES),
 * the frame (the output region's RGB rows, then a spare byte for the last pixel's 4-byte store) and
 * the queued runs (RUN_BYTES each). The last two are laid out by each warp, for its region and
 * number of runs; the memory grows when they need more than it holds, and never shrinks.
 */
export class WarpSampler {
  private readonly memory: WasmMemory;
  private readonly bilinear: Sampler;
  private readonly cubic: Sampler;
  private readonly copyRows: CopyRows;
  private readonly rowBytes: number;
  private readonly frameAt: number;
  private bytes: Uint8Array;
  private f64: Float64Array;
  private i32: Int32Array;
  // The warp in progress: its sampler, region, changed rectangle, queue and queue length.
  private sample: Sampler;
  private region: WarpRect = { x0: 0, y0: 0, x1: 0, y1: 0 };
  private changed: WarpRect = this.region;
  private runsAt = 0;
  private queued = 0;

  /**
   * The sampler of this photo, made (its bytes copied in) on the first warp of photo.data and kept
   * while that array lives: the photo's bytes must not change in place once it has been warped.
   */
  static of(photo: RgbImage): WarpSampler {
    let sampler = samplers.get(photo.data);
    if (!sampler || sampler.rowBytes !== 3 * photo.width) {
      sampler = new WarpSampler(photo);
      samplers.set(photo.data, sampler);
    }
    return sampler;
  }

  private constructor(photo: RgbImage) {
    this.rowBytes = 3 * photo.width;
    this.frameAt = align16(PHOTO_AT + photo.data.length + READ_SLACK_BYTES);
    this.memory = new wasm.Memory({ initial: Math.ceil(this.frameAt / PAGE_BYTES) });
    compiled ??= new wasm.Module(MODULE_BYTES);
    const { exports } = new wasm.Instance(compiled, { env: { memory: this.memory } });
    [this.bilinear, this.cubic, this.copyRows] = [exports.bilinear as Sampler, exports.cubic as Sampler, exports.copyRows as CopyRows];
    this.sample = this.bilinear;
    [this.bytes, this.f64, this.i32] = this.views();
    this.bytes.set(photo.data, PHOTO_AT);
  }

  /**
   * Starts a warp with `kernel` into `region` that changes the pixels of `changed` (inside it) in at
   * most `maxRuns` queued runs. Returns the frame: the region's pixels as the warp writes them, the
   * photo's in `changed` to start with. Runs sampled in JS write into it after a flush.
   */
  begin(kernel: WarpKernel, region: WarpRect, changed: WarpRect, maxRuns: number): Uint8ClampedArray {
    const frameBytes = 3 * (region.x1 - region.x0) * (region.y1 - region.y0);
    this.runsAt = align16(this.frameAt + frameBytes + 1);
    const end = this.runsAt + RUN_BYTES * maxRuns;
    if (end > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((end - this.memory.buffer.byteLength) / PAGE_BYTES));
      [this.bytes, this.f64, this.i32] = this.views();
    }
    [this.sample, this.region, this.changed, this.queued] = [kernel === 'cubic' ? this.cubic : this.bilinear, region, changed, 0];
    const stride = 3 * (region.x1 - region.x0);
    const from = PHOTO_AT + this.rowBytes * changed.y0 + 3 * changed.x0;
    this.copyRows(this.frameAt + this.offset(changed.x0, changed.y0), stride, from, this.rowBytes, 3 * (changed.x1 - changed.x0), changed.y1 - changed.y0);
    return new Uint8ClampedArray(this.memory.buffer, this.frameAt, frameBytes);
  }

  /** Queues a run of sampleRun (count >= 1) whose taps all lie inside the photo; `o` is its first byte in the frame. */
  add(px: number, py: number, a: number, d: number, count: number, o: number): void {
    const at = (this.runsAt >> 3) + 5 * this.queued++;
    const f64 = this.f64;
    f64[at] = px;
    f64[at + 1] = py;
    f64[at + 2] = a;
    f64[at + 3] = d;
    this.i32[2 * at + 8] = count;
    this.i32[2 * at + 9] = o;
  }

  /** Samples the queued runs into the frame, so that a run written next in JS lands over them, as in sampling order. */
  flush(): void {
    if (this.queued === 0) return;
    this.sample(this.runsAt, this.runsAt + RUN_BYTES * this.queued, PHOTO_AT, this.rowBytes, this.frameAt);
    this.queued = 0;
  }

  /** Flushes and copies the changed rectangle into `target`, the region's RGB rows. */
  finish(target: Uint8Array): void {
    this.flush();
    const { x0, y0, x1, y1 } = this.changed;
    const length = 3 * (x1 - x0);
    for (let y = y0; y < y1; y++) {
      const at = this.offset(x0, y);
      target.set(this.bytes.subarray(this.frameAt + at, this.frameAt + at + length), at);
    }
  }

  /** Byte offset of pixel (x, y) of the photo in the region's rows. */
  private offset(x: number, y: number): number {
    return 3 * ((y - this.region.y0) * (this.region.x1 - this.region.x0) + x - this.region.x0);
  }

  private views(): [Uint8Array, Float64Array, Int32Array] {
    const buffer = this.memory.buffer;
    return [new Uint8Array(buffer), new Float64Array(buffer), new Int32Array(buffer)];
  }
}
