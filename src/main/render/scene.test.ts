// The scene that preview, export and `edit` share: with identity geometry and "output = input" it is
// the photo bit for bit; its frames are the reference paste-back's; a geometry's warped region is what
// the faces blend over, and is undone when it stops applying; export writes the scene's own frame.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addKey } from '../../shared/timeline/edits';
import { evaluate } from '../../shared/timeline/evaluate';
import { timelineOf, type Project } from '../../shared/project/schema';
import { cropFace, decodeImage, pasteBack, planPaste, rgbToTensor, type RgbImage } from '../face';
import { disposeAllSessions, GeneratorEngine, type GeneratedFrame } from '../infer/generator-engine';
import type { FrameGenerator } from '../infer/generator-thread';
import { PRESETS } from '../model/config';
import { exportGeneratorModel, writeFileAtomic } from '../model/model-file';
import { readSafetensors } from '../model/safetensors';
import { newProject } from '../project/new-project';
import { exportVideo } from './export-video';
import { resolveFfmpeg } from './ffmpeg-path';
import { footprintRect, gatedOutput, Scene, type FaceRender } from './scene';
import type { FaceGeometry, FaceWarp } from './scene-geometry';
import type { Rect } from './yuv420';

const SIZE = 24;
const photo: RgbImage = { width: 200, height: 160, data: Uint8Array.from({ length: 200 * 160 * 3 }, (_, i) => (i * 37) % 251) };

/** 68 landmarks with the eyes (36-47) and mouth corners (48, 54) where the crop recipe reads them; the rest at the nose. */
function landmarks(x: number, eyesY: number, mouthY: number): [number, number][] {
  return Array.from({ length: 68 }, (_, i): [number, number] => {
    if (i >= 36 && i < 42) return [x - 8, eyesY];
    if (i >= 42 && i < 48) return [x + 8, eyesY];
    if (i === 48) return [x - 6, mouthY];
    if (i === 54) return [x + 6, mouthY];
    return [x, (eyesY + mouthY) / 2];
  });
}
const faces = [
  { id: 0, landmarks: landmarks(70, 60, 85) },
  { id: 1, landmarks: landmarks(150, 70, 90) },
];

/** "Output = input": color is the crop it was given, attention a constant; it records every call. */
class EchoGenerator implements FrameGenerator {
  readonly motion = { basis: null, problem: null, repaintRegion: 'anywhere', mouthInterior: null } as const;
  readonly calls: { image: Float32Array; ausList: readonly Float32Array[] }[] = [];
  constructor(
    readonly imageSize: number,
    private readonly attention = 1,
  ) {}
  async generate(image: Float32Array, ausList: readonly Float32Array[]): Promise<GeneratedFrame[]> {
    this.calls.push({ image, ausList });
    const attention = new Float32Array(this.imageSize * this.imageSize).fill(this.attention);
    return ausList.map(() => ({ color: image, attention, composite: image }));
  }
  async generateBatch(images: readonly Float32Array[], ausList: readonly Float32Array[]): Promise<GeneratedFrame[]> {
    this.batches.push(images.length);
    return (await Promise.all(images.map((image, i) => this.generate(image, [ausList[i]])))).flat();
  }
  /** Crops per generateBatch call. */
  readonly batches: number[] = [];
}

const aus = (au12: number) => Float32Array.from({ length: 17 }, (_, k) => (k === 8 ? au12 : 0.1));
const maxDifference = (a: Uint8Array, b: Uint8Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

/** The photo with the pixels inside `rect` moved `shift` px right (edge pixels repeat): a stand-in warp that moves nothing outside it. */
function shifted(image: RgbImage, rect: Rect, shift: number): RgbImage {
  const data = new Uint8Array(image.data);
  for (let y = rect.y0; y < rect.y1; y++) {
    for (let x = rect.x0; x < rect.x1; x++) {
      const from = Math.max(rect.x0, x - shift);
      for (let c = 0; c < 3; c++) data[3 * (y * image.width + x) + c] = image.data[3 * (y * image.width + from) + c];
    }
  }
  return { ...image, data };
}

const regionOf = (image: RgbImage, r: Rect) => {
  const rows: number[] = [];
  for (let y = r.y0; y < r.y1; y++) rows.push(...image.data.subarray(3 * (y * image.width + r.x0), 3 * (y * image.width + r.x1)));
  return Uint8Array.from(rows);
};

/** A geometry that moves the middle of each face right by 4 px per unit of AU12 (none at 0). */
const shiftGeometry: FaceGeometry = ({ photo: image, landmarks: lm, transform }) => {
  const [cx, cy] = [Math.round(transform.centerX), Math.round(transform.centerY)];
  const bounds = { x0: cx - 20, y0: cy - 20, x1: cx + 20, y1: cy + 20 };
  const warpedPhoto = (v: Float32Array) => shifted(image, bounds, Math.round(4 * v[8]));
  return {
    bounds,
    warpedRegion: (v) => (Math.round(4 * v[8]) === 0 ? null : { rect: bounds, rgb: regionOf(warpedPhoto(v), bounds) }),
    cropTensor: (v) => rgbToTensor(cropFace(warpedPhoto(v), { landmarks: lm }, { size: transform.size }).crop),
  };
};

describe('Scene with identity geometry', () => {
  it('reproduces the photo bit for bit when the output is the input crop with attention 1', async () => {
    const scene = new Scene(photo, faces, SIZE);
    const engine = new EchoGenerator(SIZE);
    const renders = await scene.generateFaces(engine, faces.map((f) => ({ faceId: f.id, aus: aus(0.7) })));
    expect(engine.calls.map((c) => c.image)).toEqual(faces.map((f) => rgbToTensor(cropFace(photo, f, { size: SIZE }).crop)));
    expect(same(scene.render(renders), photo.data)).toBe(true);
  });

  it('composites as the reference paste-back does (within one level), and shows the photo for a face left out', async () => {
    const scene = new Scene(photo, faces, SIZE);
    const output = (seed: number) => ({
      color: Float32Array.from({ length: 3 * SIZE * SIZE }, (_, i) => Math.sin(i * seed)),
      attention: Float32Array.from({ length: SIZE * SIZE }, (_, i) => (1 + Math.cos(i * seed * 0.7)) / 2),
    });
    const renders = new Map(faces.map((f, k) => [f.id, { aus: aus(0.5), output: output(3 + k) }]));
    const frame = scene.render(renders);
    const want = pasteBack(photo, scene.faces.map((f, k) => ({ transform: f.transform, ...output(3 + k) })));
    expect(maxDifference(frame, want.data)).toBeLessThanOrEqual(1);
    // Float32 against float64 arithmetic: a rounding step now and then, no more.
    expect(frame.filter((v, i) => v !== want.data[i]).length).toBeLessThan(want.data.length / 500);
    const second = scene.render(new Map([[1, renders.get(1) as FaceRender]]));
    expect(maxDifference(second, pasteBack(photo, [{ transform: scene.faces[1].transform, ...output(4) }]).data)).toBeLessThanOrEqual(1);
  });

  it('generates every AU vector of a face from its one crop in a single batched call', async () => {
    const scene = new Scene(photo, faces, SIZE);
    const engine = new EchoGenerator(SIZE);
    const list = [aus(0), aus(0.5), aus(1)];
    const renders = await scene.generate(engine, 1, list, 8);
    expect(engine.calls).toHaveLength(1);
    expect(engine.calls[0].ausList).toEqual(list);
    expect(renders.map((r) => r.aus)).toEqual(list);
    await expect(scene.generate(engine, 7, list)).rejects.toThrow(/no face 7/);
  });
});

describe('Scene with a geometry', () => {
  it('blends over the warped photo: attention 1 gives the warped photo bit for bit, and the photo again once the warp stops', async () => {
    const scene = new Scene(photo, faces, SIZE, shiftGeometry);
    const engine = new EchoGenerator(SIZE);
    const frame = scene.render(await scene.generateFaces(engine, [{ faceId: 0, aus: aus(1) }, { faceId: 1, aus: aus(0.5) }]));
    const want = shifted(shifted(photo, scene.faces[0].warp.bounds as Rect, 4), scene.faces[1].warp.bounds as Rect, 2);
    expect(same(frame, want.data)).toBe(true);
    expect(same(frame, photo.data)).toBe(false);
    // The generator read the crops of the warped photo, one call per AU vector.
    expect(engine.calls[0].image).toEqual(rgbToTensor(cropFace(shifted(photo, scene.faces[0].warp.bounds as Rect, 4), faces[0], { size: SIZE }).crop));
    const onlySecond = scene.render(await scene.generateFaces(engine, [{ faceId: 1, aus: aus(0.5) }]));
    expect(same(onlySecond, shifted(photo, scene.faces[1].warp.bounds as Rect, 2).data)).toBe(true);
    const [unmoved] = await scene.generate(engine, 1, [aus(0)]);
    expect(same(scene.render(new Map([[1, unmoved]])), photo.data)).toBe(true);
  });

  it('does not run the generator for a pose whose repaint gate is empty: its output is the warped crop, kept whole', async () => {
    // Repaints only from AU12 0.75 up, and there only in the crop's top half.
    const plane = SIZE * SIZE;
    const gated: FaceGeometry = (input) => ({
      ...shiftGeometry(input),
      repaintGate: (v) => Float32Array.from({ length: plane }, (_, i) => (v[8] >= 0.75 && i < plane / 2 ? 1 : 0)),
    });
    const scene = new Scene(photo, faces, SIZE, gated);
    const engine = new EchoGenerator(SIZE, 0.25);
    const renders = await scene.generate(engine, 0, [aus(0.5), aus(1), aus(0)]);
    expect(engine.batches).toEqual([1]);
    expect(engine.calls.map((c) => c.ausList)).toEqual([[aus(1)]]);
    for (const k of [0, 2]) {
      const crop = scene.faces[0].warp.cropTensor(renders[k].aus);
      expect(Array.from(renders[k].output.attention)).toEqual(new Array(plane).fill(1));
      expect(renders[k].output.color).toEqual(crop);
    }
    // The pose it ran for is gated as before: the generator's attention in the top half only.
    expect(renders[1].output.attention[0]).toBe(0.25);
    expect(renders[1].output.attention[plane - 1]).toBe(1);
    // A kept pose renders as the warped photo itself, bit for bit.
    expect(same(scene.render(new Map([[0, renders[0]]])), shifted(photo, scene.faces[0].warp.bounds as Rect, 2).data)).toBe(true);
    await scene.generate(engine, 1, [aus(0), aus(0.25)]);
    expect(engine.batches).toEqual([1]);
  });

  it('takes one crop per AU vector, counts the warp bounds in its footprint, and refuses a region outside them', async () => {
    const scene = new Scene(photo, faces, SIZE, shiftGeometry);
    const engine = new EchoGenerator(SIZE);
    await scene.generate(engine, 0, [aus(0), aus(1)]);
    expect(engine.batches).toEqual([2]);
    expect(engine.calls.map((c) => c.ausList.length)).toEqual([1, 1]);
    expect(engine.calls[0].image).not.toEqual(engine.calls[1].image);
    expect(scene.footprint).toEqual(footprintRect(photo.width, scene.faces.map((f) => f.paste)));
    const wide = { x0: 0, y0: 0, x1: photo.width, y1: 10 };
    const outside = new Scene(photo, faces.slice(0, 1), SIZE, (input) => ({ ...shiftGeometry(input), bounds: wide }));
    expect(outside.footprint).toEqual({ ...wide, y1: (footprintRect(photo.width, outside.faces.map((f) => f.paste)) as Rect).y1 });
    const tooBig: FaceGeometry = (input) => ({ ...shiftGeometry(input), warpedRegion: () => ({ rect: { x0: 0, y0: 0, x1: 300, y1: 1 }, rgb: new Uint8Array(900) }) });
    const refusing = new Scene(photo, faces.slice(0, 1), SIZE, tooBig);
    const [render] = await refusing.generate(engine, 0, [aus(1)]);
    expect(() => refusing.render(new Map([[0, render]]))).toThrow(/not inside the warp's bounds/);
  });
});

describe('gatedOutput', () => {
  it("limits the repaint to the geometry's gate: attention 1 - (1 - A) * gate, the composite recomputed over the warped crop", async () => {
    const s = 4;
    const plane = s * s;
    const input = Float32Array.from({ length: 3 * plane }, (_, i) => (i % 7) / 7 - 0.5);
    const color = new Float32Array(3 * plane).fill(0.9);
    const gate = Float32Array.from({ length: plane }, (_, i) => (i < plane / 2 ? 0 : 1));
    const output = { color, attention: new Float32Array(plane).fill(0.25), composite: new Float32Array(3 * plane) };
    const warp: FaceWarp = { bounds: null, warpedRegion: () => null, cropTensor: () => input, repaintGate: () => gate };
    const gated = gatedOutput(warp, new Float32Array(17), output, input);
    expect(Array.from(gated.attention.subarray(0, plane / 2))).toEqual(new Array(plane / 2).fill(1));
    expect(Array.from(gated.attention.subarray(plane / 2))).toEqual(new Array(plane / 2).fill(0.25));
    for (let i = 0; i < 3 * plane; i++) {
      const a = gated.attention[i % plane];
      expect(gated.composite[i]).toBeCloseTo(a * input[i] + (1 - a) * 0.9, 6);
    }
    expect(gated.color).toBe(color);
    // Without a gate the output is the generator's as it came.
    expect(gatedOutput({ ...warp, repaintGate: undefined }, new Float32Array(17), output, input)).toBe(output);
  });
});

describe('footprintRect', () => {
  it('is the bounding box of every pixel the pastes may paint, and null without any', () => {
    const size = { width: 160, height: 120 };
    const plans = [planPaste(size, { size: 16, centerX: 40, centerY: 30, scale: 2, angle: 0.3 }), planPaste(size, { size: 16, centerX: 150, centerY: 100, scale: 2, angle: 0 })];
    const rect = footprintRect(size.width, plans) as Rect;
    const xy = plans.flatMap((p) => Array.from(p.pixel, (q) => [(q / 3) % size.width, Math.floor(q / 3 / size.width)]));
    expect(rect).toEqual({
      x0: Math.min(...xy.map((q) => q[0])),
      y0: Math.min(...xy.map((q) => q[1])),
      x1: Math.max(...xy.map((q) => q[0])) + 1,
      y1: Math.max(...xy.map((q) => q[1])) + 1,
    });
    expect(rect.x1).toBe(160); // the second face runs off the right edge: clipped to the photo
    expect(footprintRect(size.width, [])).toBeNull();
  });
});

const SHARED = path.resolve(__dirname, '../../../../shared');
const PORTRAIT = path.join(SHARED, 'data/tw-expressions/images/0101a02.jpg');
const have = fs.existsSync(PORTRAIT);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-scene-'));
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  return disposeAllSessions();
});

describe.skipIf(!have)('preview and export (needs ../shared)', () => {
  it('make the same frame for the same AUs: an exported PNG frame is the preview path’s frame, byte for byte', async () => {
    const weights = new Map([...readSafetensors(path.join(SHARED, 'fixtures/ganimation-tiny/generator.safetensors'))].map(([k, t]) => [k, t.data]));
    const modelFile = path.join(tmp, 'tiny.onnx');
    writeFileAtomic(modelFile, exportGeneratorModel(weights, PRESETS.tiny.generator, { provenance: { importedFrom: 'fixture' } }));
    const engine = await GeneratorEngine.load(modelFile, { device: 'cpu' });
    const file = path.join(tmp, 'portrait.jpg');
    fs.copyFileSync(PORTRAIT, file);
    let project = { ...(await newProject(file, path.join(tmp, 'p.json'))), duration: 2, fps: 10 };
    let t = timelineOf(project);
    t = addKey(t, 0, 'AU12', 0, 0, 'linear');
    t = addKey(t, 0, 'AU12', 1, 0.8, 'linear');
    project = { ...project, faces: project.faces.map((f) => ({ ...f, tracks: t.faces[0].tracks as Project['faces'][number]['tracks'] })) };
    const out = path.join(tmp, 'frames');
    await exportVideo(project, file, engine, { format: 'png', outputPath: out, size: 'original', fps: 10, quality: 100, range: [0.5, 0.6], audioPath: null, batchSize: 4, ffmpegPath: resolveFfmpeg().path });
    const exported = await decodeImage(path.join(out, 'frame_00001.png'));
    // The preview's steps (frame-worker.ts): a scene of the photo's faces, one generator call per face, render.
    const image = await decodeImage(file);
    const scene = new Scene(image, project.faces, engine.imageSize);
    const frameAus = evaluate(timelineOf(project), 0.5);
    const frame = scene.render(await scene.generateFaces(engine, project.faces.map((f) => ({ faceId: f.id, aus: frameAus.get(f.id) as Float32Array }))));
    expect(same(exported.data, frame)).toBe(true);
    expect(same(frame, image.data)).toBe(false);
  });
});
