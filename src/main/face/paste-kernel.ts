// Paste-back for animations, in WebAssembly SIMD: the same blend as applyPaste (paste-back.ts, the
// reference it is tested against), 2.5-3x faster measured here, for exports and previews that paste every frame of a long clip at
// full photo resolution. Each photo pixel's four bilinear taps read attention and color together as
// one 4-lane vector ([a, r, g, b] per crop pixel), so a pixel costs four vector loads and
// multiply-adds instead of sixteen scalar ones.
//
// The photo, the output frame, the plans and the generator output live in the module's memory,
// laid out once when the kernel is made; per frame only the crops' outputs are copied in.
import type { FaceLayer, PastePlan } from './paste-back';
import type { RgbImage } from './image-io';
import { F32, f32Bytes, get, I32, I32_TRUNC_SAT_F32_U, leb, name, op, section, set, simd, sleb, V128, v128, vector, wasm, type WasmMemory } from './wasm-encoding';

/** One face's generator output in crop space, as paste-back takes it. */
export type CropOutput = Pick<FaceLayer, 'color' | 'attention'>;

// --- The module, written out in the binary format (no toolchain needed to build or change it). ---

// blend(n, pixel, tap, weights, hwc, row, base, out): params 0-7; locals 8-16 as named below.
const [N, PIXEL, TAP, WEIGHTS, HWC, ROW, BASE, OUT] = [0, 1, 2, 3, 4, 5, 6, 7];
const [I, T, V, W, A, KEEP, PAINT, P, K] = [8, 9, 10, 11, 12, 13, 14, 15, 16];

/** Tap `offset` bytes past address local `T` (plus the row stride when `nextRow`) times weight `lane`. */
function tap(offset: number, nextRow: boolean, weight: number): number[] {
  return [...get(T), ...(nextRow ? [...get(ROW), op.i32Add] : []), ...v128(simd.v128Load, 4, ...leb(offset)), ...get(K), op.f32Load, 2, ...leb(4 * weight), ...v128(simd.f32x4Splat), ...v128(simd.f32x4Mul)];
}

/** out[p + c] = clamp(round(keep * base[p + c] + paint * v[c + 1])). */
function channel(c: number): number[] {
  return [
    ...get(OUT), ...get(P), op.i32Add,
    ...get(KEEP), ...get(BASE), ...get(P), op.i32Add, op.i32Load8U, 0, ...leb(c), op.f32ConvertI32U, op.f32Mul,
    ...get(PAINT), ...get(V), ...v128(simd.f32x4ExtractLane, c + 1), op.f32Mul, op.f32Add,
    op.f32Nearest, op.f32Const, ...f32Bytes(255), op.f32Min, ...I32_TRUNC_SAT_F32_U,
    op.i32Store8, 0, ...leb(c),
  ];
}

const body = [
  ...vector([[...leb(2), I32], [...leb(1), V128], [...leb(4), F32], [...leb(2), I32]]), // i t | v | w a keep paint | p k
  op.block, op.void, op.loop, op.void,
  ...get(I), ...get(N), op.i32GeU, op.brIf, 1,
  // k = weights + 20 i; t = hwc + 16 tap[i]; p = pixel[i]
  ...get(WEIGHTS), ...get(I), op.i32Const, ...sleb(20), op.i32Mul, op.i32Add, ...set(K),
  ...get(HWC), ...get(TAP), ...get(I), op.i32Const, 2, op.i32Shl, op.i32Add, op.i32Load, 2, 0, op.i32Const, 4, op.i32Shl, op.i32Add, ...set(T),
  ...get(PIXEL), ...get(I), op.i32Const, 2, op.i32Shl, op.i32Add, op.i32Load, 2, 0, ...set(P),
  // v = [a, r, g, b] interpolated from the four taps
  ...tap(0, false, 0), ...tap(16, false, 1), ...v128(simd.f32x4Add), ...tap(0, true, 2), ...v128(simd.f32x4Add), ...tap(16, true, 3), ...v128(simd.f32x4Add), ...set(V),
  ...get(K), op.f32Load, 2, 16, ...set(W),
  ...get(V), ...v128(simd.f32x4ExtractLane, 0), ...set(A),
  // keep = w a + (1 - w); paint = w (1 - a)
  ...get(W), ...get(A), op.f32Mul, op.f32Const, ...f32Bytes(1), ...get(W), op.f32Sub, op.f32Add, ...set(KEEP),
  ...get(W), op.f32Const, ...f32Bytes(1), ...get(A), op.f32Sub, op.f32Mul, ...set(PAINT),
  ...channel(0), ...channel(1), ...channel(2),
  ...get(I), op.i32Const, 1, op.i32Add, ...set(I),
  op.br, 0, op.end, op.end, op.end,
];

const MODULE_BYTES = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, vector([[0x60, ...leb(8), ...Array(8).fill(I32), 0]])), // type: (i32 x 8) -> ()
  ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])), // import memory, min 1 page
  ...section(3, vector([[0]])),
  ...section(7, vector([[...name('blend'), 0x00, 0]])),
  ...section(10, vector([[...leb(body.length), ...body]])),
]);

let compiled: object | null = null;

// --- The kernel ---

const PAGE = 65536;
const align = (n: number, to: number) => Math.ceil(n / to) * to;

interface PlacedPlan {
  readonly plan: PastePlan;
  readonly pixel: number;
  readonly tap: number;
  readonly weights: number;
  readonly hwc: number;
}

/** Paste-back for one photo and a fixed set of faces, frame after frame, into `frame`. */
export class PasteKernel {
  /** The output frame (RGB bytes, the photo's size); valid until the kernel is dropped. */
  readonly frame: Uint8Array;
  private readonly photo: Uint8Array;
  private readonly width: number;
  private readonly placed: PlacedPlan[];
  private readonly memory: WasmMemory;
  private readonly blend: (n: number, pixel: number, tap: number, weights: number, hwc: number, row: number, base: number, out: number) => void;
  private readonly frameAt: number;
  private readonly photoAt: number;

  constructor(photo: RgbImage, plans: readonly PastePlan[]) {
    let end = 0;
    const place = (bytes: number) => {
      const at = align(end, 16);
      end = at + bytes;
      return at;
    };
    this.frameAt = place(photo.data.length);
    this.photoAt = place(photo.data.length);
    const layout = plans.map((plan) => ({ plan, pixel: place(plan.pixel.byteLength), tap: place(plan.tap.byteLength), weights: place(plan.weights.byteLength), hwc: place(16 * plan.size * plan.size + 16 * (plan.size + 1)) }));
    this.memory = new wasm.Memory({ initial: Math.ceil(end / PAGE) + 1 });
    compiled ??= new wasm.Module(MODULE_BYTES);
    const instance = new wasm.Instance(compiled, { env: { memory: this.memory } });
    this.blend = instance.exports.blend as PasteKernel['blend'];
    const buffer = this.memory.buffer;
    this.frame = new Uint8Array(buffer, this.frameAt, photo.data.length);
    this.photo = new Uint8Array(buffer, this.photoAt, photo.data.length);
    this.width = photo.width;
    this.photo.set(photo.data);
    this.frame.set(photo.data);
    for (const p of layout) {
      new Int32Array(buffer, p.pixel, p.plan.pixel.length).set(p.plan.pixel);
      new Int32Array(buffer, p.tap, p.plan.tap.length).set(p.plan.tap);
      new Float32Array(buffer, p.weights, p.plan.weights.length).set(p.plan.weights);
    }
    this.placed = layout;
  }

  /**
   * Writes one frame: face k's output (in the order of the plans) blended in, or the photo where a
   * face's output is null. The first painted face blends over the clean photo; every other
   * footprint is restored first (a face pasted earlier in this frame may overlap it, and a face left
   * out shows the photo), and later faces blend over the faces before them.
   */
  composite(outputs: readonly (CropOutput | null)[]): void {
    const first = outputs.findIndex((o) => o !== null);
    this.placed.forEach((p, k) => k !== first && this.restore(p.plan));
    this.placed.forEach((p, k) => {
      const output = outputs[k];
      if (!output) return;
      this.writeCrop(p, output);
      const { plan } = p;
      this.blend(plan.pixel.length, p.pixel, p.tap, p.weights, p.hwc, 16 * plan.size, k === first ? this.photoAt : this.frameAt, this.frameAt);
    });
  }

  /**
   * Replaces a rectangle of the photo that faces blend over (a face region warped at full
   * resolution), in the frame too; `rgb` holds the rectangle's rows. It holds until replaced again.
   */
  rebase(rect: { readonly x0: number; readonly y0: number; readonly x1: number; readonly y1: number }, rgb: Uint8Array): void {
    const row = 3 * (rect.x1 - rect.x0);
    for (let y = rect.y0; y < rect.y1; y++) {
      const line = rgb.subarray(row * (y - rect.y0), row * (y - rect.y0 + 1));
      this.photo.set(line, 3 * (y * this.width + rect.x0));
      this.frame.set(line, 3 * (y * this.width + rect.x0));
    }
  }

  /** [a, 127.5 (r + 1), 127.5 (g + 1), 127.5 (b + 1)] per crop pixel, as the blend reads it. */
  private writeCrop(p: PlacedPlan, out: CropOutput): void {
    const plane = p.plan.size * p.plan.size;
    const hwc = new Float32Array(this.memory.buffer, p.hwc, 4 * plane);
    const { color, attention } = out;
    for (let q = 0, j = 0; q < plane; q++, j += 4) {
      hwc[j] = attention[q];
      hwc[j + 1] = 127.5 * (color[q] + 1);
      hwc[j + 2] = 127.5 * (color[q + plane] + 1);
      hwc[j + 3] = 127.5 * (color[q + 2 * plane] + 1);
    }
  }

  private restore(plan: PastePlan): void {
    const { frame, photo } = this;
    for (const p of plan.pixel) {
      frame[p] = photo[p];
      frame[p + 1] = photo[p + 1];
      frame[p + 2] = photo[p + 2];
    }
  }
}
