// Where a geometry-first model's single-AU control is lost between the landmarks its motion model
// moves and the AUs `ganimation eval --photo` reads back. Each goal AU is driven alone at 0.3, 0.6
// and 0.9 (absolute targets, as eval drives them) on each photo, and its intensity is estimated three
// ways: (1) on the moved landmarks themselves, with the photo's own expression probabilities; (2) on
// the landmarks detected on the rendered full photo, with the photo's own expression probabilities;
// (3) on the rendered photo's detection as a whole (what eval measures). Also printed: how much of
// the asked landmark motion the detector reads back (projection of the detected motion on the asked
// one, median per AU; 1 = all of it).
// Usage: npx tsx scripts/au-readback.ts [--model m.onnx] [--performers 01-16] [--limit 16]
import path from 'node:path';
import { AU_COUNT, AU_ORDER, type AuName } from '../src/shared/aus';
import { decodeImage, detectFaces, estimateAus } from '../src/main/face';
import type { Point } from '../src/main/face/face-frame';
import { moveLandmarks } from '../src/main/face/motion-model';
import { largestFace } from '../src/main/face/precomputed';
import { CONTROL_LEVELS, GOAL_AUS, pearson, spread } from '../src/main/eval/evaluate-model';
import { labelledPhotoPaths } from '../src/main/eval/expression-transfer';
import { readLabels, selectPerformers } from '../src/main/face/motion-data';
import { GeneratorEngine } from '../src/main/infer/generator-engine';
import { geometryOf } from '../src/main/render/motion-geometry';
import { gatedOutput, Scene } from '../src/main/render/scene';

const DATA = path.resolve(import.meta.dirname, '../../shared/data/tw-expressions');
const flag = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
};

/** One driven output: the target and the three read-backs (NaN where no face was detected), and the read-back share of the motion. */
interface Reading {
  target: number;
  moved: number;
  detectedLandmarks: number;
  detected: number;
  motionShare: number;
}

/** Pearson r over the pairs whose read-back is finite (a face was detected). */
function rOf(pairs: [number, number][]): number {
  const ok = pairs.filter(([, y]) => Number.isFinite(y));
  return pearson(ok.map(([x]) => x), ok.map(([, y]) => y));
}

const median = (xs: number[]): number => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

/** The detected motion projected on the asked motion, over all 68 landmarks: 1 when the detector reads back exactly what the warp moved. */
function motionShare(source: readonly Point[], asked: readonly Point[], detected: readonly Point[]): number {
  let along = 0;
  let norm = 0;
  for (let k = 0; k < source.length; k++) {
    const [ax, ay] = [asked[k][0] - source[k][0], asked[k][1] - source[k][1]];
    along += ax * (detected[k][0] - source[k][0]) + ay * (detected[k][1] - source[k][1]);
    norm += ax * ax + ay * ay;
  }
  return norm > 0 ? along / norm : NaN;
}

async function main(): Promise<void> {
  const engine = await GeneratorEngine.load(flag('model', path.resolve(import.meta.dirname, '../resources/models/default.onnx')));
  const basis = engine.motion.basis;
  if (!basis) throw new Error('the model carries no motion basis: this script measures geometry-first models');
  const performers = selectPerformers(flag('performers', '01-16'), readLabels(DATA).map((r) => r.performer));
  const files = spread(labelledPhotoPaths(DATA, performers), Number(flag('limit', '16')));
  const readings = new Map<AuName, Reading[]>(GOAL_AUS.map((au) => [au, []]));
  let faces = 0;
  for (const file of files) {
    const photo = await decodeImage(file);
    const face = largestFace(await detectFaces(photo));
    if (!face) continue;
    faces++;
    const source = estimateAus(face);
    const scene = new Scene(photo, [{ ...face, sourceAus: source }], engine.imageSize, geometryOf(engine));
    const warp = scene.face(face.id).warp;
    for (const au of GOAL_AUS) {
      const index = AU_ORDER.indexOf(au);
      for (const level of CONTROL_LEVELS) {
        const target = new Float32Array(AU_COUNT);
        target[index] = level;
        const moved = moveLandmarks(face.landmarks as readonly Point[], basis, source, target);
        const crop = warp.cropTensor(target);
        const [raw] = await engine.generateBatch([crop], [target]);
        const frame = scene.render(new Map([[face.id, { aus: target, output: gatedOutput(warp, target, raw, crop) }]]));
        const read = largestFace(await detectFaces({ width: photo.width, height: photo.height, data: frame }));
        readings.get(au)?.push({
          target: level,
          moved: estimateAus({ landmarks: moved, expressions: face.expressions })[index],
          detectedLandmarks: read ? estimateAus({ landmarks: read.landmarks, expressions: face.expressions })[index] : NaN,
          detected: read ? estimateAus(read)[index] : NaN,
          motionShare: read ? motionShare(face.landmarks as readonly Point[], moved, read.landmarks as readonly Point[]) : NaN,
        });
      }
    }
    process.stderr.write(`\r${faces} faces`);
  }
  process.stderr.write('\n');
  console.log(`${faces} faces of ${files.length} photos; r = Pearson r of target and read-back intensity; mean read-back at ${CONTROL_LEVELS.join(' / ')}\n`);
  console.log('| AU | r, moved landmarks | r, detected landmarks | r, detected face (eval) | mean read-back, moved | mean read-back, detected face | motion read back (median) |');
  console.log('|---|---:|---:|---:|---|---|---:|');
  const means = [0, 0, 0];
  for (const [au, rows] of readings) {
    const r = (['moved', 'detectedLandmarks', 'detected'] as const).map((k) => rOf(rows.map((row) => [row.target, row[k]])));
    r.forEach((v, k) => (means[k] += v / GOAL_AUS.length));
    const byLevel = (k: 'moved' | 'detected') => CONTROL_LEVELS.map((level) => {
      const xs = rows.filter((row) => row.target === level && Number.isFinite(row[k])).map((row) => row[k]);
      return (xs.reduce((s, v) => s + v, 0) / xs.length).toFixed(2);
    }).join(' / ');
    console.log(`| ${au} | ${r.map((v) => v.toFixed(3)).join(' | ')} | ${byLevel('moved')} | ${byLevel('detected')} | ${median(rows.map((row) => row.motionShare)).toFixed(2)} |`);
  }
  console.log(`| mean | ${means.map((v) => v.toFixed(3)).join(' | ')} | | | |`);
}

void main();
