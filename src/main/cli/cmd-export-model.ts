// `ganimation export-model runs/<name> -o model.onnx`: the latest checkpoint's generator as a model file with its card.
import path from 'node:path';
import { presetByName } from '../model/config';
import { exportGeneratorModel, writeFileAtomic } from '../model/model-file';
import { latestCheckpoint, loadCheckpoint } from '../train/checkpoint';
import { readManifest } from '../train/dataset';
import { modelCard } from '../train/model-card';
import { UsageError } from './args';
import type { Command } from './command';

export function exportRun(runDir: string, out: string, dataNote?: string): string {
  const folder = latestCheckpoint(path.join(runDir, 'checkpoints'));
  if (!folder) throw new Error(`no checkpoint in ${runDir}; train first`);
  const ckpt = loadCheckpoint(folder);
  const manifest = readManifest(path.join(runDir, 'dataset'));
  const dataSummary = `${manifest?.items.length ?? '?'} face crops${dataNote ? ` (${dataNote})` : ''}`;
  const preset = presetByName(ckpt.state.config.preset);
  const bytes = exportGeneratorModel(ckpt.generator, preset.generator, {
    provenance: { trainedBy: `GANimation Studio ganimation train, ${path.basename(runDir)}` },
    metrics: { finalLosses: ckpt.state.losses, steps: ckpt.state.step },
    trainingData: dataSummary,
    modelCard: modelCard({ state: ckpt.state, dataSummary }),
  });
  writeFileAtomic(out, bytes);
  return folder;
}

export const exportModelCommand: Command = {
  name: 'export-model',
  summary: "export a training run's latest generator as a model file",
  usage: 'runs/<name> -o model.onnx [--data-note "..."]',
  flags: {
    out: { type: 'string', alias: 'o', description: 'output .onnx path', required: true, placeholder: 'file' },
    'data-note': { type: 'string', description: 'a note on the training data for the model card (source, license)', placeholder: 'text' },
  },
  async run({ positional, flags }) {
    if (!positional[0]) throw new UsageError('give the run folder');
    const from = exportRun(positional[0], flags.out as string, flags['data-note'] as string | undefined);
    console.log(`${flags.out} written from ${from}`);
  },
};
