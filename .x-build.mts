import { buildCriticStep, buildGeneratorStep, buildPairStep } from './src/main/train/step-graphs';
import { PRESETS } from './src/main/model/config';
import { resolveTrainConfig, lossOptionsOf, criticPartsFor } from './src/main/train/train-config';
for (const name of ['paper', 'studio'] as const) {
  const cfg = resolveTrainConfig({ preset: name, batchSize: 8 });
  const opts = { preset: PRESETS[name], batchSize: 8, lossWeights: cfg.lossWeights, lossOptions: lossOptionsOf(cfg), geometry: cfg.geometry };
  const t = performance.now();
  for (const part of criticPartsFor(cfg)) buildCriticStep(opts, part);
  buildGeneratorStep(opts);
  console.log(name, criticPartsFor(cfg), ((performance.now() - t) / 1000).toFixed(2), 's');
}
