// `ganimation export-model runs/<name> -o model.onnx`: the latest checkpoint's generator as a model file with its card.
import fs from 'node:fs';
import path from 'node:path';
import { presetByName } from '../model/config';
import { exportGeneratorModel, writeFileAtomic } from '../model/model-file';
import { latestCheckpoint, loadCheckpoint } from '../train/checkpoint';
import { readManifest, runCacheDirs } from '../train/dataset';
import { modelCard } from '../train/model-card';
import { UsageError } from './args';
import type { Command } from './command';

export interface CardNotes {
  /** Where the data came from and its license. */
  readonly dataNote?: string;
  /** Use restrictions inherited from the data. */
  readonly restrictions?: string;
  /** Markdown evaluation section (e.g. from `ganimation eval`). */
  readonly evaluation?: string;
}

export function exportRun(runDir: string, out: string, notes: CardNotes = {}): string {
  const folder = latestCheckpoint(path.join(runDir, 'checkpoints'));
  if (!folder) throw new Error(`no checkpoint in ${runDir}; train first`);
  const ckpt = loadCheckpoint(folder);
  const faces = runCacheDirs(runDir).reduce((n, dir) => n + (readManifest(dir)?.items.length ?? 0), 0);
  const dataSummary = `${faces || '?'} face crops${notes.dataNote ? ` (${notes.dataNote})` : ''}`;
  const preset = presetByName(ckpt.state.config.preset);
  const bytes = exportGeneratorModel(ckpt.generator, preset.generator, {
    provenance: { trainedBy: `GANimation Studio ganimation train, ${path.basename(runDir)}` },
    metrics: { finalLosses: ckpt.state.losses, steps: ckpt.state.step },
    trainingData: dataSummary,
    modelCard: modelCard({ state: ckpt.state, dataSummary, restrictions: notes.restrictions, evaluation: notes.evaluation }),
  });
  writeFileAtomic(out, bytes);
  return folder;
}

export const exportModelCommand: Command = {
  name: 'export-model',
  summary: "export a training run's latest generator as a model file",
  usage: 'runs/<name> -o model.onnx [--data-note "..."] [--restrictions "..."] [--evaluation eval.md]',
  flags: {
    out: { type: 'string', alias: 'o', description: 'output .onnx path', required: true, placeholder: 'file' },
    'data-note': { type: 'string', description: 'a note on the training data for the model card (source, license)', placeholder: 'text' },
    restrictions: { type: 'string', description: 'use restrictions inherited from the data, for the model card', placeholder: 'text' },
    evaluation: { type: 'string', description: 'a Markdown file with evaluation results for the model card (e.g. from ganimation eval)', placeholder: 'file' },
  },
  async run({ positional, flags }) {
    if (!positional[0]) throw new UsageError('give the run folder');
    const evaluationFile = flags.evaluation as string | undefined;
    let evaluation: string | undefined;
    if (evaluationFile) {
      try {
        evaluation = fs.readFileSync(evaluationFile, 'utf8');
      } catch (err) {
        throw new UsageError(`--evaluation: cannot read ${evaluationFile}: ${(err as Error).message}`);
      }
    }
    const from = exportRun(positional[0], flags.out as string, { dataNote: flags['data-note'] as string | undefined, restrictions: flags.restrictions as string | undefined, evaluation });
    console.log(`${flags.out} written from ${from}`);
  },
};
