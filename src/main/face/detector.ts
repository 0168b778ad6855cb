// Face detection, 68 landmarks and expression probabilities with @vladmandic/face-api on the tfjs
// WASM backend, models loaded from the package's own files (never a CDN). Initialised once.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { RgbImage } from './image-io';

// Not named `require`: the Electron bundle injects its own `require` shim into the same chunk.
const requireCjs = createRequire(import.meta.url);

export const EXPRESSIONS = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'] as const;
export type Expression = (typeof EXPRESSIONS)[number];

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** One face in photo pixel coordinates. */
export interface Face {
  /** Stable within a photo: faces are numbered left to right. */
  readonly id: number;
  readonly box: Box;
  readonly score: number;
  /** 68 points [x, y] in the iBUG order (jaw, brows, nose, eyes, lips). */
  readonly landmarks: readonly (readonly [number, number])[];
  readonly expressions: Readonly<Record<Expression, number>>;
  /** Smaller than MIN_FACE_SIZE: the generator will upsample it and the result will look soft. */
  readonly tooSmall: boolean;
  /** The box touches or crosses the photo border. */
  readonly cutByBorder: boolean;
}

export const MIN_FACE_SIZE = 64;

interface FaceApi {
  nets: Record<string, { loadFromDisk(dir: string): Promise<void>; isLoaded: boolean }>;
  detectAllFaces(input: unknown, options: unknown): {
    withFaceLandmarks(): { withFaceExpressions(): Promise<Detection[]> & { withFaceDescriptors(): Promise<DescribedDetection[]> } };
  };
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => unknown;
}
interface Detection {
  detection: { box: Box; score: number };
  landmarks: { positions: { x: number; y: number }[] };
  expressions: Record<string, number>;
}
interface DescribedDetection extends Detection {
  descriptor: Float32Array;
}
interface Tf {
  tensor3d(data: Uint8Array, shape: [number, number, number], dtype: 'int32'): { dispose(): void };
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
}

let loading: Promise<{ faceapi: FaceApi; tf: Tf }> | null = null;

function load(): Promise<{ faceapi: FaceApi; tf: Tf }> {
  loading ??= (async () => {
    const tf = requireCjs('@tensorflow/tfjs') as Tf;
    const wasm = requireCjs('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(p: string): void };
    const faceapi = requireCjs('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
    wasm.setWasmPaths(`${path.dirname(requireCjs.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
    await tf.setBackend('wasm');
    await tf.ready();
    const modelDir = path.join(path.dirname(requireCjs.resolve('@vladmandic/face-api/package.json')), 'model');
    await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
    await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
    await faceapi.nets.faceExpressionNet.loadFromDisk(modelDir);
    await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
    return { faceapi, tf };
  })();
  return loading;
}

/**
 * One detector pass over the photo, faces left to right. The tiny detector runs at 416 (608 for large photos); when
 * it finds nothing, a second pass at the other size with a lower threshold catches most misses.
 */
async function detectOnce(photo: RgbImage): Promise<Face[]> {
  const { faceapi, tf } = await load();
  const tensor = tf.tensor3d(photo.data, [photo.height, photo.width, 3], 'int32');
  try {
    const large = Math.max(photo.width, photo.height) > 1000;
    const passes: [number, number][] = large ? [[608, 0.45], [416, 0.3]] : [[416, 0.45], [608, 0.3]];
    let found: Detection[] = [];
    for (const [inputSize, scoreThreshold] of passes) {
      found = await faceapi.detectAllFaces(tensor, new faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold })).withFaceLandmarks().withFaceExpressions();
      if (found.length) break;
    }
    return found
      .sort((a, b) => a.detection.box.x - b.detection.box.x)
      .map((d, id) => {
        const { x, y, width, height } = d.detection.box;
        const box = { x, y, width, height };
        const expressions = Object.fromEntries(EXPRESSIONS.map((e) => [e, d.expressions[e] ?? 0])) as Record<Expression, number>;
        return {
          id,
          box,
          score: d.detection.score,
          landmarks: d.landmarks.positions.map((p) => [p.x, p.y] as const),
          expressions,
          ...boxFlags(box, photo),
        };
      });
  } finally {
    tensor.dispose();
  }
}

/** Landmark i of a face corresponds to MIRROR_68[i] of its mirror image (left and right swap). */
const MIRROR_68 = [
  16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
  26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
  27, 28, 29, 30, 35, 34, 33, 32, 31,
  45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,
  54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,
  64, 63, 62, 61, 60, 67, 66, 65,
];

function mirror(photo: RgbImage): RgbImage {
  const out = new Uint8Array(photo.data.length);
  for (let y = 0; y < photo.height; y++) {
    for (let x = 0; x < photo.width; x++) {
      const src = (y * photo.width + x) * 3;
      const dst = (y * photo.width + (photo.width - 1 - x)) * 3;
      out[dst] = photo.data[src];
      out[dst + 1] = photo.data[src + 1];
      out[dst + 2] = photo.data[src + 2];
    }
  }
  return { width: photo.width, height: photo.height, data: out };
}

/** The mirrored detection of `face`, mapped back into the photo's coordinates, if the mirror pass found it. */
function matchMirrored(face: Face, mirrored: readonly Face[], width: number): Face | null {
  const cx = face.box.x + face.box.width / 2;
  let best: Face | null = null;
  let bestDistance = face.box.width / 3;
  for (const m of mirrored) {
    const distance = Math.hypot(width - (m.box.x + m.box.width / 2) - cx, m.box.y + m.box.height / 2 - (face.box.y + face.box.height / 2));
    if (distance < bestDistance) [best, bestDistance] = [m, distance];
  }
  if (!best) return null;
  const m = best;
  return {
    ...m,
    box: { ...m.box, x: width - m.box.x - m.box.width },
    landmarks: MIRROR_68.map((j) => [width - m.landmarks[j][0], m.landmarks[j][1]] as const),
  };
}

function average(a: Face, b: Face): Face {
  const mean = (p: number, q: number) => (p + q) / 2;
  return {
    ...a,
    box: { x: mean(a.box.x, b.box.x), y: mean(a.box.y, b.box.y), width: mean(a.box.width, b.box.width), height: mean(a.box.height, b.box.height) },
    score: mean(a.score, b.score),
    landmarks: a.landmarks.map((p, i) => [mean(p[0], b.landmarks[i][0]), mean(p[1], b.landmarks[i][1])] as const),
    expressions: Object.fromEntries(EXPRESSIONS.map((e) => [e, mean(a.expressions[e], b.expressions[e])])) as Record<Expression, number>,
  };
}

export interface DetectOptions {
  /**
   * Also detect on the mirrored photo and average each face with its mirror (default on): the
   * landmark and expression networks are not exactly mirror-symmetric, and averaging makes AU
   * estimates identical for a face and its mirror image, at twice the detection cost.
   */
  readonly symmetric?: boolean;
}

/** Every face in the photo, numbered left to right. */
/** What a face box says about the face: too small to animate well, or cut by the photo's border. */
export function boxFlags(box: Box, photo: { readonly width: number; readonly height: number }): { tooSmall: boolean; cutByBorder: boolean } {
  return {
    tooSmall: Math.min(box.width, box.height) < MIN_FACE_SIZE,
    cutByBorder: box.x <= 1 || box.y <= 1 || box.x + box.width >= photo.width - 1 || box.y + box.height >= photo.height - 1,
  };
}

export async function detectFaces(photo: RgbImage, options: DetectOptions = {}): Promise<Face[]> {
  const faces = await detectOnce(photo);
  if (options.symmetric === false || faces.length === 0) return faces;
  const mirrored = await detectOnce(mirror(photo));
  return faces.map((face) => {
    const twin = matchMirrored(face, mirrored, photo.width);
    return twin ? average(face, twin) : face;
  });
}

/**
 * face-api's 128-d identity descriptor of the largest face in the photo (null when none is found).
 * Descriptors of one person are usually closer than 0.6 (face-api's same-person threshold).
 */
export async function faceDescriptor(photo: RgbImage): Promise<Float32Array | null> {
  const { faceapi, tf } = await load();
  const tensor = tf.tensor3d(photo.data, [photo.height, photo.width, 3], 'int32');
  try {
    for (const [inputSize, scoreThreshold] of [[416, 0.45], [608, 0.3]]) {
      const found = await faceapi.detectAllFaces(tensor, new faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold })).withFaceLandmarks().withFaceExpressions().withFaceDescriptors();
      if (found.length) return found.reduce((a, b) => (b.detection.box.width > a.detection.box.width ? b : a)).descriptor;
    }
    return null;
  } finally {
    tensor.dispose();
  }
}
