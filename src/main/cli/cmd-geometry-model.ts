// `ganimation geometry-model --motion basis.json -o m.onnx`: a model of the identity-start family
// at its initial weights with a motion basis: geometry alone (the photo's own pixels moved by the
// landmark warp, nothing repainted). A baseline for evaluations and a starting point for training.
import fs from 'node:fs';
import { parseMotionBasis } from '../face/motion-model';
import { PRESET_NAMES } from '../../shared/presets';
import { generatorFamily, PRESETS } from '../model/config';
import { generatorParamSpecs } from '../model/generator';
import { initWeights } from '../model/init';
import { exportGeneratorModel, writeFileAtomic } from '../model/model-file';
import { UsageError } from './args';
import { defineCommand } from './command';

export const geometryModelCommand = defineCommand({
  name: 'geometry-model',
  summary: 'make a geometry-only model: a motion basis and a generator that starts as the identity',
  usage: '--motion basis.json -o model.onnx [--preset studio]',
  flags: {
    motion: { type: 'string', description: 'motion basis (from ganimation fit-motion)', required: true, placeholder: 'file' },
    out: { type: 'string', alias: 'o', description: 'output .onnx path', required: true, placeholder: 'file' },
    preset: { type: 'string', choices: PRESET_NAMES, description: 'a preset of the identity-start family (default studio)' },
  },
  async run({ flags }) {
    const preset = PRESETS[flags.preset ?? 'studio'];
    if (generatorFamily(preset.generator) !== 'residual') throw new UsageError(`--preset ${preset.name} does not start as the identity; use a preset of the residual family (studio, studio-tiny)`);
    const file = flags.motion;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--motion: cannot read ${file}: ${(err as Error).message}`);
    }
    const basis = parseMotionBasis(text, file);
    const weights = initWeights(generatorParamSpecs(preset.generator), 1);
    const fit = basis.fit ? ` Motion basis fitted on performers ${basis.fit.performers.join(', ')} (${basis.fit.pairs} pairs).` : '';
    const card = `# Geometry only\n\nThe ${preset.name} generator at its initial weights (it returns its input) with a landmark motion basis: expressions move the photo's own pixels, nothing is repainted.${fit}\n`;
    writeFileAtomic(flags.out, exportGeneratorModel(weights, preset.generator, { provenance: { trainedBy: 'GANimation Studio geometry-model' }, modelCard: card, motionBasis: text }));
    console.log(`${flags.out}: geometry-only ${preset.name} model`);
  },
});
