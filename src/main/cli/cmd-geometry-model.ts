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
import { geometryCard } from '../train/model-card';
import { UsageError } from './args';
import { CARD_FLAGS, readEvaluationFlag, REPAINT_FLAG } from './card-flags';
import { defineCommand } from './command';
import { MOUTH_FLAG, readMouthFlag } from './mouth-flag';

export const geometryModelCommand = defineCommand({
  name: 'geometry-model',
  summary: 'make a geometry-only model: a motion basis and a generator that starts as the identity',
  usage: '--motion basis.json -o model.onnx [--preset studio] [--mouth-from photo.jpg] [--repaint mouth-opening] [--restrictions "..."] [--evaluation eval.md]',
  flags: {
    motion: { type: 'string', description: 'motion basis (from ganimation fit-motion)', required: true, placeholder: 'file' },
    out: { type: 'string', alias: 'o', description: 'output .onnx path', required: true, placeholder: 'file' },
    preset: { type: 'string', choices: PRESET_NAMES, description: 'a preset of the identity-start family (default studio)' },
    'mouth-from': MOUTH_FLAG,
    repaint: REPAINT_FLAG,
    ...CARD_FLAGS,
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
    const evaluation = readEvaluationFlag(flags.evaluation);
    const mouth = flags['mouth-from'] ? await readMouthFlag(flags['mouth-from']) : null;
    const weights = initWeights(generatorParamSpecs(preset.generator), 1);
    const card = geometryCard({ preset: preset.name, basis, restrictions: flags.restrictions, evaluation, mouthSource: mouth?.source, repaintRegion: flags.repaint });
    const info = { provenance: { trainedBy: 'GANimation Studio geometry-model' }, modelCard: card, motionBasis: text, ...(mouth ? { mouthInterior: mouth.text } : {}), repaintRegion: flags.repaint };
    writeFileAtomic(flags.out, exportGeneratorModel(weights, preset.generator, info));
    console.log(`${flags.out}: geometry-only ${preset.name} model${mouth ? `, mouth interior from ${mouth.source}` : ''}`);
  },
});
