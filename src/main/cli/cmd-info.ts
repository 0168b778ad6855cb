// `ganimation info model.onnx`: prints a model's metadata.
import { motionOfModel, type ModelMotion } from '../infer/model-motion';
import { describeGenerator } from '../model/config';
import { readModelInfo } from '../model/model-file';
import { UsageError } from './args';
import { defineCommand } from './command';

export const infoCommand = defineCommand({
  name: 'info',
  summary: "print a model file's metadata",
  usage: 'model.onnx [--json]',
  flags: { json: { type: 'boolean', description: 'print JSON' } },
  async run({ positional, flags }) {
    const [file] = positional;
    if (!file) throw new UsageError('give the model file');
    const info = readModelInfo(file);
    if (flags.json) {
      // The basis is ~200 KB of numbers and the mouth interior a patch of pixels: the JSON says whether there is one, not what it holds.
      console.log(JSON.stringify({ ...info, motionBasis: info.motionBasis !== null, mouthInterior: info.mouthInterior !== null }, null, 2));
      return;
    }
    const motion = motionOfModel(info, file);
    const fit = motion.basis?.fit;
    console.log(`model        ${file}`);
    console.log(`architecture ${describeGenerator(info.architecture)}, ${info.imageSize} px`);
    console.log(`geometry     ${motion.basis ? `landmark motion basis${fit ? `, fitted on performers ${fit.performers.join(' ')} (${fit.pairs} pairs)` : ''}` : (motion.problem ?? 'none (the photo is not warped)')}`);
    if (motion.basis) console.log(`mouth        ${mouthSummary(motion, info.mouthInterior !== null)}`);
    if (motion.basis) console.log(`repaints     ${info.repaintRegion === 'mouth-opening' ? 'only inside a mouth the warp opens; elsewhere the warped photo itself' : 'wherever its attention opens'}`);
    console.log(`AUs          ${info.auOrder.join(' ')}`);
    console.log(`input        ${info.normalization}`);
    console.log(`provenance   ${JSON.stringify(info.provenance)}`);
    if (info.trainingData) console.log(`data         ${info.trainingData}`);
    if (Object.keys(info.metrics).length) console.log(`metrics      ${JSON.stringify(info.metrics)}`);
    if (info.modelCard) console.log(`\n${info.modelCard}`);
  },
});

/** What the model lays into a mouth its warp opens: its interior, why the one it carries is unusable, or none. */
function mouthSummary(motion: ModelMotion, carried: boolean): string {
  const interior = motion.mouthInterior;
  if (interior) return `interior from ${interior.source} (${interior.width}x${interior.height} px), laid into mouths the warp opens`;
  return carried ? (motion.problem ?? 'unusable') : "none (an opened mouth shows the warp's own pixels)";
}
