// `ganimation export-model runs/<name> -o model.onnx`: the latest checkpoint's generator as a model file with its card.
import { exportRun } from '../train/export-run';
import { UsageError } from './args';
import { CARD_FLAGS, readEvaluationFlag, REPAINT_FLAG } from './card-flags';
import { defineCommand } from './command';

export const exportModelCommand = defineCommand({
  name: 'export-model',
  summary: "export a training run's latest generator as a model file",
  usage: 'runs/<name> -o model.onnx [--data-note "..."] [--restrictions "..."] [--evaluation eval.md] [--repaint mouth-opening]',
  flags: {
    out: { type: 'string', alias: 'o', description: 'output .onnx path', required: true, placeholder: 'file' },
    'data-note': { type: 'string', description: 'a note on the training data for the model card (source, license)', placeholder: 'text' },
    ...CARD_FLAGS,
    repaint: REPAINT_FLAG,
    weights: { type: 'string', description: "average (default: the generator's moving average, when the run keeps one) or trained (the trained weights themselves)", choices: ['average', 'trained'] },
  },
  async run({ positional, flags }) {
    if (!positional[0]) throw new UsageError('give the run folder');
    const evaluation = readEvaluationFlag(flags.evaluation);
    const from = exportRun(positional[0], flags.out, { dataNote: flags['data-note'], restrictions: flags.restrictions, evaluation, weights: flags.weights, repaintRegion: flags.repaint });
    console.log(`${flags.out} written from ${from}`);
  },
});
