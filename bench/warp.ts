// Benchmark of the mesh warp: ms per frame of warpPhoto on a 1920x1080 photo whose face crop is
// 400, 560 and 720 px wide (a smile that changes every frame, written into the face's region), and
// of warpTable at the training crop sizes. Generated pixels: the time does not depend on them. CPU
// time is printed beside wall time because on a loaded machine a frame is often preempted.
// BENCH_KERNEL=bilinear|cubic picks warpPhoto's kernel (default PHOTO_KERNEL).
import { CANONICAL_FACE, cropTransform, FACE_MESH, foldGuard, meshBounds, meshPointsInCrop, meshPointsInPhoto, warpPhoto, warpTable } from '../src/main/face';
import { PHOTO_KERNEL, type WarpKernel } from '../src/main/face/mesh-warp';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 30);
const KERNEL = (process.env.BENCH_KERNEL ?? PHOTO_KERNEL) as WarpKernel;
if (KERNEL !== 'bilinear' && KERNEL !== 'cubic') throw new Error(`BENCH_KERNEL must be bilinear or cubic, not ${KERNEL}`);
const [W, H] = [1920, 1080];

function photo(): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(W * H * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  return { width: W, height: H, data };
}

/**
 * Mesh points with a smile of strength k (mouth corners out and up by 0.1 inter-ocular units at
 * k = 1); with `everything`, every landmark also moves (1% zoom about the nose), the worst case:
 * every triangle of the mesh is resampled.
 */
function smile(points: Float64Array, iod: number, k: number, everything: boolean): Float64Array {
  const out = Float64Array.from(points);
  if (everything) {
    const [cx, cy] = [points[60], points[61]];
    for (let i = 0; i < 68; i++) {
      out[2 * i] = cx + 1.01 * (out[2 * i] - cx);
      out[2 * i + 1] = cy + 1.01 * (out[2 * i + 1] - cy);
    }
  }
  const moves: [number, number, number][] = [[48, -1, -1], [54, 1, -1], [60, -0.8, -0.8], [64, 0.8, -0.8], [49, -0.4, -0.5], [53, 0.4, -0.5], [59, -0.5, -0.3], [55, 0.5, -0.3], [57, 0, 0.3], [8, 0, 0.4]];
  for (const [i, dx, dy] of moves) {
    out[2 * i] += 0.1 * iod * k * dx;
    out[2 * i + 1] += 0.1 * iod * k * dy;
  }
  return out;
}

function median(times: number[]): number {
  const s = [...times].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function main(): void {
  const image = photo();
  const rows: string[] = [];
  for (const [side, everything] of [[400, false], [560, false], [720, false], [560, true]] as const) {
    const landmarks = CANONICAL_FACE.map(([u, v]) => [700 + side * u, 200 + side * v] as [number, number]);
    const src = meshPointsInPhoto(FACE_MESH, landmarks, cropTransform({ landmarks }, { size: 128 }));
    const iod = Math.hypot(landmarks[45][0] - landmarks[36][0], landmarks[45][1] - landmarks[36][1]);
    const bounds = meshBounds(src, W, H);
    const region = { rect: bounds, rgb: new Uint8Array((bounds.x1 - bounds.x0) * (bounds.y1 - bounds.y0) * 3) };
    const times: number[] = [];
    const cpu: number[] = [];
    let changedPixels = 0;
    for (let i = 0; i < REPEATS + 3; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const { points } = foldGuard(FACE_MESH, src, smile(src, iod, 0.5 + (i % 10) / 10, everything));
      const { changed } = warpPhoto(image, FACE_MESH, src, points, region, KERNEL);
      const used = process.cpuUsage(c0);
      if (i >= 3) times.push(performance.now() - t0);
      if (i >= 3) cpu.push((used.user + used.system) / 1000);
      if (changed) changedPixels = (changed.x1 - changed.x0) * (changed.y1 - changed.y0);
    }
    rows.push(`warpPhoto  ${KERNEL}  ${everything ? 'every landmark' : 'smile'}  face crop ${side} px  region ${bounds.x1 - bounds.x0}x${bounds.y1 - bounds.y0}  changed ${(changedPixels / 1e3).toFixed(0)}k px  ${median(times).toFixed(2)} ms/frame, CPU ${median(cpu).toFixed(2)} ms (medians of ${REPEATS})`);
  }
  for (const size of [96, 128]) {
    const src = meshPointsInCrop(FACE_MESH, CANONICAL_FACE.map(([u, v]) => [u * size, v * size] as const), size);
    const iod = 0.31 * size;
    const times: number[] = [];
    for (let i = 0; i < REPEATS + 3; i++) {
      const t0 = performance.now();
      warpTable(size, src, smile(src, iod, 0.5 + (i % 10) / 10, true), FACE_MESH);
      if (i >= 3) times.push(performance.now() - t0);
    }
    rows.push(`warpTable  ${size}x${size}  ${median(times).toFixed(2)} ms/table`);
  }
  console.log(rows.join('\n'));
}

main();
