// Sample grids for watching a run: for fixed validation faces, the input, the generator's output for
// a fixed set of target AUs, and the attention and color of the first target, as one PNG.
import fs from 'node:fs';
import sharp from 'sharp';
import { AU_COUNT } from '../../shared/aus';
import * as G from '../graph';
import { createSession, runSession, type Session } from '../infer/ort-session';
import type { GeneratorConfig } from '../model/config';
import { defineGenerator, generatorParamSpecs } from '../model/generator';
import type { MotionBasis } from '../face/motion-model';
import { applyWarpTable } from '../face/mesh-warp';
import { writeCrop, type CropSet } from './batches';
import { gateRepaint } from '../render/scene-geometry';
import { cropLandmarks, cropMouth, cropWarp, layInterior, type RunMouth } from './warp-batch';

/** Named AU targets: single AUs at high intensity and a few expressions (indices follow AU_ORDER). */
export const SAMPLE_TARGETS: readonly { name: string; aus: Partial<Record<number, number>> }[] = [
  { name: 'AU12 smile', aus: { 4: 0.8, 8: 1 } },
  { name: 'AU04 frown', aus: { 2: 1 } },
  { name: 'AU01+02 brows up', aus: { 0: 1, 1: 1 } },
  { name: 'AU26 jaw drop', aus: { 14: 0.8, 15: 1 } },
  { name: 'AU45 blink', aus: { 16: 1 } },
  { name: 'surprise', aus: { 0: 0.8, 1: 0.8, 3: 0.8, 14: 0.7, 15: 0.8 } },
];

export class SampleRenderer {
  private constructor(
    private readonly session: Session,
    private readonly cfg: GeneratorConfig,
  ) {}

  static async create(cfg: GeneratorConfig): Promise<SampleRenderer> {
    const graph = new G.Graph('sampler');
    const gen = defineGenerator(graph, cfg);
    const out = gen.apply(graph.input('image', 'float32', ['N', 3, cfg.imageSize, cfg.imageSize]), graph.input('aus', 'float32', ['N', cfg.cDim]));
    graph.output('color', out.color);
    graph.output('attention', out.attention);
    graph.output('composite', out.composite);
    return new SampleRenderer(await createSession(G.toOnnx(graph, { params: 'inputs' })), cfg);
  }

  /**
   * Renders rows of [input | one output per target | attention | color] and writes a PNG. With a
   * motion basis each target's input is the crop warped to it, as training and the studio warp it,
   * with the run's mouth interior laid and its repaint gate applied (`mouth`).
   */
  async write(file: string, weights: ReadonlyMap<string, Float32Array>, faces: CropSet, rows: number, motionBasis: MotionBasis | null = null, mouth: RunMouth | null = null): Promise<void> {
    const s = this.cfg.imageSize;
    const plane = 3 * s * s;
    const count = Math.min(rows, faces.count);
    const n = count * SAMPLE_TARGETS.length;
    const image = new Float32Array(n * plane);
    const aus = new Float32Array(n * AU_COUNT);
    const gates: (Float32Array | null)[] = new Array(n).fill(null);
    for (let f = 0; f < count; f++) {
      SAMPLE_TARGETS.forEach((t, j) => {
        const i = f * SAMPLE_TARGETS.length + j;
        const slot = image.subarray(i * plane, (i + 1) * plane);
        writeCrop(faces, f, false, slot);
        for (const [k, v] of Object.entries(t.aus)) aus[i * AU_COUNT + Number(k)] = v as number;
        if (motionBasis) {
          const warp = cropWarp(s, cropLandmarks(faces, f, false), motionBasis, faces.aus.subarray(f * AU_COUNT, (f + 1) * AU_COUNT), aus.subarray(i * AU_COUNT, (i + 1) * AU_COUNT));
          const added = mouth ? cropMouth(s, warp, slot, mouth) : {};
          slot.set(applyWarpTable(slot, warp.forward));
          if (added.interior) layInterior(slot, added.interior.forward);
          gates[i] = added.gate?.forward ?? null;
        }
      });
    }
    const feeds: Record<string, { data: Float32Array; dims: readonly number[] }> = {
      image: { data: image, dims: [n, 3, s, s] },
      aus: { data: aus, dims: [n, AU_COUNT] },
    };
    for (const spec of generatorParamSpecs(this.cfg)) feeds[spec.name] = { data: weights.get(spec.name) as Float32Array, dims: spec.shape };
    const out = await runSession(this.session, feeds);
    const cols = SAMPLE_TARGETS.length + 3;
    const grid = new Uint8Array(count * s * cols * s * 3);
    const put = (row: number, col: number, src: Float32Array, channels: number, toByte: (v: number) => number) => {
      for (let y = 0; y < s; y++) {
        for (let x = 0; x < s; x++) {
          const dst = ((row * s + y) * cols * s + col * s + x) * 3;
          for (let c = 0; c < 3; c++) grid[dst + c] = toByte(src[(channels === 1 ? 0 : c) * s * s + y * s + x]);
        }
      }
    };
    const signed = (v: number) => Math.round(Math.min(1, Math.max(-1, v)) * 127.5 + 127.5);
    const unit = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);
    const composite = new Float32Array(out.composite.data as Float32Array);
    const attention = new Float32Array(out.attention.data as Float32Array);
    gates.forEach((gate, i) => {
      if (!gate) return;
      const at = (data: Float32Array, per: number) => data.subarray(i * per, (i + 1) * per);
      const gated = gateRepaint({ attention: at(attention, s * s), color: at(out.color.data as Float32Array, plane), composite: at(composite, plane) }, gate, at(image, plane));
      composite.set(gated.composite, i * plane);
      attention.set(gated.attention, i * s * s);
    });
    for (let f = 0; f < count; f++) {
      const first = f * SAMPLE_TARGETS.length;
      const input = new Float32Array(plane);
      writeCrop(faces, f, false, input);
      put(f, 0, input, 3, signed);
      SAMPLE_TARGETS.forEach((_, j) => put(f, j + 1, composite.subarray((first + j) * plane, (first + j + 1) * plane), 3, signed));
      put(f, cols - 2, attention.subarray(first * s * s, (first + 1) * s * s), 1, unit);
      put(f, cols - 1, (out.color.data as Float32Array).subarray(first * plane, (first + 1) * plane), 3, signed);
    }
    const temp = `${file}.tmp-${process.pid}`;
    await sharp(grid, { raw: { width: cols * s, height: count * s, channels: 3 } }).png().toFile(temp);
    fs.renameSync(temp, file);
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
