// The model the preview and export benchmarks run: the light preset without geometry (random
// weights: the time does not depend on them); with BENCH_MOTION=<basis.json>, the studio preset
// at its identity start with that motion basis, so the full-resolution warp runs on every frame;
// with BENCH_MODEL=<model.onnx>, that model file (the bundled default, say: warp and mouth interior).
import fs from 'node:fs';
import path from 'node:path';
import { PRESETS } from '../src/main/model/config';
import { generatorParamSpecs } from '../src/main/model/generator';
import { initWeights } from '../src/main/model/init';
import { exportGeneratorModel, readModelInfo, writeFileAtomic } from '../src/main/model/model-file';

export function benchModel(dir: string): { file: string; label: string; imageSize: number } {
  const given = process.env.BENCH_MODEL;
  if (given) return { file: path.resolve(given), label: path.basename(given), imageSize: readModelInfo(given).imageSize };
  const motion = process.env.BENCH_MOTION;
  const preset = motion ? PRESETS.studio : PRESETS.light;
  const file = path.join(dir, `${preset.name}.onnx`);
  const motionBasis = motion ? fs.readFileSync(motion, 'utf8') : undefined;
  writeFileAtomic(file, exportGeneratorModel(initWeights(generatorParamSpecs(preset.generator), 1), preset.generator, { provenance: { trainedBy: 'benchmark' }, ...(motionBasis ? { motionBasis } : {}) }));
  return { file, label: motion ? `studio preset with geometry (${path.basename(motion)})` : 'light preset, no geometry', imageSize: preset.generator.imageSize };
}
