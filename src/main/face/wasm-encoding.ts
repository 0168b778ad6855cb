// The WebAssembly binary format, as far as the hand-written kernels (paste-kernel.ts,
// warp-kernel.ts, train/adam-kernel.ts) use it: value types, opcodes, LEB128 and section
// encoding, and the part of the JS API that runs a module. No toolchain is needed to build or change a kernel.

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

/** Single-byte instructions. */
export const op = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, void: 0x40,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, f32Load: 0x2a, i32Load8U: 0x2d, i32Store8: 0x3a,
  i32Const: 0x41, f32Const: 0x43,
  i32Eqz: 0x45, i32LtU: 0x49, i32GeU: 0x4f, i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32Shl: 0x74,
  f32Nearest: 0x90, f32Add: 0x92, f32Sub: 0x93, f32Mul: 0x94, f32Min: 0x96, f32ConvertI32U: 0xb3,
};

/** 0xFD-prefixed SIMD instructions (see v128). */
export const simd = {
  v128Load: 0x00, v128Load8x8U: 0x02, v128Store: 0x0b, v128Const: 0x0c, i8x16Shuffle: 0x0d, f32x4Splat: 0x13, i32x4ExtractLane: 0x1b, f32x4ExtractLane: 0x1f,
  v128Store32Lane: 0x5a, f32x4DemoteF64x2Zero: 0x5e, i8x16NarrowI16x8U: 0x66, i16x8NarrowI32x4S: 0x85,
  i32x4ExtendLowI16x8U: 0xa9, i32x4Sub: 0xb1, f32x4Sqrt: 0xe3, f32x4Add: 0xe4, f32x4Sub: 0xe5, f32x4Mul: 0xe6, f32x4Div: 0xe7, f64x2Add: 0xf0, f64x2Sub: 0xf1, f64x2Mul: 0xf2,
  f32x4ConvertI32x4S: 0xfa,
};

/** 0xFC-prefixed instructions: a saturating conversion and bulk memory. */
export const I32_TRUNC_SAT_F32_U = [0xfc, 0x01];
export const MEMORY_COPY = [0xfc, 0x0a, 0x00, 0x00];

export function leb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>>= 7;
    if (n === 0) return [...out, byte];
    out.push(byte | 0x80);
  }
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(byte & 0x40)) || (n === -1 && byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

export const f32Bytes = (x: number) => [...new Uint8Array(Float32Array.of(x).buffer)];
export const f64Bytes = (x: number) => [...new Uint8Array(Float64Array.of(x).buffer)];
export const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
export const vector = (items: number[][]) => [...leb(items.length), ...items.flat()];
export const name = (s: string) => [...leb(s.length), ...new TextEncoder().encode(s)];
export const get = (local: number) => [op.localGet, local];
export const set = (local: number) => [op.localSet, local];
export const tee = (local: number) => [op.localTee, local];
export const v128 = (code: number, ...imm: number[]) => [0xfd, ...leb(code), ...imm];

/** The part of the WebAssembly JS API the kernels use: Node has it all, this project's Node typings do not declare it. */
export interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}
export interface WasmMemory {
  /** Replaced (the old one detached) whenever the memory grows. */
  readonly buffer: ArrayBuffer;
  /** Adds `pages` 64 KiB pages; returns the previous size in pages. */
  grow(pages: number): number;
}
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
export const PAGE_BYTES = 65536;
